/* Waiting-room TV: show the notice and poster slides one after another; reload the page now
   and then so newly published ones appear and expired ones go. No inline script (CSP). */
(function () {
  "use strict";
  var box = document.getElementById("layar");
  if (!box) { return; }
  var slides = box.querySelectorAll(".slide-card");
  var seconds = parseInt(box.getAttribute("data-seconds"), 10) || 12;
  var reload = parseInt(box.getAttribute("data-reload"), 10) || 600;
  var current = 0;
  if (slides.length > 1) {
    window.setInterval(function () {
      slides[current].classList.remove("active");
      current = (current + 1) % slides.length;
      slides[current].classList.add("active");
    }, seconds * 1000);
  }
  window.setTimeout(function () { window.location.reload(); }, reload * 1000);
}());
