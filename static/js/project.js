// Project page: milestone timeline (frappe-gantt) and monthly investment chart (ECharts).
// Milestone names are typed by users, and both libraries write some of their text as HTML
// (frappe-gantt sets a bar's label and its popup with innerHTML, ECharts builds HTML tooltips),
// so every text handed to them is escaped first, or set with textContent.
(function () {
  "use strict";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // Dates as the district's calendar days: "2026-03-01" is parsed as local midnight (as frappe-gantt
  // parses its tasks' dates), never as UTC, so no day shifts in a time zone west of Greenwich.
  const day = (iso) => { const [y, m, d] = iso.split("-").map(Number); return new Date(y, m - 1, d); };
  const isoDay = (d) => [d.getFullYear(), String(d.getMonth() + 1).padStart(2, "0"), String(d.getDate()).padStart(2, "0")].join("-");
  const addDay = (iso) => { const d = day(iso); d.setDate(d.getDate() + 1); return isoDay(d); };

  // The timeline's columns. frappe-gantt's defaults pad the tasks by 30 columns on each side and grow
  // further as the user scrolls (infinite_padding), and shade every weekend day of that range: a
  // six-year project drew 1990–2059 in 70 year columns with some 7,000 weekend rectangles, and the page
  // took seconds. Here the range is the milestones' own span, padded by one column on each side and
  // aligned to whole months, quarters or years, with no weekend shading (no use at these scales).
  const monthIndex = (d) => d.getFullYear() * 12 + d.getMonth();
  const yearText = (d, lang) => new Intl.DateTimeFormat(lang, { year: "numeric" }).format(d);
  const newYear = (d, ld) => !ld || d.getFullYear() !== ld.getFullYear();
  // A view mode for the span [first, last] (Dates): name, column step, and the padding that puts the
  // first column one whole column before the span and the last one whole column after it (the library
  // starts from the first day of the first month: a quarter's padding also reaches back to its start).
  const viewMode = (first, last, quarterNames, width) => {
    const months = monthIndex(last) - monthIndex(first) + 1;
    const s = first.getMonth(), e = last.getMonth();
    if (months <= 24) {
      return {
        name: "Month", step: "1m", column_width: width, date_format: "YYYY-MM", padding: ["1m", "1m"],
        lower_text: (d, ld, lang) => new Intl.DateTimeFormat(lang, { month: "long" }).format(d),
        upper_text: (d, ld, lang) => (newYear(d, ld) ? yearText(d, lang) : ""),
        thick_line: (d) => d.getMonth() % 3 === 0,
      };
    }
    if (months <= 120) {
      return {
        name: "Quarter", step: "3m", column_width: width, date_format: "YYYY-MM",
        padding: [(s % 3) + 3 + "m", 3 - (e % 3) + "m"],
        lower_text: (d) => quarterNames[Math.floor(d.getMonth() / 3)],
        upper_text: (d, ld, lang) => (newYear(d, ld) ? yearText(d, lang) : ""),
        thick_line: (d) => d.getMonth() === 0,
      };
    }
    // Only a date typed a decade off gets here: still bounded by the data, a column a year (the
    // library starts a year column on 1 January itself).
    return {
      name: "Year", step: "1y", column_width: width, date_format: "YYYY", padding: ["1y", "1y"],
      lower_text: (d, ld, lang) => yearText(d, lang),
      // The decade, as the library's own year view (it looks up the header text on scrolling, so
      // every column needs one above it).
      upper_text: (d, ld) => (!ld || Math.floor(d.getFullYear() / 10) !== Math.floor(ld.getFullYear() / 10) ? String(d.getFullYear() - (d.getFullYear() % 10)) : ""),
    };
  };

  const milestones = read("gantt-data");
  const ganttEl = document.getElementById("gantt");
  if (ganttEl && milestones.length && window.Gantt) {
    const labels = ganttEl.dataset;
    // One bar per milestone for the plan (from the previous planned date) and one for the
    // actual completion, so plan and reality sit side by side.
    const tasks = [];
    let prevPlanned = null, prevActual = null;
    // name: what frappe-gantt puts in the bar as HTML, so escaped; text and dates: for our popup.
    const task = (id, text, start, end, progress, cls, on) => ({ id: id, name: esc(text), text: text, day: on, start: start, end: end, progress: progress, custom_class: cls });
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
      // The span frappe-gantt computes too: the earliest start and the latest end of the bars
      // (ISO dates compare as strings).
      const first = day(tasks.map((t) => t.start).sort()[0]);
      const last = day(tasks.map((t) => t.end).sort().pop());
      // Narrower columns on a phone, so a few months are in view at once.
      const width = ganttEl.clientWidth < 600 ? 80 : 120;
      const mode = viewMode(first, last, (labels.quarters || "Q1|Q2|Q3|Q4").split("|"), width);
      ganttEl.dataset.viewMode = mode.name;
      // Opens at the first column, just before the first milestone: overdue and completed milestones
      // lie before today and are in view from the start.
      new window.Gantt(ganttEl, tasks, {
        view_modes: [mode], view_mode: mode.name, infinite_padding: false, holidays: null,
        scroll_to: "start", readonly: true, language: document.documentElement.lang.startsWith("zh") ? "zh" : "en",
        popup_on: "hover", popup: popup, today_button: false, view_mode_select: false,
      });
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
