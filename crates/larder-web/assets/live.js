// Live parts of a page (ADR 025). Every element with `data-live` and an id is kept current
// without a reload: the page listens to the tenant's event stream
// (GET /api/v1/events/stream, the session cookie authenticates it; the types it waits for are
// the `data-live-types` of <body>, comma-separated, default every type), and after each event
// (a burst of them counts once, 300 ms) fetches the page again and swaps in the new copies of
// those elements. The browser's EventSource reconnects by itself with Last-Event-ID, so a
// dropped connection misses nothing. `document.body.dataset.liveUpdates` counts the swaps
// (the browser tests wait on it).
(function () {
  "use strict";
  if (!window.EventSource || !document.querySelector("[data-live][id]")) return;
  var types = document.body.getAttribute("data-live-types") || "";
  var url = "/api/v1/events/stream" + (types ? "?type=" + encodeURIComponent(types) : "");
  var timer = null;
  var busy = false;
  var again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next) el.replaceWith(document.importNode(next, true));
        });
        document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var source = new EventSource(url);
  source.onopen = function () { document.body.dataset.live = "open"; };
  source.onmessage = function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  };
  source.onerror = function () { document.body.dataset.live = "reconnecting"; };
})();
