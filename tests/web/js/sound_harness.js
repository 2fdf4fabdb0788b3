// After a power cut the TV page loads again with nobody at a mouse: the sound choice kept in
// localStorage is back on, and the next call is spoken without a click. Stand-in DOM and
// speech engine for records/static/antrian_layar.js (argv[3]: what localStorage holds).
const fs = require("fs");
function el(tag) { return { tag, children: [], classList: { s: new Set(), add(c){this.s.add(c)}, remove(c){this.s.delete(c)}, toggle(c,on){on?this.s.add(c):this.s.delete(c)} },
  attrs: {}, textContent: "", hidden: false, getAttribute(n){return this.attrs[n]}, appendChild(c){this.children.push(c); return c}, get firstChild(){return this.children[0]},
  get lastChild(){return this.children[this.children.length-1]}, removeChild(c){this.children.splice(this.children.indexOf(c),1)}, addEventListener(){}, set className(v){this._c=v}, get className(){return this._c} }; }
const ids = { board: el("main"), calls: el("ul"), waiting: el("ul"), "display-status": el("span"), sound: el("button") };
ids.sound.attrs = { "data-on": "Suara: aktif", "data-off": "Aktifkan suara" };
global.document = { body: { getAttribute: (n) => ({ "data-url": "/antrian/layar/data", "data-poll-ms": "1000", "data-last-call": "0" })[n] },
  getElementById: (id) => ids[id], createElement: el, querySelectorAll: () => [], addEventListener() {} };
const spoken = [];
const saved = { "lemari.layar.suara": process.argv[3] };
let timers = [];
global.window = { setTimeout: (f, ms) => timers.push([ms, f]), setInterval() {}, location: { search: "" },
  localStorage: { getItem: (k) => (k in saved && saved[k] !== "none" ? saved[k] : null), setItem: (k, v) => { saved[k] = v; } },
  SpeechSynthesisUtterance: function (text) { this.text = text; },
  speechSynthesis: { getVoices: () => [], resume() {}, speak: (u) => spoken.push(u.text), speaking: false } };
global.XMLHttpRequest = function () { this.headers = {}; };
XMLHttpRequest.prototype.open = function () {};
XMLHttpRequest.prototype.setRequestHeader = function () {};
XMLHttpRequest.prototype.getResponseHeader = function () { return '"2"'; };
XMLHttpRequest.prototype.send = function () {
  this.status = 200;
  this.responseText = JSON.stringify({ loket: [{ loket: "Loket 1", tiket: "B-012", layanan: "KK" }],
    menunggu: [], panggilan: [{ id: 7, tiket: "B-012", loket: "Loket 1" }] });
  this.onload();
};
eval(fs.readFileSync(process.argv[2], "utf8"));
timers.shift()[1]();
console.log(JSON.stringify({ button: ids.sound.textContent, spoken }));
