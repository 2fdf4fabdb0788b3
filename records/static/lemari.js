/* Small progressive enhancements; no inline scripts (CSP), no external libraries. */
(function () {
  "use strict";
  var form = document.getElementById("batch-print");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var bar = form.querySelector(".lemari-progress");
    if (bar) { bar.hidden = false; }
    window.setTimeout(function () { if (bar) { bar.hidden = true; } }, 15000);
  });
}());
