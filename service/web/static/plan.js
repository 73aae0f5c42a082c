// Plan page: follow the solver over Server-Sent Events, then reload; decide on a row in place (the server answers
// the row alone), keep focus on it, and `n` moves to the next proposal still to decide; count ticked rows.
(function () {
  const box = document.getElementById("progress");
  if (box && window.EventSource) {
    const title = document.getElementById("progress-title");
    const text = document.getElementById("progress-text");
    const bar = document.getElementById("progress-bar");
    const badge = document.getElementById("plan-status");
    const source = new EventSource(box.dataset.events);
    source.addEventListener("progress", function (e) {
      const state = JSON.parse(e.data);
      const p = state.progress || {};
      badge.textContent = state.status; badge.className = "badge " + state.status;
      if (state.status === "queued") {
        title.textContent = "Waiting for a worker to pick it up…";
        text.textContent = "Status: queued — in the queue; the solve starts when a worker takes it.";
        bar.hidden = true;
        return;
      }
      title.textContent = "Solving…";
      let line = "Status: " + state.status + (p.phase ? " · " + p.phase : "");
      if (p.elapsed !== undefined) {
        line += " · " + Number(p.elapsed).toFixed(1) + " s"; bar.value = p.elapsed; bar.hidden = false;
      }
      if (p.objective !== undefined) line += " · objective " + p.objective;
      if (p.gap !== undefined) line += " · gap " + (100 * p.gap).toFixed(1) + " %";
      text.textContent = line;
    });
    source.addEventListener("end", function (e) {
      const state = JSON.parse(e.data);
      text.textContent = "Finished: " + state.status + ". Loading the proposals…";
      source.close();
      window.location.reload();
    });
    source.onerror = function () { setTimeout(function () { window.location.reload(); }, 2000); source.close(); };
  }

  const bulk = document.getElementById("review");
  const counter = document.getElementById("selected-count");
  function countTicked() {
    if (counter) counter.textContent = document.querySelectorAll("input[name=selected][form=review]:checked").length + " selected";
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("input[name=selected]")) countTicked();
  });

  function say(notice) {
    const main = document.getElementById("main");
    let p = main.querySelector(":scope > p.notice");
    main.querySelectorAll(":scope > .problem, :scope > #refusal").forEach(function (old) { old.remove(); });
    if (!notice) { if (p) p.remove(); return; }
    if (!p) { p = document.createElement("p"); p.className = "notice"; p.setAttribute("role", "status"); main.prepend(p); }
    p.textContent = notice;
  }

  function focusRow(row) {
    const target = row.querySelector("#refusal textarea") || row.querySelector("button") || row.querySelector("a[href]");
    if (target) target.focus(); else { row.tabIndex = -1; row.focus(); }
  }

  function place(answer, clicked) {
    document.querySelectorAll("tr #refusal").forEach(function (old) { old.remove(); });
    let focus = null;
    Object.keys(answer.rows || {}).forEach(function (id) {
      const old = document.getElementById("assignment-" + id);
      if (!old) return;
      const t = document.createElement("template");
      t.innerHTML = answer.rows[id].trim();
      const row = t.content.firstElementChild;
      old.replaceWith(row);
      if (id === clicked) focus = row;
    });
    if (answer.open) { const open = document.getElementById("open-count"); if (open) open.textContent = answer.open; }
    if (answer.notice) say(answer.notice);
    countTicked();
    if (focus) focusRow(focus);
  }

  // A row's decision (or its override) through fetch; anything unexpected falls back to the ordinary submit.
  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (!form.classList || !form.classList.contains("decide") || !window.fetch) return;
    const button = e.submitter;
    if (!button || button.name !== "one") return;
    e.preventDefault();
    const data = new FormData(form);
    data.set("one", button.value);
    const clicked = button.value.split(":")[1];
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Fragment": "row", "Accept": "application/json" },
    }).then(function (r) {
      const json = (r.headers.get("content-type") || "").indexOf("application/json") === 0;
      if (!json) throw new Error("page");
      return r.json();
    }).then(function (answer) { place(answer, clicked); }).catch(function () {
      const keep = document.createElement("input");
      keep.type = "hidden"; keep.name = "one"; keep.value = button.value;
      form.appendChild(keep);
      HTMLFormElement.prototype.submit.call(form);
    });
  });

  // `n` (or `j`): the next proposal still to decide, after the row that has the focus.
  if (bulk || document.querySelector("form.decide")) {
    const hint = document.getElementById("key-hint");
    if (hint) hint.hidden = false;
    document.addEventListener("keydown", function (e) {
      if (e.key !== "n" && e.key !== "j") return;
      // typing stays typing; a ticked checkbox or radio is a row's, where `n` is most wanted
      const typing = 'input:not([type="checkbox"]):not([type="radio"]), textarea, select, [contenteditable]';
      if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest(typing)) return;
      const rows = Array.from(document.querySelectorAll("tr.undecided"));
      if (!rows.length) return;
      const here = document.activeElement && document.activeElement.closest("tr[data-assignment]");
      const next = rows.find(function (r) {
        return !here || (here.compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING);
      }) || rows[0];
      e.preventDefault();
      next.scrollIntoView({ block: "center" });
      focusRow(next);
    });
  }
})();
