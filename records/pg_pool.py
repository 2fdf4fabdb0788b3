"""One PostgreSQL connection pool per process for every kecamatan of a kabupaten node.

A kecamatan's database URL names its schema in the connection options
(``options=-csearch_path=kec_<name>,public``, records.tenancy). Given to SQLAlchemy as it is,
every kecamatan's app and search index would keep a pool of its own: about seven connections
per kecamatan per process, 140 for 20 kecamatan, past a stock PostgreSQL's
``max_connections = 100`` with one process (the kabupaten benchmark needed 600). Here every
such URL of one server and database shares one engine and one pool per process, and each
kecamatan's engine is that engine with an execution option naming its ``search_path``:

- at every checkout (``engine_connect``) and every transaction's start (``begin``: a
  Connection that reconnects takes a pooled connection without a checkout event) the
  connection is put in the kecamatan's ``search_path`` unless it is already there, with a
  session-level ``set_config`` sent in autocommit (the same dance as SQLAlchemy's own
  pre-ping), so no transaction's ROLLBACK can take it back and no statement runs before it;
- what the connection was put in is remembered in the pool's ``info`` of that DBAPI
  connection, which SQLAlchemy clears when it replaces the connection (invalidation, recycle);
  a connection in a transaction at checkout, which the pool's reset makes impossible, is
  refused rather than used in an unknown schema;
- PostgreSQL re-parses a prepared statement whose ``search_path`` changed since it was
  prepared (PREPARE, since 9.3), so psycopg's prepared statements stay each schema's;
- a checkout prefers an idle connection already in the kecamatan's schema (`AffinityPool`):
  no switch, and no re-parse of its prepared statements; with none idle it opens a new one
  while the pool is below its size, and only then moves the connection idle the longest.

URLs without a ``search_path`` (a single office) get an ordinary engine of their own; SQLite
is untouched. Engines are per process id: a forked child never shares its parent's sockets.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.base import OptionEngine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from sqlalchemy.util.queue import Queue

#: The execution option naming a kecamatan engine's search_path.
SEARCH_PATH = "lemari_search_path"
#: What the pool remembers per DBAPI connection: (its id, the search_path it was put in).
_PUT_IN = "lemari_search_path_set"
#: A connection of the shared engine used without a kecamatan (never by Lemari's code).
_DEFAULT_PATH = '"$user", public'
#: Pool sizes of a process serving every kecamatan: connections kept open, and the extra ones
#: opened in a burst and closed after (settings DATABASE_POOL_SIZE / DATABASE_POOL_OVERFLOW).
POOL_SIZE, POOL_OVERFLOW = 32, 8

_SHARED: dict[tuple[int, str], Engine] = {}
_SHARED_LOCK = threading.Lock()
#: The search_path the checkout under way wants (set by a kecamatan engine around its checkout).
_WANTED: contextvars.ContextVar[str | None] = contextvars.ContextVar("lemari_wanted_search_path",
                                                                    default=None)
#: How many times this process put a connection in a search_path, a new one's first included.
_SWITCHES = [0]
_SWITCHES_LOCK = threading.Lock()


def search_path_of(url: str | URL) -> str | None:
    """The search_path the URL's connection options set, or None."""
    options = make_url(url).query.get("options")
    for option in ([options] if isinstance(options, str) else list(options or ())):
        # libpq takes "-csearch_path=…" and "-c search_path=…" alike
        for part in option.replace("-c ", "-c").split():
            if part.startswith("-csearch_path="):
                return part.removeprefix("-csearch_path=")
    return None


def shares_pool(url: str | URL) -> bool:
    """Whether `url` is a kecamatan's (PostgreSQL, a search_path in its options)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and search_path_of(parsed) is not None


def engine_for(url: str | URL, settings: Mapping[str, Any] | None = None, *,
               connect_args: Mapping[str, Any] | None = None, **options: Any) -> Engine:
    """The engine for `url`: a kecamatan's view of the process's shared engine when the URL
    is a kecamatan's, else a new engine of its own (with `options`)."""
    if not shares_pool(url):
        return create_engine(url, connect_args=dict(connect_args or {}), **options)
    return KecamatanEngine(shared_engine(url, settings, connect_args), {SEARCH_PATH: search_path_of(url)})


def without_options(url: str | URL) -> str:
    """The URL of the server and database alone (its connection options, the schema, dropped)."""
    return make_url(url).difference_update_query(["options"]).render_as_string(hide_password=False)


def is_shared(engine: Engine) -> bool:
    """Whether `engine` is a kecamatan's view of a shared engine (disposing it would close the
    pool every kecamatan of the process uses)."""
    return SEARCH_PATH in engine.get_execution_options()


