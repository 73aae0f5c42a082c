// Gap heatmap with plotly: a cell's colour is its status (red short, amber seats left empty, green covered). A click
// opens the cell's drill-down where the user is looking: its empty seats with their reasons and alternatives, and
// the positions behind its demand.
(function () {
  const data = JSON.parse(document.getElementById("heatmap-data").textContent);
  const element = document.getElementById("heatmap");
  if (!data.y.length) { element.textContent = "No open demand in this range."; element.style.minHeight = "0"; return; }
  const STATUS = {
    shortage: "short: fewer can take the seats than there are seats, or nobody can take an empty one",
    unfilled: "enough could take them, but the latest plan left seats empty",
    covered: "covered",
  };
  const plural = function (n, word) { return n + " " + word + (n === 1 ? "" : "s"); };
  const hover = data.cells.map((row, i) => row.map(function (c, j) {
    if (!c) return "";
    const lines = [data.y[i] + " · " + data.x[j], "demand " + c.demand + " · supply " + c.supply + " · gap " + c.gap];
    if (c.unfilled) lines.push("left empty by the latest plan: " + plural(c.unfilled, "seat"));
    lines.push(STATUS[c.status]);
    return Charts.lines(lines);
  }));
  Charts.plot(element, [{
    type: "heatmap", x: data.x, y: data.y, z: data.z, text: hover, hoverinfo: "text", xgap: 2, ygap: 2,
    colorscale: [[0, "#b3261e"], [0.333, "#b3261e"], [0.334, "#e8a33b"], [0.666, "#e8a33b"], [0.667, "#2e8b57"], [1, "#2e8b57"]],
    zmin: 0, zmax: 2,
    colorbar: { tickvals: [0.33, 1, 1.67], ticktext: ["short", "left empty", "covered"], len: 0.5, thickness: 14 },
  }], {
    height: Math.max(320, 90 + 22 * data.y.length), margin: { l: 10, r: 20, t: 10, b: 50 },
    yaxis: { automargin: true, autorange: "reversed" }, xaxis: { side: "bottom" },
  }, { responsive: true, displaylogo: false });

  const box = document.getElementById("cell-positions");
  const title = document.getElementById("cell-title");
  const summary = document.getElementById("cell-summary");
  const seatsBlock = document.getElementById("cell-seats-block");
  const seatList = document.getElementById("cell-seats");
  const list = document.getElementById("cell-list");

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function seatItem(key) {
    const s = data.seats[key];
    const item = document.createElement("li");
    if (!s) { item.textContent = "seat " + key; return item; }
    item.appendChild(link("/ui/requests/" + s.request_id + "#position-" + s.position_id, s.title + ", seat " + s.seat));
    item.appendChild(document.createTextNode(" — " + s.request + " (" + s.place + ")"));
    if (s.alternatives) {
      item.appendChild(document.createTextNode(" · "));
      item.appendChild(link(s.alternatives, "Alternatives for seat " + s.seat));
    }
    // The step that left nobody (or what kept out those left) in view; the whole funnel one click away.
    s.reasons.slice(-1).concat(s.credentials).forEach(function (line) {
      const why = document.createElement("p");
      why.className = "seat-why";
      why.textContent = line;
      item.appendChild(why);
    });
    const steps = document.createElement("ul");
    steps.className = "seat-reasons";
    s.reasons.forEach(function (line) {
      const li = document.createElement("li");
      li.textContent = line;
      steps.appendChild(li);
    });
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Step by step";
    details.append(summary, steps);
    item.appendChild(details);
    return item;
  }

  function positionItem(id) {
    const p = data.positions[id] || { id: id, title: "position " + id };
    const item = document.createElement("li");
    item.appendChild(link("/ui/requests/" + p.request_id + "#position-" + id,
      p.title + " — " + p.request + " (" + p.mission + ", " + p.start + " → " + p.end + ", " + p.open + " open)"));
    return item;
  }

  // Bring the drill-down into view with as little scrolling as it needs (its top first when taller than the
  // window), then move focus to its heading so keyboard and screen-reader users land on it too.
  function reveal() {
    const tall = box.getBoundingClientRect().height > window.innerHeight;
    box.scrollIntoView({ block: tall ? "start" : "nearest", behavior: "instant" });
    title.focus({ preventScroll: true });
  }

  element.on("plotly_click", function (event) {
    const point = event.points[0];
    const idx = point.pointNumber || point.pointIndex;
    const cell = data.cells[idx[0]][idx[1]];
    if (!cell) return;
    title.textContent = data.y[idx[0]] + " in " + data.x[idx[1]];
    summary.textContent = "Demand " + plural(cell.demand, "seat") + " · supply " + cell.supply + " · gap " + cell.gap +
      " · " + STATUS[cell.status] + ".";
    box.className = "card gap-" + cell.colour;
    seatList.replaceChildren(...cell.seats.map(seatItem));
    seatsBlock.hidden = !cell.seats.length;
    list.replaceChildren(...cell.positions.map(positionItem));
    box.hidden = false;
    reveal();
  });
})();
