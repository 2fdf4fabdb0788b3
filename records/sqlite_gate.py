"""SQLite writers take turns promptly: a queue per process, a short poll across processes.

SQLite lets one transaction write at a time. The others wait in its busy handler, which
sleeps 1, 2, 5, 10, 15, 20, 25 … and then 100 ms between tries: ten counter threads racing
for the lock each sleep longer the longer they have waited, and the lock stands free between
their tries. On the front office that was most of a call-next's tail (issue 17: p95 86 ms with
only the queue running, the machine 27 % busy, against 18 ms idle).

Here a transaction's first write first queues behind the other writers of its own process
(a lock per database file, woken the moment the previous writer finishes), then the one at
the head of the line opens the transaction itself (``BEGIN IMMEDIATE``) and, while a writer in
another process holds SQLite's lock, tries again every `POLL_S` instead of SQLite's growing
sleeps. The gate opens when the transaction has ended (after its COMMIT or ROLLBACK,
including the pool's rollback when a connection is returned). A wait longer than the busy timeout ends
with SQLite's own "database is locked", as before; reads never wait.

The front office (counters, kiosk) goes first (`give_priority`): while one of its writers
waits, a writer of another process holds back from taking the lock, for at most `DEFER_MAX_S`
(so the clerks' writes are never starved). The signal is a flag and the time it last
changed in a file beside the database (`<db>-lemari-loket`), mapped into every process: a
call-next then waits for at most the one transaction that holds the lock, not for the
clerks' searches and letters that would otherwise win the race between two of the counter's
polls (issue 17). A flag unchanged for `STALE_S` is ignored: a front office that died
waiting holds nobody back.

Two connections of one thread writing at once would wait for each other here as they already
did on SQLite's lock (and fail after the busy timeout the same way).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import sqlite3
import struct
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: Seconds between tries for SQLite's lock while another process holds it (one thread per
#: process polls: the others wait on the gate).
POLL_S = 0.001
#: Seconds a writer holds back at most while the front office waits for the lock.
DEFER_MAX_S = 0.1
#: Seconds after which a raised flag that has not changed is taken as left behind.
STALE_S = 5.0
#: The shared file: byte 0 the flag, bytes 8–15 when it last changed (CLOCK_MONOTONIC, one
#: clock for every process of the host).
_LAYOUT, _SIZE = struct.Struct("=B7xd"), 16
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
_HELD = "lemari_sqlite_gate"
_gates: dict[str, threading.Lock] = {}
_gates_lock = threading.Lock()


def install(engine: Engine, busy_timeout_s: float) -> None:
    """Gate every write transaction of this SQLite engine (no effect on other dialects)."""
    if engine.dialect.name != "sqlite":
        return
    gate = _gate_for(engine.url.database or ":memory:")
    turn = _turn_for(engine.url.database or ":memory:")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, cursor, statement, parameters, context, executemany):
        info = conn.connection.info
        if _HELD in info or not _is_write(statement):
            return
        dbapi = conn.connection.dbapi_connection
        if dbapi.in_transaction:
            return  # a transaction someone opened explicitly: it has SQLite's lock already
        deadline = time.monotonic() + busy_timeout_s
        with turn.waiting():
            if not gate.acquire(timeout=busy_timeout_s):
                raise sqlite3.OperationalError("database is locked")
            info[_HELD] = gate
            try:
                _begin_immediate(dbapi, deadline, busy_timeout_s, turn)
            except BaseException:
                _release(info)
                raise

    def _commit(conn) -> None:
        _end(conn, "commit")

    def _rollback(conn) -> None:
        _end(conn, "rollback")

    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _rollback)
    # The pool's own rollback when a connection is returned, closed or thrown away.
    event.listen(engine.pool, "reset", _on_reset)
    event.listen(engine.pool, "checkin", _pool_end)
    event.listen(engine.pool, "close", _pool_end)
    event.listen(engine.pool, "invalidate", _on_invalidate)


def _on_reset(dbapi_connection, record, reset_state) -> None:
    _pool_end(dbapi_connection, record)


def _on_invalidate(dbapi_connection, record, exception) -> None:
    _pool_end(dbapi_connection, record)


def _end(conn, how: str) -> None:
    """These events come before SQLAlchemy's own COMMIT/ROLLBACK: end the transaction here,
    then open the gate, so the next writer finds SQLite's lock free. A COMMIT that fails keeps
    the gate: SQLAlchemy's own COMMIT then fails the same way, reports it, and rolls back."""
    if conn.closed or conn.invalidated or _HELD not in conn.connection.info:
        return
    try:
        getattr(conn.connection.dbapi_connection, how)()
    except sqlite3.Error:
        if how == "commit":
            return
    _release(conn.connection.info)


