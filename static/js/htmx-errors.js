// Every HTMX request that fails says so. htmx swaps nothing for a 4xx/5xx response and does nothing
// visible when the network or the server does not answer, so without this a failed click looks like
// a click that worked. The texts come translated from the script tag's data- attributes (base.html).
// A page that shows the failure where it happened (the reporting grid's rows) calls preventDefault
// on the event, and this page-wide message stays away.
(function () {
  "use strict";

  var script = document.currentScript;
  var texts = {
    status: script.getAttribute("data-error-status") || "",
    network: script.getAttribute("data-error-network") || "",
    timeout: script.getAttribute("data-error-timeout") || ""
  };
  // Without a timeout a request to a hung server waits for ever, and the user with it.
  if (window.htmx) window.htmx.config.timeout = 60000;

  function box() { return document.getElementById("htmx-error"); }

  function show(text) {
    var list = box();
    if (!list) {
      list = document.createElement("ul");
      list.id = "htmx-error";
      list.className = "messages";
      list.setAttribute("role", "alert");
      var main = document.querySelector("main") || document.body;
      main.insertBefore(list, main.firstChild);
    }
    var item = document.createElement("li");
    item.className = "error";
    item.textContent = text;
    list.replaceChildren(item);
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (event.defaultPrevented) return;
    var xhr = event.detail && event.detail.xhr;
    show(texts.status + (xhr && xhr.status ? "（HTTP " + xhr.status + "）" : ""));
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (!event.defaultPrevented) show(texts.network);
  });
  document.addEventListener("htmx:timeout", function (event) {
    if (!event.defaultPrevented) show(texts.timeout);
  });
  // The next request that works clears the message: it is about now, not about the past.
  document.addEventListener("htmx:afterRequest", function (event) {
    var list = box();
    if (list && event.detail && event.detail.successful) list.remove();
  });
})();
