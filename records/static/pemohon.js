/* Find the applicant while typing (the intake form, records/views/records.py).
   Without this script the same search works as a plain GET form and links. Suggestions are
   set as text, never as HTML; the chosen resident's panel is HTML rendered (and escaped) by
   the server. Every answer that shows a resident is audited on the server. */
(function () {
  "use strict";
  var box = document.getElementById("cari-pemohon");
  if (!box || !window.fetch) { return; }
  var input = document.getElementById("cari");
  var list = document.getElementById("saran-pemohon");
  var panel = document.getElementById("panel-pemohon");
  var chosen = document.getElementById("penduduk_id");
  var nik = document.getElementById("nik");
  var timer = null;
  var asked = 0;

  function getJson(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      });
  }

  function line(text, className) {
    var item = document.createElement("li");
    item.textContent = text;
    if (className) { item.className = className; }
    list.appendChild(item);
    return item;
  }

  function show(answer) {
    list.textContent = "";
    if (!answer.ok) { line(answer.data.pesan || "", "text-danger"); return; }
    if (!answer.data.hasil.length) { line(box.getAttribute("data-kosong"), "text-muted"); return; }
    answer.data.hasil.forEach(function (person) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link";
      button.textContent = [person.nama, person.nik, person.desa].join(" · ") +
        (person.rt_rw ? " · RT/RW " + person.rt_rw : "");
      button.addEventListener("click", function () { choose(person.id); });
      line("").appendChild(button);
    });
  }

  function suggest() {
    var text = input.value.trim();
    if (text.length < 3) { list.textContent = ""; return; }
    var mine = ++asked;
    getJson(box.getAttribute("data-cari") + "?q=" + encodeURIComponent(text)).then(function (answer) {
      if (mine === asked) { show(answer); }  // an older, slower answer never overwrites a newer one
    });
  }

  function choose(id) {
    var url = box.getAttribute("data-pemohon").replace(/0$/, String(id));
    getJson(url).then(function (answer) {
      if (!answer.ok) { list.textContent = ""; line(answer.data.pesan || "", "text-danger"); return; }
      panel.innerHTML = answer.data.html;  // the server's own escaped template
      chosen.value = String(answer.data.id);
      if (nik) { nik.required = false; nik.value = ""; }
      list.textContent = "";
    });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, 300);
  });
  box.addEventListener("submit", function (event) { event.preventDefault(); suggest(); });
  if (nik) {
    nik.addEventListener("input", function () {  // typing a NIK replaces the chosen resident
      if (nik.value.trim() && chosen.value) { chosen.value = ""; panel.textContent = ""; nik.required = true; }
    });
  }
}());
