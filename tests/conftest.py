"""Shared fixtures in the Flask tutorial's vocabulary: app, client, runner, login.

Databases are real: SQLite files in a temporary data folder and, where a test asks for
`pg_url`, a throw-away PostgreSQL database (skipped locally when no server answers; a failure
on CI=true, where PostgreSQL must be there).
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest

from records.app import create_app
from records.demo_data import DESA, generate_population
from records.extensions import db, lemari
from records.services.setup import DEMO_PASSWORD, initialise, load_demo

PG_ADMIN_URL = os.environ.get("LEMARI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def build_app(home, database_url: str = "", **overrides):
    """A Lemari app on its own data folder (CSRF off unless a test turns it on), with one
    render worker: tests render one letter at a time and each worker costs a second to start."""
    config = {"HOME": str(home), "DATABASE_URL": database_url, "TESTING": True,
              "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "WARNING", "PDF_WORKERS": 1,
              # one test client logs in as many users from one address; the limiter has its
              # own tests (tests/web/test_security.py) with a low limit
              "LOGIN_RATE_LIMIT": "1000 per minute", **overrides}
    return create_app(config)


def initialise_app(app, *, demo: bool = True) -> None:
    """Run what `lemari init` (and `lemari demo`) do."""
    with app.app_context():
        ext = lemari()
        initialise(session=db.session, engine=db.engine, sm=app.appbuilder.sm,
                   appbuilder=app.appbuilder, registry=ext.registry,
                   menu_permissions=ext.menu_permissions)
        if demo:
            load_demo(session=db.session, sm=app.appbuilder.sm,
                      population=generate_population(), desa=DESA,
                      force_password_change=False)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory):
    """A data folder initialised with the demo office once per test session."""
    home = tmp_path_factory.mktemp("demo-home")
    initialise_app(build_app(home))
    return home


@pytest.fixture
def app(demo_home, tmp_path):
    """A fresh copy of the demo office for one test (SQLite)."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    yield app
    app.extensions["lemari"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = DEMO_PASSWORD):
        return self._client.post("/login/", data={"username": username, "password": password})

    def logout(self):
        return self._client.get("/logout/")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def _pg_available(url: str) -> str | None:
    """None when PostgreSQL answers, else the reason."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL tidak dapat dihubungi di {url}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def pg_server():
    """The admin URL of a reachable PostgreSQL server (skip locally, fail on CI)."""
    reason = _pg_available(PG_ADMIN_URL)
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server):
    """A throw-away PostgreSQL database, dropped after the test."""
    import sqlalchemy

    name = f"lemari_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
