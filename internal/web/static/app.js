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

  // Search before create: while a new child's name, date of birth and
  // commune are typed, the registry children who may be the same one
  // appear (form data-match="url" data-match-results="#id"). Without this
  // script the form's first submit shows them instead.
  var matchFields = ["name", "dob", "sex", "commune", "old_commune", "pid", "phone"];
  function matcher(form) {
    var out = document.querySelector(form.getAttribute("data-match-results"));
    var url = form.getAttribute("data-match");
    var timer = null;
    var last = "";
    if (!out || !url) { return; }
    function run() {
      var data = new URLSearchParams();
      matchFields.forEach(function (n) {
        var el = form.elements[n];
        if (el) { data.append(n, el.value); }
      });
      var key = data.toString();
      if (key === last) { return; }
      last = key;
      if ((form.elements.name.value || "").trim().length < 3) { out.innerHTML = ""; return; }
      fetch(url, { method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "text/html", "X-Partial": "1" } })
        .then(function (res) {
          if (res.status === 401) { window.location.reload(); return null; }
          return res.ok ? res.text() : null;
        })
        .then(function (html) { if (html !== null) { out.innerHTML = html; } })
        .catch(function () { /* offline for a moment: the submit still checks */ });
    }
    form.addEventListener("input", function (ev) {
      if (matchFields.indexOf(ev.target.name) < 0) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 400);
    });
  }

  function start() {
    document.querySelectorAll("form[data-match]").forEach(matcher);
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
