// The bulletin's charts (ECharts), on the bulletin page and in the meeting view.
// What each chart draws comes from the figures, passed with json_script ("bulletin-charts"); each chart
// element says which one it is (data-chart) and has its numbers in words beside it (its figcaption).
// Unit and category names are typed by people and ECharts writes its tooltips as HTML, so the tooltip
// is built here from escaped parts; axis and data labels are drawn on the canvas, not as HTML.
// A chart on a hidden slide has no size yet: it is drawn when its slide is shown (meeting.js sends
// "slide:shown"), and every chart is resized with the window.
(function () {
  "use strict";
  const source = document.getElementById("bulletin-charts");
  if (!source || !window.echarts) { return; }
  const specs = JSON.parse(source.textContent) || {};
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const colours = { red: "#d93025", yellow: "#f2b705", green: "#1e8e3e", none: "#9aa0a6" };
  const drawn = [];

  const shown = (value, unit) => (value == null ? "—" : value + (unit === "%" ? "%" : " " + unit));

  const tooltip = (unit) => (params) => {
    const rows = [].concat(params);
    if (!rows.length) { return ""; }
    const head = esc(rows[0].name);
    return [head].concat(rows.map((p) => p.marker + (rows.length > 1 ? esc(p.seriesName) + " " : "") + esc(shown(p.value, unit)))).join("<br>");
  };

  const axis = (labels, ink) => ({
    type: "category", data: labels,
    // Every unit named, turned when there are many of them.
    axisLabel: { interval: 0, rotate: labels.length > 6 ? 30 : 0, color: ink },
  });

  // Text in the colour of the page around the chart (dark on the page, light on the meeting's slides).
  const option = (spec, ink) => {
    const title = { text: spec.title, left: "center", textStyle: { fontSize: 14, color: ink } };
    if (spec.type === "pie") {
      return {
        title: title,
        tooltip: { trigger: "item", formatter: (p) => p.marker + esc(p.name) + " " + esc(shown(p.value, spec.unit)) + "（" + esc(p.percent) + "%）" },
        series: [{
          type: "pie", radius: ["35%", "65%"], top: 30,
          data: spec.labels.map((label, i) => ({ name: label, value: spec.values[i], itemStyle: { color: colours[spec.colors[i]] || colours.none } })),
          label: { formatter: "{b} {c}", color: ink, textBorderWidth: 0 },
        }],
      };
    }
    const series = spec.type === "bars"
      ? spec.series.map((s) => ({ name: s.name, type: "bar", data: s.values, label: { show: spec.labels.length <= 8, position: "top", color: ink } }))
      : [{ name: spec.title, type: "bar", data: spec.values, label: { show: true, position: "top", color: ink } }];
    const bars = {
      title: title,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltip(spec.unit) },
      grid: { left: 60, right: 20, top: spec.type === "bars" ? 60 : 40, bottom: 30, containLabel: true },
      xAxis: axis(spec.labels, ink),
      yAxis: { type: "value", name: spec.unit, nameTextStyle: { color: ink }, axisLabel: { color: ink } },
      series: series,
    };
    if (spec.type === "bars") {
      bars.legend = { top: 24, data: spec.series.map((s) => s.name), textStyle: { color: ink } };
    }
    return bars;
  };

  const draw = (el) => {
    const spec = specs[el.dataset.chart];
    if (!spec || el.dataset.drawn || !el.clientWidth) {
      const known = window.echarts.getInstanceByDom(el);
      if (known) { known.resize(); }
      return;
    }
    const chart = window.echarts.init(el);
    chart.setOption(option(spec, window.getComputedStyle(el).color));
    el.dataset.drawn = "1";
    drawn.push(chart);
  };

  const drawIn = (root) => { root.querySelectorAll("[data-chart]").forEach(draw); };

  drawIn(document);
  document.addEventListener("slide:shown", (event) => { drawIn(event.target); });
  window.addEventListener("resize", () => { drawn.forEach((chart) => chart.resize()); });
})();
