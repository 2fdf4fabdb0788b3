"""`lemari bench kabupaten`: many kecamatan of one kabupaten on loopback, behind HAProxy.

It builds a throw-away kabupaten: a PostgreSQL database of its own (dropped at the end, also
on failure), a temporary LEMARI_HOME, `tenants` kecamatan (kec01, kec02, … added two at a time
in child processes, each with the demo office, its queue and three counters) and in each
kecamatan's schema a slice of the synthetic archive of ``bench.search_corpus``
(`docs_per_tenant` documents each, a different slice per kecamatan, with the kecamatan's real
residents). Jobs and rate-limit counters live in Redis (a database number that was empty,
keys removed at the end).

Then per layout, 1 and then 2 `lemari serve` processes (the kabupaten dispatcher,
records.tenancy.Kabupaten) behind a local HAProxy (roundrobin, health check GET /health of the
dispatcher, or of the first kecamatan where a node does not answer it):

* a realistic-pace load at `speed` × real time for `minutes` simulated minutes: in each
  kecamatan 6 clerks who search /cari/ (queries of the corpus' classes, drawn from that
  kecamatan's own slice) or open a staff page every 30–90 s, a kiosk taking 80 tickets an
  hour, 3 counters calling next and serving 1.6 min, one TV long-polling /antrian/layar/data;
* a saturation phase: closed loop, SATURATION_CLIENTS clients spread over the kecamatan with
  no think time, a realistic mix (staff pages, search, call next, kiosk, display data); its
  throughput, 2 processes over 1, is the scaling ratio.

Reported per endpoint class (staff pages, search, call next, kiosk ticket, display) p50/p95,
errors and throughput, the CPU seconds of the app processes, HAProxy, PostgreSQL and Redis
beside the wall time, how busy the whole machine was and its load average (the machine may be
shared), the app processes' memory, PostgreSQL connections, and each kecamatan's app build on
its first request. Synthetic search hits render through /cari/ (a hit needs no database row:
the page shows the index's stored fields and links), so search is measured through the page.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from itertools import chain
from pathlib import Path

from bench.queue_bench import (
    BENCH_CONFIG,
    DEFAULT_PG,
    SERVICES,
    Browser,
    Stats,
    _free_port,
    _machine,
    _pg_database,
    _server_errors,
    counter,
    machine_busy,
    stop_server,
    tree_cpu_seconds,
    watch_display,
)

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"errors": ("≤", 0), "staff_p95_ms": ("≤", 150.0), "call_next_p95_ms": ("≤", 100.0),
           "search_p95_ms": ("≤", 150.0), "scaling_ratio": ("≥", 1.7)}
CLERKS, COUNTERS, TICKETS_PER_HOUR = 6, 3, 80
#: Simulated seconds a clerk reads or types between two requests, and the share that searches.
THINK_S, SEARCH_SHARE = (30, 90), 0.5
#: Pages a front-office clerk (petugas) opens between searches.
STAFF_PAGES = ("/", "/dokumen/", "/dokumen/permohonan", "/pendudukview/list/", "/keluargaview/list/",
               "/surat-masuk/", "/antrian/loket/", "/dasbor/petugas/saya")
SATURATION_CLIENTS, SATURATION_S, SATURATION_RAMP_S = 16, 60, 10
MIX = (("staff", 35), ("search", 35), ("call_next", 10), ("kiosk", 10), ("display", 10))
CLASSES = ("staff", "search", "call_next", "kiosk", "display")
QUERIES_PER_CLASS = 40
#: Synthetic documents get ids above every real record's of a bench kecamatan.
SYNTHETIC_ID_BASE = 10_000_000
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
SETUP_PARALLEL = 2
NO_HAPROXY = ("HAProxy belum terpasang di mesin ini; benchmark kabupaten memerlukannya sebagai penyeimbang "
              "beban. Pasang paket Debian-nya dulu (sebagai root: apt-get install haproxy), lalu jalankan "
              "lagi `lemari bench kabupaten`. Benchmark ini tidak mengunduh apa pun sendiri.")


class MissingTool(RuntimeError):
    """A service the benchmark needs (HAProxy, Redis, PostgreSQL) is not there; the message is
    for the operator, in Indonesian."""


# ----------------------------------------------------------------------------- HTTP client

class TenantBrowser(Browser):
    """queue_bench's Browser for one kecamatan: paths under /k/<name>, and its own session
    cookie (`lemari_<name>`, records.app), which the parent would drop (it keeps `session=`)."""

    def __init__(self, port: int, stats: Stats, tenant: str):
        super().__init__(port, stats)
        self.tenant, self.prefix = tenant, f"/k/{tenant}"
        self.cookie_name = f"lemari_{tenant}="

    def request(self, method, path, data=None, headers=None, expect=(200, 302)):
        return super().request(method, self.prefix + path, data, headers, expect)

    def _send(self, method, path, body, headers):
        """The parent's request with one retry on a closed keep-alive, keeping the kecamatan's
        session cookie from any of the response's Set-Cookie headers."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn = None
                if attempt == 2:
                    raise
                continue
            for cookie in response.msg.get_all("Set-Cookie") or ():
                if cookie.startswith(self.cookie_name):
                    self.cookie = cookie.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        raise AssertionError("unreachable")


def _logged_in(port: int, stats: Stats, tenant: str, username: str = "petugas") -> TenantBrowser:
    browser = TenantBrowser(port, stats, tenant)
    browser.login(username)
    return browser


# ----------------------------------------------------------------------------- the kabupaten

def tenant_names(count: int) -> list[str]:
    return [f"kec{n:02d}" for n in range(1, count + 1)]


def _kode(n: int) -> str:
    """A unique Kemendagri-shaped code NN.NN.NN per kecamatan (64.02 is Kutai Kartanegara)."""
    return f"64.02.{n:02d}"


def bench_config(redis_db: int) -> str:
    """queue_bench's settings plus Redis for jobs and rate limits, as a kabupaten with several
    processes needs (records.serving warns about memory:// counters)."""
    redis = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
    return BENCH_CONFIG + f'JOBS_URL = "{redis}"\nRATELIMIT_STORAGE_URI = "{redis}"\n'


def _env(home: Path, url: str) -> dict:
    return {**os.environ, "LEMARI_HOME": str(home), "LEMARI_DATABASE_URL": url,
            "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _child(args: list[str], home: Path, url: str) -> subprocess.Popen:
    """This module in a fresh interpreter (setup steps build apps; the load driver must not
    carry them, nor share a GIL with them)."""
    return subprocess.Popen([sys.executable, "-m", "bench.kabupaten_bench", *args], cwd=str(REPO),
                            env=_env(home, url), stdout=subprocess.PIPE, text=True)


def _result_of(process: subprocess.Popen, what: str) -> dict | list:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {process.returncode}); see the lines above")
    return json.loads(out.strip().splitlines()[-1])


