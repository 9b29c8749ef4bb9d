// The score trend on the project page: data from the json_script "score-history".
(function () {
  "use strict";
  var el = document.getElementById("score-trend");
  var data = document.getElementById("score-history");
  if (!el || !data || typeof uPlot === "undefined") return;
  var rows = JSON.parse(data.textContent);
  var x = [], incl = [], comp = [];
  rows.forEach(function (r) {
    x.push(Date.parse(r.day + "T12:00:00Z") / 1000);
    incl.push(r.inclusivity);
    comp.push(r.comparison);
  });
  var label = el.getAttribute("aria-label") || "";
  new uPlot({
    title: label,
    width: Math.min(el.clientWidth || 600, 800),
    height: 240,
    scales: { y: { range: [0, 100] } },
    series: [
      {},
      { label: el.getAttribute("data-label-inclusivity"), stroke: "#1b6ca8", width: 2, spanGaps: false },
      { label: el.getAttribute("data-label-comparison"), stroke: "#b35900", width: 2, dash: [6, 4], spanGaps: false },
    ],
  }, [x, incl, comp], el);
})();
