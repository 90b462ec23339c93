// Suggestions under the search box: after a pause in typing, ask the
// endpoint named by the form's data-suggest and list what it sends as
// links. Without this script the box is a plain search form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest]");
  if (!form || !window.fetch || !window.AbortController) return;
  var input = form.querySelector("input[name=q]");
  var list = document.createElement("ul");
  var PAUSE_MS = 250;
  var timer = null, asked = input.value.trim(), pending = null;
  list.id = "q-suggestions";
  list.className = "suggestions";
  list.hidden = true;
  list.setAttribute("aria-label", form.dataset.suggestLabel);
  form.appendChild(list);
  input.setAttribute("autocomplete", "off");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);

  function show(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li"), link = document.createElement("a"), kind = document.createElement("span");
      li.className = item.kind;
      link.href = item.url;
      link.textContent = item.name;
      kind.className = "kind";
      kind.textContent = item.label;
      link.appendChild(kind);
      li.appendChild(link);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
  }

  function ask() {
    var query = input.value.trim();
    if (query === asked) return;
    asked = query;
    if (pending) pending.abort();
    if (!query) { show([]); return; }
    pending = new AbortController();
    fetch(form.dataset.suggest + "?" + new URLSearchParams({q: query}), {
      signal: pending.signal, headers: {Accept: "application/json"}
    }).then(function (response) {
      return response.ok ? response.json() : {suggestions: []};
    }).then(function (data) {
      if (input.value.trim() === query) show(data.suggestions);
    }).catch(function () { /* aborted or offline: the form still works */ });
  }

  function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, PAUSE_MS);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && !list.hidden) { event.preventDefault(); links()[0].focus(); }
    if (event.key === "Escape") show([]);
  });
  list.addEventListener("keydown", function (event) {
    var all = links(), at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      at += event.key === "ArrowDown" ? 1 : -1;
      (at < 0 ? input : all[Math.min(at, all.length - 1)]).focus();
    }
    if (event.key === "Escape") { show([]); input.focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) show([]);
  });
})();
