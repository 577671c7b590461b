/* Khum service worker: app shell cache, network-first pages, cache-first static files, the
   offline outbox sent by Background Sync, and Web Push notifications.
   Served by the gateway at /sw.js with scope "/". The gateway stamps VERSION with a digest of
   the static files and templates, so every change refreshes the cache. */
"use strict";

// self.KhumOperations (the persisted GraphQL operations), then self.KhumOutbox: the same
// sending code as the pages.
importScripts("/static/js/operations.js", "/static/js/outbox.js");

const VERSION = "khum-shell-__SHELL_DIGEST__";

// The signed-in pages a facilitator needs offline. They hold the person's own data (villages,
// CSRF token), so they are fetched after sign-in, when a page says who is signed in ("warm").
const SHELL_PAGES = ["/", "/needs/new", "/needs/mine", "/notifications"];
// Public files the app needs offline, fetched at install.
const SHELL_FILES = [
  "/offline",
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/operations.js",
  "/static/js/outbox.js",
  "/manifest.webmanifest",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
];
const WARMED = "/__khum/warmed-for"; // cache entry naming the account the pages belong to

// Paths the worker never touches (API, session and language switches).
const BYPASS = ["/graphql", "/login", "/logout", "/lang"];

function bypassed(path) {
  return BYPASS.some((p) => path === p || path.startsWith(p + "/"));
}

// A response worth keeping: a same-origin 200 that was not reached through a redirect.
function cacheable(response) {
  return Boolean(response && response.ok && !response.redirected && response.type === "basic");
}

// "no-cache" revalidates with the server: a file the page just loaded costs a 304, not a copy.
async function precachePage(cache, url) {
  try {
    const response = await fetch(new Request(url, { credentials: "same-origin", cache: "no-cache" }));
    if (cacheable(response)) await cache.put(url, response);
  } catch (err) {
    // Offline or signed out: the page is cached on its next visit instead.
  }
}

// A page the worker stored moments ago (the one just opened) needs no second download.
async function fresh(cache, url) {
  const kept = await cache.match(url);
  const date = kept ? Date.parse(kept.headers.get("date") || "") : NaN;
  return Date.now() - date < 60000;
}

async function warm(account) {
  const cache = await caches.open(VERSION);
  const marker = await cache.match(WARMED);
  if (marker && (await marker.text()) === account) return;
  await Promise.all(
    SHELL_PAGES.map(async (url) => {
      if (!(await fresh(cache, url))) await precachePage(cache, url);
    })
  );
  await cache.put(WARMED, new Response(account));
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(VERSION);
      await cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "no-cache" })));
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n !== VERSION).map((n) => caches.delete(n)));
      await self.clients.claim();
    })()
  );
});

async function fromNetworkFirst(request, url) {
  const key = url.pathname + url.search;
  try {
    const response = await fetch(request);
    if (cacheable(response)) {
      const copy = response.clone();
      caches.open(VERSION).then((cache) => cache.put(key, copy)).catch(() => {});
    }
    return response;
  } catch (err) {
    const cache = await caches.open(VERSION);
    const cached =
      (await cache.match(key)) ||
      (await cache.match(url.pathname)) ||
      (await cache.match("/offline"));
    if (cached) return cached;
    return new Response("Offline", {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
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
  if (bypassed(url.pathname)) return;

  if (request.mode === "navigate") {
    event.respondWith(fromNetworkFirst(request, url));
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(fromCacheFirst(request));
  }
  // Anything else goes to the network as usual.
});

// {type: "warm", account} (from every signed-in page): keep that person's pages for offline.
// {type: "clear"} (sent at logout): forget every cached page and file.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "warm" && typeof data.account === "string" && data.account) {
    event.waitUntil(warm(data.account).catch(() => {}));
  } else if (data.type === "clear") {
    event.waitUntil(
      (async () => {
        const names = await caches.keys();
        await Promise.all(names.map((n) => caches.delete(n)));
        if (event.ports && event.ports[0]) event.ports[0].postMessage({ type: "cleared" });
      })()
    );
  }
});

// Background Sync: the browser wakes the worker when the network is back, even with no page
// open. Failing the event while needs still wait asks the browser to try again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "khum-outbox") return;
  event.waitUntil(
    self.KhumOutbox.flush().then((report) => {
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
      icon: "/static/icons/icon-192.png",
      badge: "/static/icons/icon-192.png",
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
