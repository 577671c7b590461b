/* Khum service worker: app shell cache, network-first pages, cache-first static files, the
   offline outbox sent by Background Sync, and Web Push notifications.
   Served by the gateway at /sw.js with scope "/". The gateway stamps VERSION with a digest of
   the static files and templates, so every change refreshes the cache. */
"use strict";

// Hashed names of the static files (gateway/web/assets.py), filled in by the gateway.
const ASSETS = __SHELL_ASSETS__;

// self.KhumOperations (the persisted GraphQL operations), then self.KhumOutbox: the same
// sending code as the pages.
importScripts(ASSETS["js/operations.js"], ASSETS["js/outbox.js"]);

const VERSION = "khum-shell-__SHELL_DIGEST__";
const LANGS = ["km", "en"];

// The signed-in pages a facilitator needs offline. They hold the person's own data (villages,
// CSRF token), so they are fetched after sign-in, when a page says who is signed in ("warm"),
// in both languages: the language switch works with no signal.
const SHELL_PAGES = ["/", "/needs/new", "/needs/mine", "/notifications"];
// Public pages kept in both languages, and the files the app needs offline, fetched at install.
const PUBLIC_PAGES = ["/offline", "/login"];
const SHELL_FILES = Object.values(ASSETS).concat(["/manifest.webmanifest"]);
const WARMED = "/__khum/warmed-for"; // cache entry naming the account the pages belong to
const CHOSEN = "/__khum/lang"; // the language last shown, for pages opened offline
const SIGN_OUT = "/__khum/sign-out"; // a sign-out the server has not heard of yet: its CSRF token
const PAGE = "/__khum/page/"; // + lang + path: a page as the server last sent it
const SIGN_OUT_WAIT_MS = 4000;

// Paths the worker never touches (the API and the session).
const BYPASS = ["/graphql", "/login", "/logout"];

function bypassed(path) {
  return BYPASS.some((p) => path === p || path.startsWith(p + "/"));
}

const pageKey = (lang, path) => PAGE + lang + path;

// A response worth keeping: a same-origin 200 that was not reached through a redirect.
function cacheable(response) {
  return Boolean(response && response.ok && !response.redirected && response.type === "basic");
}

function timeout(ms) {
  const abort = new AbortController();
  setTimeout(() => abort.abort(), ms);
  return abort.signal;
}

async function text(cache, key) {
  const kept = await cache.match(key);
  return kept ? kept.text() : "";
}

async function chosenLang(cache) {
  const lang = await text(cache, CHOSEN);
  return LANGS.indexOf(lang) >= 0 ? lang : "km";
}

// "no-cache" revalidates with the server: a file the page just loaded costs a 304, not a copy.
async function precachePage(cache, path, lang) {
  try {
    const response = await fetch(new Request(path, {
      credentials: "same-origin", cache: "no-cache", headers: { "x-khum-lang": lang },
    }));
    if (cacheable(response)) await cache.put(pageKey(lang, path), response);
  } catch (err) {
    // Offline or signed out: the page is cached on its next visit instead.
  }
}

// A page the worker stored moments ago (the one just opened) needs no second download.
async function fresh(cache, key) {
  const kept = await cache.match(key);
  const date = kept ? Date.parse(kept.headers.get("date") || "") : NaN;
  return Date.now() - date < 60000;
}

async function keep(cache, paths) {
  const work = [];
  paths.forEach((path) => LANGS.forEach((lang) => {
    work.push(fresh(cache, pageKey(lang, path)).then((yes) => (yes ? null : precachePage(cache, path, lang))));
  }));
  await Promise.all(work);
}

async function warm(account) {
  const cache = await caches.open(VERSION);
  const marker = await cache.match(WARMED);
  if (marker && (await marker.text()) === account) return;
  if (await cache.match(SIGN_OUT)) return; // signed out here; the server has not heard yet
  await keep(cache, SHELL_PAGES.concat(PUBLIC_PAGES));
  await cache.put(WARMED, new Response(account));
}

