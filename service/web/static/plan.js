// Plan page: follow the solver over Server-Sent Events, then reload; count ticked rows for bulk review.
(function () {
  const box = document.getElementById("progress");
  if (box && window.EventSource) {
    const text = document.getElementById("progress-text");
    const bar = document.getElementById("progress-bar");
    const badge = document.getElementById("plan-status");
    const source = new EventSource(box.dataset.events);
    source.addEventListener("progress", function (e) {
      const state = JSON.parse(e.data);
      const p = state.progress || {};
      badge.textContent = state.status; badge.className = "badge " + state.status;
      let line = "Status: " + state.status + (p.phase ? " · " + p.phase : "");
      if (p.elapsed !== undefined) { line += " · " + Number(p.elapsed).toFixed(1) + " s"; bar.value = p.elapsed; }
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
  const form = document.getElementById("review");
  const counter = document.getElementById("selected-count");
  if (form && counter) {
    form.addEventListener("change", function () {
      const n = form.querySelectorAll("input[name=selected]:checked").length;
      counter.textContent = n + " selected";
    });
  }
})();
