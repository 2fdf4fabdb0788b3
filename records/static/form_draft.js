/* Fill a form back in with what was typed before the session expired (records/form_drafts.py).
   Values are set as text, never as HTML; passwords and the form token were never kept. */
(function () {
  "use strict";
  var data = document.getElementById("lemari-draft");
  if (!data) { return; }
  var fields = JSON.parse(data.textContent);
  var filled = null;

  function restore(element, values) {
    var type = (element.type || "").toLowerCase();
    if (type === "file" || type === "password" || type === "submit" || type === "button") { return false; }
    if (type === "checkbox" || type === "radio") {
      element.checked = values.indexOf(element.value) !== -1;
      return true;
    }
    if (element.tagName === "SELECT") {
      Array.prototype.forEach.call(element.options, function (option) {
        option.selected = values.indexOf(option.value) !== -1;
      });
      return true;
    }
    element.value = values[0];
    return true;
  }

  Object.keys(fields).forEach(function (name) {
    var values = fields[name];
    var elements = document.getElementsByName(name);
    var textIndex = 0;
    Array.prototype.forEach.call(elements, function (element) {
      if (!element.form) { return; }
      var type = (element.type || "").toLowerCase();
      var several = type !== "checkbox" && type !== "radio" && element.tagName !== "SELECT";
      var own = several ? [values[textIndex++]] : values;
      if (own[0] === undefined) { return; }
      if (restore(element, own)) {
        filled = filled || element.form;
        element.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });

  if (filled) {
    var notice = document.createElement("div");
    notice.className = "alert alert-warning";
    notice.setAttribute("role", "status");
    notice.textContent = data.getAttribute("data-notice");
    filled.insertBefore(notice, filled.firstChild);
  }
}());
