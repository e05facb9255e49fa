// The admin's own script: small, optional. Every page works without it (native forms carry a page
// token); with App Bridge loaded, forms are sent with its session token and the page is swapped in
// place, the program's tier preview follows the form as the merchant types, and the home page asks
// App Bridge whether the theme embed is on.
(function () {
  "use strict";
  var bridge = function () { return window.shopify && typeof window.shopify.idToken === "function" ? window.shopify : null; };

  function authHeaders() {
    var app = bridge();
    if (app) {
      return app.idToken().then(function (token) { return { Authorization: "Bearer " + token }; });
    }
    var meta = document.querySelector('meta[name="dangol-page-token"]');
    return Promise.resolve(meta ? { "X-Dangol-Page-Token": meta.content } : {});
  }

  function swapIn(html, url) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var main = next.querySelector("main");
    if (!main) { return false; }
    document.querySelector("main").replaceWith(main);
    document.title = next.title;
    if (url) { history.replaceState(null, "", url); }
    var focus = main.querySelector("[data-focus]") || main.querySelector("h1");
    if (focus) { if (!focus.hasAttribute("tabindex")) { focus.setAttribute("tabindex", "-1"); } focus.focus(); }
    wire(main);
    return true;
  }

  function enhanceForm(form) {
    form.addEventListener("submit", function (event) {
      if (!bridge()) { return; }  // without App Bridge the form posts itself, with its page token
      event.preventDefault();
      var button = event.submitter || form.querySelector("[type=submit]");
      var body = new FormData(form);
      if (button && button.name) { body.append(button.name, button.value); }
      if (button) { button.disabled = true; }
      authHeaders().then(function (headers) {
        return fetch(form.action, { method: "POST", body: body, headers: headers });
      }).then(function (response) {
        return response.text().then(function (html) { return swapIn(html, response.url); });
      }).then(function (swapped) {
        if (!swapped) { form.submit(); }
      }).catch(function () { form.submit(); }).finally(function () { if (button) { button.disabled = false; } });
    });
  }

  function previewTiers(form) {
    var target = document.getElementById("tier-preview");
    if (!target || !form.dataset.preview) { return; }
    var timer = null;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        authHeaders().then(function (headers) {
          return fetch(form.dataset.preview, { method: "POST", body: new FormData(form), headers: headers });
        }).then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) { if (html !== null) { target.innerHTML = html; } })
          .catch(function () { /* the preview is a help, not a requirement */ });
      }, 300);
    });
  }

  function embedStatus(root) {
    var status = root.querySelector("[data-embed-status]");
    var app = bridge();
    if (!status || !app || !app.app || typeof app.app.extensions !== "function") { return; }
    app.app.extensions().then(function (extensions) {
      var on = (extensions || []).some(function (ext) {
        return (ext.activations || []).some(function (a) { return a.handle === status.dataset.embedStatus && a.status === "active"; });
      });
      if (on) { status.textContent = status.dataset.onText; root.querySelector("[data-embed-check]").classList.add("done"); }
    }).catch(function () {});
  }

  function wire(root) {
    root.querySelectorAll("form[data-enhance]").forEach(enhanceForm);
    root.querySelectorAll("form[data-preview]").forEach(previewTiers);
    embedStatus(root);
  }

  function start() {
    wire(document);
    // After a form came back (saved, or refused), the keyboard starts at what it says.
    var said = document.querySelector("main [data-focus]");
    if (said) { said.focus(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
