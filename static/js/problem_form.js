// The new-problem form's project picker (dispatch/problem_form.html): typing in the 项目 box asks the
// server for the user's matching projects (20 at most: a province has 20,000), a list opens under the
// box, and choosing one puts its id in the hidden "project" field and its lead unit and leader into
// 责任单位 and 责任领导 (still changeable). Names are users' text: they are set as textContent only.
// Keys: ↓/↑ move through the list, Enter chooses, Escape closes it.
(function () {
  "use strict";
  var picker = document.getElementById("project-picker");
  if (!picker) { return; }
  var box = document.getElementById("id_project_text");
  var hidden = document.getElementById("id_project");
  var list = document.getElementById("project-results");
  var status = document.getElementById("project-status");
  var unitSelect = document.getElementById("id_responsible_unit");
  var leaderSelect = document.getElementById("id_responsible_leader");
  var texts = picker.dataset;
  var results = [];
  var active = -1;
  var timer = null;
  var pending = null;
  var asked = 0;

  // Forget any search still to come: its answer would open the list again.
  function cancel() {
    window.clearTimeout(timer);
    asked += 1;
    if (pending) { pending.abort(); pending = null; }
  }

  function close() {
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function note(text) {
    var item = document.createElement("li");
    item.className = "note";
    item.setAttribute("aria-disabled", "true");
    item.textContent = text;
    list.appendChild(item);
  }

  function show(data) {
    results = data.results;
    active = -1;
    list.replaceChildren();
    results.forEach(function (project, index) {
      var item = document.createElement("li");
      item.id = "project-option-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dataset.index = String(index);
      item.textContent = project.label;
      var unit = document.createElement("span");
      unit.className = "unit";
      unit.textContent = project.unit_name + (project.leader_name ? " · " + project.leader_name : "");
      item.appendChild(unit);
      list.appendChild(item);
    });
    if (!results.length) { note(texts.textNone); }
    if (data.more) { note(texts.textMore); }
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
  }

  function search() {
    var query = box.value.trim();
    if (pending) { pending.abort(); }
    if (!query) { close(); return; }
    var ask = ++asked;
    pending = new AbortController();
    var url = picker.dataset.searchUrl + "?q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", signal: pending.signal, headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) { if (ask === asked && document.activeElement === box) { show(data); } })
      .catch(function (error) {
        if (error.name === "AbortError" || ask !== asked) { return; }
        results = [];
        list.replaceChildren();
        note(texts.textFailed);
        list.hidden = false;
        box.setAttribute("aria-expanded", "true");
      });
  }

  function has(select, value) {
    return Array.prototype.some.call(select.options, function (option) { return option.value === value; });
  }

  function setSelect(select, value) {
    if (select.value === value) { return; }
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function choose(index) {
    var project = results[index];
    if (!project) { return; }
    cancel();
    box.value = project.label;
    hidden.value = String(project.id);
    close();
    var unit = String(project.unit);
    if (unitSelect && has(unitSelect, unit)) {
      setSelect(unitSelect, unit);
      status.textContent = texts.textFilled;
    } else {
      status.textContent = texts.textUnitGone.replace("{unit}", project.unit_name);
    }
    if (leaderSelect) {
      var leader = project.leader === null ? "" : String(project.leader);
      setSelect(leaderSelect, has(leaderSelect, leader) ? leader : "");
    }
  }

  function highlight(index) {
    var items = list.querySelectorAll("li[role=option]");
    if (!items.length) { return; }
    active = (index + items.length) % items.length;
    items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
    box.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  box.addEventListener("input", function () {
    // The text no longer names the chosen project: the server reads the text instead.
    hidden.value = "";
    status.textContent = "";
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) { search(); return; }
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();  // choose, do not submit the form
      choose(active);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });

  // mousedown, not click: it comes before the box loses the focus and the list closes.
  list.addEventListener("mousedown", function (event) {
    var item = event.target instanceof Element ? event.target.closest("li[role=option]") : null;
    event.preventDefault();
    if (item) { choose(Number(item.dataset.index)); }
  });

  box.addEventListener("blur", function () { cancel(); close(); });
})();
