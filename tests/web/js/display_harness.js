// A stand-in DOM for records/static/antrian_layar.js: the display polls, redraws, shows that it
// lost the server, backs off at most 5 s and recovers by itself when the server is back.
const fs = require("fs");
function el(tag) { return { tag, children: [], classList: { s: new Set(), add(c){this.s.add(c)}, remove(c){this.s.delete(c)}, toggle(c,on){on?this.s.add(c):this.s.delete(c)} },
  attrs: {}, textContent: "", hidden: false, getAttribute(n){return this.attrs[n]}, appendChild(c){this.children.push(c); return c}, get firstChild(){return this.children[0]},
  get lastChild(){return this.children[this.children.length-1]}, removeChild(c){this.children.splice(this.children.indexOf(c),1)}, addEventListener(){}, set className(v){this._c=v}, get className(){return this._c} }; }
const ids = { board: el("main"), calls: el("ul"), waiting: el("ul"), "display-status": el("span"), sound: el("button") };
ids["display-status"].attrs = { "data-online": "Terhubung", "data-offline": "Menyambung ulang…" };
global.document = { body: { getAttribute: (n) => ({ "data-url": "/antrian/layar/data", "data-poll-ms": "1000", "data-last-call": "0" })[n] },
  getElementById: (id) => ids[id], createElement: el, querySelectorAll: () => [] };
let timers = []; global.window = { setTimeout: (f, ms) => timers.push([ms, f]), speechSynthesis: null };
let server = "up", version = 1, requests = [];
const state = () => JSON.stringify({ loket: [{ loket: "Loket 1", tiket: version > 1 ? "A-001" : "", layanan: "KTP-el" }],
  menunggu: [{ layanan: "KTP-el", jumlah: 0 }], panggilan: version > 1 ? [{ id: 1, tiket: "A-001", loket: "Loket 1" }] : [] });
global.XMLHttpRequest = function () { this.headers = {}; };
XMLHttpRequest.prototype.open = function (m, u) { this.url = u; };
XMLHttpRequest.prototype.setRequestHeader = function (k, v) { this.headers[k] = v; };
XMLHttpRequest.prototype.getResponseHeader = function () { return '"' + version + '"'; };
XMLHttpRequest.prototype.send = function () {
  requests.push(this.url);
  if (server === "down") { this.onerror(); return; }
  if (this.headers["If-None-Match"] === '"' + version + '"') { this.status = 304; } else { this.status = 200; this.responseText = state(); }
  this.onload();
};
eval(fs.readFileSync(process.argv[2], "utf8"));
function tick(n) { for (let i = 0; i < n; i++) { const t = timers.shift(); if (t) t[1](); } }
tick(1); if (ids.board.children[0].children[1].textContent !== "—") throw "initial";
server = "down"; tick(3);
if (ids["display-status"].textContent !== "Menyambung ulang…") throw "offline status";
const waits = timers.map(t => t[0]); if (Math.max(...waits) > 5000) throw "backoff too long";
server = "up"; version = 2; tick(1);
if (ids.board.children[0].children[1].textContent !== "A\u2011001") throw "no recovery: " + ids.board.children[0].children[1].textContent;
if (ids["display-status"].textContent !== "Terhubung") throw "online status";
if (ids.calls.children[0].textContent !== "A\u2011001 → Loket 1") throw "calls list";
if (!requests.every(u => /[?&]tunggu=\d+/.test(u))) throw "the display does not long-poll: " + requests[0];
console.log("ok", requests.length, "requests");
