// The courier page's service worker. Served from /courier/, so it controls
// that page only; it keeps the page (as last seen, outbox bar included) and
// its assets for a day without data, and nothing else. A deployment that
// changes an asset changes the hashed names below, so this file changes and
// the browser replaces the worker; the old version's cache is deleted.
"use strict";
var VERSION = "{{ version }}", CACHE = "courier-" + VERSION, PAGE = "{{ page }}", ASSETS = {{ assets|safe }};
var SYNC_TAG = "courier-outbox";
importScripts("{{ store }}");

// Only the courier's own page is kept: a redirect (to the login page) or an error is not.
function keep(cache, response) {
  if (response.ok && !response.redirected) return cache.put(PAGE, response.clone()).then(function () { return response; });
  return response;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS).then(function () { return fetch(PAGE); }).then(function (response) {
      return keep(cache, response);
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname === PAGE) {
    // The page from the network when there is one (it is the truth), else as last seen.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return fetch(request).then(function (response) { return keep(cache, response); }, function () {
        return cache.match(PAGE, {ignoreVary: true}).then(function (kept) { return kept || Response.error(); });
      });
    }));
  } else if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(request, {ignoreVary: true}).then(function (kept) { return kept || fetch(request); }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) return;
  // An open courier page sends the outbox itself; the worker sends it when none is open.
  event.waitUntil(self.clients.matchAll({type: "window"}).then(function (pages) {
    if (pages.length) pages.forEach(function (page) { page.postMessage(SYNC_TAG); });
    // A rejected sync is tried again later by the browser.
    else return self.courierOutbox.drain().then(function (result) { if (result.stopped) throw new Error(result.stopped); });
  }));
});
