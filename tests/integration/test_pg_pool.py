"""Every kecamatan of a process shares one PostgreSQL pool (records.pg_pool): each checkout
works in its own kecamatan's schema, whatever the connection did before, on real PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy
from sqlalchemy import text

from records import pg_pool
from records.tenancy import tenant_url

pytestmark = pytest.mark.postgres

ONE_CONNECTION = {"DATABASE_POOL_SIZE": 1, "DATABASE_POOL_OVERFLOW": 0}


@pytest.fixture
def two_schemas(pg_url):
    """A database with schemas kec_a and kec_b, each holding table `surat` with its own row."""
    admin = sqlalchemy.create_engine(pg_url)
    with admin.begin() as conn:
        for schema in ("kec_a", "kec_b"):
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            conn.execute(text(f"CREATE TABLE {schema}.surat (nomor text)"))
            conn.execute(text(f"INSERT INTO {schema}.surat VALUES ('{schema}/001')"))
    admin.dispose()
    yield pg_url
    pg_pool.dispose_shared()


def _engines(url: str):
    return [pg_pool.engine_for(tenant_url(url, schema), ONE_CONNECTION) for schema in ("kec_a", "kec_b")]


def _backend(conn) -> int:
    return conn.scalar(text("SELECT pg_backend_pid()"))


def test_one_connection_serves_both_kecamatan_each_in_its_own_schema(two_schemas):
    a, b = _engines(two_schemas)
    assert a.pool is b.pool and pg_pool.is_shared(a)
    backends = set()
    for _ in range(8):  # past psycopg's prepare threshold: the prepared statement is re-parsed per schema
        for engine, mine in ((a, "kec_a/001"), (b, "kec_b/001")):
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT nomor FROM surat")) == mine
                backends.add(_backend(conn))
    assert len(backends) == 1  # the same connection, switched every time


def _two_connections(url: str, schemas=("kec_a", "kec_b"), size: int = 2):
    """Engines of `schemas` on a pool of `size`, two connections open, each left in the schema
    that opened it."""
    sizes = {"DATABASE_POOL_SIZE": size, "DATABASE_POOL_OVERFLOW": 0}
    engines = [pg_pool.engine_for(tenant_url(url, schema), sizes) for schema in schemas]
    with engines[0].connect() as first, engines[1].connect() as second:
        opened = {"kec_a": _backend(first), "kec_b": _backend(second)}
    return engines, opened


def test_a_checkout_takes_a_connection_already_in_its_kecamatans_schema(two_schemas):
    """Without the preference, the pool's newest idle connection (the other kecamatan's) would
    be switched at every alternating checkout."""
    (a, b), opened = _two_connections(two_schemas)
    switches = pg_pool.switches()
    for _ in range(6):
        for engine, schema in ((a, "kec_a"), (b, "kec_b")):
            with engine.connect() as conn:
                assert _backend(conn) == opened[schema]
                assert conn.scalar(text("SELECT nomor FROM surat")) == f"{schema}/001"
    assert pg_pool.switches() == switches


def test_a_kecamatan_with_no_connection_of_its_own_takes_the_one_idle_longest(two_schemas):
    admin = sqlalchemy.create_engine(two_schemas)
    with admin.begin() as conn:
        conn.execute(text("CREATE SCHEMA kec_c"))
        conn.execute(text("CREATE TABLE kec_c.surat (nomor text)"))
        conn.execute(text("INSERT INTO kec_c.surat VALUES ('kec_c/001')"))
    admin.dispose()
    (a, b), opened = _two_connections(two_schemas)
    with b.connect() as conn:  # kec_b's connection is now the newest idle one; kec_a's the oldest
        conn.scalar(text("SELECT 1"))
    c = pg_pool.engine_for(tenant_url(two_schemas, "kec_c"), {"DATABASE_POOL_SIZE": 2})
    switches = pg_pool.switches()
    with c.connect() as conn:
        assert _backend(conn) == opened["kec_a"]
        assert conn.scalar(text("SELECT nomor FROM surat")) == "kec_c/001"
    assert pg_pool.switches() == switches + 1
    with b.connect() as conn:  # kec_b kept its own, now the newest idle one again
        assert _backend(conn) == opened["kec_b"]
    further = b.execution_options(isolation_level="REPEATABLE READ")
    assert isinstance(further, pg_pool.KecamatanEngine)  # further options keep the preference:
    with further.connect() as conn:  # without it, the oldest idle one (kec_c's) would be moved
        assert _backend(conn) == opened["kec_b"]
        assert conn.scalar(text("SELECT nomor FROM surat")) == "kec_b/001"
    assert pg_pool.switches() == switches + 1


def test_the_preference_survives_a_disposed_pool_and_a_full_one(two_schemas):
    """Engine.dispose recreates the pool (it must stay an AffinityPool); a checkout waiting for
    a full pool takes the connection given back, whatever its schema, in its own."""
    import threading

    (a, b), opened = _two_connections(two_schemas)
    a.dispose()
    assert isinstance(a.pool, pg_pool.AffinityPool) and a.pool is b.pool
    (a, b), opened = _two_connections(two_schemas)
    held = [a.connect(), b.connect()]
    got = []

    def wait_for_one() -> None:
        with b.connect() as conn:
            got.append((_backend(conn), conn.scalar(text("SELECT nomor FROM surat"))))

    waiter = threading.Thread(target=wait_for_one)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # the pool is full (no overflow): it waits
    held[0].close()  # kec_a's connection comes back
    waiter.join(10)
    held[1].close()
    assert got == [(opened["kec_a"], "kec_b/001")]


def test_below_its_size_the_pool_opens_a_connection_rather_than_move_one(two_schemas):
    (a, b), opened = _two_connections(two_schemas, size=3)
    with b.connect() as conn:  # both idle again
        conn.scalar(text("SELECT 1"))
    a_again = pg_pool.engine_for(tenant_url(two_schemas, "public"))
    with a_again.connect() as conn:
        third = _backend(conn)
    assert third not in opened.values()
    with a_again.connect() as conn:  # and it is kept: the pool is at its size now
        assert _backend(conn) == third
    for engine, schema in ((a, "kec_a"), (b, "kec_b")):
        with engine.connect() as conn:
            assert _backend(conn) == opened[schema]


def test_a_rolled_back_transaction_does_not_take_the_schema_back(two_schemas):
    a, b = _engines(two_schemas)
    with a.connect() as conn:
        conn.scalar(text("SELECT 1"))
        conn.rollback()
        assert conn.scalar(text("SELECT current_schema()")) == "kec_a"
    with b.connect() as conn, conn.begin():
        assert conn.scalar(text("SELECT nomor FROM surat")) == "kec_b/001"
        conn.execute(text("INSERT INTO surat VALUES ('kec_b/002')"))
        conn.rollback()
    with a.connect() as conn:
        assert conn.scalars(text("SELECT nomor FROM surat")).all() == ["kec_a/001"]
    with b.connect() as conn:
        assert conn.scalars(text("SELECT nomor FROM surat")).all() == ["kec_b/001"]


def test_a_connection_killed_under_the_pool_comes_back_in_the_right_schema(two_schemas):
    a, b = _engines(two_schemas)
    with a.connect() as conn:
        killed = _backend(conn)
    admin = sqlalchemy.create_engine(two_schemas)
    with admin.begin() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})
    admin.dispose()
    with b.connect() as conn:  # the pre-ping finds it dead; the new connection is put in kec_b
        assert conn.scalar(text("SELECT nomor FROM surat")) == "kec_b/001"
        assert _backend(conn) != killed


def test_a_connection_that_reconnects_is_put_back_in_its_own_schema(two_schemas):
    """A Connection invalidated mid-use takes another pooled connection without a new
    checkout event; the one it gets was last Tenggarong's... it must still read its own."""
    a, b = (pg_pool.engine_for(tenant_url(two_schemas, schema), {"DATABASE_POOL_SIZE": 2,
                                                                  "DATABASE_POOL_OVERFLOW": 0})
            for schema in ("kec_a", "kec_b"))
    with a.connect() as first, b.connect() as second:  # two connections, the second left in kec_b
        first.scalar(text("SELECT 1"))
        second.scalar(text("SELECT 1"))
        first.rollback()
    with a.connect() as conn:
        assert conn.scalar(text("SELECT nomor FROM surat")) == "kec_a/001"
        conn.rollback()
        conn.invalidate()  # e.g. a dropped connection; the next statement revalidates
        assert conn.scalar(text("SELECT nomor FROM surat")) == "kec_a/001"
        assert conn.scalar(text("SELECT current_schema()")) == "kec_a"


