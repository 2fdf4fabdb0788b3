"""Schema migrations (records/migrations, records/services/schema.py).

- The migrations build exactly what the models declare (autogenerate finds nothing), and the
  same schema the previous release's `create_all` built, so both kinds of database meet.
- An office made by the previous release (tests/fixtures/release-6c75a7e, written by
  scripts/make-release-fixture.sh with that release's own code) upgrades with `lemari init`
  or `lemari db upgrade`, keeping every row, number, file and audit entry.
- A column change (a throw-away revision in a temporary folder) goes up and down on SQLite
  (batch mode: copy, drop, rename) and PostgreSQL without touching other rows.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import flask_appbuilder.security.sqla.models  # noqa: F401  (FAB's tables join the metadata)
import pytest
import sqlalchemy

from conftest import build_app, close_app_state
from records.services import schema

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "release-6c75a7e"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
LEMARI = Path(sys.executable).with_name("lemari")
HEAD = schema.scripts().get_current_head()
#: Tables the office owns and `lemari init` never rewrites: every row the release wrote must
#: come through an upgrade unchanged, over the columns the release had. (Permissions, roles and
#: the shipped catalogues are re-synced by init and may grow.)
OFFICE_TABLES = ("penduduk", "keluarga", "record", "record_file",
                 "issued_number", "number_sequence", "audit_event", "arsip", "arsip_versi",
                 "arsip_tugas", "ab_user", "ab_user_role", "lemari_local_role",
                 "lemari_account_security", "pejabat")
#: Of those, the append-only ones a later release may add rows to during init.
APPEND_ONLY = ("audit_event",)
STEP = "transition, from_state, to_state, actor, at, note"
#: Office tables a later release folded into another: old table → the query giving its rows
#: there, with the old columns (but the id) in the old order. Revision 0008 moved the three
#: workflow histories into workflow_step.
MOVED = {
    table: (f"SELECT {column}, {STEP} FROM {table} ORDER BY id",
            f"SELECT subject_id, {STEP} FROM workflow_step WHERE subject = '{subject}' ORDER BY id")
    for table, column, subject in (("record_transition", "record_id", "record"),
                                   ("pengaduan_langkah", "pengaduan_id", "pengaduan"),
                                   ("publikasi_langkah", "publikasi_id", "publikasi"))}

# --- helpers --------------------------------------------------------------------------------

def lemari(home: Path, *args: str, url: str = "") -> subprocess.CompletedProcess:
    """`lemari ARGS` as the office runs it, on data folder home and database url."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEMARI_", "FLASK_"))}
    env.update(LEMARI_HOME=str(home), LEMARI_DATABASE_URL=url, LEMARI_LOG_LEVEL="WARNING")
    return subprocess.run([str(LEMARI), *args], cwd=home, env=env, capture_output=True,
                          text=True, timeout=180)


def sqlite_url(home: Path) -> str:
    """The SQLite database of a data folder (the folder is made if missing)."""
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'lemari.db'}"


def restore_home(tmp_path: Path, archive: str) -> Path:
    """A data folder unpacked from the fixture."""
    home = tmp_path / "home"
    home.mkdir()
    with tarfile.open(FIXTURE / archive) as tar:
        tar.extractall(home, filter="data")
    return home


def restore_pg_dump(url: str) -> None:
    """Load the release's pg_dump into the (empty) database at url."""
    if shutil.which("psql") is None:
        pytest.skip("psql (postgresql-client) tidak terpasang")
    sql = gzip.decompress((FIXTURE / "postgres.sql.gz").read_bytes())
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url.replace("+psycopg", "")],
                   input=sql, check=True, capture_output=True, timeout=120)


def table_columns(url: str) -> dict[str, list[str]]:
    """Every table and its columns, but alembic_version and the SQLite search index's own
    tables (`search_index_*`: derived from the records, rebuilt by `lemari init` after an
    upgrade that changed the engine; no office data)."""
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        inspector = sqlalchemy.inspect(conn)
        found = {t: [c["name"] for c in inspector.get_columns(t)]
                 for t in inspector.get_table_names()
                 if t != "alembic_version" and not t.startswith("search_index_")}
    engine.dispose()
    return found


