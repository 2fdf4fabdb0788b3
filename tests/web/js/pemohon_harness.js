// A stand-in DOM for records/static/pemohon.js: typing asks for suggestions (not under 3
// letters), suggestions are text (a name with markup stays text), a refusal is shown, choosing
// fills the panel and the hidden id, and typing a NIK afterwards drops the choice.
const fs = require("fs");
function el(tag) {
  const node = { tag, children: [], attrs: {}, listeners: {}, value: "", required: true, innerHTML: "",
    className: "", type: "", _text: "",
    getAttribute(n) { return this.attrs[n]; },
    appendChild(c) { this.children.push(c); return c; },
    addEventListener(kind, f) { this.listeners[kind] = f; },
    fire(kind) { this.listeners[kind]({ preventDefault() {} }); } };
  Object.defineProperty(node, "textContent", {
    get() { return this._text + this.children.map((c) => c.textContent).join(""); },
    set(v) { this._text = v; this.children = []; this.innerHTML = ""; } });
  return node;
}
const ids = { "cari-pemohon": el("form"), cari: el("input"), "saran-pemohon": el("ul"),
  "panel-pemohon": el("div"), penduduk_id: el("input"), nik: el("input") };
ids["cari-pemohon"].attrs = { "data-cari": "/dokumen/pemohon/cari", "data-pemohon": "/dokumen/pemohon/0",
  "data-kosong": "Tidak ada penduduk yang cocok." };
global.document = { getElementById: (id) => ids[id], createElement: el };
let timers = [];
global.window = { fetch: true, setTimeout: (f) => { timers.push(f); return timers.length; }, clearTimeout: () => { timers = []; } };
const asked = [];
const answers = {
  "/dokumen/pemohon/cari?q=siti": [true, { hasil: [{ id: 7, nama: "SITI <b>AMINAH</b>", nik: "640208●●●●●●0001", desa: "Loleng", rt_rw: "001/002" }] }],
  "/dokumen/pemohon/cari?q=6402": [false, { hasil: [], pesan: "Ketik sedikitnya 6 angka NIK." }],
  "/dokumen/pemohon/cari?q=zzz": [true, { hasil: [] }],
  "/dokumen/pemohon/7": [true, { id: 7, nama: "SITI", html: "<div id=\"pemohon-terpilih\">SITI</div>" }],
};
global.fetch = (url) => { asked.push(url); const [ok, data] = answers[url];
  return Promise.resolve({ ok, json: () => Promise.resolve(data) }); };
eval(fs.readFileSync(process.argv[2], "utf8"));
const flush = () => new Promise((r) => setTimeout(r, 0));
function type(text) { ids.cari.value = text; ids.cari.fire("input"); const t = timers.pop(); timers = []; if (t) t(); }
(async () => {
  const list = ids["saran-pemohon"];
  type("ab"); await flush();
  if (asked.length !== 0) throw "asked under 3 letters";
  type("siti"); await flush();
  if (asked[0] !== "/dokumen/pemohon/cari?q=siti") throw "wrong url " + asked[0];
  const button = list.children[0].children[0];
  if (button.textContent !== "SITI <b>AMINAH</b> · 640208●●●●●●0001 · Loleng · RT/RW 001/002") throw "suggestion " + button.textContent;
  if (button.innerHTML !== "") throw "markup was parsed";
  button.fire("click"); await flush(); await flush();
  if (ids["panel-pemohon"].innerHTML.indexOf("pemohon-terpilih") < 0) throw "panel not filled";
  if (ids.penduduk_id.value !== "7" || ids.nik.required) throw "choice not kept";
  type("6402"); await flush();
  if (list.textContent !== "Ketik sedikitnya 6 angka NIK.") throw "refusal not shown: " + list.textContent;
  type("zzz"); await flush();
  if (list.textContent !== "Tidak ada penduduk yang cocok.") throw "empty answer not said";
  ids.nik.value = "6402081803970003"; ids.nik.fire("input");
  if (ids.penduduk_id.value !== "" || ids["panel-pemohon"].textContent !== "" || !ids.nik.required) throw "NIK did not replace the choice";
  console.log("ok", asked.length, "requests");
})().catch((e) => { console.error(String(e)); process.exit(1); });
