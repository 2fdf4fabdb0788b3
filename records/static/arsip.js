/* Archive pages: live OCR job progress and "select all" for disposal lists.
   No inline scripts (CSP); no external libraries. */
(function () {
  "use strict";
  var all = document.querySelector(".lemari-check-all");
  if (all) {
    all.addEventListener("change", function () {
      var boxes = all.form.querySelectorAll("input[name=ids]");
      for (var i = 0; i < boxes.length; i += 1) { boxes[i].checked = all.checked; }
    });
  }
  var panel = document.getElementById("lemari-jobs");
  if (!panel) { return; }
  function render(data) {
    panel.querySelector(".lemari-jobs-bar").value = data.persen;
    Object.keys(data.counts).forEach(function (status) {
      var cell = panel.querySelector("[data-count=" + status + "]");
      if (cell) { cell.textContent = data.counts[status]; }
    });
    data.jobs.forEach(function (job) {
      var row = document.querySelector("tr[data-job='" + job.id + "']");
      if (!row) { return; }
      row.querySelector(".lemari-job-status").textContent = job.status;
      row.querySelector("progress").value = job.persen;
      row.querySelector(".lemari-job-message").textContent = job.pesan;
    });
    return data.counts.antri + data.counts.berjalan > 0;
  }
  function poll() {
    var request = new XMLHttpRequest();
    request.open("GET", panel.getAttribute("data-status-url"));
    request.onload = function () {
      if (request.status === 200 && render(JSON.parse(request.responseText))) {
        window.setTimeout(poll, 3000);
      }
    };
    request.send();
  }
  window.setTimeout(poll, 3000);
}());
