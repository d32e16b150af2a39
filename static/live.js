// Live updates: listens to the server's event stream and, after each durable event, reloads the page's live
// parts (elements with data-live and an id) in place. Forms are not live parts: what is typed stays.
(function () {
  "use strict";
  var main = document.getElementById("main");
  // A page without live parts (verification, a form) opens no stream.
  if (!main || !window.EventSource || !document.querySelector("[data-live]")) { return; }
  var from = main.getAttribute("data-live-from") || "";
  var source = null;
  var waiting = false;
  function refresh() {
    waiting = false;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (old) {
          var next = fresh.getElementById(old.id);
          if (next) { old.replaceWith(document.importNode(next, true)); }
        });
        document.body.setAttribute("data-live-position", source.lastEventId || "");
      })
      .catch(function () { /* the next event tries again */ });
  }
  function connect() {
    source = new EventSource("/api/v1/events/live?from=" + encodeURIComponent(from));
    source.addEventListener("event", function (e) {
      if (e.lastEventId) { from = String(Number(e.lastEventId) + 1); }
      if (!waiting) { waiting = true; window.setTimeout(refresh, 100); }
    });
  }
  connect();
  // A page left for another closes its stream, and opens it again if the browser brings it back from its
  // back/forward cache: kept open there, each page left would hold one of the few connections a browser opens to
  // a server (six in HTTP/1.1), and the seventh page would wait for one.
  window.addEventListener("pagehide", function () { source.close(); });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { connect(); } });
})();
