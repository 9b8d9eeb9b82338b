// Small behaviours the templates ask for with data- attributes. The Content-Security-Policy forbids
// inline script and inline handlers (onchange=, onsubmit=, onclick=), so they live here, listening
// on the document: that also covers forms HTMX swaps in later.
//   <select data-autosubmit>             submits its form when changed
//   <form data-confirm="…">              asks before submitting; <button data-confirm="…"> before its click
//   <a data-form-query="form.filters">   on click, carries that form's current values as its query string
//   <form data-busy="id">                on submit, disables its buttons and shows the element with that id
//   <button data-menu-toggle aria-controls="id">  opens and closes the top bar's menu (folded on phones)
//   <table class="cards">                 each cell gets its column's heading as data-label, which the
//                                         stylesheet shows beside the value when rows become cards (phones)
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });

  // Capture phase: the question comes before HTMX or any other listener sends the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var button = target && target.closest("button[data-confirm], input[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var link = target && target.closest("a[data-form-query]");
    if (link) {
      var form = document.querySelector(link.getAttribute("data-form-query"));
      if (form instanceof HTMLFormElement) {
        var base = link.getAttribute("href").split("?")[0];
        link.setAttribute("href", base + "?" + new URLSearchParams(new FormData(form)).toString());
      }
    }
  }, true);

  // Bubble phase, after the confirmation: a cancelled submit leaves the form as it was.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.busy || event.defaultPrevented) { return; }
    // A disabled button is not sent: the clicked one's name and value (action=…) go in a hidden field.
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.appendChild(carried);
    }
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = true;
    });
    var busy = document.getElementById(form.dataset.busy);
    if (busy) { busy.hidden = false; }
  });

  // The top bar's menu on a phone: the button says whether it is open (aria-expanded), the bar's
  // "open" class shows it. Escape closes it and gives the focus back to the button.
  function setMenu(button, open) {
    var bar = button.closest(".topbar");
    if (!bar) { return; }
    bar.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var button = target && target.closest("[data-menu-toggle]");
    if (button) { setMenu(button, button.getAttribute("aria-expanded") !== "true"); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var button = document.querySelector("[data-menu-toggle][aria-expanded='true']");
    if (button) {
      setMenu(button, false);
      button.focus();
    }
  });

  // Card rows (table.cards): a cell shown as a line of a card needs its column's name beside it. The
  // names are the table's own headings, read here rather than repeated in every template cell;
  // a cell spanning columns takes the first one's, a cell that has its own data-label keeps it.
  function labelCells(table) {
    var heads = [];
    var headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) { return; }
    Array.prototype.forEach.call(headRow.cells, function (th) {
      var text = th.textContent.replace(/\s+/g, " ").trim();
      for (var i = 0; i < th.colSpan; i++) { heads.push(text); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) { labelRows(body.rows, heads); });
    if (table.tFoot) { labelRows(table.tFoot.rows, heads); }
  }

  function labelRows(rows, heads) {
    Array.prototype.forEach.call(rows, function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        if (!cell.hasAttribute("data-label") && heads[column] && cell.colSpan === 1) {
          cell.setAttribute("data-label", heads[column]);
        }
        column += cell.colSpan;
      });
    });
  }

  function labelAll() { document.querySelectorAll("table.cards").forEach(labelCells); }

  labelAll();
  // Rows HTMX swaps in (a ledger page, a saved grid row) are labelled as they arrive.
  document.addEventListener("htmx:afterSettle", labelAll);
})();
