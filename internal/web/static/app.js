// treem's only script. Every page works without it; it adds small
// conveniences: confirmation before destructive actions, and parts of a
// page that refresh themselves (data-refresh="url" data-every="seconds").
(function () {
  "use strict";

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  });

  function refresh(el) {
    var url = el.getAttribute("data-refresh");
    fetch(url, { headers: { "Accept": "text/html", "X-Partial": "1" }, credentials: "same-origin" })
      .then(function (res) {
        if (res.status === 401) { window.location.reload(); return null; }
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== el.innerHTML) { el.innerHTML = html; }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  function start() {
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      var every = parseInt(el.getAttribute("data-every") || "10", 10) * 1000;
      window.setInterval(function () {
        if (!document.hidden) { refresh(el); }
      }, every);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
