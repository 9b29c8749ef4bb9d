// Upload progress: poll the upload's API resource every second and update the <progress>
// bar and the counters until the job is done or failed. Static file: the CSP forbids inline
// scripts; the first status comes from the page's json_script.
(function () {
  "use strict";
  var box = document.getElementById("upload");
  if (!box) { return; }
  var bar = document.getElementById("upload-progress");
  var errors = document.getElementById("upload-errors");

  function show(status) {
    bar.value = status.progress;
    bar.textContent = status.progress + " %";
    box.dataset.state = status.state;
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = status[el.dataset.field];
      el.textContent = value === null || value === undefined ? "" : value;
    });
    if (status.error_report && status.rejected > 0) { errors.hidden = false; }
    return status.state === "done" || status.state === "failed";
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status || !show(status)) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 1000); });
  }

  var first = document.getElementById(box.dataset.status);
  if (!first || !show(JSON.parse(first.textContent))) { window.setTimeout(poll, 1000); }
})();
