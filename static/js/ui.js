// Small behaviours the templates ask for with data- attributes. The Content-Security-Policy forbids
// inline script and inline handlers (onchange=, onsubmit=, onclick=), so they live here, listening
// on the document: that also covers forms HTMX swaps in later.
//   <select data-autosubmit>             submits its form when changed
//   <form data-confirm="…">              asks before submitting; <button data-confirm="…"> before its click
//   <a data-form-query="form.filters">   on click, carries that form's current values as its query string
//   <form data-busy="id">                on submit, disables its buttons and shows the element with that id
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
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = true;
    });
    var busy = document.getElementById(form.dataset.busy);
    if (busy) { busy.hidden = false; }
  });
})();
