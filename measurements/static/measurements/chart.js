// Hourly time-series charts (uPlot) for a sensor page, one per quantity, from the rollups
// that the page embeds with json_script. Static file: the CSP forbids inline scripts.
(function () {
  "use strict";
  var container = document.getElementById("charts");
  if (!container) { return; }
  var source = document.getElementById(container.dataset.source);
  var data = source ? JSON.parse(source.textContent) : { series: [] };
  if (!data.series.length || typeof uPlot === "undefined") {
    var empty = document.createElement("p");
    empty.textContent = container.dataset.empty;
    container.appendChild(empty);
    return;
  }
  data.series.forEach(function (entry) {
    var figure = document.createElement("figure");
    var caption = document.createElement("figcaption");
    caption.textContent = entry.name + " (" + entry.unit + ")";
    figure.appendChild(caption);
    container.appendChild(figure);
    var columns = [[], [], [], []];
    entry.points.forEach(function (p) {
      columns[0].push(p[0]); columns[1].push(p[1]); columns[2].push(p[2]); columns[3].push(p[3]);
    });
    var width = Math.max(280, Math.min(container.clientWidth || 800, 1000));
    var chart = new uPlot({
      width: width,
      height: 260,
      scales: { x: { time: true, min: data.start, max: data.end } },
      series: [
        {},
        { label: container.dataset.mean, stroke: "#0a5a8c", width: 2 },
        { label: container.dataset.min, stroke: "#8fb8d3", width: 1 },
        { label: container.dataset.max, stroke: "#8a4b00", width: 1 }
      ],
      axes: [{}, { label: entry.unit }]
    }, columns, figure);
    figure.dataset.chart = "ready";
    window.addEventListener("resize", function () {
      chart.setSize({ width: Math.max(280, Math.min(container.clientWidth, 1000)), height: 260 });
    });
  });
}());
