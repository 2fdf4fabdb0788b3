"""`lemari bench queue`: the front office under a morning's load, on a real server on loopback.

Per database engine (SQLite file, PostgreSQL throw-away database) it builds a demo office in a
temporary folder, starts `lemari serve` itself in a separate process (`--workers`: by default
the front office, main workers sized to the cores and the job consumer; 1: one waitress
process, the layout before issue 17) and drives it over HTTP, at `speed` times real time:

* a kiosk takes `tickets_per_hour` tickets (15 % priority) spread over the services;
* `counters` clerks call next, serve for 1.6 min on average (0.5–1.5 ×) and call again;
* `displays` TV clients long-poll /antrian/layar/data (`tunggu`) with If-None-Match, as the
  page's script does; a call counts as shown when a display first receives it;
* `clerks` other clerks search the archive (/cari) every 1–3 minutes and every fourth time
  take a request through the whole workflow (intake with receipt, verify, the Camat signs,
  issue with PDF and signature, hand over), each clerk for residents of its own share.

Reported: errors (target 0: any status other than the expected one, or a failed connection),
p95 call-next latency (target ≤ 100 ms), p95 display latency from the call's response to the
display receiving it (target ≤ 1 s), and as references measured in the same run: call-next
on the idle server before the load, GET /health under the load (answered by a main worker),
the CPU seconds of the server's processes, how busy the whole machine was and its load
average (the machine may be shared: the load says how much else ran).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"errors": ("≤", 0), "call_next_p95_ms": ("≤", 100.0), "display_p95_ms": ("≤", 1000.0)}
#: The TV's long poll, as records/static/antrian_layar.js asks it.
LONG_POLL_S = 20
PASSWORD = "Demo#KotaBangun2026"
SERVICES = (("sk_domisili", 5), ("ktp_el", 4), ("kk", 3), ("sktm", 2), ("skck", 2), ("sk_usaha", 1),
            ("nikah", 1), ("pindah", 1))
SEARCHES = ("domisili", "loleng", "surat keterangan", "pela", "kartu keluarga", "ktp", "muhuran",
            "sktm", "jenis:sk_domisili_penduduk", "desa:loleng")
SERVICE_MINUTES = 1.6
DEFAULT_PG = os.environ.get("LEMARI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


# ----------------------------------------------------------------------------- HTTP client

class Browser:
    """One user's keep-alive connection with its session cookie (stdlib only)."""

    def __init__(self, port: int, stats: Stats):
        self.port, self.stats, self.cookie, self.conn = port, stats, "", None

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None,
                expect: tuple[int, ...] = (200, 302)) -> tuple[int, dict, bytes, float]:
        body = urllib.parse.urlencode(data or {}, doseq=True) if data is not None else None
        sent = {"Cookie": self.cookie, **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            status, reply, content = self._send(method, path, body, sent)
        except (OSError, http.client.HTTPException) as exc:
            self.conn = None
            self.stats.error(f"{method} {path}: {type(exc).__name__}: {exc}")
            return 0, {}, b"", time.perf_counter() - started
        elapsed = time.perf_counter() - started
        cookie = reply.get("set-cookie", "")
        if cookie.startswith("session="):
            self.cookie = cookie.split(";", 1)[0]
        if status not in expect:
            self.stats.error(f"{method} {path}: HTTP {status}{_why(content)}")
        return status, reply, content, elapsed

    def _send(self, method, path, body, headers):
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn = None  # keep-alive closed by the server: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def login(self, username: str) -> None:
        self.request("GET", "/login/")
        status, headers, _, _ = self.request("POST", "/login/", {"username": username, "password": PASSWORD})
        if status != 302 or "/login" in headers.get("location", ""):
            raise RuntimeError(f"login of {username} failed: {status} {headers.get('location', '')}")


def _why(page: bytes) -> str:
    """The first form error or danger flash of a refused page, to name the error."""
    import re

    found = re.search(rb'(?:invalid-feedback|alert-danger|text-danger)[^>]*>\s*([^<]{3,160})', page)
    return f" ({found.group(1).decode(errors='replace').strip()})" if found else ""


class Stats:
    """Latencies and errors from every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.calls: dict[tuple[str, str], float] = {}
        self.shown: dict[tuple[str, str], float] = {}
        self.counts: dict[str, int] = {}
        self.called: list[str] = []

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            self.samples.setdefault(name, []).append(seconds * 1000)

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def summary(self, name: str) -> dict:
        values = sorted(self.samples.get(name, []))
        if not values:
            return {"n": 0}
        return {"n": len(values), "p50": round(statistics.median(values), 1),
                "p95": round(values[min(len(values) - 1, int(len(values) * 0.95))], 1),
                "max": round(values[-1], 1)}


# ----------------------------------------------------------------------------- the office

def prepare(home: Path, url: str, counters: int) -> None:
    """Init + demo office + queue setup with `counters` counters (what `lemari init/demo` do)."""
    sys.path.insert(0, str(REPO))
    from records.antrian import services as antrian
    from records.antrian.models import Loket
    from records.demo_data import DESA, generate_population
    from records.extensions import db, lemari
    from records.services.setup import catalogue, initialise, load_demo

    app = _app(home, url)
    with app.app_context():
        ext = lemari()
        initialise(session=db.session, engine=db.engine, sm=app.appbuilder.sm, appbuilder=app.appbuilder,
                   registry=ext.registry, menu_permissions=ext.menu_permissions, pm=ext.pm)
        load_demo(session=db.session, sm=app.appbuilder.sm, population=generate_population(), desa=DESA,
                  force_password_change=False)
        antrian.ensure_setup(db.session, [s["code"] for s in catalogue()["layanan"]])
        for index in range(4, counters + 1):
            db.session.add(Loket(nama=f"Loket {index}", layanan=""))
        db.session.commit()
    ext.close()


def _app(home: Path, url: str):
    from records.app import create_app

    return create_app({"HOME": str(home), "DATABASE_URL": url, "LOG_LEVEL": "ERROR",
                       "WTF_CSRF_ENABLED": False, "KIOSK_TICKETS_PER_MINUTE": 100000,
                       # all simulated clerks and counters log in from 127.0.0.1
                       "LOGIN_RATE_LIMIT": "10000 per minute"})


#: What the served processes read from the office's config file (every process of `lemari
#: serve` reads it; environment strings cannot say False for a key config.py lacks).
BENCH_CONFIG = """LOG_LEVEL = "ERROR"
WTF_CSRF_ENABLED = False
KIOSK_TICKETS_PER_MINUTE = 100000
LOGIN_RATE_LIMIT = "10000 per minute"  # all simulated clerks and counters log in from 127.0.0.1
"""


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(home: Path, url: str, workers: int):
    """`lemari serve` itself in a process of its own (front office, `workers` main workers and
    the job consumer; workers=1: one waitress process, as before issue 17), when /health answers."""
    import subprocess

    port = _free_port()
    env = {**os.environ, "LEMARI_HOME": str(home), "LEMARI_DATABASE_URL": url,
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, "-m", "records.console", "serve", "--port", str(port),
                                "--workers", str(workers)], env=env, cwd=str(REPO),
                               stdout=subprocess.DEVNULL, stderr=open(home / "serve.log", "wb"))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lemari serve stopped at start (exit {process.returncode}): "
                               + (home / "serve.log").read_text(errors="replace")[-2000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return process, port
        except (OSError, http.client.HTTPException):
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start")


def stop_server(process) -> None:
    """SIGTERM (the clean stop), then SIGKILL after a minute."""
    import subprocess

    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ----------------------------------------------------------------------------- CPU and load

def _ticks(path: str) -> int:
    with open(path) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime of the process


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and every living descendant (Linux /proc)."""
    if not os.path.isdir("/proc"):
        return 0.0
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            total += _ticks(f"/proc/{pid}/stat")
        except OSError:
            continue
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot (/proc/stat), to diff over a phase."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class Meter:
    """CPU of the server's processes, of the whole machine, and the load average over a phase."""

    def __init__(self, pid: int):
        self.pid, self.cpu, self.busy = pid, tree_cpu_seconds(pid), machine_busy()
        self.wall = time.monotonic()
        self.load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    def result(self) -> dict:
        wall = time.monotonic() - self.wall
        busy, total = machine_busy()
        share = (busy - self.busy[0]) / max(1, total - self.busy[1])
        return {"server_cpu_s": round(tree_cpu_seconds(self.pid) - self.cpu, 1), "wall_s": round(wall, 1),
                "machine_busy_pct": round(100 * share, 1),
                "load_before": self.load_before,
                "load_after": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


# ----------------------------------------------------------------------------- the load

def kiosk(port, stats, stop, interval, rng):
    browser = Browser(port, stats)
    names = [code for code, weight in SERVICES for _ in range(weight)]
    next_at = time.perf_counter()
    while not stop.is_set():
        code = rng.choice(names)
        reason = rng.choice(["lansia", "disabilitas", "hamil"]) if rng.random() < 0.15 else ""
        status, _, _, elapsed = browser.request("POST", f"/antrian/ambil/{code}", {"prioritas": reason},
                                                expect=(302,))
        stats.add("kiosk", elapsed)
        stats.count("tickets")
        next_at += rng.expovariate(1 / interval)
        stop.wait(max(0, next_at - time.perf_counter()))


def counter(browser, stats, stop, loket_id, speed, rng):
    while not stop.is_set():
        status, _, body, elapsed = browser.request("POST", f"/antrian/loket/{loket_id}/panggil",
                                                   headers={"Accept": "application/json"}, expect=(200,))
        stats.add("call_next", elapsed)
        ticket = json.loads(body).get("tiket") if status == 200 else None
        if ticket:
            with stats.lock:
                stats.calls[(ticket, f"Loket {loket_id}")] = time.perf_counter()
                stats.called.append(ticket)
            stats.count("called")
            stop.wait(SERVICE_MINUTES * 60 / speed * rng.uniform(0.5, 1.5))
        else:
            stop.wait(30 / speed)


def display(port, stats, stop, poll_s):
    """The TV page's script: a long poll (`tunggu`), asked again at once after news."""
    watch_display(Browser(port, stats), stats, stop, poll_s)


def watch_display(browser, stats, stop, poll_s):
    """`display` on a given browser (the kabupaten bench's carries its kecamatan's prefix)."""
    etag, since = "", 0
    while not stop.is_set():
        headers = {"If-None-Match": etag} if etag else {}
        status, reply, body, elapsed = browser.request("GET", f"/antrian/layar/data?sejak={since}"
                                                       f"&tunggu={LONG_POLL_S}",
                                                       headers=headers, expect=(200, 304))
        stats.add("display_poll", elapsed)
        if status == 200:
            etag, received = reply.get("etag", ""), time.perf_counter()
            for call in json.loads(body)["panggilan"]:
                since = max(since, call["id"])
                key = (call["tiket"], call["loket"])
                with stats.lock:
                    if key in stats.calls and key not in stats.shown:
                        stats.shown[key] = received
            stop.wait(0.05)
        elif elapsed < poll_s / 2:
            stop.wait(poll_s)  # a server that does not hold the request: poll as before


def clerk(browser, camat, stats, stop, speed, rng, niks):
    """`niks`: (this clerk's own residents, the requirements): no two clerks take a request
    for the same resident, as no two desks serve the same citizen at once."""
    turn = 0
    while not stop.is_set():
        query = urllib.parse.quote(rng.choice(SEARCHES))
        _, _, _, elapsed = browser.request("GET", f"/cari/?q={query}", expect=(200,))
        stats.add("search", elapsed)
        turn += 1
        if turn % 4 == 0:
            issue_letter(browser, camat, stats, rng.choice(niks[0]), niks[1])
        stop.wait(rng.uniform(60, 180) / speed)


def residents_of(clerk_index: int, clerks: int, niks: list[str]) -> list[str]:
    """Clerk `clerk_index`'s share of the residents (every `clerks`-th one): disjoint shares."""
    return niks[clerk_index::clerks] or niks


def issue_letter(browser: Browser, camat: Browser, stats: Stats, nik: str, received: list[str]) -> None:
    """One request from intake to hand-over, each step as the clerk clicks it (every
    requirement ticked as brought; a second request of the same resident confirmed)."""
    started = time.perf_counter()
    status, headers, _, _ = browser.request("POST", "/dokumen/permohonan/sk_domisili",
                                            {"nik": nik, "keperluan": "Beban uji antrian",
                                             "persyaratan": received, "tetap_buat": "1"}, expect=(302,))
    if status != 302:
        return
    record = headers["location"].rstrip("/").rsplit("/", 1)[1]
    for who, step in ((browser, "verifikasi"), (camat, "tandatangani"), (browser, "terbitkan"),
                      (browser, "serahkan")):
        who.request("POST", f"/dokumen/{record}/langkah/{step}", {"kertas": "A4"}, expect=(302,))
    stats.add("issue_flow", time.perf_counter() - started)
    _, _, page, _ = browser.request("GET", f"/dokumen/{record}", expect=(200,))
    if b"lemari-state-diserahkan" not in page:  # a refused step answers 302 with a flash
        stats.error(f"request {record} did not reach diserahkan")
    stats.count("issued")


def _logged_in(port: int, stats: Stats, username: str) -> Browser:
    browser = Browser(port, stats)
    browser.login(username)
    return browser


def health(port, stats, stop):
    browser = Browser(port, stats)
    while not stop.is_set():
        _, _, _, elapsed = browser.request("GET", "/health", expect=(200,))
        stats.add("health", elapsed)
        stop.wait(0.5)


def idle_reference(port: int, stats: Stats, n: int = 30) -> None:
    """call-next on the idle server (a ticket waiting each time): the no-load reference."""
    browser = Browser(port, stats)
    browser.login("petugas")
    for _ in range(n):
        browser.request("POST", "/antrian/ambil/sk_domisili", {"prioritas": ""}, expect=(302,))
        _, _, _, elapsed = browser.request("POST", "/antrian/loket/1/panggil",
                                           headers={"Accept": "application/json"}, expect=(200,))
        stats.add("idle_call_next", elapsed)
    browser.request("POST", "/antrian/loket/1/aksi/selesai", headers={"Accept": "application/json"},
                    expect=(200,))


def warm_up(port: int, stats: Stats) -> None:
    """Open the search index and start the render worker before the clock runs."""
    browser = Browser(port, stats)
    browser.login("petugas")
    browser.request("GET", "/cari/?q=domisili", expect=(200,))
    browser.request("GET", "/antrian/layar", expect=(200,))
    _, headers, _, _ = browser.request("POST", "/antrian/ambil/kk", {"prioritas": ""}, expect=(302,))
    code = headers["location"].split("/antrian/tiket/")[1].split("?")[0]
    browser.request("GET", f"/antrian/tiket/{code}/cetak?lebar=58", expect=(200,))  # render worker up


def load(port: int, settings: dict, niks: tuple[list[str], list[str]], log, server_pid: int) -> dict:
    """Warm up, the idle reference, a queue-only phase (reference), then the full load."""
    stats = Stats()
    warm_up(port, stats)
    idle_reference(port, stats)
    log("  logging in the clerks (before the clock starts, as at 07:30)")
    desks = [_logged_in(port, stats, "petugas") for _ in range(settings["counters"])]
    clerks = [(_logged_in(port, stats, "petugas"), _logged_in(port, stats, "camat"))
              for _ in range(settings["clerks"])]
    quiet = Stats()
    meter = Meter(server_pid)
    phase(port, quiet, settings, desks, [], niks, settings["minutes"] / 3, log, "queue only")
    quiet_cpu = meter.result()
    meter = Meter(server_pid)
    phase(port, stats, settings, desks, clerks, niks, settings["minutes"], log, "full load")
    result = _result(stats)
    result["cpu"] = meter.result()
    result["queue_only"] = {k: v for k, v in _result(quiet).items()
                            if k in ("errors", "call_next", "display_latency", "counts")}
    result["queue_only"]["cpu"] = quiet_cpu
    return result


def phase(port, stats, settings, desks, clerks, niks, minutes, log, name) -> None:
    """Run every client thread for `minutes` simulated minutes."""
    stop, rng = threading.Event(), random.Random(settings["seed"])
    speed = settings["speed"]
    interval = 3600 / settings["tickets_per_hour"] / speed
    threads = [threading.Thread(target=kiosk,
                                args=(port, stats, stop, interval, random.Random(rng.random())))]
    threads += [threading.Thread(target=counter,
                                 args=(desk, stats, stop, i + 1, speed, random.Random(rng.random())))
                for i, desk in enumerate(desks)]
    threads += [threading.Thread(target=display, args=(port, stats, stop, 1.0))
                for _ in range(settings["displays"])]
    threads += [threading.Thread(target=clerk,
                                 args=(*pair, stats, stop, speed, random.Random(rng.random()),
                                       (residents_of(i, len(clerks), niks[0]), niks[1])))
                for i, pair in enumerate(clerks)]
    threads.append(threading.Thread(target=health, args=(port, stats, stop)))
    seconds = minutes * 60 / speed
    log(f"  {name}: {seconds:.0f} s ({minutes:g} simulated minutes at {speed:g}×)")
    for thread in threads:
        thread.daemon = True
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    time.sleep(1.5)  # last polls


def _result(stats: Stats) -> dict:
    latencies = [(stats.shown[k] - t) * 1000 for k, t in stats.calls.items() if k in stats.shown]
    missed = len(stats.calls) - len(latencies)
    stats.samples["display_latency"] = latencies
    kinds: dict[str, int] = {}
    for message in stats.errors:
        kinds[message] = kinds.get(message, 0) + 1
    return {"errors": len(stats.errors), "error_samples": stats.errors[:10], "error_kinds": kinds,
            "counts": dict(stats.counts), "calls_not_shown": missed,
            "called_twice": len(stats.called) - len(set(stats.called)),
            **{name: stats.summary(name) for name in ("call_next", "display_latency", "display_poll",
                                                      "kiosk", "search", "issue_flow", "health",
                                                      "idle_call_next")}}


# ----------------------------------------------------------------------------- engines

def _pg_database(admin_url: str):
    import sqlalchemy

    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"lemari_bench_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def run_engine(engine: str, settings: dict, log) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"lemari-queue-{engine}-"))
    drop = None
    try:
        url = ""
        if engine == "postgresql":
            try:
                url, drop = _pg_database(settings["pg_url"])
            except Exception as exc:  # noqa: BLE001 — reported, not raised: SQLite still runs
                return {"skipped": f"PostgreSQL unreachable: {type(exc).__name__}"}
        log(f"{engine}: preparing the demo office")
        (home / "config.py").write_text(BENCH_CONFIG, encoding="utf-8")
        prepare(home, url, settings["counters"])
        niks = _niks(home, url)
        process, port = start_server(home, url, settings["workers"])
        try:
            log(f"{engine}: lemari serve --workers {settings['workers']} on 127.0.0.1:{port}")
            result = load(port, settings, niks, log, process.pid)
        finally:
            stop_server(process)
        result["server_errors"] = _server_errors(home / "serve.log")
        return result
    finally:
        if drop:
            drop()
        shutil.rmtree(home, ignore_errors=True)


def _server_errors(path: Path) -> list[str]:
    """The server's logged errors (event and last line of the traceback), for the report."""
    found = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") in ("ERROR", "CRITICAL"):
            lines = [line for line in (entry.get("exc") or "").strip().splitlines()
                     if line and not line.startswith(("(Background", "[SQL", "[parameters", " "))]
            found.append(f"{entry.get('event')}: {lines[-1] if lines else ''}")
    return found


def _niks(home: Path, url: str) -> tuple[list[str], list[str]]:
    """Residents the clerks take requests for, and the requirements of sk_domisili."""
    from sqlalchemy import select

    from records.extensions import db
    from records.models import Layanan, Penduduk
    from records.services import persyaratan

    app = _app(home, url)
    with app.app_context():
        return (list(db.session.scalars(select(Penduduk.nik).limit(200))),
                persyaratan.names(db.session.get(Layanan, "sk_domisili").persyaratan))


def run(minutes: float = 60, speed: float = 50, engines=("sqlite", "postgresql"), pg_url: str = DEFAULT_PG,
        counters: int = 10, displays: int = 2, clerks: int = 20, tickets_per_hour: int = 300,
        seed: int = 7, workers: int = 0, log: Callable[[str], None] = lambda line: None) -> dict:
    """The whole benchmark; a JSON-able dict. workers: `lemari serve --workers` (0: its
    default, sized to the cores; 1: one waitress process, the layout before issue 17)."""
    settings = {"minutes": minutes, "speed": speed, "counters": counters, "displays": displays,
                "clerks": clerks, "tickets_per_hour": tickets_per_hour, "seed": seed, "pg_url": pg_url,
                "workers": workers}
    started = time.perf_counter()
    results = {"settings": {k: v for k, v in settings.items() if k != "pg_url"}, "machine": _machine(),
               "engines": {engine: run_engine(engine, settings, log) for engine in engines}}
    for result in results["engines"].values():
        if "skipped" not in result:
            values = {"errors": result["errors"], "call_next_p95_ms": result["call_next"].get("p95"),
                      "display_p95_ms": result["display_latency"].get("p95")}
            result["targets"] = {k: {"value": v, "target": f"{TARGETS[k][0]} {TARGETS[k][1]:g}",
                                     "met": None if v is None else v <= TARGETS[k][1]}
                                 for k, v in values.items()}
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results


def _machine() -> dict:
    import platform

    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def _ms(summary: dict) -> str:
    if not summary.get("n"):
        return "–"
    return f"p95 {summary['p95']:g} ms (p50 {summary['p50']:g}, max {summary['max']:g}; n={summary['n']})"


def _cpu(cpu: dict) -> str:
    load = "–" if cpu.get("load_before") is None else f"{cpu['load_before']:.1f} → {cpu['load_after']:.1f}"
    return (f"server {cpu['server_cpu_s']:g} CPU-s in {cpu['wall_s']:g} s; machine busy "
            f"{cpu['machine_busy_pct']:g} %; load {load}")


def _yes(met) -> str:
    return "n/a" if met is None else ("yes" if met else "NO")


def format_table(results: dict) -> str:
    """Markdown: one block of rows per engine (what docs/benchmarks.md shows)."""
    lines = ["| Engine | Metric | Measured | Target | Met |", "|---|---|---|---|---|"]
    for engine, r in results["engines"].items():
        if "skipped" in r:
            lines.append(f"| {engine} | — | skipped: {r['skipped']} | | |")
            continue
        t, c = r["targets"], r["counts"]
        lines += [
            f"| {engine} | Errors (all clients) | {r['errors']} | 0 | {_yes(t['errors']['met'])} |",
            f"| {engine} | Call next, under load | {_ms(r['call_next'])} | ≤ 100 ms "
            f"| {_yes(t['call_next_p95_ms']['met'])} |",
            f"| {engine} | Display shows a call | {_ms(r['display_latency'])}; "
            f"not shown {r['calls_not_shown']} "
            f"| ≤ 1000 ms | {_yes(t['display_p95_ms']['met'])} |",
            f"| {engine} | Call next, idle server | {_ms(r['idle_call_next'])} | reference | |",
            f"| {engine} | Call next, queue only (no clerks) | {_ms(r['queue_only']['call_next'])} "
            "| reference | |",
            f"| {engine} | Display, queue only (no clerks) | {_ms(r['queue_only']['display_latency'])} "
            "| reference | |",
            f"| {engine} | GET /health, under load | {_ms(r['health'])} | reference | |",
            f"| {engine} | CPU, full load | {_cpu(r['cpu'])} | saturated | |",
            f"| {engine} | CPU, queue only | {_cpu(r['queue_only']['cpu'])} | reference | |",
            f"| {engine} | Kiosk ticket (POST) | {_ms(r['kiosk'])} | | |",
            f"| {engine} | Archive search (/cari) | {_ms(r['search'])} | | |",
            f"| {engine} | Request intake → hand-over (6 requests) | {_ms(r['issue_flow'])} | | |",
            f"| {engine} | Volume | {c.get('tickets', 0)} tickets, {c.get('called', 0)} called, "
            f"{c.get('issued', 0)} letters issued; tickets called twice: {r['called_twice']} | | |",
        ]
    for engine, r in results["engines"].items():
        for message, count in sorted(r.get("error_kinds", {}).items(), key=lambda kv: -kv[1])[:5]:
            lines.append(f"| {engine} | errors: {message} | {count} | | |")
        for message in r.get("server_errors", [])[:5]:
            lines.append(f"| {engine} | server log: {message[:200]} | | | |")
    s = results["settings"]
    lines += ["", f"`lemari serve --workers {s.get('workers', 0)}`; "
              f"{s['counters']} counters, {s['displays']} displays, {s['clerks']} clerks, "
              f"{s['tickets_per_hour']} tickets/h, {s['minutes']} simulated minutes at {s['speed']}×; "
              f"{results['machine']['nproc']} cores, Python {results['machine']['python']}; "
              f"run took {results['elapsed_s']} s."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.queue_bench [minutes]` without the lemari CLI."""
    args = argv if argv is not None else sys.argv[1:]
    results = run(minutes=float(args[0]) if args else 60, log=lambda line: print(line, file=sys.stderr))
    print(format_table(results))
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