def test_a_single_offices_url_keeps_an_engine_of_its_own(pg_url):
    engine = pg_pool.engine_for(pg_url)
    try:
        assert not pg_pool.is_shared(engine) and not pg_pool.shares_pool(pg_url)
    finally:
        engine.dispose()


def test_flask_sqlalchemy_still_makes_engines_through_the_hook(two_schemas, tmp_path):
    """records.extensions overrides Flask-SQLAlchemy's private `_make_engine`: if a release
    stopped calling it, a kecamatan's app would silently open a pool of its own."""
    from flask import Flask

    from records.extensions import db

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = tenant_url(two_schemas, "kec_b")
    app.config.update(ONE_CONNECTION)
    db.init_app(app)
    with app.app_context():
        assert pg_pool.is_shared(db.engine)
        assert db.session.scalar(text("SELECT nomor FROM surat")) == "kec_b/001"
        db.session.remove()


def test_a_kecamatans_search_index_is_never_made_in_public(pg_url):
    """While a kecamatan's schema is missing (dropped for a restore), its connections resolve
    names in `public`: the search index refuses to make its tables there."""
    from search import SearchError
    from search.pg_index import PgSearchIndex

    index = PgSearchIndex(tenant_url(pg_url, "kec_hilang"))
    try:
        with pytest.raises(SearchError, match="Skema kec_hilang tidak ada"):
            index.clear()
    finally:
        index.close()
    admin = sqlalchemy.create_engine(pg_url)
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('public.search_index_doc')")) is None
    admin.dispose()
