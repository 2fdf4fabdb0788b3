"""`lemari serve` on several processes (Linux): a front-office process before the main workers.

One process with threads shares one GIL: a counter's call-next waited behind searches, renders
and signatures (issue 17: p95 2.4 s under a morning's load). Here:

* the **front-office process** (this one: waitress, the full app) owns the public port. It
  answers itself the requests the features declare cheap and urgent (`register_front_office_paths`:
  the kiosk, the counters, the TV display), and forwards every other request over a private
  Unix socket to the main workers. It runs at normal priority. Its own requests and the
  forwarded ones have a pool of threads each (`FrontDispatcher`): a forwarded request holds
  its thread until a main worker answers, so with one pool the clerks' searches and letters,
  queued behind busy workers, took every thread and a counter's call waited for one;
* the **main workers**: a gunicorn arbiter with `workers` processes (gthread), started with a
  lower CPU priority (`POOL_NICE`), so when the clerks' searches, renders and signatures keep
  every core busy the front office still gets a core at once. Each worker builds its own app
  after the fork (no preloading): database pools, search readers and render pools are never
  shared across a fork;
* the **job consumer** (`lemari jobs worker`) in a process of its own at the lowest priority,
  started once for the installation, not once per worker.

What is per process and stays correct: SQLite runs in WAL with a busy timeout (records.app);
the permission cache drops itself when the epoch in the database moves (records.security);
the search index has one writer at a time (the drain lock, records.indexing) and readers that
reopen on a newer version; kiosk limits are counted in the database. Flask-Limiter's counters
(login, public look-ups) are per process with `memory://`: several workers multiply them, so a
multi-process server warns and the office sets RATELIMIT_STORAGE_URI to Redis.

A child that dies asks the whole server to stop (systemd restarts it); the children die with
the front process (PR_SET_PDEATHSIG), so a killed server leaves nothing listening.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import http.client
import importlib.util
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Niceness of the main workers (and their render processes, which inherit it) and of the
#: job consumer: the front office at 0 gets the CPU first when everything is busy.
POOL_NICE = 5
JOBS_NICE = 10
#: Request threads of the front office for its own paths (counters, kiosk, long-polling TVs),
#: for the requests it forwards (each waits there for a main worker), and of each main worker.
FRONT_THREADS = 24
FORWARD_THREADS = 24
POOL_THREADS = 4
#: Seconds a forwarded request may take (a big export, a rebuild page) before the front gives up.
FORWARD_TIMEOUT = 600
#: Seconds the main workers get to start (each builds the app).
START_TIMEOUT = 180
CLIENT_HEADER, SCHEME_HEADER = "X-Lemari-Client", "X-Lemari-Scheme"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                         "te", "trailer", "trailers", "transfer-encoding", "upgrade", "server", "date"})
_PRIVATE = ("HTTP_X_LEMARI_CLIENT", "HTTP_X_LEMARI_SCHEME")
UNAVAILABLE = b"Lemari sedang dimulai ulang; coba lagi sebentar lagi."


def can_prefork() -> bool:
    """Several worker processes need fork and gunicorn (Linux, macOS); elsewhere one process."""
    return os.name == "posix" and importlib.util.find_spec("gunicorn") is not None


def default_workers() -> int:
    """Main workers sized to the cores (at least two: one busy worker never blocks the rest)."""
    return max(2, os.cpu_count() or 1)


def front_office_pattern(paths: Iterable[str]) -> re.Pattern[str]:
    """One expression matching every declared front-office path (none: matches nothing)."""
    found = [f"(?:{p})" for p in paths]
    return re.compile("|".join(found) if found else r"(?!x)x")


# --- the front office: answer or forward ------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the main workers' private Unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class FrontOffice:
    """WSGI app of the front process: front-office paths run here, the rest is forwarded.

    One new upstream connection per request (`Connection: close`): a Unix connect costs
    microseconds, and a request is never sent twice on a keep-alive connection the worker
    had just closed (a POST must not be repeated)."""

    def __init__(self, app, pattern: re.Pattern[str], socket_path: str,
                 timeout: float = FORWARD_TIMEOUT) -> None:
        self.app, self.pattern, self.socket_path, self.timeout = app, pattern, socket_path, timeout

    def __call__(self, environ, start_response):
        for key in _PRIVATE:
            environ.pop(key, None)  # only the front may say who the client is
        if self.pattern.match(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        return self.forward(environ, start_response)

    def forward(self, environ, start_response):
        """Send the request to a main worker and stream its answer back; a worker pool that
        does not answer gives 503 with Retry-After, never a hang or a 500."""
        conn = UnixHTTPConnection(self.socket_path, self.timeout)
        try:
            conn.putrequest(environ["REQUEST_METHOD"], _target(environ), skip_host=True,
                            skip_accept_encoding=True)
            length, chunks = _body(environ)
            for name, value in _request_headers(environ, length):
                conn.putheader(name, value)
            conn.endheaders()
            for chunk in chunks:
                conn.send(chunk)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            log.warning("main workers did not answer %s %s: %r", environ["REQUEST_METHOD"],
                        environ.get("PATH_INFO"), exc)
            start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8"),
                                                       ("Retry-After", "5")])
            return [UNAVAILABLE]
        start_response(f"{response.status} {response.reason}",
                       [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP])
        return _stream(response, conn)


class FrontDispatcher:
    """waitress's task dispatcher for the front office: the front-office paths and the
    forwarded requests each have their own pool of threads.

    A forwarded request keeps its thread while it waits for a main worker, and when the
    clerks keep the workers busy dozens wait at once. In one shared pool they took every
    thread, and a counter's "Panggil" waited in waitress's queue behind them: with 40
    clerks on 2 saturated cores, call-next p95 405–466 ms, of which the call itself took at
    most 250 ms (issue 17). Here a counter, the kiosk or a TV only ever waits for another of
    their own, and a flood of forwarded requests queues in the forwarding pool instead.
    waitress hands over a channel whose next request is parsed (`channel.requests[0]`), under
    the channel's request lock, so its path is read as the app will see it."""

    def __init__(self, pattern: re.Pattern[str], pool: Callable[[], Any], own: int = FRONT_THREADS,
                 forwarded: int = FORWARD_THREADS) -> None:
        """`pool` makes one of waitress's thread pools (its `ThreadedTaskDispatcher`, given by
        records.cli, the one module that imports waitress)."""
        self.pattern = pattern
        self.own, self.forwarded = pool(), pool()
        self.own.set_thread_count(own)
        self.forwarded.set_thread_count(forwarded)

    def add_task(self, channel) -> None:
        """Queue the channel's next request in the pool its path belongs to."""
        request = channel.requests[0] if channel.requests else None
        own = request is not None and self.pattern.match(request.path or "")
        (self.own if own else self.forwarded).add_task(channel)

    @property
    def active_count(self) -> int:
        """Threads serving a request, in both pools (a clean stop waits for them to end)."""
        return self.own.active_count + self.forwarded.active_count

    @property
    def queue(self) -> list:
        """Requests waiting for a thread, in both pools (each read under its pool's lock:
        a clean stop reads this while requests still arrive)."""
        waiting = []
        for pool in (self.own, self.forwarded):
            with pool.lock:
                waiting.extend(pool.queue)
        return waiting

    def set_thread_count(self, count: int) -> None:
        """waitress stops a dispatcher by setting its threads to 0: both pools."""
        self.own.set_thread_count(count)
        self.forwarded.set_thread_count(count)

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        """Stop both pools (each waits up to `timeout` for its threads)."""
        own = self.own.shutdown(cancel_pending, timeout)
        return self.forwarded.shutdown(cancel_pending, timeout) and own