def _pool_end(dbapi_connection, record) -> None:
    if record is None or _HELD not in record.info:
        return
    try:
        dbapi_connection.rollback()
    except sqlite3.Error:
        pass  # a broken connection is thrown away; its transaction ends with it
    _release(record.info)


def _release(info: dict) -> None:
    gate = info.pop(_HELD, None)
    if gate is not None:
        gate.release()


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITES)


def _begin_immediate(dbapi: sqlite3.Connection, deadline: float, busy_timeout_s: float,
                     turn: _Turn) -> None:
    """Open the write transaction, polling every POLL_S while another process writes (and,
    outside the front office, while the front office waits, up to DEFER_MAX_S)."""
    defer_until = min(deadline, time.monotonic() + DEFER_MAX_S)
    dbapi.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            if turn.defer() and time.monotonic() < defer_until:
                time.sleep(POLL_S)
                continue
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise
                time.sleep(POLL_S)
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")


class _Turn:
    """The front office's claim on the next turn, shared by the processes of one database:
    the flag in `<db>-lemari-loket` is 1 while a front-office writer waits. Only the process
    given priority writes it (counting its waiting threads); the others read it."""

    def __init__(self, path: str | None) -> None:
        self.path, self.flag, self.priority, self.waiters = path, None, False, 0
        self.lock, self.looked_at = threading.Lock(), -1.0

    def _map(self) -> mmap.mmap | None:
        """The shared flag and its time; only the front office creates the file (elsewhere a
        missing or short file means no front office: looked for again at most once a second)."""
        if self.flag is None and self.path is not None:
            if not self.priority and time.monotonic() - self.looked_at < 1:
                return None
            self.looked_at = time.monotonic()
            try:
                create = os.O_CREAT if self.priority else 0
                fd = os.open(self.path + SUFFIX, os.O_RDWR | create, 0o600)
                try:
                    if os.fstat(fd).st_size < _SIZE:
                        if not self.priority:
                            return None  # the front office is still writing it
                        os.ftruncate(fd, _SIZE)
                    self.flag = mmap.mmap(fd, _SIZE)
                finally:
                    os.close(fd)
            except FileNotFoundError:
                return None
            except OSError:
                self.path = None  # a read-only folder: no priority, writers race as before
        return self.flag

    def claim(self) -> None:
        """This process is the front office: its writers go first from now on."""
        self.priority = True
        flag = self._map()
        if flag is not None:
            _LAYOUT.pack_into(flag, 0, 0, time.monotonic())  # a claim left by an earlier one

    @contextlib.contextmanager
    def waiting(self):
        """Around a front-office writer's wait for the lock (no effect elsewhere)."""
        if not self.priority or self._map() is None:
            yield
            return
        self._count(+1)
        try:
            yield
        finally:
            self._count(-1)

    def _count(self, step: int) -> None:
        with self.lock:
            self.waiters += step
            _LAYOUT.pack_into(self.flag, 0, 1 if self.waiters > 0 else 0, time.monotonic())  # type: ignore[arg-type]

    def defer(self) -> bool:
        """Whether this writer should hold back: the front office waits and this is not it."""
        if self.priority:
            return False
        flag = self._map()
        if flag is None:
            return False
        raised, changed = _LAYOUT.unpack_from(flag, 0)
        # a time ahead of the clock was written before a restart of the machine (power cut)
        return raised == 1 and 0 <= time.monotonic() - changed < STALE_S


#: The file beside the database that holds the front office's claim.
SUFFIX = "-lemari-loket"
_turns: dict[str, _Turn] = {}


def give_priority(engine: Engine) -> None:
    """Make this process the front office of the engine's database: its writers go first."""
    if engine.dialect.name == "sqlite":
        _turn_for(engine.url.database or ":memory:").claim()


def _key(path: str) -> str:
    return os.path.abspath(path) if path != ":memory:" else path


def _gate_for(path: str) -> threading.Lock:
    with _gates_lock:
        return _gates.setdefault(_key(path), threading.Lock())


def _turn_for(path: str) -> _Turn:
    with _gates_lock:
        return _turns.setdefault(_key(path), _Turn(None if path in (":memory:", "") else _key(path)))


def _forget_gates() -> None:
    """A forked child starts with no writer: locks held by the parent's threads stay behind
    (and it is not the front office: the claim stays with the parent)."""
    global _gates_lock
    for turn in _turns.values():
        turn.priority, turn.waiters, turn.lock = False, 0, threading.Lock()
    _gates.clear()
    _turns.clear()
    _gates_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_gates)
