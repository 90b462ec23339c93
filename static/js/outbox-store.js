// The courier page's outbox: steps pressed without a connection wait here,
// in IndexedDB, until they are sent. Shared by the page (outbox.js) and its
// service worker (/courier/sw.js), which both drain it; the server takes
// each action id once, so a step sent twice still counts once.
(function (scope) {
  "use strict";
  var NAME = "okryu-courier", STORE = "outbox";

  function run(mode, work) {
    return new Promise(function (done, fail) {
      var opening = indexedDB.open(NAME, 1);
      opening.onupgradeneeded = function () {
        // Pressed order is key order: the steps are sent as they were pressed.
        opening.result.createObjectStore(STORE, {keyPath: "seq", autoIncrement: true});
      };
      opening.onerror = function () { fail(opening.error); };
      opening.onsuccess = function () {
        var db = opening.result, t = db.transaction(STORE, mode), request = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); done(request.result); };
        t.onerror = t.onabort = function () { db.close(); fail(t.error); };
      };
    });
  }

  function all() { return run("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return run("readwrite", function (s) { return s.put(item); }); }
  function remove(item) { return run("readwrite", function (s) { return s.delete(item.seq); }); }

  function send(item, token) {
    var body = new URLSearchParams(item.fields);
    // The page's own token when it has one: the stored one may predate a new login.
    if (token) body.set("csrfmiddlewaretoken", token);
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: {Accept: "application/json"}
    });
  }

  function answer(item, response) {
    // Logged out (a redirect to the login page, or a stale token): keep it for after the next login.
    if (response.type === "opaqueredirect" || response.status === 403) throw "login";
    if (response.status >= 500) throw "server";
    var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
    return (json ? response.json() : Promise.resolve({})).then(function (data) {
      item.answer = {ok: response.ok, status: response.status, message: data.message || ""};
      return put(item);
    });
  }

  // Send the waiting steps in the order they were pressed, stopping at the
  // first that cannot go (no network, logged out) so no later step overtakes
  // it. Every answered step keeps its answer for the page to show.
  // Resolves with {sent: how many were answered, stopped: why it stopped}.
  function drain(token) {
    var sent = 0;
    return all().then(function (items) {
      return items.filter(function (item) { return !item.answer; }).reduce(function (chain, item) {
        return chain.then(function () { return send(item, token); })
          .then(function (response) { return answer(item, response); })
          .then(function () { sent += 1; });
      }, Promise.resolve());
    }).then(function () { return {sent: sent, stopped: ""}; },
      function (why) { return {sent: sent, stopped: typeof why === "string" ? why : "network"}; });
  }

  scope.courierOutbox = {all: all, put: put, remove: remove, drain: drain};
})(self);