def create_tenants(home: Path, url: str, names: list[str], log) -> list[dict]:
    """add_kecamatan + demo office + queue in child processes, SETUP_PARALLEL at a time after
    the first, which creates the register: before 6682fd5 two first adds on a fresh database
    raced on its CREATE SCHEMA IF NOT EXISTS and one failed (records.tenancy._create_schema)."""
    pending, running, done = list(enumerate(names, 1)), [], []
    try:
        while pending or running:
            width = 1 if not done else SETUP_PARALLEL
            while pending and len(running) < width:
                n, name = pending.pop(0)
                running.append((name, _child(["create", name, str(n)], home, url)))
            name, process = running.pop(0)
            result = _result_of(process, f"adding {name}")
            log(f"  {name}: kecamatan {result['add_s']:.1f} s (demo office {result['demo_s']:.1f} s)")
            done.append(result)
    finally:
        for _, process in running:  # a failed add: stop the others before the database goes
            process.kill()
            process.wait()
    return done


def create_child(name: str, n: int) -> dict:
    """One kecamatan as `lemari tenant tambah` makes it, then the demo office and its queue
    (queue_bench.prepare without the initialise that add_kecamatan has done)."""
    from records.settings import load_config
    from records.tenancy import add_kecamatan

    timings: dict = {"name": name}
    started = time.perf_counter()

    def finish(app) -> None:
        began = time.perf_counter()
        _demo_office(app)
        timings["demo_s"] = round(time.perf_counter() - began, 1)

    add_kecamatan(load_config({}), nama_singkat=name, nama=f"Uji {n:02d}", kode=_kode(n),
                  overrides={"LOG_LEVEL": "ERROR"}, finish=finish)
    timings["add_s"] = round(time.perf_counter() - started, 1)
    return timings


def _demo_office(app) -> None:
    from records.antrian import services as antrian
    from records.antrian.models import Loket
    from records.demo_data import DESA, generate_population
    from records.extensions import db
    from records.services.setup import catalogue, load_demo

    with app.app_context():
        load_demo(session=db.session, sm=app.appbuilder.sm, population=generate_population(), desa=DESA,
                  force_password_change=False)
        antrian.ensure_setup(db.session, [s["code"] for s in catalogue()["layanan"]])
        for index in range(4, COUNTERS + 1):
            db.session.add(Loket(nama=f"Loket {index}", layanan=""))
        db.session.commit()


def index_tenants(home: Path, url: str, names: list[str], per: int, log) -> list[dict]:
    """Every kecamatan's index in one child, one kecamatan after the other: a PostgreSQL index
    rebuild holds an advisory lock keyed by the table prefix alone, the same in every schema
    (search/pg_index.py), so two kecamatan cannot rebuild at once."""
    log(f"  indexing {per} documents per kecamatan, one kecamatan at a time")
    return _result_of(_child(["index", str(per), *names], home, url), "indexing")


def index_child(per: int, names: list[str]) -> list[dict]:
    """Each kecamatan's real documents and its slice of the synthetic corpus, rebuilt into its
    own schema through the app's search engine (what `lemari reindex` writes)."""
    from records.indexing import all_docs, apply_outbox
    from records.settings import load_config
    from records.tenancy import close_app, find, tenant_app

    base, total, results = load_config({}), per * len(names), []
    for k, name in enumerate(names):
        app = tenant_app(base, find(base["SQLALCHEMY_DATABASE_URI"], name), {"LOG_LEVEL": "ERROR"})
        try:
            with app.app_context():
                ext = app.extensions["lemari"]
                engine, began = ext.search(), time.perf_counter()
                with engine.lock(), engine.sessions() as session:
                    count = engine.index.rebuild(chain(all_docs(session, ext.registry),
                                                       synthetic(k, per, total)))
                    session.rollback()
                    apply_outbox(session, engine.index, ext.registry)
                seconds = time.perf_counter() - began
        finally:
            close_app(app)
        results.append({"name": name, "docs": count, "index_s": round(seconds, 1),
                        "docs_per_s": round(count / seconds, 1)})
        print(f"  {name}: {count} documents indexed in {seconds:.1f} s ({count / seconds:.0f} docs/s)",
              file=sys.stderr, flush=True)
    return results


def synthetic(k: int, per: int, total: int):
    """Kecamatan k's slice of a `total`-document corpus, with ids past the real records'."""
    from bench.search_corpus import document

    for i in range(k * per, (k + 1) * per):
        yield replace(document(i, total), id=f"record:{SYNTHETIC_ID_BASE + i + 1}")


def tenant_queries(k: int, per: int, total: int, per_class: int = QUERIES_PER_CLASS) -> dict:
    """search_corpus.queries drawn from kecamatan k's slice only (its own archive): (text,
    filters, object id of the source document or 0) per class."""
    from bench.search_corpus import BROAD, CLASSES, KEYWORDS, document, misspell

    rng = random.Random(2026 + k)
    found: dict[str, list] = {name: [] for name in CLASSES}
    while min(len(v) for v in found.values()) < per_class:
        i = rng.randrange(k * per, (k + 1) * per)
        doc, source = document(i, total), SYNTHETIC_ID_BASE + i + 1
        if doc.names and len(found["name"]) < per_class:
            found["name"].append((misspell(doc.names[0], rng), {}, source))
        if doc.nik and len(found["nik"]) < per_class:
            found["nik"].append((doc.nik[0], {}, source))
        if len(found["number"]) < per_class:
            found["number"].append((doc.nomor, {}, source))
        if len(found["keyword+desa"]) < per_class:
            found["keyword+desa"].append((rng.choice(KEYWORDS), {"desa": doc.desa_code}, 0))
        if len(found["broad"]) < per_class:
            found["broad"].append((rng.choice(BROAD), {}, 0))
    return found


# ----------------------------------------------------------------------------- Redis

def _redis():
    import redis

    return redis


