// The 产业招商图谱 of one chain (investment/templates/investment/chain_detail.html), drawn with ECharts as a
// tree: the chain → its positions (上游, 中游, 下游, 关键环节) → their links, each link in the colour of its
// status. The tree comes with json_script ("chain-graph-data"); the same statuses are in words in the table
// under the chart. A click on a link opens the lead list filtered by that link (its url, made by the server).
// Names are typed by people and ECharts writes tooltips as HTML, so the tooltip is built from escaped parts;
// labels are drawn by the renderer as text, not HTML. The SVG renderer keeps the labels as text in the page.
(function () {
  "use strict";
  const source = document.getElementById("chain-graph-data");
  const el = document.getElementById("chain-graph");
  if (!source || !el || !window.echarts) { return; }
  const graph = JSON.parse(source.textContent);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const ink = window.getComputedStyle(el).color;

  const decorate = (item) => {
    const out = { name: item.name, kind: item.kind, url: item.url || "", text: item.text || "", statusName: item.statusName || "" };
    if (item.kind === "node") {
      out.itemStyle = { color: item.colour, borderColor: item.colour };
      out.symbolSize = 14;
      out.label = { position: "right", verticalAlign: "middle", align: "left" };
      out.cursor = "pointer";
    } else {
      out.itemStyle = { color: "#fff", borderColor: "#5f6368" };
      out.symbolSize = item.kind === "chain" ? 16 : 12;
      out.label = { position: "top", verticalAlign: "bottom", align: "center", fontWeight: item.kind === "chain" ? 700 : 400 };
      out.cursor = "default";
    }
    if (item.children) { out.children = item.children.map(decorate); }
    return out;
  };

  // One row per link, so the labels never overlap, whatever the width.
  const size = () => {
    el.style.height = Math.max(260, graph.leaves * 30 + 60) + "px";
  };
  size();
  const chart = window.echarts.init(el, null, { renderer: "svg" });
  const narrow = () => el.clientWidth < 560;
  const option = () => ({
    tooltip: {
      trigger: "item",
      formatter: (p) => {
        const d = p.data || {};
        if (d.kind !== "node") { return esc(p.name); }
        return p.marker + "<strong>" + esc(d.name) + "</strong> · " + esc(d.statusName) + "<br>" + esc(d.text);
      },
      confine: true,
    },
    series: [{
      type: "tree",
      data: [decorate(graph.tree)],
      orient: "LR",
      left: narrow() ? 30 : 70,
      right: narrow() ? 110 : 220,
      top: 30,
      bottom: 20,
      initialTreeDepth: -1,
      expandAndCollapse: false,
      roam: false,
      symbol: "circle",
      label: { color: ink, fontSize: narrow() ? 12 : 13, width: narrow() ? 100 : 200, overflow: "truncate" },
      lineStyle: { color: "#c0c6cc", width: 1.2, curveness: 0.5 },
      emphasis: { focus: "none" },
      animation: false,
    }],
  });
  chart.setOption(option());

  chart.on("click", (params) => {
    const d = params.data || {};
    if (d.kind === "node" && d.url) {
      window.location.assign(d.url);
    }
  });
  window.addEventListener("resize", () => {
    size();
    chart.setOption(option());
    chart.resize();
  });
})();