/* Sign-out on a shared phone: the person's pages go at once, with or without signal; the
   server hears of it as soon as it can be reached (before any page is shown again). */
async function forgetPages(cache) {
  const keys = await cache.keys();
  const publicKeys = [];
  PUBLIC_PAGES.forEach((path) => LANGS.forEach((lang) => publicKeys.push(pageKey(lang, path))));
  await Promise.all(keys.map((request) => {
    const path = new URL(request.url).pathname;
    const personal = path === WARMED || (path.indexOf(PAGE) === 0 && publicKeys.indexOf(path) < 0);
    return personal ? cache.delete(request) : null;
  }));
}

async function sendSignOut() {
  const cache = await caches.open(VERSION);
  const csrf = await text(cache, SIGN_OUT);
  if (!csrf) return true;
  try {
    const response = await fetch("/logout", {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "csrf_token=" + encodeURIComponent(csrf),
      signal: timeout(SIGN_OUT_WAIT_MS),
    });
    if (response.status >= 500) return false;
  } catch (err) {
    return false; // no signal: tried again on the next page, on `online`, on the next sync
  }
  await cache.delete(SIGN_OUT);
  return true;
}

async function signOut(csrf) {
  const cache = await caches.open(VERSION);
  await cache.put(SIGN_OUT, new Response(csrf || "-"));
  await forgetPages(cache);
  return sendSignOut();
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(VERSION);
      // Hashed files are immutable: the copy the page just loaded comes from the HTTP cache.
      await cache.addAll(SHELL_FILES);
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      const old = names.filter((n) => n !== VERSION);
      // A sign-out not yet sent survives an update of the app.
      for (const name of old) {
        const pending = await (await caches.open(name)).match(SIGN_OUT);
        if (pending) await (await caches.open(VERSION)).put(SIGN_OUT, pending);
      }
      await Promise.all(old.map((n) => caches.delete(n)));
      await self.clients.claim();
      // Then the public pages, both languages (the sign-in page for after a sign-out with no
      // signal): after claiming, so the page is in the worker's hands without waiting for them.
      await keep(await caches.open(VERSION), PUBLIC_PAGES);
    })()
  );
});

async function offlinePage(cache, lang, path) {
  const other = LANGS.find((l) => l !== lang);
  return (await cache.match(pageKey(lang, path))) || (await cache.match(pageKey(other, path))) ||
    (await cache.match(pageKey(lang, "/offline"))) || (await cache.match(pageKey(other, "/offline")));
}

// On a line that connects but carries nothing, a page kept on the phone is shown after this
// long; the network's answer still refreshes the copy when it comes.
const PAGE_WAIT_MS = 4000;

async function fromNetworkFirst(request, url) {
  const cache = await caches.open(VERSION);
  const path = url.pathname + url.search;
  if (!(await sendSignOut())) {
    // Signed out here while the server could not be told: show nobody the previous person's pages.
    const login = await offlinePage(cache, await chosenLang(cache), "/login");
    if (login) return login;
  }
  const network = fetch(request).then(async (response) => {
    const lang = response.headers.get("content-language");
    if (LANGS.indexOf(lang) >= 0) {
      await cache.put(CHOSEN, new Response(lang));
      if (cacheable(response)) await cache.put(pageKey(lang, path), response.clone()).catch(() => {});
    }
    return response;
  });
  network.catch(() => {}); // awaited below where it matters; never an unhandled rejection
  const kept = async () => {
    const lang = await chosenLang(cache);
    return (await cache.match(pageKey(lang, path))) || (await offlinePage(cache, lang, url.pathname));
  };
  const slow = new Promise((resolve) => setTimeout(() => resolve("slow"), PAGE_WAIT_MS));
  try {
    const first = await Promise.race([network, slow]);
    if (first !== "slow") return first;
    const copy = await cache.match(pageKey(await chosenLang(cache), path));
    return copy || (await network);
  } catch (err) {
    const cached = await kept();
    if (cached) return cached;
    return Response.redirect("/offline", 303);
  }
}

