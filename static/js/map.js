// Project map: one circle per project with coordinates, coloured by its light.
(function () {
  "use strict";
  // Leaflet's popups and attribution are HTML: every text put in them is escaped, names and
  // reasons (typed by users) as much as the rest.
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  // A link only to a page of this site: escaping alone would let a "javascript:" address through.
  const path = (url) => (/^\/(?!\/)/.test(String(url)) ? String(url) : "#");
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const center = JSON.parse(document.getElementById("map-center").textContent);
  // Without a tile layer nothing caps the zoom: a single project would be fitted to an unbounded zoom
  // where its marker is no longer drawn, so cap it here and when fitting the points.
  const map = window.L.map("map", { preferCanvas: true, maxZoom: 18 }).setView(center, 11);
  if (config.tiles) {
    // Leaflet writes the attribution as HTML; it is the provider's text, so escaped like the rest.
    window.L.tileLayer(config.tiles, { attribution: esc(config.attribution), maxZoom: 18 }).addTo(map);
  }
  const colours = { red: "#d93025", yellow: "#e6a700", green: "#1e8e3e" };
  fetch(config.points, { credentials: "same-origin" }).then((r) => r.json()).then((data) => {
    const bounds = [];
    data.points.forEach((p) => {
      const marker = window.L.circleMarker([p.lat, p.lng], { radius: 7, color: "#fff", weight: 1, fillColor: colours[p.light] || "#888", fillOpacity: 0.9 });
      marker.bindPopup('<a href="' + esc(path(p.url)) + '">' + esc(p.code) + " " + esc(p.name) + "</a><br>" + p.reasons.map(esc).join("<br>"));
      marker.addTo(map);
      bounds.push([p.lat, p.lng]);
    });
    // No zoom animation from the default centre: markers answer clicks only once their zoom is final.
    if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15, animate: false }); }
    document.getElementById("map-count").textContent = data.points.length + " " + config.counted;
    document.getElementById("map").dataset.points = String(data.points.length);
  });
})();
