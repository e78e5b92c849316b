/* Ledger pages: the in-row progress form, its error answers, and the meeting form's
   decisions. Plain JavaScript on top of htmx and Bootstrap. */
(function () {
  "use strict";

  // "Update progress" opens the form row under an item and puts the cursor in it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-row-toggle]");
    if (!button) return;
    var row = document.getElementById(button.getAttribute("data-row-toggle"));
    if (!row) return;
    var open = row.hasAttribute("hidden");
    row.toggleAttribute("hidden", !open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var input = row.querySelector("input[name=percent]");
      if (input) input.focus();
    }
  });

  // A row answers 409 (changed by someone else), 422 (invalid) and 403 (no right) with
  // the row itself, message included: swap it in instead of treating it as a failure.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    var target = event.detail.target;
    if (!target || !target.matches || !target.matches("[data-swap-errors]")) return;
    if (status === 403 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a row was swapped, move focus to its message or back to its toggle so keyboard
  // users stay where they were.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || target.id.indexOf("item-") !== 0) return;
    var row = document.getElementById(target.id);
    if (!row) return;
    var focus = row.querySelector("[data-focus-after-swap]");
    if (focus) focus.focus();
  });

  // Queues: the header box ticks every row of the page (shown only when this script runs),
  // and the bulk button says how many rows are ticked (disabled at none).
  function queueTicks() {
    var rows = document.querySelectorAll("input[data-select-row]");
    var ticked = document.querySelectorAll("input[data-select-row]:checked").length;
    var all = document.querySelector("input[data-select-all]");
    if (all) {
      all.hidden = rows.length === 0;
      all.checked = rows.length > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    var button = document.querySelector("[data-bulk-submit]");
    if (!button) return;
    button.disabled = ticked === 0;
    var badge = button.querySelector("[data-bulk-count]");
    if (badge) {
      badge.textContent = String(ticked);
      badge.hidden = ticked === 0;
    }
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches) return;
    if (box.matches("input[data-select-all]")) {
      document.querySelectorAll("input[data-select-row]").forEach(function (row) {
        row.checked = box.checked;
      });
    }
    if (box.matches("input[data-select-all], input[data-select-row]")) queueTicks();
  });
  document.addEventListener("DOMContentLoaded", queueTicks);
  // On a phone the section's tabs scroll sideways: bring the open one into view.
  document.addEventListener("DOMContentLoaded", function () {
    var active = document.querySelector(".app-subnav .nav-link.active");
    var nav = active && active.parentElement;
    if (nav && nav.scrollWidth > nav.clientWidth) {
      var offset = active.getBoundingClientRect().left - nav.getBoundingClientRect().left;
      nav.scrollLeft += offset - (nav.clientWidth - active.offsetWidth) / 2;
    }
  });
  document.addEventListener("htmx:afterSettle", queueTicks);
  // Coming back to the page (bfcache) keeps the ticks the browser restored.
  window.addEventListener("pageshow", queueTicks);

  // Meeting form: add a decision from the template, or mark one removed.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-decision]");
    if (add) {
      var formset = document.getElementById(add.getAttribute("data-add-decision"));
      var total = formset.querySelector("input[name$='-TOTAL_FORMS']");
      var template = formset.querySelector("template");
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      formset.querySelector("[data-decisions]").insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var rows = formset.querySelectorAll(".app-decision-row");
      var first = rows[rows.length - 1].querySelector("select, input");
      if (first) first.focus();
      return;
    }
    var remove = event.target.closest("[data-remove-decision]");
    if (remove) {
      var row = remove.closest(".app-decision-row");
      var box = row.querySelector("input[name$='-DELETE']");
      if (box) box.checked = !box.checked;
      row.classList.toggle("app-removed", box && box.checked);
      remove.setAttribute("aria-pressed", box && box.checked ? "true" : "false");
    }
  });
})();