def table_contents(url: str, columns: dict[str, list[str]] | None = None,
                   first: dict[str, int] | None = None) -> dict[str, tuple[int, str]]:
    """Per table: its row count, and a digest of the given columns (default: all) of its
    rows in primary-key order; only of its first rows when `first` says how many (rows added
    later do not count)."""
    columns = columns or table_columns(url)
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        inspector = sqlalchemy.inspect(conn)
        found = {table: _digest(conn, table, names,
                                inspector.get_pk_constraint(table)["constrained_columns"],
                                (first or {}).get(table))
                 for table, names in columns.items()}
    engine.dispose()
    return found


def _digest(conn, table: str, columns: list[str], order: list[str],
            first: int | None) -> tuple[int, str]:
    """Row count and a digest of the given columns of the (first) rows, in the given order."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = conn.exec_driver_sql(f'SELECT {quoted} FROM "{table}" ORDER BY '
                                + ", ".join(f'"{c}"' for c in order)).fetchall()
    kept = rows if first is None else rows[:first]
    return len(rows), hashlib.sha256(repr([tuple(map(str, r)) for r in kept]).encode()).hexdigest()


def moved_rows(url: str, side: int) -> dict[str, list[tuple]]:
    """The rows of each moved table, read from the old table (side 0, before the upgrade) or
    from where the release put them (side 1, after)."""
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        found = {table: [tuple(map(str, row)) for row in conn.exec_driver_sql(queries[side])]
                 for table, queries in MOVED.items()}
    engine.dispose()
    return found


def catalog(url: str) -> dict[str, list]:
    """The schema as the database itself describes it: SQLite's stored DDL; PostgreSQL's
    columns, constraints, indexes and sequences from its catalogs."""
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        queries = CATALOG[conn.dialect.name]
        found = {key: sorted(map(tuple, conn.exec_driver_sql(sql).fetchall()))
                 for key, sql in queries.items()}
    engine.dispose()
    return found


CATALOG = {
    "sqlite": {"ddl": "SELECT type, name, tbl_name, sql FROM sqlite_master "
                      "WHERE tbl_name <> 'alembic_version'"},
    "postgresql": {
        "columns": "SELECT table_name, column_name, data_type, character_maximum_length, "
                   "is_nullable, column_default, ordinal_position FROM information_schema.columns "
                   "WHERE table_schema = 'public' AND table_name <> 'alembic_version'",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                       "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                       "AND conrelid::regclass::text <> 'alembic_version'",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
                   "WHERE schemaname = 'public' AND tablename <> 'alembic_version'",
        "sequences": "SELECT sequencename, data_type::text, start_value, min_value, max_value, "
                     "increment_by, cycle FROM pg_sequences WHERE schemaname = 'public'",
    },
}


@pytest.fixture
def pg_second(pg_server):
    """One more throw-away PostgreSQL database (pg_url is the first)."""
    name = f"lemari_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_empty_databases(request, tmp_path):
    """Two empty databases of one engine."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "a"), sqlite_url(tmp_path / "b")
    return request.getfixturevalue("pg_url"), request.getfixturevalue("pg_second")


def upgraded(url: str, **kw) -> sqlalchemy.Engine:
    """An engine on url after `schema.upgrade`."""
    engine = sqlalchemy.create_engine(url)
    schema.upgrade(engine, **kw)
    return engine


def differences(engine: sqlalchemy.Engine) -> list[str]:
    with engine.connect() as conn:
        return schema.differences(conn)


# --- the migrations and the models ----------------------------------------------------------

def test_head_matches_the_models_and_the_previous_create_all(two_empty_databases):
    """A model changed without a migration fails here, naming the change. And the schema the
    migrations build is, to the last index and sequence, the one `create_all` built."""
    migrated_url, created_url = two_empty_databases
    migrated = upgraded(migrated_url)
    found = differences(migrated)
    assert not found, ("The models differ from the newest migration:\n  " + "\n  ".join(found)
                       + "\nWrite the migration: lemari db revision -m '<what changed>' (on a "
                       "database at head), review it, and commit it with the model change.")
    created = sqlalchemy.create_engine(created_url)
    schema.model_metadata().create_all(created)
    assert catalog(migrated_url) == catalog(created_url)
    migrated.dispose()
    created.dispose()


