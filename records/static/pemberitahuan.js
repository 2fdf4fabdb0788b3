// Banners of a public screen (the waiting-room TV): re-read every 15 s from /pemberitahuan.json,
// so a power cut shows without reloading the page. A failed read keeps what is shown.
(function () {
  "use strict";
  var box = document.getElementById("screen-notices");
  if (!box || !window.fetch) { return; }
  function show(notices) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    notices.forEach(function (notice) {
      var p = document.createElement("p");
      p.className = "screen-notice screen-notice-" + notice.level;
      p.textContent = notice.text;
      box.appendChild(p);
    });
  }
  function poll() {
    fetch(box.dataset.url, {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data.pemberitahuan || []); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 15000); });
  }
  window.setTimeout(poll, 15000);
})();