def _target(environ) -> str:
    """The request target as the client sent it (PATH_INFO is decoded, latin-1 per WSGI)."""
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    target = urllib.parse.quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=~")
    query = environ.get("QUERY_STRING", "")
    return f"{target}?{query}" if query else target


def _request_headers(environ, length: int | None) -> Iterator[tuple[str, str]]:
    for key, value in environ.items():
        if not key.startswith("HTTP_") or key in ("HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE"):
            continue
        name = key[5:].replace("_", "-").title()
        if name.lower() not in _HOP_BY_HOP:
            yield name, value
    if "HTTP_HOST" not in environ:
        yield "Host", f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    if environ.get("CONTENT_TYPE"):
        yield "Content-Type", environ["CONTENT_TYPE"]
    if length is not None:
        yield "Content-Length", str(length)
    yield CLIENT_HEADER, environ.get("REMOTE_ADDR", "")
    yield SCHEME_HEADER, environ.get("wsgi.url_scheme", "http")
    yield "Connection", "close"


def _body(environ) -> tuple[int | None, Iterator[bytes]]:
    """(length, chunks) of the request body; waitress has buffered (and de-chunked) it."""
    stream = environ["wsgi.input"]
    raw = environ.get("CONTENT_LENGTH") or ""
    if raw.isdigit():
        length = int(raw)
        return length, _read(stream, length)
    if environ["REQUEST_METHOD"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return None, iter(())
    data = stream.read()
    return len(data), iter((data,))


def _read(stream, length: int, size: int = 65536) -> Iterator[bytes]:
    while length > 0:
        chunk = stream.read(min(size, length))
        if not chunk:
            return
        length -= len(chunk)
        yield chunk


def _stream(response, conn, size: int = 65536) -> Iterator[bytes]:
    try:
        while chunk := response.read(size):
            yield chunk
    finally:
        conn.close()


# --- the main workers -------------------------------------------------------------------------

class FromFront:
    """WSGI middleware of the main workers: the client's address and scheme as the front
    office saw them (the socket is private to the installation's user, so the headers are
    the front's, which removes any a client sent)."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        client = environ.pop("HTTP_X_LEMARI_CLIENT", None)
        if client is not None:
            environ["REMOTE_ADDR"] = client
        scheme = environ.pop("HTTP_X_LEMARI_SCHEME", None)
        if scheme in ("http", "https"):
            environ["wsgi.url_scheme"] = scheme
        return self.wsgi_app(environ, start_response)


def pool_app():
    """gunicorn's app (`records.serving:pool_app()`): built in each worker after the fork."""
    from records.app import create_app

    app = create_app()
    app.wsgi_app = FromFront(app.wsgi_app)
    return app


# --- the children -----------------------------------------------------------------------------

def _child_setup(nice: int) -> Callable[[], None]:
    """Run in the child before exec: lower priority, and SIGTERM when the front process dies."""
    def setup() -> None:
        os.nice(nice)
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG (Linux)
        except (OSError, AttributeError):
            pass
    return setup


class Children:
    """The main workers' arbiter and the job consumer, started, watched and stopped together."""

    def __init__(self, workers: int, home: str, threads: int = POOL_THREADS, *, jobs: bool = True) -> None:
        self.workers, self.threads, self.with_jobs = workers, threads, jobs
        self.home = str(Path(home).resolve())  # the children work in another folder
        self.run_dir = tempfile.mkdtemp(prefix="lemari-serve-")  # 0700: only we reach the socket
        self.socket_path = os.path.join(self.run_dir, "main.sock")
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def start(self) -> None:
        """Start both children; returns when the main workers answer /health."""
        # -P and --chdir to our empty folder: a config.py in the working directory (the data
        # folder's own, under systemd) must not shadow Lemari's `config` module
        env = {**os.environ, "LEMARI_HOME": self.home}
        self.processes["main workers"] = subprocess.Popen(
            [sys.executable, "-P", "-m", "gunicorn", "--chdir", self.run_dir, "--workers", str(self.workers),
             "--worker-class", "gthread", "--threads", str(self.threads),
             "--bind", f"unix:{self.socket_path}", "--timeout", "120", "--graceful-timeout", "10",
             "--keep-alive", "2", "--log-level", "warning", "--error-logfile", "-",
             "records.serving:pool_app()"],
            env=env, cwd=self.run_dir, preexec_fn=_child_setup(POOL_NICE),
            start_new_session=True)  # noqa: PLW1509
        if self.with_jobs:
            self.processes["job consumer"] = subprocess.Popen(
                [sys.executable, "-P", "-m", "records.console", "jobs", "worker", "--tanpa-pengawas"],
                env=env, cwd=self.run_dir, preexec_fn=_child_setup(JOBS_NICE),
                start_new_session=True)  # noqa: PLW1509
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} stopped at start (exit {process.returncode})")
            try:
                conn = UnixHTTPConnection(self.socket_path, 10)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        raise RuntimeError("main workers did not start in time")

    def watch(self, stop: Callable[[str], None]) -> None:
        """A thread that asks for the server's stop when a child dies on its own."""
        def run() -> None:
            while not self.stopping:
                for name, process in self.processes.items():
                    if process.poll() is not None and not self.stopping:
                        stop(f"{name} stopped (exit {process.returncode})")
                        return
                time.sleep(1)
        threading.Thread(target=run, name="lemari-children", daemon=True).start()

    def stop(self, grace: float = 20) -> None:
        """SIGTERM every child (gunicorn finishes requests in flight, the consumer stops
        cleanly), SIGKILL what is left after grace, remove the socket folder."""
        self.stopping = True
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, process in self.processes.items():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %s s; killed", name, grace)
                process.kill()
                process.wait()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes.values()]


def warn_shared_limits(settings: dict, echo: Callable[[str], None]) -> None:
    """Flask-Limiter's memory:// counters are per process: say so when several serve."""
    if settings["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        echo("Peringatan: batas laju login/lacak dihitung per proses (RATELIMIT_STORAGE_URI=memory://); "
             "pakai Redis (redis://…) agar semua proses berbagi hitungan.")
