"""A clean stop of a long-running process (`lemari serve`, `lemari jobs worker`), asked for by
SIGTERM (systemd's `systemctl stop`) or by a plugin's watcher from its own thread (the UPS
watcher at low battery: `records/daya/`).

What a crash does at each point of the stop, in order:

1. `request(reason)` records the first reason (later ones are ignored), marks the server as
   no longer accepting (the listening socket stays open but the loop stops calling accept),
   and waits up to `grace` seconds for requests in flight to finish while the loop still
   writes their answers. Killed here: every request either committed or did not (each
   request is one transaction); nothing is half-saved.
2. The main thread is interrupted (`KeyboardInterrupt`, which waitress's loop catches: it
   cancels queued requests and waits up to 5 s for its threads).
3. `finish()`: the plugins' watchers stop, the job consumer stops (a job cut off is queued
   again by the next start's requeue: the database is the truth), SQLite's write-ahead log is
   checkpointed into the database file (`PRAGMA wal_checkpoint(TRUNCATE)`), the app's
   workers and search index close. Killed here: SQLite replays its WAL at the next open.
4. The process exits 0; the supervisor (systemd `Restart=always`) starts it again.
"""

from __future__ import annotations

import _thread
import logging
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds `request` waits for requests in flight before interrupting the server.
GRACE_SECONDS = 10.0


class Shutdown:
    """One clean stop of this process; `request` may be called from any thread, any number of
    times (the first reason wins)."""

    def __init__(self, server=None, *, grace: float = GRACE_SECONDS) -> None:
        self.server = server
        self.grace = grace
        self.reason: str | None = None
        self.requested = threading.Event()
        self._lock = threading.Lock()
        self.stoppers: list[Callable[[], None]] = []

    def request(self, reason: str) -> None:
        """Stop accepting, let requests in flight finish (up to `grace`), interrupt the main
        thread. Returns at once when a stop was already asked for."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
        log.warning("clean shutdown requested: %s", reason)
        self.requested.set()
        if self.server is not None:
            self.server.accepting = False  # waitress's loop stops calling accept()
            self._wait_idle()
        if threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt(reason)
        _thread.interrupt_main()

    def _wait_idle(self) -> None:
        dispatcher = getattr(self.server, "task_dispatcher", None)
        deadline = time.monotonic() + self.grace
        while dispatcher is not None and time.monotonic() < deadline:
            if not dispatcher.active_count and not dispatcher.queue:
                return
            time.sleep(0.05)

    def install_sigterm(self) -> None:
        """SIGTERM (systemd stop) asks for the same clean stop (main thread only)."""
        def on_term(_signum, _frame):
            threading.Thread(target=self.request, args=("SIGTERM",), daemon=True).start()

        if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
            signal.signal(signal.SIGTERM, on_term)
            # `request` interrupts the main thread with a simulated SIGINT, which does nothing
            # where SIGINT is ignored (a server started in the background by a shell script)
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def add_stopper(self, stop: Callable[[], None] | None) -> None:
        """A watcher's stop function, called by `finish` before the jobs stop."""
        if stop is not None:
            self.stoppers.append(stop)

    def finish(self, app) -> None:
        """Steps 3 of the module docstring; each step is tried even when one before failed."""
        from records.extensions import db
        from records.jobs import EXTENSION_KEY
        from records.pg_pool import is_shared

        for stop in self.stoppers:
            _try(stop, "watcher stop")
        jobs = app.extensions.get(EXTENSION_KEY)
        if jobs is not None:
            _try(jobs.stop, "job consumer stop")
        with app.app_context():
            _try(lambda: checkpoint_wal(db.engine), "WAL checkpoint")
            if jobs is not None:
                _try(lambda: checkpoint_sqlite_file(getattr(jobs.huey.storage, "filename", None)),
                     "job queue WAL checkpoint")
            _try(db.session.remove, "session close")
            if not is_shared(db.engine):  # every kecamatan of the process shares it
                _try(db.engine.dispose, "engine dispose")
        _try(app.extensions["lemari"].close, "app close")
        log.warning("clean shutdown done: %s", self.reason or "server stopped")


def checkpoint_wal(engine) -> bool:
    """Fold SQLite's write-ahead log into the database file (no-op on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return True


def checkpoint_sqlite_file(path: str | None) -> bool:
    """The same for a plain SQLite file (the job queue's), when it exists."""
    if not path or not Path(path).is_file():
        return False
    connection = sqlite3.connect(path, timeout=5)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return True


def _try(step: Callable[[], object], what: str) -> None:
    try:
        step()
    except Exception:  # a clean stop goes on to its next step
        log.exception("shutdown step failed: %s", what)
