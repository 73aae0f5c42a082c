// Gantt charts with plotly: horizontal bars from start (base) for the duration, one trace per status. Each bar
// sits on a line of its own kind ("person_line" or "mission_line", worked out by the server so that no two bars
// of a line overlap in time); the line's words ("person_label", "mission_label") are the tick's text.
(function () {
  const data = JSON.parse(document.getElementById("gantt-data").textContent);
  const DAY = 86400000;
  function lastDay(end) { return new Date(Date.parse(end) - DAY).toISOString().slice(0, 10); }
  function draw(elementId, view) {
    const element = document.getElementById(elementId);
    if (!data.rows.length) { element.textContent = "Nothing to show yet."; element.style.minHeight = "0"; return; }
    const line = view + "_line", label = view + "_label";
    const words = {};
    data.rows.forEach(r => { words[r[line]] = r[label]; });
    const lines = Object.keys(words).sort((a, b) => words[a].localeCompare(words[b]));
    const traces = Object.keys(data.colours).map(function (status) {
      const rows = data.rows.filter(r => r.status === status);
      return {
        type: "bar", orientation: "h", name: status.replace(/_/g, " "), marker: { color: data.colours[status] },
        y: rows.map(r => r[line]), base: rows.map(r => r.start),
        x: rows.map(r => Date.parse(r.end) - Date.parse(r.start)),
        text: rows.map(r => (view === "person" ? r.mission : r.seat)), textposition: "inside", insidetextanchor: "start",
        hovertext: rows.map(r => Charts.lines([
          r.who + " · " + r.mission, r.seat, r.start + " → " + lastDay(r.end) + " · " + r.status_words,
          r.supplier + " · deployment " + r.id,
        ])),
        hoverinfo: "text", showlegend: rows.length > 0,
      };
    }).filter(t => t.y.length);
    const height = Math.max(260, 80 + 26 * lines.length);
    const longest = element.clientWidth < 600 ? 18 : 60;  // narrow screens: shorter names, more room for bars
    const ticks = lines.map(l => (words[l].length > longest ? words[l].slice(0, longest - 1) + "…" : words[l]));
    Charts.plot(element, traces, {
      barmode: "overlay", height: height, margin: { l: 10, r: 20, t: 10, b: 40 },
      xaxis: { type: "date" },
      yaxis: { automargin: true, type: "category", categoryorder: "array", categoryarray: lines.slice().reverse(), tickvals: lines, ticktext: ticks },
      legend: { orientation: "h", y: 1.02, yanchor: "bottom" },
    }, { responsive: true, displaylogo: false });
  }
  draw("gantt-person", "person");
  draw("gantt-mission", "mission");
})();