def pick_redis_db() -> int:
    """An empty Redis database number (highest first), so nobody else's keys are touched."""
    redis = _redis()
    try:
        for db in range(15, 0, -1):
            client = redis.Redis(REDIS_HOST, REDIS_PORT, db=db, socket_timeout=5)
            if client.dbsize() == 0:
                return db
    except redis.RedisError as exc:
        raise MissingTool(f"Redis tidak menjawab di {REDIS_HOST}:{REDIS_PORT} ({exc}); jalankan "
                          "redis-server dulu (paket Debian redis-server).") from None
    raise MissingTool("Tidak ada basis data Redis yang kosong (1–15) untuk benchmark ini.")


def clean_redis(db: int, names: list[str]) -> int:
    """Delete the keys of our kecamatan only (huey queues `lemari-<name>`, limiter prefixes)."""
    client = _redis().Redis(REDIS_HOST, REDIS_PORT, db=db)
    ours = [k for k in client.scan_iter(count=1000)
            if any(n in k.decode(errors="replace") for n in names)]
    if ours:
        client.delete(*ours)
    return len(ours)


# ----------------------------------------------------------------------------- processes

def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None)
    if not found:
        raise MissingTool(NO_HAPROXY)
    return found


def _get(port: int, path: str, timeout: float = 10) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _wait_for(process: subprocess.Popen, port: int, path: str, log_path: Path, what: str,
              seconds: float = 240) -> None:
    """Until GET `path` answers 200; the log's tail if the process stops."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped at start (exit {process.returncode}): "
                               + log_path.read_text(errors="replace")[-2000:])
        try:
            if _get(port, path) == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{what} did not answer {path}")


def start_app(home: Path, url: str, index: int, first: str) -> tuple[subprocess.Popen, int, Path]:
    """`lemari serve` on the kabupaten database (one waitress process serving every kecamatan,
    records.cli._serve_kabupaten), ready when a kecamatan's /health answers: the dispatcher's
    own /health is a 404."""
    port, log_path = _free_port(), home / f"serve-{index}.log"
    process = subprocess.Popen([sys.executable, "-m", "records.console", "serve", "--port", str(port),
                                "--workers", "1"], env=_env(home, url), cwd=str(REPO),
                               stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"))
    _wait_for(process, port, f"/k/{first}/health", log_path, "lemari serve")
    return process, port, log_path


HAPROXY_CFG = """global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout http-keep-alive 60s
    timeout check 10s
frontend lemari
    bind 127.0.0.1:{port}
    default_backend apps
backend apps
    balance roundrobin
    option httpchk
    http-check send meth GET uri {check}
    http-check expect status 200
{servers}
"""


def start_haproxy(home: Path, ports: list[int], first: str) -> tuple[subprocess.Popen, int, Path]:
    """HAProxy in the foreground (-db) as our child, roundrobin over the app processes, checking
    the dispatcher's /health (docs/deployment.md), or a kecamatan's where a node has none."""
    port = _free_port()
    check = "/health" if _get(ports[0], "/health") == 200 else f"/k/{first}/health"
    servers = "\n".join(f"    server app{n} 127.0.0.1:{p} check inter 2s fall 3 rise 1"
                        for n, p in enumerate(ports, 1))
    cfg, log_path = home / f"haproxy-{len(ports)}.cfg", home / f"haproxy-{len(ports)}.log"
    cfg.write_text(HAPROXY_CFG.format(port=port, check=check, servers=servers), encoding="utf-8")
    process = subprocess.Popen([haproxy_binary(), "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL,
                               stderr=open(log_path, "wb"))
    _wait_for(process, port, check, log_path, "haproxy", seconds=60)
    return process, port, log_path


def _haproxy_events(path: Path) -> list[str]:
    """HAProxy's warnings about servers going DOWN or UP (a starved app fails its checks)."""
    text = path.read_text(errors="replace") if path.exists() else ""
    return [line.strip()[:200] for line in text.splitlines() if " is DOWN" in line or " is UP" in line]


# ----------------------------------------------------------------------------- measuring

