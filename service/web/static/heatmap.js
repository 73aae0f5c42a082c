// Gap heatmap with plotly; a click on a cell lists the positions behind its demand, with links.
(function () {
  const data = JSON.parse(document.getElementById("heatmap-data").textContent);
  const element = document.getElementById("heatmap");
  if (!data.y.length) { element.textContent = "No open demand in this range."; element.style.minHeight = "0"; return; }
  const hover = data.cells.map((row, i) => row.map(function (c, j) {
    if (!c) return "";
    const lines = [data.y[i] + " · " + data.x[j], "demand " + c.demand + " · supply " + c.supply + " · gap " + c.gap];
    if (c.unfilled) lines.push("left unfilled by the latest plan: " + c.unfilled);
    return Charts.lines(lines);
  }));
  Charts.plot(element, [{
    type: "heatmap", x: data.x, y: data.y, z: data.z, text: hover, hoverinfo: "text", xgap: 2, ygap: 2,
    colorscale: [[0, "#9e1b12"], [0.099, "#e8743b"], [0.1, "#f2b84b"], [0.3, "#f7e7a1"], [1, "#2e8b57"]],
    zmin: 0, zmax: 10, colorbar: { title: { text: "supply ÷ demand" }, tickvals: [0, 1, 3, 5, 10], ticktext: ["0", "1", "3", "5", "≥ 10"] },
  }], {
    height: Math.max(320, 90 + 22 * data.y.length), margin: { l: 10, r: 20, t: 10, b: 50 },
    yaxis: { automargin: true, autorange: "reversed" }, xaxis: { side: "bottom" },
  }, { responsive: true, displaylogo: false });
  const box = document.getElementById("cell-positions");
  const list = document.getElementById("cell-list");
  const title = document.getElementById("cell-title");
  element.on("plotly_click", function (event) {
    const point = event.points[0];
    const idx = point.pointNumber || point.pointIndex;
    const cell = data.cells[idx[0]][idx[1]];
    if (!cell) return;
    title.textContent = data.y[idx[0]] + " in " + data.x[idx[1]] + ": demand " + cell.demand + ", supply " + cell.supply;
    list.replaceChildren(...cell.positions.map(function (id) {
      const p = data.positions[id] || { id: id, title: "position " + id };
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "/ui/requests/" + p.request_id + "#position-" + id;
      link.textContent = p.title + " — " + p.request + " (" + p.mission + ", " + p.start + " → " + p.end + ", " + p.open + " open)";
      item.appendChild(link);
      return item;
    }));
    box.hidden = false;
  });
})();