// The language switch, with or without signal: offline it remembers the choice (and sets the
// cookie where the browser lets the worker do so) and opens the page in that language.
async function switchLanguage(request, url) {
  const lang = url.pathname.split("/")[2];
  try {
    return await fetch(request);
  } catch (err) {
    const cache = await caches.open(VERSION);
    if (LANGS.indexOf(lang) >= 0) {
      await cache.put(CHOSEN, new Response(lang));
      if (self.cookieStore) {
        await self.cookieStore.set({
          name: "khum_lang", value: lang, path: "/", sameSite: "lax",
          expires: Date.now() + 365 * 24 * 3600 * 1000,
        }).catch(() => {});
      }
    }
    const next = url.searchParams.get("next") || "/";
    const target = next.charAt(0) === "/" && next.charAt(1) !== "/" ? next : "/";
    return Response.redirect(target, 303);
  }
}

async function fromCacheFirst(request) {
  const cache = await caches.open(VERSION);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (cacheable(response)) {
    const copy = response.clone();
    cache.put(request, copy).catch(() => {});
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate" && url.pathname.indexOf("/lang/") === 0) {
    event.respondWith(switchLanguage(request, url));
    return;
  }
  if (request.mode === "navigate" && (!bypassed(url.pathname) || url.pathname === "/login")) {
    event.respondWith(fromNetworkFirst(request, url));
    return;
  }
  if (bypassed(url.pathname)) return;
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(fromCacheFirst(request));
  }
  // Anything else goes to the network as usual.
});

// {type: "warm", account} (from every signed-in page): keep that person's pages for offline.
// {type: "sign-out", csrf} (at sign-out): forget the person's pages, tell the server when it can.
// {type: "retry"} (any page opening, `online`): send a sign-out still waiting.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (message) => { if (event.ports && event.ports[0]) event.ports[0].postMessage(message); };
  if (data.type === "warm" && typeof data.account === "string" && data.account) {
    event.waitUntil(warm(data.account).catch(() => {}));
  } else if (data.type === "sign-out") {
    event.waitUntil(signOut(String(data.csrf || "")).then((sent) => reply({ type: "signed-out", sent }),
      () => reply({ type: "signed-out", sent: false })));
  } else if (data.type === "retry") {
    event.waitUntil(sendSignOut().catch(() => false));
  }
});

// Background Sync: the browser wakes the worker when the network is back, even with no page
// open. Failing the event while needs still wait asks the browser to try again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "khum-outbox") return;
  event.waitUntil(
    sendSignOut().then(() => self.KhumOutbox.flush()).then((report) => {
      if (report.waiting > 0) throw new Error("needs still waiting to be sent");
    })
  );
});

// Web Push: the payload is JSON {title, body, url, tag, lang}; the text is already in the
// person's language. Anything unreadable still shows, as plain text.
self.addEventListener("push", (event) => {
  let data = {};
  if (event.data) {
    try {
      data = event.data.json() || {};
    } catch (err) {
      data = { body: event.data.text() };
    }
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "Khum", {
      body: data.body || data.text || "",
      icon: ASSETS["icons/icon-192.png"],
      badge: ASSETS["icons/icon-192.png"],
      lang: data.lang || "km",
      tag: data.tag || undefined,
      data: { url: data.url || "/notifications" },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  let target = new URL("/notifications", self.location.origin);
  try {
    const wanted = new URL((event.notification.data && event.notification.data.url) || "/notifications", self.location.origin);
    if (wanted.origin === self.location.origin) target = wanted; // never open another site
  } catch (err) {
    // keep /notifications
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => w.url === target.href);
      return open ? open.focus() : self.clients.openWindow(target.href);
    })
  );
});
