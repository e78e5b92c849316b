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

  // A failed htmx request says why. The server answers 400/403/404/429/500 to htmx with a
  // small alert aimed at the alert region (HX-Retarget: #app-alerts, config/errors.py); htmx
  // swaps no 4xx/5xx answer by default, so let this one in (it stays an error for htmx).
  function alertRegion() {
    return document.getElementById("app-alerts");
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var region = alertRegion();
    if (!xhr || xhr.status < 400 || !region || event.detail.target !== region) return;
    event.detail.shouldSwap = true;
  });

  // Anything else that failed (no answer, or one from a proxy): a plain alert in the same place.
  function showFailure(event) {
    var region = alertRegion();
    if (!region || event.detail.target === region) return; // already shown
    var alert = document.createElement("div");
    alert.className = "alert alert-danger shadow mb-0";
    alert.setAttribute("role", "alert");
    alert.textContent = document.body.getAttribute("data-error-text") || "Error";
    region.replaceChildren(alert);
  }
  document.addEventListener("htmx:responseError", showFailure);
  document.addEventListener("htmx:sendError", showFailure);

  // A form that asks before doing something hard to undo (revoking all API tokens).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
