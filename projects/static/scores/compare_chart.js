// The compare page: per shared quantity, the compared projects' daily means on one uPlot
// chart (data from the json_script "compare-charts"; one <div data-chart="i"> per chart).
(function () {
  "use strict";
  var source = document.getElementById("compare-charts");
  if (!source || typeof uPlot === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var strokes = ["#1b6ca8", "#b35900", "#2e7d32", "#8e24aa", "#c62828"];
  var dashes = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 2]];
  charts.forEach(function (chart, i) {
    var el = document.querySelector('[data-chart="' + i + '"]');
    if (!el) { return; }
    var series = [{}];
    var data = [chart.x];
    chart.series.forEach(function (s, k) {
      series.push({ label: s.label, stroke: strokes[k % 5], dash: dashes[k % 5], width: 2, spanGaps: false });
      data.push(s.y);
    });
    new uPlot({
      title: el.getAttribute("aria-label") || "",
      width: Math.min(el.clientWidth || 700, 900),
      height: 260,
      series: series
    }, data, el);
  });
}());
