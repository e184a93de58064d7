/* The preference center with JavaScript: a form marked data-inplace is sent with fetch and
   the page's regions (data-swap, by id) are replaced from the answer, so nothing reloads
   and the scroll stays where it was; the confirmation appears where the change happened.
   Without JavaScript every form still works: it posts and the page comes back. Times in
   the history are shown in the reader's time zone. */
(function () {
  "use strict";

  function localTimes(root) {
    var lang = document.documentElement.lang || undefined;
    root.querySelectorAll("time.local-time").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) { return; }
      try {
        el.textContent = when.toLocaleString(lang, {
          year: "numeric", month: "short", day: "numeric", hour: "2-digit",
          minute: "2-digit", timeZoneName: "short"
        });
      } catch (e) { /* an old browser: the UTC text stays */ }
    });
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    doc.querySelectorAll("[data-swap][id]").forEach(function (fresh) {
      var current = document.getElementById(fresh.id);
      if (current) { current.replaceWith(document.importNode(fresh, true)); }
    });
    localTimes(document);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-inplace]") || !window.fetch || !window.FormData) { return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    var data;
    try { data = new FormData(form, submitter); } catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    }
    var x = window.scrollX, y = window.scrollY;
    var buttons = document.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (response) {
      // Sent elsewhere (a download or erasure first confirms by email): go there.
      if (response.redirected && response.url.split("#")[0].split("?")[0] !==
          window.location.href.split("#")[0].split("?")[0]) {
        window.location.assign(response.url);
        return null;
      }
      return response.text();
    }).then(function (html) {
      if (html === null) { return; }
      swap(html);
      window.scrollTo(x, y);
      var said = document.querySelector(".confirmation p, #errors [role=alert]");
      if (said) { said.setAttribute("tabindex", "-1"); said.focus({preventScroll: true}); }
    }).catch(function () {
      form.submit();  // the network failed: fall back to a plain post
    }).finally(function () {
      document.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
}());
