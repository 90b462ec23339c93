// The courier page without a connection: a step pressed offline is kept in
// the outbox (outbox-store.js) with an id and the time it was pressed, shown
// as waiting, and sent when the connection returns (the online event, the
// next page load, Background Sync). The service worker keeps the page for
// opening offline. Without this script every button is a plain form post.
(function () {
  "use strict";
  var bar = document.getElementById("outbox"), outbox = self.courierOutbox, script = document.currentScript;
  if (!bar || !outbox || !window.indexedDB || !window.fetch || !window.crypto) return;
  var text = bar.querySelector("p"), list = bar.querySelector("ul"), draining = null, loginNeeded = false;
  var SYNC_TAG = "courier-outbox", COUNTDOWN_MS = 30000;

  function newId() {
    // 32 hex digits: the server reads them as a UUID.
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }

  function say(message, level) {
    var item = document.createElement("li");
    item.className = "msg " + level;
    item.textContent = message;
    list.appendChild(item);
  }

  function refresh() {
    return outbox.all().then(function (items) {
      var waiting = items.filter(function (item) { return !item.answer; }).length;
      var online = navigator.onLine;
      text.textContent = !online ? (waiting ? bar.dataset.offlineWaiting : bar.dataset.offline).replace("{n}", waiting)
        : loginNeeded ? bar.dataset.login : waiting ? bar.dataset.waiting.replace("{n}", waiting) : "";
      text.hidden = !text.textContent;
      bar.hidden = online && !waiting && !list.children.length;
    });
  }

  // The delivery as it will be once the step is sent: the next buttons, and a note.
  function showWaiting(item) {
    var card = document.getElementById(item.card);
    if (!card) return;
    card.querySelectorAll("[data-when]").forEach(function (part) { part.hidden = part.dataset.when !== item.leadsTo; });
    var note = document.createElement("p");
    note.className = "note waiting";
    note.textContent = bar.dataset.pending + ": " + item.step + " · " +
      new Date(item.pressed).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
    card.appendChild(note);
  }

  function showAnswer(item) {
    var answer = item.answer, message = answer.message || (answer.status === 404 ? bar.dataset.gone : "");
    if (answer.ok) say(message, "success");
    else say(item.order + " · " + item.step + ": " + message, "error");
  }

  function drain() {
    if (draining) return draining;
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    draining = outbox.drain(token && token.value).then(function (result) {
      draining = null;
      loginNeeded = result.stopped === "login";
      // Fresh from the server, with the answers shown on the next load.
      if (result.sent) location.reload();
      else refresh();
    });
    return draining;
  }

  function syncLater() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register(SYNC_TAG);
    }).catch(function () { /* no Background Sync: the online event and the next load send it */ });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-leads-to]")) return;
    event.preventDefault();
    var card = form.closest("article"), pressed = new Date().toISOString();
    var item = {
      url: form.action, card: card.id, leadsTo: form.dataset.leadsTo, pressed: pressed,
      order: card.querySelector("h2").firstChild.textContent.trim(),
      step: form.querySelector("button").textContent.trim(),
      fields: Array.from(new FormData(form)).concat([["action_id", newId()], ["pressed_at", pressed]])
    };
    outbox.put(item).then(function (seq) {
      item.seq = seq;
      showWaiting(item);
      if (navigator.onLine) drain();
      else { syncLater(); refresh(); }
    });
  });

  function countDown() {
    document.querySelectorAll("[data-promised]").forEach(function (line) {
      var left = Math.floor((Date.parse(line.dataset.promised) - Date.now()) / 60000);
      line.textContent = (left >= 0 ? line.dataset.left : line.dataset.late).replace("{n}", Math.abs(left));
    });
  }

  window.addEventListener("online", function () { refresh(); drain(); });
  window.addEventListener("offline", refresh);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register(script.dataset.worker);
    // Background Sync found this page open: the page sends, so nothing goes twice at once.
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data === SYNC_TAG) drain();
    });
  }
  countDown();
  setInterval(countDown, COUNTDOWN_MS);
  outbox.all().then(function (items) {
    return Promise.all(items.map(function (item) {
      if (!item.answer) return showWaiting(item);
      showAnswer(item);
      return outbox.remove(item);
    }));
  }).then(function () {
    refresh();
    if (navigator.onLine) drain();
  });
})();
