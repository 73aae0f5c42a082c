// Gantt charts with plotly: horizontal bars from start (base) for the duration, one trace per status.
(function () {
  const data = JSON.parse(document.getElementById("gantt-data").textContent);
  const DAY = 86400000;
  function draw(elementId, key) {
    const element = document.getElementById(elementId);
    if (!data.rows.length) { element.textContent = "Nothing to show yet."; element.style.minHeight = "0"; return; }
    const labels = Array.from(new Set(data.rows.map(r => r[key]))).sort();
    const traces = Object.keys(data.colours).map(function (status) {
      const rows = data.rows.filter(r => r.status === status);
      return {
        type: "bar", orientation: "h", name: status, marker: { color: data.colours[status] },
        y: rows.map(r => r[key]), base: rows.map(r => r.start),
        x: rows.map(r => Date.parse(r.end) - Date.parse(r.start)),
        text: rows.map(r => (key === "person" ? r.mission : r.person)), textposition: "inside", insidetextanchor: "start",
        hovertext: rows.map(r => r.person + " · " + r.mission + " · " + r.start + " → " + new Date(Date.parse(r.end) - DAY).toISOString().slice(0, 10) + " · " + r.status),
        hoverinfo: "text", showlegend: rows.length > 0,
      };
    }).filter(t => t.y.length);
    const height = Math.max(260, 80 + 26 * labels.length);
    const longest = element.clientWidth < 600 ? 18 : 60;  // narrow screens: shorter names, more room for bars
    const ticks = labels.map(l => (l.length > longest ? l.slice(0, longest - 1) + "…" : l));
    Charts.plot(element, traces, {
      barmode: "overlay", height: height, margin: { l: 10, r: 20, t: 10, b: 40 },
      xaxis: { type: "date" },
      yaxis: { automargin: true, categoryorder: "array", categoryarray: labels.slice().reverse(), tickvals: labels, ticktext: ticks },
      legend: { orientation: "h", y: 1.02, yanchor: "bottom" },
    }, { responsive: true, displaylogo: false });
  }
  draw("gantt-person", "person");
  draw("gantt-mission", "mission");
})();
