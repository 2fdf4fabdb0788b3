/* TV display of the queue: polls the server, redraws, optionally speaks each call, turns the
   notice and poster slides. No library, no CDN. A failed poll (server restarting, cable out)
   is retried until the server answers again, so the display recovers by itself.
   Sound: the choice is kept in the browser (localStorage), so after a power cut the TV comes
   back speaking with nobody touching a mouse; the browser must allow speech without a click
   (Chromium: --autoplay-policy=no-user-gesture-required, docs/operations.md). Opening the page
   as /antrian/layar?suara=1 (or ?suara=0) sets the choice too. */
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-url");
  var pollMs = parseInt(body.getAttribute("data-poll-ms"), 10) || 1000;
  var etag = "";
  var lastCall = parseInt(body.getAttribute("data-last-call"), 10) || 0;
  var failures = 0;
  var speak = false;
  var shown = {};
  var SOUND_KEY = "lemari.layar.suara";
  var NBH = "\u2011";  /* non-breaking hyphen: "C‑001" never breaks into "C-" / "001" */

  function label(text) { return (text || "").split("-").join(NBH); }

  var DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"];

  function words(n) {
    /* Indonesian number words up to 999 ("seratus dua puluh tiga"). */
    if (n < 10) { return DIGITS[n]; }
    if (n === 10) { return "sepuluh"; }
    if (n === 11) { return "sebelas"; }
    if (n < 20) { return DIGITS[n - 10] + " belas"; }
    if (n < 100) { return DIGITS[Math.floor(n / 10)] + " puluh" + (n % 10 ? " " + DIGITS[n % 10] : ""); }
    var head = Math.floor(n / 100) === 1 ? "seratus" : DIGITS[Math.floor(n / 100)] + " ratus";
    return head + (n % 100 ? " " + words(n % 100) : "");
  }

  function announce(call) {
    if (!speak || !window.speechSynthesis) { return; }
    var parts = call.tiket.split("-");
    var text = "Nomor antrian, " + parts[0].split("").join(" ") + ", " + words(parseInt(parts[1], 10)) +
      ". Silakan menuju " + call.loket + ".";
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "id-ID";
    var voices = window.speechSynthesis.getVoices().filter(function (v) { return /^id/i.test(v.lang); });
    if (voices.length) { utterance.voice = voices[0]; }
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  }

  function setText(el, text) { if (el.textContent !== text) { el.textContent = text; } }

  function drawBoards(boards) {
    var holder = document.getElementById("board");
    boards.forEach(function (b, i) {
      var card = holder.children[i];
      if (!card) {
        card = document.createElement("div");
        card.className = "board-counter";
        ["board-name", "board-number", "board-service"].forEach(function (cls) {
          var d = document.createElement("div"); d.className = cls; card.appendChild(d);
        });
        holder.appendChild(card);
      }
      setText(card.children[0], b.loket);
      setText(card.children[1], label(b.tiket) || "—");
      setText(card.children[2], b.layanan || "");
      if (shown[b.loket] !== undefined && shown[b.loket] !== b.tiket && b.tiket) {
        card.classList.add("flash");
        window.setTimeout(function () { card.classList.remove("flash"); }, 4000);
      }
      shown[b.loket] = b.tiket;
    });
    while (holder.children.length > boards.length) { holder.removeChild(holder.lastChild); }
  }

  function drawList(id, items, text) {
    var list = document.getElementById(id);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) {
      var li = document.createElement("li"); li.textContent = text(item); list.appendChild(li);
    });
  }

  function draw(state) {
    drawBoards(state.loket);
    drawList("waiting", state.menunggu, function (w) { return w.layanan + ": " + w.jumlah; });
    var booked = document.getElementById("janji");
    if (booked && state.janji) {
      /* The day's appointments by time and the code's last characters only (j.kode is
         "…9XD", jadwal.board_code): no name, no NIK and never the whole code, which checks
         a booking in, reaches the TV. */
      drawList("janji", state.janji, function (j) {
        return j.jam + " · " + j.kode + (j.status === "hadir" ? " ✓" : "");
      });
      booked.parentNode.hidden = !state.janji.length;
    }
    var fresh = state.panggilan.filter(function (c) { return c.id > lastCall; });
    if (fresh.length) {
      drawList("calls", state.panggilan.slice(-4).reverse(), function (c) { return label(c.tiket) + " → " + c.loket; });
      fresh.forEach(announce);
      lastCall = fresh[fresh.length - 1].id;
    }
  }

  function status(ok) {
    var el = document.getElementById("display-status");
    el.classList.toggle("offline", !ok);
    setText(el, ok ? el.getAttribute("data-online") : el.getAttribute("data-offline"));
  }

  /* Long poll: the server holds an unchanged answer up to LONG_POLL_S seconds and answers as
     soon as a call is made; news is asked for again at once, a quick "nothing new" (a server
     that does not wait) after pollMs. */
  var LONG_POLL_S = 20;

  function schedule(wait) {
    window.setTimeout(poll, failures ? Math.min(5000, pollMs * (failures + 1)) : wait);
  }

  function poll() {
    var request = new XMLHttpRequest();
    var started = Date.now();
    request.open("GET", url + "?sejak=" + lastCall + "&tunggu=" + LONG_POLL_S, true);
    if (etag) { request.setRequestHeader("If-None-Match", etag); }
    request.timeout = (LONG_POLL_S + 10) * 1000;
    request.onload = function () {
      if (request.status === 200) {
        etag = request.getResponseHeader("ETag") || "";
        draw(JSON.parse(request.responseText));
      }
      failures = (request.status === 200 || request.status === 304) ? 0 : failures + 1;
      status(failures === 0);
      var quick = Date.now() - started < pollMs / 2;
      schedule(request.status === 200 ? 50 : (quick ? pollMs : 0));
    };
    request.onerror = request.ontimeout = function () { failures += 1; status(false); schedule(pollMs); };
    request.send();
  }

  function stored() {
    try { return window.localStorage.getItem(SOUND_KEY); } catch (e) { return null; }
  }

  function store(on) {
    try { window.localStorage.setItem(SOUND_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  var button = document.getElementById("sound");

  function setSound(on) {
    speak = on && !!window.speechSynthesis;
    store(on);
    if (button) {
      button.textContent = speak ? button.getAttribute("data-on") : button.getAttribute("data-off");
      button.classList.toggle("on", speak);
    }
    if (speak) {
      window.speechSynthesis.getVoices();  /* loads the voice list before the first call */
      window.speechSynthesis.resume();
    }
  }

  if (button) {
    if (!window.speechSynthesis) { button.hidden = true; }
    button.addEventListener("click", function () { setSound(!speak); });
  }
  var asked = /[?&]suara=([01])/.exec((window.location && window.location.search) || "");
  setSound(asked ? asked[1] === "1" : stored() === "1");
  /* A browser without the autoplay flag refuses speech until a gesture: any key of a remote
     control or keyboard, or a touch, re-arms it (the choice itself is already kept). */
  ["keydown", "pointerdown"].forEach(function (name) {
    if (!document.addEventListener) { return; }
    document.addEventListener(name, function () {
      if (speak && window.speechSynthesis) { window.speechSynthesis.resume(); }
    });
  });

  /* Notices and posters beside the queue, one after another. */
  var slides = document.querySelectorAll("#slides .slide-card");
  var slideSeconds = parseInt(body.getAttribute("data-slide-seconds"), 10) || 12;
  var current = 0;
  if (slides.length > 1) {
    window.setInterval(function () {
      slides[current].classList.remove("active");
      current = (current + 1) % slides.length;
      slides[current].classList.add("active");
    }, slideSeconds * 1000);
  }
  /* Reload now and then so newly published slides appear and expired ones go; never in the
     middle of an announcement. */
  var reload = parseInt(body.getAttribute("data-reload"), 10) || 0;
  if (reload > 0) {
    window.setInterval(function () {
      if (!(window.speechSynthesis && window.speechSynthesis.speaking) && failures === 0) {
        window.location.reload();
      }
    }, reload * 1000);
  }

  document.querySelectorAll("#board .board-counter").forEach(function (card) {
    var text = card.children[1].textContent.split(NBH).join("-");
    shown[card.children[0].textContent] = text === "—" ? "" : text;
  });
  schedule(pollMs);
}());
