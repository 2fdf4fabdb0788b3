"""Shared fixtures in the Flask tutorial's vocabulary: app, client, runner, login.

Databases are real: SQLite files in a temporary data folder and, where a test asks for
`pg_url`, a throw-away PostgreSQL database (skipped locally when no server answers; a failure
on CI=true, where PostgreSQL must be there).
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy

from records.app import create_app
from records.demo_data import DESA, generate_population
from records.extensions import db, lemari
from records.services.setup import DEMO_PASSWORD, initialise, load_demo

# The offices on each search backend (office_app, postgres_office, …): one definition per session.
pytest_plugins = ["search_offices"]

PG_ADMIN_URL = os.environ.get("LEMARI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


TESTS = Path(__file__).resolve().parent
#: Names this run's PostgreSQL databases (templates and live copies) so that the run, and only
#: it, drops them at the end, even when they are shared by the pytest-xdist workers.
RUN_ENV = "LEMARI_TEST_RUN"


def pytest_configure(config) -> None:
    """Set the run's name before pytest-xdist starts its workers (they inherit it)."""
    os.environ.setdefault(RUN_ENV, uuid.uuid4().hex[:10])


def pytest_sessionfinish(session) -> None:
    """The controller (or a run without workers) drops the run's PostgreSQL databases."""
    if hasattr(session.config, "workerinput") or _pg_available(PG_ADMIN_URL):
        return
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        names = conn.execute(sqlalchemy.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": f"lemari_%_{os.environ[RUN_ENV]}"}).scalars().all()
        for name in names:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_database_name(kind: str) -> str:
    """A PostgreSQL database name of this run (dropped at its end)."""
    return f"lemari_{kind}_{uuid.uuid4().hex[:8]}_{os.environ[RUN_ENV]}"


def shared_template(tmp_path_factory, name: str, build) -> tuple[Path, dict]:
    """A template data folder built once per test run and shared by the xdist workers:
    the first worker to ask builds it under a file lock, the others wait and reuse it.
    `build(folder)` fills the folder and returns JSON-able facts about it (e.g. a database name)."""
    import fcntl
    import json

    base = tmp_path_factory.getbasetemp()
    root = base.parent if base.name.startswith("popen-gw") else base
    folder, facts = root / f"template-{name}", root / f"template-{name}.json"
    with open(root / f"template-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not facts.exists():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            facts.write_text(json.dumps(build(folder) or {}), encoding="utf-8")
    return folder, json.loads(facts.read_text(encoding="utf-8"))
#: Layer markers by folder (`make test-fast` selects unit, contract and web on SQLite).
FOLDER_MARKERS = {"unit": ("unit",), "contract": ("contract",), "web": ("web",),
                  "integration": ("integration",), "plugins": ("integration",),
                  "crash": ("integration", "slow"), "fuzz": ("web", "slow"),
                  "e2e": ("browser", "slow")}


def pytest_collection_modifyitems(items) -> None:
    """Mark each test with its layer (by folder) and `postgres` when it needs the server."""
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(TESTS).parts
        for name in FOLDER_MARKERS.get(parts[0], ()) if len(parts) > 1 else ("unit",):
            item.add_marker(name)
        if "pg_server" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("postgres"):
            item.add_marker("postgres")


#: Password hashing for the test offices: one PBKDF2 round instead of scrypt. A login costs the
#: real hash 0.1-0.3 s; the suite logs in ~2,000 times. The real method is checked by
#: tests/web/test_security.py::test_production_passwords_are_hashed_with_scrypt.
TEST_PASSWORD_HASH = {
    "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
    "AUTH_DB_FAKE_PASSWORD_HASH_CHECK":
        "pbkdf2:sha256:1$ir1r3BDmgMIUZhKU$1d9ef3f248ec5f3833d40a907cc1710e85e72d44a97ad42618ef60bb2186551f",
}


def build_app(home, database_url: str = "", **overrides):
    """A Lemari app on its own data folder (CSRF off unless a test turns it on), with one
    render worker kept for the whole test process (PDF_POOL_PER_PROCESS): each cold worker
    costs a second to start."""
    config = {"HOME": str(home), "DATABASE_URL": database_url, "TESTING": True,
              "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "WARNING", "PDF_WORKERS": 1,
              "PDF_POOL_PER_PROCESS": True, **TEST_PASSWORD_HASH,
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
                   menu_permissions=ext.menu_permissions, pm=ext.pm)
        if demo:
            load_demo(session=db.session, sm=app.appbuilder.sm,
                      population=generate_population(), desa=DESA,
                      force_password_change=False)


def prepare_template(app) -> None:
    """Do once what every copy would otherwise redo: build the search index from the database,
    make the demo signing certificate, and fold SQLite's WAL into the database file."""
    from records.desk import signing_config

    with app.app_context():
        ext = lemari()
        ext.search().drain()
        signing_config(ext.settings)
        ext.close()
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()


@pytest.fixture(scope="session")
def bare_home(tmp_path_factory):
    """A data folder after `lemari init` only (no demo office), prepared as a template."""
    def build(home):
        app = build_app(home)
        initialise_app(app, demo=False)
        prepare_template(app)

    return shared_template(tmp_path_factory, "bare", build)[0]


@pytest.fixture
def bare_app(offices, bare_home):
    """An initialised office without the demo data (SQLite), restored for one test."""
    return offices.fresh(bare_home)


def run_lemari(home, *args: str, timeout: int = 300, env: dict | None = None):
    """The installed `lemari` console script on the data folder `home`, as the office runs it
    (`env`: further variables, e.g. LEMARI_TENANT)."""
    import subprocess
    import sys

    given = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    env.update(LEMARI_HOME=str(home), LEMARI_LOG_LEVEL="WARNING", **given)
    return subprocess.run([str(Path(sys.executable).with_name("lemari")), *args], cwd=home, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def cli_demo_home(tmp_path_factory):
    """(data folder, what `lemari demo` printed) after the installed `lemari init` and
    `lemari demo`, as `make run` leaves it. Tests that change it work on a copy."""
    def build(home):
        init = run_lemari(home, "init")
        assert init.returncode == 0, init.stderr
        demo = run_lemari(home, "demo")
        assert demo.returncode == 0, demo.stderr
        return {"demo_output": demo.stdout}

    home, facts = shared_template(tmp_path_factory, "cli-demo", build)
    return home, facts["demo_output"]


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory):
    """A data folder initialised with the demo office once per test process: index built,
    certificate made, everything drained, so each copy starts ready."""
    def build(home):
        app = build_app(home)
        initialise_app(app)
        prepare_template(app)

    return shared_template(tmp_path_factory, "demo", build)[0]


def close_app_state(app) -> None:
    """Stop what an app started lazily (search index, render pools, scan probe, job consumer)
    and close its database connections: what a test's teardown owes the next test."""
    from archive.desk import close_archive_desk

    close_archive_desk(app)
    app.extensions.pop("lemari_jobs", None)
    app.extensions["lemari"].close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class ReusedOffice:
    """One app per office template and test process, handed to each test with its data folder
    (and database) restored from the template.

    Building an app costs ~0.5 s (Flask-AppBuilder compiles ~280 URL rules); restoring a data
    folder costs ~10 ms, a PostgreSQL database `CREATE DATABASE … TEMPLATE` ~0.1 s. Everything a
    test can change lives in the restored folder and database, or is reset here: settings and
    config, the login limiter's counters, lazily started workers. Tests that need their own
    configuration build their own app with `build_app`.
    """

    def __init__(self, template_home: Path, live_home: Path, *, pg: tuple[str, str, str] | None = None,
                 **overrides):
        self.template_home, self.live_home, self.pg, self.overrides = template_home, live_home, pg, overrides
        self.app = None

    def fresh(self):
        """The office's app with data exactly as in the template."""
        if self.app is not None:
            close_app_state(self.app)
        self._restore_database()
        if self.live_home.exists():
            shutil.rmtree(self.live_home)
        shutil.copytree(self.template_home, self.live_home)
        if self.app is None:
            url = _pg_url(self.pg[0], self.pg[2]) if self.pg else ""
            self.app = build_app(self.live_home, url, **self.overrides)
            self._settings = copy.deepcopy(self.app.extensions["lemari"].settings)
            self._config = dict(self.app.config)
        else:
            settings = self.app.extensions["lemari"].settings
            settings.clear()
            settings.update(copy.deepcopy(self._settings))
            self.app.config.clear()
            self.app.config.update(self._config)
            self.app.appbuilder.sm.limiter.reset()
        return self.app

    def _restore_database(self) -> None:
        """SQLite lives in the data folder; PostgreSQL is copied from its template database."""
        if self.pg is None:
            return
        server, template, live = self.pg
        admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{live}" WITH (FORCE)'))
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{live}" TEMPLATE "{template}"'))
        admin.dispose()

    def close(self) -> None:
        if self.app is not None:
            close_app_state(self.app)
            self.app = None
        if self.pg is not None:
            server, _, live = self.pg
            admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{live}" WITH (FORCE)'))
            admin.dispose()


class Offices:
    """The test process's reused offices, one per template (the few most recent kept open)."""

    KEEP = 4

    def __init__(self, root: Path):
        self.root, self.open = root, {}

    def fresh(self, template_home: Path, *, pg: tuple[str, str] | None = None, **overrides):
        """The app of this template (and PostgreSQL template database), restored."""
        key = (str(template_home), pg, tuple(sorted(overrides.items())))
        office = self.open.pop(key, None)
        if office is None:
            live = self.root / f"office-{len(os.listdir(self.root))}"
            pg_names = (pg[0], pg[1], run_database_name("live")) if pg else None
            office = ReusedOffice(template_home, live, pg=pg_names, **overrides)
            while len(self.open) >= self.KEEP:
                self.open.pop(next(iter(self.open))).close()
        self.open[key] = office  # most recently used last
        return office.fresh()

    def close(self) -> None:
        for office in self.open.values():
            office.close()
        self.open.clear()


@pytest.fixture(scope="session")
def offices(tmp_path_factory):
    """Reused apps of this test process (see ReusedOffice)."""
    found = Offices(tmp_path_factory.mktemp("offices"))
    yield found
    found.close()


@pytest.fixture
def app(offices, demo_home):
    """The demo office (SQLite), as the template has it, for one test."""
    return offices.fresh(demo_home)


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

    name = run_database_name("test")
    admin = sqlalchemy.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + "/" + name