def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _procs() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command name) of every process (Linux /proc)."""
    found = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    name = comm.read().strip()
                found[int(entry)] = (int(_stat_fields(int(entry))[1]), name)
            except (OSError, IndexError, ValueError):
                continue
    return found


def service_cpu_seconds(roots: list[int]) -> float:
    """CPU seconds of a service's root processes with their living descendants and the
    children they have reaped (PostgreSQL backends that ended)."""
    total = 0.0
    for pid in roots:
        try:
            fields = _stat_fields(pid)
        except (OSError, IndexError):
            continue
        total += tree_cpu_seconds(pid) + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return total


def roots_named(name: str) -> list[int]:
    """Processes called `name` whose parent is not (a service's main processes)."""
    procs = _procs()
    return [pid for pid, (parent, comm) in procs.items()
            if comm == name and procs.get(parent, (0, ""))[1] != name]


def postmaster_of(url: str) -> list[int]:
    """The main process of the PostgreSQL server holding `url` (a backend's parent), so the
    CPU counted is that server's (all its databases), not another cluster's on this machine."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            backend = conn.execute(sqlalchemy.text("SELECT pg_backend_pid()")).scalar()
        return [int(_stat_fields(backend)[1])]
    except (OSError, IndexError, sqlalchemy.exc.SQLAlchemyError):
        return roots_named("postgres")
    finally:
        engine.dispose()


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and its descendants, MB."""
    procs, tree, grew = _procs(), {root}, True
    while grew:
        more = {pid for pid, (parent, _) in procs.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


class PhaseMeter:
    """CPU of the app processes, HAProxy, PostgreSQL and Redis, the machine's busy share and
    load average over one phase: on two shared cores the latencies mean little without them."""

    def __init__(self, app_pids: list[int], haproxy_pid: int, postgres: list[int]):
        self.app_pids, self.haproxy_pid, self.postgres = app_pids, haproxy_pid, postgres
        self.redis = roots_named("redis-server")
        self.start = self._sample()

    def _sample(self) -> dict:
        return {"app": sum(tree_cpu_seconds(p) for p in self.app_pids),
                "haproxy": tree_cpu_seconds(self.haproxy_pid), "postgres": service_cpu_seconds(self.postgres),
                "redis": service_cpu_seconds(self.redis), "busy": machine_busy(),
                "wall": time.monotonic(), "load": os.getloadavg()[0]}

    def result(self) -> dict:
        end, start = self._sample(), self.start
        share = (end["busy"][0] - start["busy"][0]) / max(1, end["busy"][1] - start["busy"][1])
        return {"wall_s": round(end["wall"] - start["wall"], 1),
                **{f"{k}_cpu_s": round(end[k] - start[k], 1)
                   for k in ("app", "haproxy", "postgres", "redis")},
                "machine_busy_pct": round(100 * share, 1), "load_before": round(start["load"], 2),
                "load_after": round(end["load"], 2)}


class PgConnections:
    """Peak connections to our database and to the whole server, sampled every 2 s: each
    kecamatan's app keeps pools of its own (records, search) in every process."""

    def __init__(self, url: str):
        import sqlalchemy

        self.engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
        self.peak_ours = self.peak_all = 0
        self.limit = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import sqlalchemy

        query = sqlalchemy.text("SELECT count(*) FILTER (WHERE datname = current_database()), count(*), "
                                "current_setting('max_connections')::int FROM pg_stat_activity")
        while not self.stop.is_set():
            try:
                with self.engine.connect() as conn:
                    ours, every, self.limit = conn.execute(query).one()
                self.peak_ours, self.peak_all = max(self.peak_ours, ours), max(self.peak_all, every)
            except Exception:  # noqa: BLE001 — a sample missed (server full) is not a bench failure
                pass
            self.stop.wait(2)

    def result(self) -> dict:
        self.stop.set()
        self.thread.join(10)
        self.engine.dispose()
        return {"peak_ours": self.peak_ours, "peak_server": self.peak_all, "max_connections": self.limit}


# ----------------------------------------------------------------------------- the clients

def search_path(query: tuple) -> str:
    text, filters, _ = query
    return "/cari/?" + urllib.parse.urlencode({"q": text, **filters})


def do_search(browser: TenantBrowser, stats: Stats, kind: str, query: tuple) -> None:
    """One /cari/ page; for name/NIK/number queries, whether the source is on the first page."""
    _, _, page, elapsed = browser.request("GET", search_path(query), expect=(200,))
    stats.add("search", elapsed)
    stats.add(f"search:{kind}", elapsed)
    if query[2]:
        stats.count(f"wanted:{kind}")
        if f'/dokumen/{query[2]}"'.encode() in page:
            stats.count(f"found:{kind}")


def clerk(browser, stats, stop, speed, rng, queries) -> None:
    """A clerk between visitors: a search or a staff page every THINK_S (simulated)."""
    kinds = list(queries)
    stop.wait(rng.uniform(0, THINK_S[1]) / speed)  # not every clerk at the same second
    while not stop.is_set():
        if rng.random() < SEARCH_SHARE:
            kind = rng.choice(kinds)
            do_search(browser, stats, kind, rng.choice(queries[kind]))
        else:
            _, _, _, elapsed = browser.request("GET", rng.choice(STAFF_PAGES), expect=(200,))
            stats.add("staff", elapsed)
        stats.count("requests")
        stop.wait(rng.uniform(*THINK_S) / speed)


def take_ticket(browser: TenantBrowser, stats: Stats, rng) -> None:
    names = [code for code, weight in SERVICES for _ in range(weight)]
    reason = rng.choice(["lansia", "disabilitas", "hamil"]) if rng.random() < 0.15 else ""
    _, _, _, elapsed = browser.request("POST", f"/antrian/ambil/{rng.choice(names)}", {"prioritas": reason},
                                       expect=(302,))
    stats.add("kiosk", elapsed)


def kiosk(browser, stats, stop, interval, rng) -> None:
    """queue_bench.kiosk for one kecamatan's browser (Poisson arrivals)."""
    next_at = time.perf_counter() + rng.expovariate(1 / interval)
    while not stop.wait(max(0, next_at - time.perf_counter())):
        take_ticket(browser, stats, rng)
        stats.count("tickets")
        next_at += rng.expovariate(1 / interval)


def display(browser, stats, stop, poll_s: float = 1.0) -> None:
    """queue_bench's TV (its long poll) for one kecamatan's browser."""
    watch_display(browser, stats, stop, poll_s)


def staggered_counter(browser, stats, stop, loket_id, speed, rng) -> None:
    """queue_bench.counter, started at a random moment of its idle re-call interval (30 s
    simulated): started together, the 3 × `tenants` counters would call next in one burst at
    once and again every interval while the queue is empty, which no office does."""
    if not stop.wait(rng.uniform(0, 30) / speed):
        counter(browser, stats, stop, loket_id, speed, rng)


# ----------------------------------------------------------------------------- the phases

def warm_up(ports: list[int], names: list[str]) -> dict:
    """Each kecamatan's first request on each app process (the app is built then: reported
    as a reference), then a login, a search and the TV data, before any clock runs."""
    builds, stats = [], Stats()
    for port in ports:
        for name in names:
            began = time.perf_counter()
            status = _get(port, f"/k/{name}/health", timeout=120)
            builds.append((time.perf_counter() - began) * 1000)
            if status != 200:
                stats.error(f"warm-up /k/{name}/health on {port}: HTTP {status}")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda name, port=port: _warm_one(port, stats, name), names))
    stats.samples["app_build"] = builds
    return {"app_build": stats.summary("app_build"), "errors": stats.errors[:10]}


def _warm_one(port: int, stats: Stats, name: str) -> None:
    browser = _logged_in(port, stats, name)
    browser.request("GET", "/cari/?q=domisili", expect=(200,))
    browser.request("GET", "/antrian/layar/data", expect=(200,))


def _login_all(port: int, names: list[str], per_tenant: int, stats: dict) -> dict[str, list]:
    """`per_tenant` logged-in petugas browsers per kecamatan (before the clock: 07:30)."""
    jobs = [(name, i) for name in names for i in range(per_tenant)]
    with ThreadPoolExecutor(6) as pool:
        browsers = list(pool.map(lambda job: _logged_in(port, stats[job[0]], job[0]), jobs))
    found: dict[str, list] = {name: [] for name in names}
    for (name, _), browser in zip(jobs, browsers, strict=True):
        found[name].append(browser)
    return found


