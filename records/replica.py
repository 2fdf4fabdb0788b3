"""Reads that tolerate lag go to a PostgreSQL streaming replica (DATABASE_REPLICA_URL).

Today that is the search: the heaviest read of a staff day, and one whose index already
follows the records through the outbox. A search goes to the replica only while the replica
is *fresh*: it has replayed everything the primary had written REPLICA_MAX_LAG_SECONDS ago.
Freshness is measured, not assumed from a timestamp (an idle primary writes nothing, and
``pg_last_xact_replay_timestamp()`` then ages though nothing is missing): a thread of each
process reads the primary's WAL position every CHECK_SECONDS, keeps those samples for the
lag window, and asks the replica how far it has replayed; the replica is fresh when it has
replayed a sample taken within the window. One watch per process and replica serves every
kecamatan (the WAL is the cluster's).

A replica that is down, promoted, lagging, another cluster's standby or cancelling a query (a
conflict with recovery) costs nothing but a read on the primary: the search adapter falls back
at once and the watch marks it stale until its next good look; a replica that stops answering
is given up after 3 s to connect or 15 s unacknowledged (TCP), and a watch that stops looking
stops saying fresh.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from records.pg_pool import engine_for, without_options

log = logging.getLogger(__name__)

#: Seconds between two looks at the primary's and the replica's WAL positions.
CHECK_SECONDS = 1.0
_PRIMARY_LSN = text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
_REPLAYED_LSN = text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
_CLUSTER = text("SELECT system_identifier FROM pg_control_system()")
#: A replica that does not answer in time is a replica to skip, not a search to hang.
CONNECT_ARGS = {"connect_timeout": 3, "keepalives": 1, "keepalives_idle": 10,
                "keepalives_interval": 5, "keepalives_count": 2, "tcp_user_timeout": 15000}

_WATCHES: dict[tuple[int, str, str], LagWatch] = {}
_WATCHES_LOCK = threading.Lock()


class LagWatch:
    """Whether a replica has replayed what its primary had written `max_lag` seconds ago."""

    def __init__(self, primary_url: str, replica_url: str, max_lag: float,
                 every: float = CHECK_SECONDS) -> None:
        # one connection each, kept: a look every second must not open one
        self._primary = create_engine(primary_url, pool_size=1, max_overflow=0, pool_pre_ping=True)
        self._replica = create_engine(replica_url, pool_size=1, max_overflow=0, pool_pre_ping=True,
                                      connect_args=CONNECT_ARGS)
        self.max_lag, self.every = max_lag, every
        self._samples: deque[tuple[float, int]] = deque()  # (monotonic time, primary WAL position)
        self._fresh = False
        self._looked_at = float("-inf")  # when the last look said fresh
        self._same_cluster: bool | None = None
        self._said: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def fresh(self) -> bool:
        """The last look's answer, if that look is recent: a watch that stopped looking (its
        thread stuck on a dead network) does not keep saying fresh. The watch starts on the
        first question, in its own thread: the search that asks reads on the primary rather
        than wait for a look (a replica gone silent takes seconds to give up on)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="lemari-replica-lag",
                                                    daemon=True)
                    self._thread.start()
        return self._fresh and time.monotonic() - self._looked_at <= 3 * self.every + 1

    def failed(self) -> None:
        """A read on the replica failed: stale until the next good look."""
        self._fresh = False

    def look(self) -> bool:
        """Sample the primary, ask the replica, and decide."""
        now = time.monotonic()
        try:
            with self._primary.connect() as conn:
                self._samples.append((now, int(conn.scalar(_PRIMARY_LSN))))
            while self._samples and self._samples[0][0] < now - self.max_lag - 2 * self.every:
                self._samples.popleft()
            with self._replica.connect() as conn:
                recovering, replayed = conn.execute(_REPLAYED_LSN).one()
            if self._same_cluster is None:
                self._same_cluster = self._compare_clusters()
        except SQLAlchemyError as exc:
            self._decide(False, f"replika tidak terjangkau ({exc.__class__.__name__})")
            return False
        if not recovering or replayed is None:  # promoted, or never a standby: it went its own way
            self._decide(False, "basis data replika bukan standby (bukan dalam pemulihan)")
            return False
        if self._same_cluster is False:
            self._decide(False, "replika adalah standby dari klaster lain")
            return False
        caught_up = [at for at, position in self._samples if position <= replayed]
        fresh = bool(caught_up) and max(caught_up) >= now - self.max_lag
        self._decide(fresh, "" if fresh else f"replika tertinggal lebih dari {self.max_lag:g} detik")
        if fresh:
            self._looked_at = now
        return fresh

    def _compare_clusters(self) -> bool | None:
        """Whether the replica is a standby of this primary (the same system identifier);
        None when an account may not read it (then only the WAL positions are compared)."""
        try:
            with self._primary.connect() as conn:
                ours = conn.scalar(_CLUSTER)
            with self._replica.connect() as conn:
                theirs = conn.scalar(_CLUSTER)
        except DBAPIError as exc:
            if "permission denied" in str(exc.orig):
                return None
            raise
        return ours == theirs

    def _decide(self, fresh: bool, why: str) -> None:
        self._fresh = fresh
        if why != self._said:  # log changes only, not every second
            say = log.info if fresh else log.warning
            say("read replica %s", why or "segar; pencarian dibaca di replika")
            self._said = why

    def _run(self) -> None:
        while True:
            try:
                self.look()
            except Exception:  # the watch must go on looking; meanwhile fresh() turns false
                log.exception("read replica watch failed")
            if self._stop.wait(self.every):
                return

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._primary.dispose()
        self._replica.dispose()


class ReadReplica:
    """A kecamatan's (or an office's) way to its replica: the engine to read on while fresh."""

    def __init__(self, engine: Engine, watch: LagWatch) -> None:
        self.engine, self.watch = engine, watch

    def fresh(self) -> Engine | None:
        return self.engine if self.watch.fresh() else None

    def failed(self) -> None:
        self.watch.failed()


def read_replica(settings: Mapping[str, Any]) -> ReadReplica | None:
    """The replica for the app's database, or None when DATABASE_REPLICA_URL is empty. A
    kecamatan reads its own schema there (the primary URL's options are carried over)."""
    replica_url = str(settings.get("DATABASE_REPLICA_URL") or "")
    if not replica_url:
        return None
    primary = make_url(settings["SQLALCHEMY_DATABASE_URI"])
    replica = make_url(replica_url)
    if "options" in primary.query:
        replica = replica.update_query_dict({"options": primary.query["options"]})
    key = (os.getpid(), without_options(primary), without_options(replica))
    with _WATCHES_LOCK:
        watch = _WATCHES.get(key)
        if watch is None:
            max_lag = float(settings.get("REPLICA_MAX_LAG_SECONDS") or 10)
            watch = _WATCHES[key] = LagWatch(key[1], key[2], max_lag)
    return ReadReplica(engine_for(replica, settings, connect_args=CONNECT_ARGS, pool_pre_ping=True), watch)


def close_watches() -> None:
    """Stop this process's watches (tests, and a process that ends)."""
    with _WATCHES_LOCK:
        for key in [key for key in _WATCHES if key[0] == os.getpid()]:
            _WATCHES.pop(key).close()
