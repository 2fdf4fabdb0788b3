"""The demo office on each search backend, for the app-level search tests.

``office_app`` is parametrised: ``sqlite`` (Whoosh, the default installation) and ``postgres``
(the app's database and the search index in one PostgreSQL database, SEARCH_BACKEND=postgres).
The PostgreSQL office is initialised once per session into a template database; each test gets
a copy (CREATE DATABASE … TEMPLATE), which takes a fraction of a second.
"""

from __future__ import annotations

import pytest
import sqlalchemy

from conftest import build_app, initialise_app, prepare_template, run_database_name, shared_template


def _admin(server: str):
    return sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")


def _url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + "/" + name


def pg_template(server: str, home, *, demo: bool) -> dict:
    """A template database of an initialised office (with or without the demo data) on
    PostgreSQL, its search index built; `home` receives the data folder."""
    name = run_database_name("tpl")
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    app = build_app(home, _url(server, name), SEARCH_BACKEND="postgres")
    initialise_app(app, demo=demo)
    prepare_template(app)
    return {"database": name}


@pytest.fixture(scope="session")
def pg_office_template(pg_server, tmp_path_factory):
    """(data folder, template database) of the demo office on PostgreSQL, index built."""
    home, facts = shared_template(tmp_path_factory, "pg-demo",
                                  lambda folder: pg_template(pg_server, folder, demo=True))
    return home, facts["database"]


@pytest.fixture(scope="session")
def pg_bare_template(pg_server, tmp_path_factory):
    """(data folder, template database) of an office after `lemari init` only, on PostgreSQL."""
    home, facts = shared_template(tmp_path_factory, "pg-bare",
                                  lambda folder: pg_template(pg_server, folder, demo=False))
    return home, facts["database"]


@pytest.fixture
def pg_bare_app(offices, pg_server, pg_bare_template):
    """An initialised office without demo data on PostgreSQL, restored for one test."""
    home, template = pg_bare_template
    return offices.fresh(home, pg=(pg_server, template), SEARCH_BACKEND="postgres")


@pytest.fixture
def postgres_office(offices, pg_server, pg_office_template):
    """The PostgreSQL demo office, restored from its template database for one test."""
    home, template = pg_office_template
    return offices.fresh(home, pg=(pg_server, template), SEARCH_BACKEND="postgres")


@pytest.fixture
def sqlite_office(offices, demo_home):
    """The SQLite demo office (Whoosh index), restored for one test."""
    return offices.fresh(demo_home)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def office_app(request):
    """The demo office on SQLite + Whoosh, and on PostgreSQL with its full-text search.
    A test module uses it with ``app = office_app`` (conftest's client and auth follow)."""
    return request.getfixturevalue(f"{request.param}_office")


def committed_outbox_rows(app) -> int:
    """Outbox rows as another connection sees them (committed only)."""
    engine = sqlalchemy.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return conn.execute(sqlalchemy.text("SELECT count(*) FROM search_outbox")).scalar()
    finally:
        engine.dispose()
