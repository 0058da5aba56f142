// Yorisoi's service worker (served as /sw.js by app/web/offline_api.py, which fills in the
// version and the lists below). It makes the client faces and the mentor console installable
// and lets the shell, the help dialog, the help directory and the emergency numbers open with
// no network. Online, everything comes from the network exactly as without it (network
// first; the copy is only a fallback), so nobody is ever shown an old page while online.
// Personal data is never kept: no /api/ answer other than the public help directory, no
// socket, nothing of /admin/.

const VERSION = "__VERSION__";
const SHELL = ["__SHELL__"];
const PUBLIC_DATA = ["__PUBLIC_DATA__"];
const CACHE = `yorisoi-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...SHELL, ...PUBLIC_DATA]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("yorisoi-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/admin")) return; // headquarters: always live, never kept
  if (url.pathname === "/api/help") {
    event.respondWith(networkFirst(request, directoryFallback(url)));
    return;
  }
  if (url.pathname.startsWith("/api/") || url.pathname === "/ws") return; // personal: never kept
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, shellFallback(url)));
    return;
  }
  if (SHELL.includes(url.pathname)) event.respondWith(networkFirst(request, url.pathname));
});

/** The network's answer (kept as the offline copy), or the kept copy when there is no network. */
async function networkFirst(request, fallbackKey) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && isKept(request)) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const kept = (await cache.match(request)) || (fallbackKey && (await cache.match(fallbackKey)));
    if (kept) return kept;
    throw err;
  }
}

function isKept(request) {
  const url = new URL(request.url);
  return SHELL.includes(url.pathname) || PUBLIC_DATA.includes(url.pathname + url.search);
}

/** Offline, a search of the directory shows its whole list for that audience. */
function directoryFallback(url) {
  const audience = url.searchParams.get("audience") === "parent" ? "parent" : "child";
  return `/api/help?audience=${audience}`;
}

/** Offline, any page of a face opens that face's shell. */
function shellFallback(url) {
  if (url.pathname.startsWith("/child")) return "/child/";
  if (url.pathname.startsWith("/mentor")) return "/mentor/";
  return "/";
}