def realistic(port: int, ctx: dict, settings: dict, meter_args, log) -> dict:
    """Every kecamatan's clerks, kiosk, counters and TV at `speed` × real time; one Stats per
    kecamatan (ticket codes repeat across kecamatan)."""
    names, speed = ctx["names"], settings["speed"]
    stats = {name: Stats() for name in names}
    log(f"  logging in {len(names) * (CLERKS + COUNTERS)} clerks")
    browsers = _login_all(port, names, CLERKS + COUNTERS, stats)
    stop, rng = threading.Event(), random.Random(settings["seed"])
    threads = []
    for name in names:
        s, own = stats[name], browsers[name]
        interval = 3600 / TICKETS_PER_HOUR / speed
        threads.append(threading.Thread(target=kiosk, args=(
            TenantBrowser(port, s, name), s, stop, interval, random.Random(rng.random()))))
        threads.append(threading.Thread(target=display, args=(TenantBrowser(port, s, name), s, stop)))
        threads += [threading.Thread(target=staggered_counter, args=(
            b, s, stop, i + 1, speed, random.Random(rng.random()))) for i, b in enumerate(own[CLERKS:])]
        threads += [threading.Thread(target=clerk, args=(
            b, s, stop, speed, random.Random(rng.random()), ctx["queries"][name])) for b in own[:CLERKS]]
    seconds = settings["minutes"] * 60 / speed
    log(f"  realistic load: {seconds:.0f} s ({settings['minutes']:g} simulated minutes at {speed:g}×), "
        f"{len(threads)} clients")
    meter, pg = PhaseMeter(*meter_args), PgConnections(ctx["url"])
    cpu = _run_threads(threads, seconds, stop, meter)
    result = _realistic_result(stats, seconds)
    result["cpu"], result["pg_connections"] = cpu, pg.result()
    return result


def _run_threads(threads: list[threading.Thread], seconds: float, stop: threading.Event,
                 meter: PhaseMeter) -> dict:
    """Run the clients for `seconds`; the meter ends with the window, not after the TVs'
    last long polls have come back."""
    for thread in threads:
        thread.daemon = True
        thread.start()
    time.sleep(seconds)
    stop.set()
    cpu = meter.result()
    for thread in threads:
        thread.join(timeout=120)
    time.sleep(1.5)  # last polls
    return cpu


def _display_latency(stats: Stats) -> tuple[list[float], int]:
    shown = [(stats.shown[k] - t) * 1000 for k, t in stats.calls.items() if k in stats.shown]
    return shown, len(stats.calls) - len(shown)


def merge(per_tenant: dict[str, Stats]) -> Stats:
    """One Stats of every kecamatan's samples, counts and errors (display latency computed per
    kecamatan first: ticket codes repeat)."""
    merged, missed = Stats(), 0
    for stats in per_tenant.values():
        for name, values in stats.samples.items():
            merged.samples.setdefault(name, []).extend(values)
        for name, value in stats.counts.items():
            merged.counts[name] = merged.counts.get(name, 0) + value
        merged.errors += stats.errors
        shown, not_shown = _display_latency(stats)
        merged.samples.setdefault("display_latency", []).extend(shown)
        missed += not_shown
        merged.counts["called_twice"] = (merged.counts.get("called_twice", 0)
                                         + len(stats.called) - len(set(stats.called)))
    merged.counts["calls_not_shown"] = missed
    return merged


def error_class(message: str) -> str:
    path = message.split(" ", 2)[1] if message.count(" ") >= 1 else ""
    for needle, kind in (("/cari/", "search"), ("/panggil", "call_next"), ("/antrian/ambil", "kiosk"),
                         ("/antrian/layar", "display"), ("/login", "login")):
        if needle in path:
            return kind
    return "staff" if path.startswith("/k/") else "other"


def _errors(stats: Stats) -> dict:
    kinds: dict[str, int] = {}
    by_class: dict[str, int] = {}
    for message in stats.errors:
        kinds[message[:160]] = kinds.get(message[:160], 0) + 1
        by_class[error_class(message)] = by_class.get(error_class(message), 0) + 1
    top = dict(sorted(kinds.items(), key=lambda kv: -kv[1])[:10])
    return {"errors": len(stats.errors), "errors_by_class": by_class, "error_kinds": top}


def _found(stats: Stats) -> dict:
    return {kind: round(stats.counts.get(f"found:{kind}", 0) / wanted, 3)
            for kind in ("name", "nik", "number") if (wanted := stats.counts.get(f"wanted:{kind}", 0))}


def _requests(stats: Stats) -> int:
    names = ("staff", "search", "call_next", "kiosk", "display_poll")
    return sum(len(stats.samples.get(name, [])) for name in names)


def _realistic_result(per_tenant: dict[str, Stats], seconds: float) -> dict:
    merged = merge(per_tenant)
    by_kec = {name: s.summary("search") for name, s in per_tenant.items()}
    p95s = sorted(v["p95"] for v in by_kec.values() if v.get("n"))
    return {"seconds": round(seconds, 1), "requests": _requests(merged),
            "throughput_rps": round(_requests(merged) / seconds, 1), **_errors(merged),
            **{name: merged.summary(name) for name in ("staff", "search", "call_next", "kiosk",
                                                       "display_latency", "display_poll")},
            "search_classes": {k[7:]: merged.summary(k) for k in sorted(merged.samples)
                               if k.startswith("search:")},
            "search_found": _found(merged),
            "search_p95_by_kecamatan": {"min": p95s[0], "median": round(statistics.median(p95s), 1),
                                        "max": p95s[-1],
                                        "worst": max(by_kec, key=lambda n: by_kec[n].get("p95", 0))}
            if p95s else {},
            "counts": {k: merged.counts.get(k, 0) for k in ("tickets", "called", "calls_not_shown")},
            "called_twice": merged.counts.get("called_twice", 0)}


