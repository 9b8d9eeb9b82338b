// The unit's reporting grid (dispatch/report_grid.html): totals that follow what is typed, a warning
// before leaving with unsaved rows, and a row save that failed never looking saved.
(function () {
  "use strict";

  var form = document.getElementById("grid-form");
  if (!form) return;
  var table = form.querySelector("table.report-grid");
  var UNSAVED = (table && table.getAttribute("data-unsaved")) || "";

  function money(text) { var n = Number(String(text).replace(/[,\s]/g, "")); return isFinite(n) ? n : null; }
  function fmt(n) { return n.toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2}); }

  // Year-to-date and since-start follow what is typed; the server computes them again on save.
  form.addEventListener("input", function (event) {
    var row = event.target.closest("tr.report-row");
    if (!row) return;
    row.dataset.dirty = "1";
    if (!event.target.hasAttribute("data-invested")) return;
    var value = money(event.target.value);
    row.querySelector("[data-ytd]").textContent = value === null ? "—" : fmt(money(row.dataset.ytdBefore) + value);
    row.querySelector("[data-since]").textContent = value === null ? "—" : fmt(money(row.dataset.beforePeriod) + value);
  });

  // Nothing typed is lost by leaving the page by mistake.
  var leaving = false;
  form.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && document.querySelector("tr.report-row[data-dirty]")) { event.preventDefault(); event.returnValue = ""; }
  });

  // Submitting asks first (data-confirm, static/js/ui.js). With rows typed but not saved, the question
  // says that only the saved figures go with the report; once it is answered, the browser's own
  // "leave this page?" would only ask a second time.
  var submitForm = document.getElementById("submit-form");
  if (submitForm) {
    var plainQuestion = submitForm.getAttribute("data-confirm");
    submitForm.addEventListener("click", function (event) {
      if (!(event.target instanceof Element) || !event.target.closest("button")) return;
      var unsaved = document.querySelector("tr.report-row[data-dirty]");
      submitForm.setAttribute("data-confirm", (unsaved && submitForm.getAttribute("data-confirm-unsaved")) || plainQuestion);
    });
    submitForm.addEventListener("submit", function (event) { if (!event.defaultPrevented) leaving = true; });
  }

  // A row save that did not come back as the saved row: htmx leaves the row as it was (it swaps no
  // error response), so without this it would go on saying "已填报 07:31" over values never saved.
  // The typed values stay in the inputs; the row says it is unsaved until a save succeeds (the
  // server's row then replaces this one). preventDefault tells htmx-errors.js the row has said it.
  function rowOf(event) {
    var elt = event.detail && event.detail.elt;
    return elt instanceof Element ? elt.closest("tr.report-row") : null;
  }

  function markUnsaved(row) {
    var status = row.querySelector("td.status") || row.lastElementChild;
    status.querySelectorAll("[data-status]").forEach(function (old) { old.remove(); });
    var note = document.createElement("div");
    note.className = "errors";
    note.setAttribute("data-status", "unsaved");
    note.setAttribute("role", "alert");
    note.textContent = UNSAVED;
    status.insertBefore(note, status.firstChild);
    row.classList.add("unsaved");
    row.dataset.dirty = "1";
  }

  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      var row = rowOf(event);
      if (!row) return;
      markUnsaved(row);
      event.preventDefault();
    });
  });

  // A 200 that is not a row (the login page after the session ended) must not replace the row.
  form.addEventListener("htmx:beforeSwap", function (event) {
    var row = rowOf(event);
    if (!row || event.detail.isError) return;
    if (!/^<tr[\s>]/.test(String(event.detail.serverResponse || "").trim())) {
      event.detail.shouldSwap = false;
      markUnsaved(row);
    }
  });
})();
