// Sortable tables: click (or press Enter on) a column heading; numbers sort by data-sort.
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) raw = cell.textContent.trim();
    var n = parseFloat(raw);
    return isNaN(n) ? raw.toLowerCase() : n;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, column) {
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var ka = key(a.cells[column]), kb = key(b.cells[column]);
          if (ka === kb) return 0;
          if (ka === "") return 1;
          if (kb === "") return -1;
          return (ka < kb ? -1 : 1) * (ascending ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });
})();