def saturation(port: int, ctx: dict, settings: dict, meter_args, log) -> dict:
    """Closed loop: SATURATION_CLIENTS clients over the kecamatan, each sending its next
    request of the MIX as soon as the last one answered; the first SATURATION_RAMP_S seconds
    are not counted."""
    names = ctx["names"]
    ramp, window = Stats(), Stats()
    clients = [(names[i % len(names)], 1 + (i // len(names)) % COUNTERS) for i in range(SATURATION_CLIENTS)]
    browsers = [_logged_in(port, ramp, name) for name, _ in clients]
    box, stop = [ramp], threading.Event()
    threads = [threading.Thread(target=_saturating, args=(
        b, box, stop, loket, ctx["queries"][b.tenant], random.Random(settings["seed"] + n)))
        for n, (b, (_, loket)) in enumerate(zip(browsers, clients, strict=True))]
    log(f"  saturation: {SATURATION_CLIENTS} clients, no think time, {SATURATION_S} s "
        f"(first {SATURATION_RAMP_S} s not counted)")
    for thread in threads:
        thread.daemon = True
        thread.start()
    time.sleep(SATURATION_RAMP_S)
    meter, began = PhaseMeter(*meter_args), time.perf_counter()
    box[0] = window
    time.sleep(SATURATION_S - SATURATION_RAMP_S)
    box[0] = Stats()  # what answers after the window is not counted
    seconds = time.perf_counter() - began
    cpu = meter.result()
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    done = sum(window.counts.get(k, 0) for k in CLASSES)
    return {"clients": SATURATION_CLIENTS, "seconds": round(seconds, 1), "requests": done,
            "throughput_rps": round(done / seconds, 1), **_errors(window),
            **{name: window.summary(name) for name in CLASSES}, "cpu": cpu}


def _saturating(browser: TenantBrowser, box: list, stop: threading.Event, loket: int, queries: dict,
                rng: random.Random) -> None:
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    while not stop.is_set():
        stats = box[0]
        browser.stats = stats
        kind = rng.choices(kinds, weights)[0]
        if kind == "search":
            query_kind = rng.choice(list(queries))
            do_search(browser, stats, query_kind, rng.choice(queries[query_kind]))
        elif kind == "staff":
            _, _, _, elapsed = browser.request("GET", rng.choice(STAFF_PAGES), expect=(200,))
            stats.add("staff", elapsed)
        elif kind == "kiosk":
            take_ticket(browser, stats, rng)
        elif kind == "call_next":
            _, _, _, elapsed = browser.request("POST", f"/antrian/loket/{loket}/panggil",
                                               headers={"Accept": "application/json"}, expect=(200,))
            stats.add("call_next", elapsed)
        else:
            _, _, _, elapsed = browser.request("GET", "/antrian/layar/data", expect=(200,))
            stats.add("display", elapsed)
        stats.count(kind)


def run_layout(processes: int, ctx: dict, settings: dict, log) -> dict:
    """`processes` app processes behind a fresh HAProxy: warm-up, realistic load, saturation."""
    home, url, names = ctx["home"], ctx["url"], ctx["names"]
    servers, haproxy = [], None
    log(f"layout: {processes} app process(es) behind HAProxy")
    try:
        for index in range(processes):
            servers.append(start_app(home, url, len(ctx["logs"]) + index, names[0]))
        ports = [port for _, port, _ in servers]
        haproxy = start_haproxy(home, ports, names[0])
        log(f"  app ports {ports}, HAProxy on {haproxy[1]}; warming up {len(names)} kecamatan")
        result: dict = {"processes": processes, "dispatcher_health_status": _get(ports[0], "/health"),
                        "warm_up": warm_up(ports, names)}
        result["rss_mb_after_warm_up"] = [tree_rss_mb(p.pid) for p, _, _ in servers]
        meter_args = ([p.pid for p, _, _ in servers], haproxy[0].pid, postmaster_of(url))
        result["load"] = realistic(haproxy[1], ctx, settings, meter_args, log)
        result["saturation"] = saturation(haproxy[1], ctx, settings, meter_args, log)
        result["rss_mb_at_end"] = [tree_rss_mb(p.pid) for p, _, _ in servers]
        log(f"  {processes}: load {result['load']['throughput_rps']} req/s, "
            f"saturation {result['saturation']['throughput_rps']} req/s")
    finally:
        if haproxy is not None:
            haproxy[0].terminate()
            haproxy[0].wait(30)
        for process, _, log_path in servers:
            stop_server(process)
            ctx["logs"].append(log_path)
    result["server_errors"] = [e for _, _, path in servers for e in _server_errors(path)][:20]
    result["haproxy_events"] = _haproxy_events(haproxy[2]) if haproxy else []
    return result


# ----------------------------------------------------------------------------- the run

def setup(ctx: dict, settings: dict, log) -> dict:
    """The kabupaten: kecamatan, demo offices and indexes, timed."""
    timings, began = {}, time.perf_counter()
    log(f"setup: {len(ctx['names'])} kecamatan, {SETUP_PARALLEL} at a time")
    timings["tenants"] = create_tenants(ctx["home"], ctx["url"], ctx["names"], log)
    timings["create_s"] = round(time.perf_counter() - began, 1)
    log(f"setup: kecamatan ready in {timings['create_s']:.0f} s")
    began = time.perf_counter()
    per = settings["docs_per_tenant"]
    timings["indexes"] = index_tenants(ctx["home"], ctx["url"], ctx["names"], per, log)
    timings["index_s"] = round(time.perf_counter() - began, 1)
    docs = sum(r["docs"] for r in timings["indexes"])
    log(f"setup: {docs} documents indexed in {timings['index_s']:.0f} s")
    timings["documents_indexed"] = docs
    return timings


def _check_postgres(admin_url: str):
    try:
        return _pg_database(admin_url)
    except Exception as exc:  # noqa: BLE001 — said to the operator
        raise MissingTool(f"PostgreSQL tidak dapat dipakai di {admin_url.rsplit('@', 1)[-1]} "
                          f"({type(exc).__name__}); benchmark kabupaten memerlukan PostgreSQL "
                          "(setel --pg-url atau LEMARI_TEST_PG_URL).") from None


def run(tenants: int = 20, docs_per_tenant: int = 50_000, minutes: float = 10, speed: float = 2,
        pg_url: str = DEFAULT_PG, seed: int = 7, log: Callable[[str], None] = lambda line: None,
        keep: Path | None = None, processes: tuple[int, ...] = (1, 2)) -> dict:
    """The whole benchmark; a JSON-able dict. Everything it creates is removed at the end,
    unless `keep` names a folder: the kabupaten just set up (its database and home) is then
    kept there, and this run and every later one with the same folder measure a fresh copy of
    it (`CREATE DATABASE … TEMPLATE`), skipping the setup, so two versions of the code can be
    compared on the same data (`discard` removes it)."""
    haproxy_binary()
    settings = {"tenants": tenants, "docs_per_tenant": docs_per_tenant, "minutes": minutes, "speed": speed,
                "seed": seed, "clerks": CLERKS, "counters": COUNTERS, "tickets_per_hour": TICKETS_PER_HOUR,
                "saturation_clients": SATURATION_CLIENTS, "saturation_s": SATURATION_S}
    started, redis_db = time.perf_counter(), pick_redis_db()
    kept = _kept(keep)
    if kept:
        settings.update(tenants=kept["tenants"], docs_per_tenant=kept["docs_per_tenant"])
        url, home = kept["url"], Path(kept["home"])
        log(f"setup: the kabupaten kept in {keep} ({kept['tenants']} kecamatan)")
    else:
        url, drop_setup = _check_postgres(pg_url)
        home = Path(tempfile.mkdtemp(prefix="lemari-kabupaten-"))
    ctx = {"home": home, "url": url, "names": tenant_names(settings["tenants"]), "logs": []}
    results = {"settings": settings, "machine": {**_machine(), **_pg_settings(url)}, "redis_db": redis_db,
               "commit": _commit()}
    copy = None
    try:
        if kept:
            results["setup"] = kept["setup"]
        else:
            results["setup"] = setup(ctx, settings, log)
            if keep is not None:
                _keep(keep, url, home, settings, results["setup"])
        if keep is not None:  # the kept one stays as it is: the run takes tickets and issues letters
            copy = _copy_of(url, home, log)
            ctx["url"], ctx["home"] = copy
        (ctx["home"] / "config.py").write_text(bench_config(redis_db), encoding="utf-8")
        per, total = settings["docs_per_tenant"], settings["docs_per_tenant"] * settings["tenants"]
        ctx["queries"] = {name: tenant_queries(k, per, total) for k, name in enumerate(ctx["names"])}
        results["layouts"] = {str(n): run_layout(n, ctx, settings, log) for n in dict.fromkeys(processes)}
    finally:
        if copy is not None:
            _drop_copy(*copy)
        if not kept and _kept(keep) is None:  # nothing kept: this run's kabupaten goes
            drop_setup()
            shutil.rmtree(home, ignore_errors=True)
        results["redis_keys_removed"] = clean_redis(redis_db, ctx["names"])
    results["scaling_ratio"] = _ratio(results["layouts"])
    results["targets"] = targets(results)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results


def _copy_of(url: str, home: Path, log) -> tuple[str, Path]:
    """A copy of the kept kabupaten for one run: its database (a template copy) and home."""
    import sqlalchemy

    began = time.perf_counter()
    admin, name = url.rsplit("/", 1)
    copy_name = f"{name}_run_{os.getpid()}"
    engine = sqlalchemy.create_engine(admin + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(
                f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}" STRATEGY FILE_COPY'))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise MissingTool(f"Kabupaten yang disimpan ({name}) tidak dapat disalin ({type(exc).__name__}): "
                          "basis datanya hilang atau sedang dipakai; hapus catatannya dengan --discard "
                          "dan siapkan lagi.") from None
    finally:
        engine.dispose()
    copy_home = Path(tempfile.mkdtemp(prefix="lemari-kabupaten-run-"))
    shutil.copytree(home, copy_home, dirs_exist_ok=True)
    log(f"setup: a copy of the kept kabupaten for this run in {time.perf_counter() - began:.0f} s")
    return f"{admin}/{copy_name}", copy_home


def _drop_copy(url: str, home: Path) -> None:
    """Drop a kabupaten's database and home (a run's copy, or the kept one itself)."""
    import sqlalchemy

    admin, name = url.rsplit("/", 1)
    engine = sqlalchemy.create_engine(admin + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
    shutil.rmtree(home, ignore_errors=True)


KEPT = "kabupaten.json"


def _kept(folder: Path | None) -> dict | None:
    """What an earlier run kept in `folder`, or None (nothing kept there yet)."""
    if folder is None or not (folder / KEPT).exists():
        return None
    return json.loads((folder / KEPT).read_text(encoding="utf-8"))


def _keep(folder: Path, url: str, home: Path, settings: dict, setup_result: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    kept = {"url": url, "home": str(home), "tenants": settings["tenants"],
            "docs_per_tenant": settings["docs_per_tenant"], "setup": setup_result}
    note = folder / (KEPT + ".tmp")  # a run killed while writing leaves no half note behind
    note.write_text(json.dumps(kept), encoding="utf-8")
    note.replace(folder / KEPT)


def discard(folder: Path) -> bool:
    """Drop the kabupaten kept in `folder` (its database, its home, the folder's note)."""
    kept = _kept(folder)
    if kept is None:
        return False
    _drop_copy(kept["url"], Path(kept["home"]))
    (folder / KEPT).unlink()
    return True


def _commit() -> str | None:
    """The commit of the code measured (the server processes run this checkout)."""
    try:
        return subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10).stdout.strip() or None
    except OSError:
        return None


def _pg_settings(url: str) -> dict:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            row = conn.execute(sqlalchemy.text("SELECT current_setting('server_version'), "
                                               "current_setting('max_connections'), "
                                               "current_setting('shared_buffers')")).one()
    except sqlalchemy.exc.SQLAlchemyError as exc:  # a kept kabupaten whose database is gone
        raise MissingTool(f"Basis data {url.rsplit('/', 1)[-1]} tidak dapat dibuka ({type(exc).__name__}); "
                          "kabupaten yang disimpan? hapus catatannya dengan --discard dan siapkan "
                          "lagi.") from None
    finally:
        engine.dispose()
    return {"postgresql": row[0], "max_connections": int(row[1]), "shared_buffers": row[2]}


def _ratio(layouts: dict) -> float | None:
    if not {"1", "2"} <= set(layouts):
        return None
    one, two = (layouts[k]["saturation"]["throughput_rps"] for k in ("1", "2"))
    return round(two / one, 2) if one else None


def _met(key: str, value) -> bool | None:
    if value is None:
        return None
    sign, bound = TARGETS[key]
    return value <= bound if sign == "≤" else value >= bound


def targets(results: dict) -> dict:
    """Each target per layout (realistic load), and the scaling ratio."""
    found = {}
    for n, layout in results["layouts"].items():
        load = layout["load"]
        values = {"errors": load["errors"] + layout["saturation"]["errors"],
                  "staff_p95_ms": load["staff"].get("p95"), "call_next_p95_ms": load["call_next"].get("p95"),
                  "search_p95_ms": load["search"].get("p95")}
        found[n] = {k: {"value": v, "target": f"{TARGETS[k][0]} {TARGETS[k][1]:g}", "met": _met(k, v)}
                    for k, v in values.items()}
    ratio = results["scaling_ratio"]
    found["scaling"] = {"scaling_ratio": {"value": ratio, "target": "≥ 1.7",
                                          "met": _met("scaling_ratio", ratio)}}
    return found


# ----------------------------------------------------------------------------- the table

def _ms(summary: dict) -> str:
    if not summary.get("n"):
        return "–"
    return f"p95 {summary['p95']:g} ms (p50 {summary['p50']:g}, max {summary['max']:g}; n={summary['n']})"


def _yes(met) -> str:
    return "n/a" if met is None else ("yes" if met else "NO")


def _cpu(cpu: dict) -> str:
    return (f"{cpu['wall_s']:g} s wall; CPU-s: app {cpu['app_cpu_s']:g}, "
            f"PostgreSQL {cpu['postgres_cpu_s']:g}, "
            f"HAProxy {cpu['haproxy_cpu_s']:g}, Redis {cpu['redis_cpu_s']:g}; machine busy "
            f"{cpu['machine_busy_pct']:g} %; load {cpu['load_before']:.1f} → {cpu['load_after']:.1f}")


def _layout_rows(n: str, r: dict, t: dict) -> list[str]:
    load, sat, label = r["load"], r["saturation"], f"{n} proc"
    by_kec, pg = load["search_p95_by_kecamatan"], load["pg_connections"]
    classes = "; ".join(f"{k} p95 {v['p95']:g}" for k, v in load["search_classes"].items() if v.get("n"))
    found = ", ".join(f"{k} {100 * v:.0f} %" for k, v in load["search_found"].items())
    c = load["counts"]
    rows = [
        f"| {label} | Errors, realistic load (by class) | {load['errors']} {load['errors_by_class'] or ''} "
        f"| 0 (with saturation) | {_yes(t['errors']['met'])} |",
        f"| {label} | Staff pages | {_ms(load['staff'])} | ≤ 150 ms | {_yes(t['staff_p95_ms']['met'])} |",
        f"| {label} | Search /cari/ (corpus) | {_ms(load['search'])} | ≤ 150 ms "
        f"| {_yes(t['search_p95_ms']['met'])} |",
        f"| {label} | Search p95 per class | {classes}; source on page 1: {found or '–'} | | |",
        f"| {label} | Search p95 per kecamatan | min {by_kec.get('min', '–')}, median "
        f"{by_kec.get('median', '–')}, max {by_kec.get('max', '–')} ms ({by_kec.get('worst', '')}) | | |",
        f"| {label} | Call next | {_ms(load['call_next'])} | ≤ 100 ms "
        f"| {_yes(t['call_next_p95_ms']['met'])} |",
        f"| {label} | Kiosk ticket | {_ms(load['kiosk'])} | | |",
        f"| {label} | Display shows a call | {_ms(load['display_latency'])}; not shown "
        f"{c['calls_not_shown']} | | |",
        f"| {label} | Throughput, realistic load | {load['throughput_rps']} req/s "
        f"({load['requests']} requests; "
        f"{c['tickets']} tickets, {c['called']} called, called twice {load['called_twice']}) | | |",
        f"| {label} | CPU, realistic load | {_cpu(load['cpu'])} | | |",
        f"| {label} | PostgreSQL connections, peak | ours {pg['peak_ours']}, server {pg['peak_server']} "
        f"of {pg['max_connections']} | | |",
        f"| {label} | Saturation throughput | {sat['throughput_rps']} req/s ({sat['clients']} clients, "
        f"{sat['requests']} requests, errors {sat['errors']}) | | |",
        f"| {label} | Saturation p95 | " + "; ".join(
            f"{k} {sat[k]['p95']:g}" for k in CLASSES if sat[k].get("n")) + " ms | | |",
        f"| {label} | CPU, saturation | {_cpu(sat['cpu'])} | | |",
        f"| {label} | App build, first request per kecamatan | {_ms(r['warm_up']['app_build'])} | | |",
        f"| {label} | App RSS MB per process (warm → end) | {r['rss_mb_after_warm_up']} → "
        f"{r['rss_mb_at_end']} | | |",
        f"| {label} | GET /health of the dispatcher itself | HTTP {r['dispatcher_health_status']} "
        "(HAProxy checks it when 200, else /k/<first kecamatan>/health) | | |",
    ]
    for message, count in list(load["error_kinds"].items())[:5] + list(sat["error_kinds"].items())[:3]:
        rows.append(f"| {label} | error: {message} | {count} | | |")
    rows += [f"| {label} | server log: {m[:160]} | | | |" for m in r["server_errors"][:5]]
    rows += [f"| {label} | HAProxy: {m} | | | |" for m in r["haproxy_events"][:5]]
    return rows


def format_table(results: dict) -> str:
    """Markdown: one block of rows per layout, the scaling ratio, setup and machine."""
    lines = ["| Layout | Metric | Measured | Target | Met |", "|---|---|---|---|---|"]
    for n, layout in results["layouts"].items():
        lines += _layout_rows(n, layout, results["targets"][n])
    ratio = results["targets"]["scaling"]["scaling_ratio"]
    lines.append(f"| 2 / 1 proc | Scaling ratio (saturation throughput) | {ratio['value']} | ≥ 1.7 "
                 f"| {_yes(ratio['met'])} |")
    lines += ["", *_footer(results), f"Code measured: commit {results.get('commit')}."]
    return "\n".join(lines)


def _footer(results: dict) -> list[str]:
    """Setup timings, what the load was, and the machine, under the table."""
    s, setup_, m = results["settings"], results["setup"], results["machine"]
    rates = [r["docs_per_s"] for r in setup_["indexes"]]
    adds = [t["add_s"] for t in setup_["tenants"]]
    return [
        f"Setup: {s['tenants']} kecamatan in {setup_['create_s']:g} s ({SETUP_PARALLEL} at a time; each "
        f"{min(adds):g}–{max(adds):g} s with its demo office); {setup_['documents_indexed']} documents "
        f"indexed in {setup_['index_s']:g} s, one kecamatan at a time "
        f"({min(rates):g}–{max(rates):g} docs/s).",
        f"Load: per kecamatan {s['clerks']} clerks (a search or staff page every "
        f"{THINK_S[0]}–{THINK_S[1]} s), {s['counters']} counters, a kiosk at {s['tickets_per_hour']} "
        f"tickets/h, one TV long-polling; {s['minutes']:g} simulated minutes at {s['speed']:g}×. "
        f"Search through /cari/ on each kecamatan's slice of the synthetic corpus "
        f"({s['docs_per_tenant']} documents per schema, {s['docs_per_tenant'] * s['tenants']} in all); "
        "hits render from the index's fields, no database row needed.",
        f"Machine: {m['nproc']} cores, Python {m['python']}, PostgreSQL {m['postgresql']} "
        f"(max_connections {m['max_connections']}, shared_buffers {m['shared_buffers']}); the load "
        f"driver, HAProxy, PostgreSQL and Redis share the cores; run took {results['elapsed_s']} s."]


def main(argv: list[str] | None = None) -> None:
    """Child steps (`create NAME N`, `index PER NAME…`), else the benchmark at its defaults."""
    args = argv if argv is not None else sys.argv[1:]
    if args and args[0] == "create":
        print(json.dumps(create_child(args[1], int(args[2]))))
    elif args and args[0] == "index":
        print(json.dumps(index_child(int(args[1]), args[2:])))
    else:
        results = run(log=lambda line: print(line, file=sys.stderr, flush=True))
        print(format_table(results))


if __name__ == "__main__":
    main()
