"""records.sqlite_gate on a real SQLite file: writers of one process queue and take turns,
readers never wait, every way a transaction ends frees the gate, and a writer of another
process holding the lock past the busy timeout still gives SQLite's "database is locked"."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from records import app as _app  # noqa: F401  (its connect hook: WAL, busy timeout)
from records import sqlite_gate

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    sqlite_gate.install(engine, busy_timeout_s=2)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    yield engine
    engine.dispose()


def _gate(engine) -> threading.Lock:
    return sqlite_gate._gate_for(engine.url.database)


def test_a_second_writer_waits_on_the_gate_and_writes_after_the_first_commits(engine):
    order, started = [], threading.Event()

    def second():
        started.wait()
        with Session(engine) as session:
            session.execute(text("INSERT INTO t (who) VALUES ('second')"))
            order.append("second wrote")
            session.commit()

    thread = threading.Thread(target=second)
    with Session(engine) as session:
        session.execute(text("INSERT INTO t (who) VALUES ('first')"))
        thread.start()
        started.set()
        thread.join(timeout=0.3)  # it cannot get past the gate while we hold it
        assert thread.is_alive() and order == []
        assert _waits_on_the_gate(thread), "the second writer should queue on the gate, not in SQLite"
        order.append("first commits")
        session.commit()
    thread.join(timeout=10)
    assert order == ["first commits", "second wrote"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == ["first", "second"]


def _waits_on_the_gate(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "_before_write" and frame.f_code.co_filename == sqlite_gate.__file__:
            return True
        frame = frame.f_back
    return False


def test_readers_do_not_wait_for_a_writer(engine):
    with Session(engine) as writer:
        writer.execute(text("INSERT INTO t (who) VALUES ('w')"))
        seen = []
        reader = threading.Thread(target=lambda: seen.append(
            Session(engine).execute(text("SELECT count(*) FROM t")).scalar()))
        reader.start()
        reader.join(timeout=5)
        assert seen == [0]  # read the committed state, without waiting
        writer.rollback()


@pytest.mark.parametrize("ending", ["commit", "rollback", "close", "error"])
def test_every_end_of_a_transaction_frees_the_gate(engine, ending):
    session = Session(engine)
    session.execute(text("INSERT INTO t (who) VALUES ('x')"))
    assert not _gate(engine).acquire(blocking=False)
    if ending == "commit":
        session.commit()
    elif ending == "rollback":
        session.rollback()
    elif ending == "close":
        session.close()  # the pool's rollback on return
    else:
        with pytest.raises(OperationalError):
            session.execute(text("INSERT INTO missing (x) VALUES (1)"))
        session.rollback()
    gate = _gate(engine)
    assert gate.acquire(blocking=False), f"gate still held after {ending}"
    gate.release()


def test_a_writer_in_another_process_past_the_busy_timeout_gives_database_is_locked(engine):
    with _another_process_writing(engine, seconds=4):
        with Session(engine) as session:
            with pytest.raises(OperationalError, match="database is locked"):
                session.execute(text("INSERT INTO t (who) VALUES ('late')"))
            session.rollback()
        gate = _gate(engine)
        assert gate.acquire(blocking=False)
        gate.release()
    with Session(engine) as session:  # once the other process commits, writes go through
        session.execute(text("INSERT INTO t (who) VALUES ('after')"))
        session.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == ["other", "after"]


def test_a_writer_polls_while_another_process_holds_the_lock_and_writes_when_it_commits(engine):
    """The poll runs with SQLite's own busy timeout at 0: a poll that gave up at the first
    "locked" would fail here."""
    with _another_process_writing(engine, seconds=0.5):
        with Session(engine) as session:
            session.execute(text("INSERT INTO t (who) VALUES ('mine')"))
            session.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == ["other", "mine"]


@contextlib.contextmanager
def _another_process_writing(engine, seconds: float):
    """A child process that holds SQLite's write lock (its row 'other' written) for `seconds`,
    then commits; the block runs while it holds the lock, and the exit waits for its commit."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, time\n"
         f"c = sqlite3.connect({engine.url.database!r}, isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE'); c.execute(\"INSERT INTO t (who) VALUES ('other')\")\n"
         f"print('held', flush=True); time.sleep({seconds}); c.execute('COMMIT')\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.wait(timeout=30)
        holder.stdout.close()


# --- the front office goes first ----------------------------------------------------------------

