// Project page: milestone timeline (frappe-gantt) and monthly investment chart (ECharts).
// Milestone names are typed by users, and both libraries write some of their text as HTML
// (frappe-gantt sets a bar's label and its popup with innerHTML, ECharts builds HTML tooltips),
// so every text handed to them is escaped first, or set with textContent.
(function () {
  "use strict";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const milestones = read("gantt-data");
  const ganttEl = document.getElementById("gantt");
  if (ganttEl && milestones.length && window.Gantt) {
    const labels = ganttEl.dataset;
    // One bar per milestone for the plan (from the previous planned date) and one for the
    // actual completion, so plan and reality sit side by side.
    const tasks = [];
    let prevPlanned = null, prevActual = null;
    const addDay = (iso) => { const d = new Date(iso); d.setDate(d.getDate() + 1); return d.toISOString().slice(0, 10); };
    // name: what frappe-gantt puts in the bar as HTML, so escaped; text and dates: for our popup.
    const task = (id, text, start, end, progress, cls, day) => ({ id: id, name: esc(text), text: text, day: day, start: start, end: end, progress: progress, custom_class: cls });
    milestones.forEach((m) => {
      if (m.planned) {
        tasks.push(task(m.id + "p", m.name + labels.plannedBar, prevPlanned || m.planned, addDay(m.planned), m.actual ? 100 : 0, "bar-planned", m.planned));
        prevPlanned = m.planned;
      }
      if (m.actual) {
        const late = m.planned && m.actual > m.planned;
        tasks.push(task(m.id + "a", m.name + labels.actualBar, prevActual || m.actual, addDay(m.actual), 100, late ? "bar-late" : "bar-actual", m.actual));
        prevActual = m.actual;
      }
    });
    // The default popup sets the title (the task's name) and an English date line with innerHTML;
    // ours writes plain text: the milestone and its date.
    const popup = (ctx) => {
      ctx.get_title().textContent = ctx.task.text;
      ctx.get_subtitle().textContent = ctx.task.day;
      ctx.get_details().textContent = "";
    };
    if (tasks.length) {
      // Open at the first milestone, not at today: overdue and completed milestones lie before today and
      // would start off-screen (and the default smooth scroll shows an empty grid while it runs).
      // Month columns read well for a year or two; a multi-year project would need pages of
      // scrolling, so it is shown by year.
      const times = tasks.flatMap((t) => [Date.parse(t.start), Date.parse(t.end)]);
      const days = (Math.max(...times) - Math.min(...times)) / 86400000;
      const mode = days > 730 ? "Year" : "Month";
      new window.Gantt(ganttEl, tasks, { view_mode: mode, scroll_to: "start", readonly: true, language: document.documentElement.lang.startsWith("zh") ? "zh" : "en", popup_on: "hover", popup: popup, today_button: false, view_mode_select: false });
    }
  }

  const chartEl = document.getElementById("chart");
  const data = read("chart-data");
  if (chartEl && window.echarts) {
    const labels = chartEl.dataset;
    const chart = window.echarts.init(chartEl);
    // The tooltip is HTML: built here from escaped parts rather than by ECharts' default formatter.
    const tooltip = (params) => {
      const rows = [].concat(params);
      if (!rows.length) { return ""; }
      return [esc(rows[0].axisValueLabel || rows[0].name)].concat(rows.map((p) =>
        p.marker + esc(p.seriesName) + " " + (p.value == null ? "—" : esc(p.value)))).join("<br>");
    };
    chart.setOption({
      tooltip: { trigger: "axis", formatter: tooltip },
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
