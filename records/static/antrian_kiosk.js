/* Kiosk pages: go back to the service list after a while, and reload the list now and then
   so its form token never goes stale on a kiosk left open all day. No inline scripts. */
(function () {
  "use strict";
  var body = document.body;
  var back = body.getAttribute("data-return-url");
  var after = parseInt(body.getAttribute("data-return-ms"), 10);
  if (back && after > 0) {
    window.setTimeout(function () { window.location.assign(back); }, after);
  }
  var reload = parseInt(body.getAttribute("data-reload-ms"), 10);
  if (reload > 0) {
    window.setTimeout(function () { window.location.reload(); }, reload);
  }
}());
