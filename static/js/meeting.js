// The dispatch meeting view: one slide at a time, keyboard driven, full screen on F.
// Plain script, no framework; the slide number is kept in the URL hash so a reload stays put.
(function () {
  "use strict";
  var slides = Array.prototype.slice.call(document.querySelectorAll("#deck .slide"));
  var counter = document.getElementById("counter");
  var current = 0;

  function show(index) {
    if (!slides.length) { return; }
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (slide, i) { slide.hidden = i !== current; });
    counter.textContent = (current + 1) + " / " + slides.length;
    // A chart on the slide is drawn once it has a size (bulletin_charts.js listens).
    slides[current].dispatchEvent(new CustomEvent("slide:shown", { bubbles: true }));
    if (window.history.replaceState) {
      window.history.replaceState(null, "", "#" + (current + 1));
    }
  }

  function toggleFullscreen() {
    var root = document.documentElement;
    if (!document.fullscreenElement) {
      if (root.requestFullscreen) { root.requestFullscreen().catch(function () {}); }
    } else if (document.exitFullscreen) {
      document.exitFullscreen();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    switch (event.key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": case " ":
        show(current + 1); break;
      case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace":
        show(current - 1); break;
      case "Home": show(0); break;
      case "End": show(slides.length - 1); break;
      case "f": case "F": toggleFullscreen(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("fullscreen").addEventListener("click", toggleFullscreen);

  var start = parseInt((window.location.hash || "#1").slice(1), 10);
  show(isNaN(start) ? 0 : start - 1);
})();
