// Project page: milestone timeline (frappe-gantt) and monthly investment chart (ECharts).
(function () {
  "use strict";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const labels = read("labels");

  const milestones = read("gantt-data");
  const ganttEl = document.getElementById("gantt");
  if (ganttEl && milestones.length && window.Gantt) {
    // One bar per milestone for the plan (from the previous planned date) and one for the
    // actual completion, so plan and reality sit side by side.
    const tasks = [];
    let prevPlanned = null, prevActual = null;
    const addDay = (iso) => { const d = new Date(iso); d.setDate(d.getDate() + 1); return d.toISOString().slice(0, 10); };
    milestones.forEach((m) => {
      if (m.planned) {
        tasks.push({ id: m.id + "p", name: m.name + labels.planned_bar, start: prevPlanned || m.planned, end: addDay(m.planned), progress: m.actual ? 100 : 0, custom_class: "bar-planned" });
        prevPlanned = m.planned;
      }
      if (m.actual) {
        const late = m.planned && m.actual > m.planned;
        tasks.push({ id: m.id + "a", name: m.name + labels.actual_bar, start: prevActual || m.actual, end: addDay(m.actual), progress: 100, custom_class: late ? "bar-late" : "bar-actual" });
        prevActual = m.actual;
      }
    });
    if (tasks.length) {
      // Open at the first milestone, not at today: overdue and completed milestones lie before today and
      // would start off-screen (and the default smooth scroll shows an empty grid while it runs).
      // Month columns read well for a year or two; a multi-year project would need pages of
      // scrolling, so it is shown by year.
      const times = tasks.flatMap((t) => [Date.parse(t.start), Date.parse(t.end)]);
      const days = (Math.max(...times) - Math.min(...times)) / 86400000;
      const mode = days > 730 ? "Year" : "Month";
      new window.Gantt(ganttEl, tasks, { view_mode: mode, scroll_to: "start", readonly: true, language: document.documentElement.lang.startsWith("zh") ? "zh" : "en", popup_on: "hover", today_button: false, view_mode_select: false });
    }
  }

  const chartEl = document.getElementById("chart");
  const data = read("chart-data");
  if (chartEl && window.echarts) {
    const chart = window.echarts.init(chartEl);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [labels.invested, labels.ytd, labels.plan] },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: labels.unit },
      series: [
        { name: labels.invested, type: "bar", data: data.invested },
        { name: labels.ytd, type: "line", data: data.ytd },
        { name: labels.plan, type: "line", data: data.plan, lineStyle: { type: "dashed" } },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
})();