def _clerk(engine, defer_max_s: float, *, wait_for_go: bool = False) -> list[str]:
    """A writer of another process (a main worker: no priority) with the gate installed: it
    writes the row 'clerk' (after a line on its stdin with `wait_for_go`, having printed
    'ready') and prints the seconds the write took."""
    return [sys.executable, "-c",
            "import sys, time\n"
            "from sqlalchemy import create_engine, text\n"
            "from records import app, sqlite_gate\n"
            f"sqlite_gate.DEFER_MAX_S = {defer_max_s}\n"
            f"engine = create_engine('sqlite:///{engine.url.database}')\n"
            "sqlite_gate.install(engine, busy_timeout_s=10)\n"
            + ("print('ready', flush=True)\nsys.stdin.readline()\n" if wait_for_go else "")
            + "start = time.monotonic()\n"
            "with engine.begin() as conn:\n"
            "    conn.execute(text(\"INSERT INTO t (who) VALUES ('clerk')\"))\n"
            "print(time.monotonic() - start)\n"]


@contextlib.contextmanager
def _clerk_ready(engine, defer_max_s: float):
    """A clerk started and ready (its imports done, which can take seconds on a busy machine);
    calling the yielded function makes it write and returns the seconds the write took."""
    clerk = subprocess.Popen(_clerk(engine, defer_max_s, wait_for_go=True),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert clerk.stdout.readline().strip() == "ready"

        def write() -> float:
            clerk.stdin.write("go\n")
            clerk.stdin.flush()
            return float(clerk.stdout.readline())

        yield write
        assert clerk.wait(timeout=30) == 0
    finally:
        clerk.stdin.close()
        clerk.stdout.close()
        if clerk.poll() is None:
            clerk.kill()


def test_a_clerk_holds_back_while_the_front_office_waits_and_goes_when_it_stops(engine):
    """While a front-office writer waits for the lock, another process's writer does not take
    it (up to DEFER_MAX_S), even when it stands free; with no one waiting it writes at once."""
    sqlite_gate.give_priority(engine)
    turn = sqlite_gate._turn_for(engine.url.database)
    try:
        with _clerk_ready(engine, defer_max_s=1.5) as clerk_writes:
            with turn.waiting():
                assert Path(engine.url.database + sqlite_gate.SUFFIX).read_bytes()[:1] == b"\x01"
                held_back = clerk_writes()
        with _clerk_ready(engine, defer_max_s=1.5) as clerk_writes:
            free = clerk_writes()
    finally:
        turn.priority = False
    assert held_back >= 1.4, held_back
    assert free < 1.0, free
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == ["clerk", "clerk"]


def test_the_front_office_writes_before_a_clerk_that_polled_first(engine):
    """A counter and a clerk both wait while a third process holds the lock: when it commits,
    the counter's row comes first although the clerk started waiting before it."""
    sqlite_gate.give_priority(engine)
    clerk = subprocess.Popen(
        _clerk(engine, defer_max_s=5, wait_for_go=True),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert clerk.stdout.readline().strip() == "ready"
        with _another_process_writing(engine, seconds=1.0):
            clerk.stdin.write("go\n")
            clerk.stdin.flush()
            time.sleep(0.3)  # the clerk polls for the lock first
            with Session(engine) as session:
                session.execute(text("INSERT INTO t (who) VALUES ('counter')"))
                session.commit()
        assert clerk.wait(timeout=30) == 0
    finally:
        sqlite_gate._turn_for(engine.url.database).priority = False
        clerk.stdin.close()
        clerk.stdout.close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == [
            "other", "counter", "clerk"]


def test_a_claim_left_by_a_front_office_that_died_holds_nobody_back(engine):
    """A flag raised and then left unchanged for STALE_S (its process died while waiting), or
    raised before the machine restarted, is ignored; the same flag freshly raised is obeyed."""
    path = engine.url.database + sqlite_gate.SUFFIX
    clerk = sqlite_gate._Turn(engine.url.database)
    with open(path, "wb") as fh:
        fh.write(sqlite_gate._LAYOUT.pack(1, time.monotonic() - sqlite_gate.STALE_S - 1))
    assert not clerk.defer()
    with open(path, "r+b") as fh:  # written before the machine restarted: ahead of its clock
        fh.write(sqlite_gate._LAYOUT.pack(1, time.monotonic() + 3600))
    assert not clerk.defer()
    with open(path, "r+b") as fh:
        fh.write(sqlite_gate._LAYOUT.pack(1, time.monotonic()))
    assert clerk.defer()