def test_the_check_catches_a_column_the_migrations_lack(tmp_path):
    """The check above can fail: a database missing a model's column is reported by name."""
    engine = upgraded(sqlite_url(tmp_path))
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE penduduk DROP COLUMN nama_ibu")
    assert differences(engine) == ["add_column: penduduk.nama_ibu"]
    engine.dispose()


def test_an_empty_database_is_built_by_the_baseline(tmp_path):
    engine = sqlalchemy.create_engine(sqlite_url(tmp_path))
    before, after = schema.upgrade(engine)
    assert (before.current, before.legacy, before.pending[0]) == (None, False, schema.BASELINE)
    assert (after.current, after.up_to_date) == (HEAD, True)
    assert schema.upgrade(engine)[1] == after  # again: nothing to do
    with pytest.raises(schema.SchemaError, match="tidak dapat diturunkan"):
        schema.downgrade(engine, "base")
    assert schema.current_state(engine) == after
    engine.dispose()


# --- an office made by the previous release -------------------------------------------------

def check_release_office(home: Path, url: str, expected: dict, columns: dict, before: dict,
                         moved: dict) -> None:
    """After the upgrade: every office row unchanged (a moved table's rows where they were moved
    to, in order), no row of any table lost, exact values and files in place, and the audit
    chain, doctor and the issued letter's verification pass."""
    assert moved_rows(url, 1) == moved
    office = {t: columns[t] for t in OFFICE_TABLES}
    after = table_contents(url, office, first={t: before[t][0] for t in OFFICE_TABLES})
    assert {t: after[t][1] for t in office} == {t: before[t][1] for t in office}
    counts = {t: n for t, (n, _) in table_contents(url).items()}
    assert {t: counts[t] for t in office if t not in APPEND_ONLY} \
        == {t: expected["counts"][t] for t in office if t not in APPEND_ONLY}
    assert [t for t, n in expected["counts"].items()
            if t not in MOVED and counts.get(t, -1) < n] == []
    assert {t: len(rows) for t, rows in moved.items()} == {t: expected["counts"][t] for t in MOVED}
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT r.number, r.verify_code, p.nik, i.number FROM record r "
            "JOIN penduduk p ON p.id = r.penduduk_id JOIN issued_number i ON i.record_id = r.id"
        ).one()
        shas = set(conn.exec_driver_sql("SELECT sha256 FROM record_file").scalars())
    engine.dispose()
    assert tuple(row) == (expected["number"], expected["verify_code"], expected["nik"],
                          expected["number"])
    assert shas == {expected["pdf_sha256"], expected["scan_sha256"]}
    for sha in shas:
        stored = home / "archive" / sha[:2] / sha[2:4] / sha
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    pdf = home / "archive" / expected["pdf_sha256"][:2] / expected["pdf_sha256"][2:4] / expected["pdf_sha256"]
    # in-process: four more subprocesses would cost ~10 s. The old office has no setup yet
    # (doctor would say so: tests/web/test_pengaturan_kantor.py); its public address comes
    # from the environment here, as for an office configured by LEMARI_PUBLIC_BASE_URL.
    app = build_app(home, url, PUBLIC_BASE_URL="https://kotabangun.kukar.example")
    try:
        runner = app.test_cli_runner()
        for args in (["audit", "verify"], ["doctor"], ["verify", str(pdf)], ["db", "current"]):
            done = runner.invoke(args=args)
            assert done.exit_code == 0, (args, done.output)
        assert f"Revisi basis data: {HEAD} (terbaru)" in done.output
    finally:
        close_app_state(app)


