/* Khum service worker: app shell cache, network-first pages, cache-first static files.
   Served by the gateway at /sw.js with scope "/". The gateway stamps VERSION with a digest of the static files, so every change refreshes the cache. */
"use strict";

const VERSION = "khum-shell-__SHELL_DIGEST__";

// Pages: they may need a session ("/" and "/needs/new" redirect to /login when signed
// out), so each is fetched on its own and skipped if it is not a plain 200.
const SHELL_PAGES = ["/", "/needs/new", "/notifications", "/offline"];
// Static files: public, must all be there for the app to work offline.
const SHELL_FILES = [
  "/static/css/app.css",
  "/static/js/app.js",
  "/manifest.webmanifest",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
];

// Paths the worker never touches (API, session and language switches).
const BYPASS = ["/graphql", "/login", "/logout", "/lang"];

function bypassed(path) {
  return BYPASS.some((p) => path === p || path.startsWith(p + "/"));
}

// A response worth keeping: a same-origin 200 that was not reached through a redirect.
function cacheable(response) {
  return Boolean(response && response.ok && !response.redirected && response.type === "basic");
}

async function precachePage(cache, url) {
  try {
    const response = await fetch(new Request(url, { credentials: "same-origin", cache: "reload" }));
    if (cacheable(response)) await cache.put(url, response);
  } catch (err) {
    // Offline or signed out during install: the page is cached on its first visit instead.
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(VERSION);
      await cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "reload" })));
      await Promise.all(SHELL_PAGES.map((url) => precachePage(cache, url)));
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

// {type: "clear"} (sent at logout): forget every cached page and file.
self.addEventListener("message", (event) => {
  const data = event.data;
  if (!data || data.type !== "clear") return;
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.map((n) => caches.delete(n)));
      if (event.ports && event.ports[0]) event.ports[0].postMessage({ type: "cleared" });
    })()
  );
});