def shared_engine(url: str | URL, settings: Mapping[str, Any] | None = None,
                  connect_args: Mapping[str, Any] | None = None) -> Engine:
    """The process's engine for the server and database of `url` (its options dropped);
    the first caller's pool sizes and `connect_args` make it."""
    settings = settings or {}
    base = without_options(url)
    key = (os.getpid(), base)
    with _SHARED_LOCK:
        engine = _SHARED.get(key)
        if engine is None:
            engine = create_engine(
                base, poolclass=AffinityPool, pool_pre_ping=True, connect_args=dict(connect_args or {}),
                pool_size=_setting(settings, "DATABASE_POOL_SIZE", POOL_SIZE),
                max_overflow=_setting(settings, "DATABASE_POOL_OVERFLOW", POOL_OVERFLOW))
            event.listen(engine, "engine_connect", _enter_search_path)
            # and again at every transaction's start: a Connection that reconnects after a
            # disconnect takes a pooled connection without a new engine_connect
            event.listen(engine, "begin", _enter_search_path)
            _SHARED[key] = engine
    return engine


def _setting(settings: Mapping[str, Any], key: str, default: int) -> int:
    """An integer setting; 0 is a value (no overflow), only a missing one takes the default."""
    value = settings.get(key)
    return default if value is None or value == "" else int(value)


def dispose_shared(url: str | URL | None = None) -> None:
    """Close this process's shared pools, or only the one for `url`'s server and database (a
    temporary database about to be dropped); the next use opens a new one."""
    only = None if url is None else without_options(url)
    with _SHARED_LOCK:
        mine = [key for key in _SHARED if key[0] == os.getpid() and only in (None, key[1])]
        for key in mine:
            _SHARED.pop(key).dispose()


class KecamatanEngine(OptionEngine):
    """A kecamatan's view of the shared engine (`execution_options` naming its search_path)
    that tells the pool which schema its checkouts want."""

    def raw_connection(self):
        """The pool's connection, preferably one already in this kecamatan's schema."""
        token = _WANTED.set(self._execution_options.get(SEARCH_PATH))
        try:
            return super().raw_connection()
        finally:
            _WANTED.reset(token)


KecamatanEngine._option_cls = KecamatanEngine  # its own further options keep the preference


class _AffinityQueue(Queue):
    """The idle connections, newest last: `take` finds the newest one already in a search_path,
    a get takes the oldest (its schema the least recently wanted)."""

    def take(self, wanted: str):
        """The newest idle connection already in `wanted`, or None; never waits."""
        with self.mutex:
            for i in range(len(self.queue) - 1, -1, -1):
                record = self.queue[i]
                if record.info.get(_PUT_IN) == (id(record.dbapi_connection), wanted):
                    del self.queue[i]
                    self.not_full.notify()
                    return record
            return None

    def _get(self):
        """What `take` found none of: the connection idle the longest (a checkout that waited
        for a full pool takes the first one given back, whatever its schema)."""
        return self.queue.popleft()


class AffinityPool(QueuePool):
    """SQLAlchemy's QueuePool whose idle connections are taken by schema: a kecamatan takes
    one already in its schema; with none idle, a new connection while the pool is below its
    size (so a warm process keeps a connection per busy kecamatan and rarely switches); only
    then one idle in another schema, the one idle the longest. (It uses QueuePool's private
    overflow counter and connection factory, as QueuePool's own `_do_get` does; the pool's
    tests fail if a SQLAlchemy release changes them.)"""

    _queue_class = _AffinityQueue
    _pool: _AffinityQueue

    def _do_get(self):
        wanted = _WANTED.get()
        if wanted is not None:
            record = self._pool.take(wanted)
            if record is not None:
                return record
            if self._grow_below_size():
                try:
                    return self._create_connection()
                except Exception:  # e.g. the server's max_connections: an idle one will do
                    self._dec_overflow()
        return super()._do_get()

    def _grow_below_size(self) -> bool:
        """Count one more connection if the pool has not yet opened `pool_size` of them."""
        with self._overflow_lock:
            if self._overflow < 0:
                self._overflow += 1
                return True
            return False


def _enter_search_path(conn) -> None:
    """Put the checked-out connection in its kecamatan's search_path, unless it is there."""
    path = conn.get_execution_options().get(SEARCH_PATH, _DEFAULT_PATH)
    proxied = conn.connection
    dbapi = proxied.dbapi_connection
    if proxied.info.get(_PUT_IN) == (id(dbapi), path):
        return
    if dbapi.info.transaction_status != 0:  # psycopg's IDLE: the pool's reset ended every transaction
        proxied.invalidate()
        raise RuntimeError("a pooled connection in a transaction at checkout; its search_path is unknown")
    statement = "SELECT pg_catalog.set_config('search_path', %s, false)"
    try:
        before = dbapi.autocommit
        dbapi.autocommit = True
        try:
            with dbapi.cursor() as cursor:
                cursor.execute(statement, (path,))
        finally:
            dbapi.autocommit = before
    except conn.dialect.loaded_dbapi.Error as exc:  # the server went away: as any statement's error
        proxied.invalidate(exc)
        proxied.close()
        raise DBAPIError.instance(statement, (path,), exc, conn.dialect.loaded_dbapi.Error) from exc
    proxied.info[_PUT_IN] = (id(dbapi), path)
    with _SWITCHES_LOCK:
        _SWITCHES[0] += 1


def switches() -> int:
    """How many times this process put a pooled connection in a search_path (each a round trip
    and, for the statements it prepared, a re-parse): the pool's affinity is judged by it."""
    return _SWITCHES[0]
