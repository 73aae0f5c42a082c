// Every chart is drawn through Charts.plot. Plotly reads a few HTML tags (<a href>, <b>, <br>, <span style>…)
// in any text it shows (labels, hover, legend, titles), so every string it is given is escaped here first:
// a name typed by a user is shown as typed, never as a link or markup. Line breaks: Charts.lines([...]).
// A chart's box is role="img" until drawn; plotly then puts controls in it (the mode bar, the drag layers), which
// an image must not hold (axe: nested-interactive), so a drawn chart is a figure with the same label.
window.Charts = (function () {
  const LINES = Symbol("lines");
  function escape(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function safe(value) {
    if (typeof value === "string") return escape(value);
    if (Array.isArray(value)) return value.map(safe);
    if (value && value[LINES]) return value[LINES].map(safe).join("<br>");
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, safe(v)]));
    }
    return value;
  }
  return {
    lines: function (parts) { return { [LINES]: parts }; },
    plot: function (element, traces, layout, config) {
      if (element.getAttribute("role") === "img") element.setAttribute("role", "figure");
      return Plotly.newPlot(element, safe(traces), safe(layout), config);
    },
  };
})();
