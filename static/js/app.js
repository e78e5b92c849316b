/* Our own behaviour on top of Bootstrap and htmx (no framework). */
(function () {
  "use strict";

  // "Expand all" / "Collapse all" above the organisation tree.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tree-toggle]");
    if (!button) return;
    var open = button.getAttribute("data-tree-toggle") === "open";
    var scope = button.closest("section") || document;
    scope.querySelectorAll(".app-tree details").forEach(function (details) {
      details.open = open;
    });
  });

  // A select that applies itself when changed (a <noscript> button does it without JavaScript).
  // An onchange attribute would be inline script, which the Content-Security-Policy forbids.
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (!field || !field.form) return;
    if (field.form.requestSubmit) field.form.requestSubmit();
    else field.form.submit();
  });

  // An idle session expires: htmx follows the redirect to the log-in page, which must not be
  // swapped into a fragment of the page. Go to the log-in page itself instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var loginUrl = document.body.getAttribute("data-login-url");
    if (xhr && loginUrl && xhr.responseURL && xhr.responseURL.indexOf(loginUrl) !== -1) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    }
  });

  // Say so instead of failing silently when an htmx request errors out.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger m-2";
    alert.setAttribute("role", "alert");
    alert.textContent = document.body.getAttribute("data-error-text") || "Error";
    target.prepend(alert);
  });

  // A form that asks before doing something hard to undo (revoking all API tokens).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
