// The project form's location picker (projects/form.html): a click on the map writes 纬度 and 经度
// into their inputs, and the red point shows what the inputs hold (typed, or the saved values).
// Government intranets usually have no map tiles: the map is then a blank canvas, so the ledger's
// other projects are drawn as grey points (from projects:map_points) to click near. When the page
// is given a tile layer (#location-map-config: tiles, attribution, center), it is drawn under them.
(function () {
  "use strict";
  var element = document.getElementById("location-map");
  if (!element || !window.L) { return; }
  var latInput = document.getElementById("id_latitude");
  var lngInput = document.getElementById("id_longitude");
  var status = document.getElementById("location-status");
  var texts = element.dataset;
  var configElement = document.getElementById("location-map-config");
  var config = configElement ? JSON.parse(configElement.textContent) : {};
  // Without a tile layer nothing caps the zoom (see map.js).
  var map = window.L.map(element, { preferCanvas: true, maxZoom: 18 });
  if (config.tiles) {
    var esc = function (s) {
      return String(s).replace(/[&<>"']/g, function (c) {
        return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
      });
    };
    window.L.tileLayer(config.tiles, { attribution: esc(config.attribution || ""), maxZoom: 18 }).addTo(map);
  }
  window.L.control.scale({ imperial: false }).addTo(map);
  var marker = null;

  function read() {
    var lat = parseFloat(latInput.value);
    var lng = parseFloat(lngInput.value);
    if (!isFinite(lat) || !isFinite(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180) { return null; }
    return [lat, lng];
  }

  function place(point) {
    if (!point) {
      if (marker) { marker.remove(); marker = null; }
      element.removeAttribute("data-marker");
      return;
    }
    if (!marker) {
      marker = window.L.circleMarker(point, { radius: 8, color: "#fff", weight: 2, fillColor: "#b3261e", fillOpacity: 1 });
      marker.bindTooltip(texts.textHere);
      marker.addTo(map);
    } else {
      marker.setLatLng(point);
    }
    marker.bringToFront();
    element.dataset.marker = point[0].toFixed(6) + "," + point[1].toFixed(6);
  }

  var saved = read();
  place(saved);
  if (saved) {
    map.setView(saved, 14, { animate: false });
  } else if (config.center) {
    map.setView(config.center, 11, { animate: false });
  } else {
    map.setView([35.0, 105.0], 4, { animate: false });  // China, until the other projects say where
  }

  map.on("click", function (event) {
    var point = event.latlng.wrap();
    latInput.value = point.lat.toFixed(6);
    lngInput.value = point.lng.toFixed(6);
    place([point.lat, point.lng]);
    status.textContent = texts.textSet;
    [latInput, lngInput].forEach(function (input) { input.dispatchEvent(new Event("change", { bubbles: true })); });
  });

  [latInput, lngInput].forEach(function (input) {
    input.addEventListener("input", function () { place(read()); });
  });

  fetch(element.dataset.pointsUrl, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var bounds = [];
      data.points.forEach(function (p) {
        if (p.code === texts.code) { return; }
        var dot = window.L.circleMarker([p.lat, p.lng], {
          radius: 4, color: "#6b7785", weight: 1, fillColor: "#9aa5b1", fillOpacity: 0.8, interactive: false,
        });
        dot.addTo(map);
        bounds.push([p.lat, p.lng]);
      });
      if (marker) { marker.bringToFront(); }
      element.dataset.points = String(bounds.length);
      if (!bounds.length) {
        if (!saved) { status.textContent = texts.textAlone; }
        return;
      }
      // Where the district's projects are says more than any configured centre.
      if (!saved) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14, animate: false }); }
    });
})();