@pytest.mark.slow
def test_sqlite_office_of_the_previous_release_upgrades_with_init(tmp_path):
    expected = EXPECTED["sqlite"]
    home = restore_home(tmp_path, "sqlite-home.tar.gz")
    url = sqlite_url(home)
    columns, before, moved = table_columns(url), table_contents(url), moved_rows(url, 0)
    assert {t: n for t, (n, _) in before.items()} == expected["counts"]
    assert "belum bertanda revisi" in lemari(home, "db", "current").stdout
    done = lemari(home, "init")
    assert done.returncode == 0, done.stderr
    assert f"dikenali sebagai revisi dasar {schema.BASELINE}" in done.stdout
    check_release_office(home, url, expected, columns, before, moved)
    refused = lemari(home, "db", "downgrade", "base", "--yes")
    assert refused.returncode == 1 and "tidak dapat diturunkan" in refused.stderr


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_office_of_the_previous_release_upgrades_with_db_upgrade(tmp_path, pg_url):
    expected = EXPECTED["postgres"]
    home = restore_home(tmp_path, "postgres-home.tar.gz")
    restore_pg_dump(pg_url)
    columns, before, moved = table_columns(pg_url), table_contents(pg_url), moved_rows(pg_url, 0)
    assert {t: n for t, (n, _) in before.items()} == expected["counts"]
    done = lemari(home, "db", "upgrade", url=pg_url)
    assert done.returncode == 0, done.stderr
    assert f"dikenali sebagai revisi dasar {schema.BASELINE}" in done.stdout
    again = lemari(home, "init", url=pg_url)
    assert again.returncode == 0, again.stderr
    assert f"Skema basis data pada revisi {HEAD} (terbaru)." in again.stdout
    check_release_office(home, pg_url, expected, columns, before, moved)


# --- a column change, up and down -----------------------------------------------------------

THROWAWAY = '''"""Throw-away: new columns and wider ones on ab_user and penduduk."""

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.add_column(sa.Column("telepon", sa.String(20), nullable=True))
        batch.alter_column("last_name", existing_type=sa.String(64), type_=sa.String(100),
                           existing_nullable=False)
    with op.batch_alter_table("penduduk") as batch:
        batch.add_column(sa.Column("email", sa.String(120), nullable=False, server_default=""))
        batch.alter_column("nama", existing_type=sa.String(100), type_=sa.String(150),
                           existing_nullable=False)


def downgrade():
    with op.batch_alter_table("penduduk") as batch:
        batch.alter_column("nama", existing_type=sa.String(150), type_=sa.String(100),
                           existing_nullable=False)
        batch.drop_column("email")
    with op.batch_alter_table("ab_user") as batch:
        batch.alter_column("last_name", existing_type=sa.String(100), type_=sa.String(64),
                           existing_nullable=False)
        batch.drop_column("telepon")
'''


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def release_database(request, tmp_path) -> str:
    """The previous release's database, restored, on each engine."""
    if request.param == "sqlite":
        return sqlite_url(restore_home(tmp_path, "sqlite-home.tar.gz"))
    url = request.getfixturevalue("pg_url")
    restore_pg_dump(url)
    return url


def test_a_column_change_goes_up_and_down_keeping_every_row(release_database, tmp_path):
    """ab_user is referenced with ON DELETE CASCADE (local roles, role assignments, officials)
    and penduduk by records: SQLite's batch copy-and-drop must not take those rows with it."""
    extra = tmp_path / "versions"
    extra.mkdir()
    (extra / "9001_throwaway.py").write_text(THROWAWAY.replace("{head}", HEAD))
    engine = upgraded(release_database)
    columns = table_columns(release_database)
    before = table_contents(release_database, columns)

    _, after_up = schema.upgrade(engine, extra_versions=[extra])
    assert (after_up.current, after_up.up_to_date) == ("9001", True)
    penduduk = {c["name"]: c for c in sqlalchemy.inspect(engine).get_columns("penduduk")}
    assert penduduk["email"]["nullable"] is False and penduduk["nama"]["type"].length == 150
    assert "telepon" in {c["name"] for c in sqlalchemy.inspect(engine).get_columns("ab_user")}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM penduduk WHERE email = ''").scalar() \
            == before["penduduk"][0]
    assert table_contents(release_database, columns) == before  # the old columns of every row

    _, after_down = schema.downgrade(engine, HEAD, extra_versions=[extra])
    assert after_down.current == HEAD
    assert table_columns(release_database) == columns
    assert table_contents(release_database, columns) == before
    assert differences(engine) == []
    engine.dispose()


def test_code_older_than_the_database_refuses_to_serve(tmp_path):
    """After a downgrade of the code without `lemari db downgrade`, the database's revision is
    unknown: `lemari serve` and `lemari db current` refuse and say why, touching nothing."""
    home = restore_home(tmp_path, "sqlite-home.tar.gz")
    engine = upgraded(sqlite_url(home))
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    for args in (("serve", "--port", "1"), ("db", "current"), ("init",)):
        done = lemari(home, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "revisi 9999, yang tidak dikenal versi Lemari ini" in done.stderr
