"""Schema versions of the database: the Alembic migrations in ``records/migrations``.

`lemari init` (and so `make run`) brings any database to the newest revision. An empty one is
built by the migrations; one made before migrations existed (no ``alembic_version`` table) is
recognised as the baseline, whose tables it already has, and is stamped with it; both then get
every later revision. A whole run is one transaction on one connection, so a failed migration
leaves the database at the revision it had. `lemari db …` and `lemari doctor` call this
module; alembic is imported here and by the migration scripts only.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect, text

from records.exceptions import RecordsError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
#: The revision that is the schema of the last release before migrations (commit 6c75a7e).
BASELINE = "0001"
#: Tables in our database that no model declares: the search index keeps its own, on SQLite
#: (search/sqlite_index.py, FTS5 shadow tables included) and on PostgreSQL
#: (search/pg_index.py), rebuilt from the database and never migrated.
FOREIGN_TABLE_PREFIXES = ("search_index_",)
#: PostgreSQL advisory lock held while migrating, so a second `lemari init` waits its turn.
MIGRATION_LOCK = 7460002
#: What the migration environment (env.py) is configured with, here so autogenerate in
#: `lemari db revision` and the check in `differences` compare the same way.
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True, "render_as_batch": True}


class SchemaError(RecordsError):
    """A migration could not be applied or undone; the database kept the revision it had."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against the migrations this code ships."""

    current: str | None  # revision in alembic_version; None when empty or from before migrations
    head: str
    pending: tuple[str, ...]  # what `upgrade` to head would apply, oldest first
    legacy: bool  # tables but no alembic_version: made by a release before migrations

    @property
    def up_to_date(self) -> bool:
        return not self.pending


@dataclass(frozen=True)
class Revision:
    """One migration, for `lemari db history`."""

    id: str
    down: str | None
    message: str


def alembic_config(connection: Connection | None = None, *,
                   extra_versions: Sequence[Path] = ()) -> Config:
    """Alembic's configuration built in code: an office PC has the package, not an alembic.ini,
    and the database is the one Lemari's settings name, handed in as a connection.
    `extra_versions` adds folders of revisions (tests add a throw-away one)."""
    config = Config()
    config.set_main_option("script_location", _escape(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    folders = [MIGRATIONS / "versions", *extra_versions]
    config.set_main_option("version_locations", os.pathsep.join(_escape(f) for f in folders))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def _escape(path: Path) -> str:
    """A path as a config value (ConfigParser reads % as interpolation)."""
    return str(path).replace("%", "%%")


def model_metadata() -> MetaData:
    """The tables the migrations must produce: every module of records.models and every
    installed plugin's models (hook `register_models`, whether or not the office disabled the
    plugin), on Flask-AppBuilder's declarative base, whose own security tables join it when the
    app is built."""
    from records import models
    from records.plugins import import_models

    for module in pkgutil.iter_modules(models.__path__):
        importlib.import_module(f"{models.__name__}.{module.name}")
    import_models()
    return models.Wilayah.metadata


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Autogenerate's filter: tables no model declares (the search index) are not compared."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_TABLE_PREFIXES))


def scripts(extra_versions: Sequence[Path] = ()) -> ScriptDirectory:
    """The migration scripts (the shipped ones plus any extra folders)."""
    return ScriptDirectory.from_config(alembic_config(extra_versions=extra_versions))


def state(connection: Connection, *, extra_versions: Sequence[Path] = ()) -> SchemaState:
    """The database's revision, the newest one and what lies between; a revision this code
    does not know (the database was migrated by a newer release) is refused by name."""
    directory = scripts(extra_versions)
    current = MigrationContext.configure(connection).get_current_revision()
    head = directory.get_current_head() or ""
    try:
        between = list(directory.iterate_revisions(head, current or "base"))
    except (CommandError, RevisionError) as exc:
        raise SchemaError(
            f"Basis data ada pada revisi {current}, yang tidak dikenal versi Lemari ini (mungkin "
            "dibuat oleh versi yang lebih baru). Pasang lagi versi itu, atau pulihkan cadangan "
            f"yang dibuat sebelum pembaruan. ({exc})") from exc
    ours = [t for t in inspect(connection).get_table_names() if include_name(t, "table", None)]
    legacy = current is None and any(t != "alembic_version" for t in ours)
    return SchemaState(current, head, tuple(s.revision for s in reversed(between)), legacy)


def current_state(engine: Engine, *, extra_versions: Sequence[Path] = ()) -> SchemaState:
    """`state` on a connection of its own."""
    with engine.connect() as connection:
        return state(connection, extra_versions=extra_versions)


def upgrade(engine: Engine, revision: str = "head", *,
            extra_versions: Sequence[Path] = ()) -> tuple[SchemaState, SchemaState]:
    """Apply every migration up to `revision`; returns the state before and after.

    A database from before migrations runs the baseline too: it creates only the tables that
    are missing (what `lemari init` always did), so the database is stamped with it."""
    with _migrating(engine) as connection:
        before = state(connection, extra_versions=extra_versions)
        _run(command.upgrade, connection, revision, extra_versions, before)
        after = state(connection, extra_versions=extra_versions)
    return before, after


def downgrade(engine: Engine, revision: str, *,
              extra_versions: Sequence[Path] = ()) -> tuple[SchemaState, SchemaState]:
    """Undo migrations down to `revision` (never below the baseline: that would drop every
    table); returns the state before and after."""
    if revision == "base":
        raise SchemaError(f"Revisi dasar ({BASELINE}) tidak dapat diturunkan: itu berarti "
                          "menghapus semua tabel. Pulihkan cadangan bila perlu kembali lebih jauh.")
    with _migrating(engine) as connection:
        before = state(connection, extra_versions=extra_versions)
        _run(command.downgrade, connection, revision, extra_versions, before)
        after = state(connection, extra_versions=extra_versions)
    return before, after


def _run(step, connection: Connection, revision: str, extra_versions: Sequence[Path],
         before: SchemaState) -> None:
    """One Alembic command on the shared connection; its failures become a SchemaError that
    says the database kept its revision (the caller's transaction is rolled back)."""
    try:
        step(alembic_config(connection, extra_versions=extra_versions), revision)
    except (CommandError, RevisionError, SchemaError) as exc:
        raise SchemaError(f"Migrasi ke {revision} tidak dijalankan; basis data tetap pada "
                          f"revisi {before.current or 'awal'}: {exc}") from exc
    except Exception as exc:
        raise SchemaError(f"Migrasi ke {revision} gagal dan dibatalkan; basis data tetap pada "
                          f"revisi {before.current or 'awal'}: {type(exc).__name__}: {exc}") from exc


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One connection and one transaction for a whole run, held exclusively.

    SQLite: foreign keys are off for the run and checked before the commit. Batch mode alters
    a table by copying it and dropping the old one, and with them on, dropping `ab_user` would
    cascade-delete every local role. BEGIN IMMEDIATE takes the write lock at once and puts the
    DDL inside the transaction (Python's sqlite3 would otherwise run it outside one).
    PostgreSQL: DDL is transactional; an advisory lock makes a second `lemari init` wait."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            yield connection
            if sqlite:
                _check_foreign_keys(connection)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a SQLite migration that left a row pointing nowhere."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise SchemaError(f"Migrasi meninggalkan {len(broken)} rujukan yang putus (tabel "
                          f"{', '.join(tables)}); dibatalkan.")


def history(*, extra_versions: Sequence[Path] = ()) -> list[Revision]:
    """Every migration, newest first."""
    return [Revision(s.revision, _down(s), (s.doc or "").strip())
            for s in scripts(extra_versions).walk_revisions()]


def _down(script: Script) -> str | None:
    """The revision(s) a migration follows, as text (several after a merge)."""
    down = script.down_revision
    return down if down is None or isinstance(down, str) else ", ".join(down)


def differences(connection: Connection) -> list[str]:
    """How the database differs from the models, one line per change autogenerate would
    write; empty when no migration is missing."""
    metadata = model_metadata()
    if "ab_user" not in metadata.tables:
        raise RuntimeError("Flask-AppBuilder's tables are not loaded: build the app first.")
    context = MigrationContext.configure(connection, opts={"include_name": include_name,
                                                           **COMPARE_OPTIONS})
    return [_describe(diff) for diff in compare_metadata(context, metadata)]


def _describe(diff: Any) -> str:
    """One autogenerate diff (a tuple, or a list of column changes) as a readable line."""
    if isinstance(diff, list):
        return "; ".join(_describe(part) for part in diff)
    kind, *parts = diff
    if kind.startswith("modify_"):
        _schema, table, column, _existing, old, new = parts
        return f"{kind}: {table}.{column}: {old!r} → {new!r}"
    return f"{kind}: " + ", ".join(_name(p) for p in parts if p is not None and not isinstance(p, str))


def _name(part: Any) -> str:
    """A table, column, index or constraint by name (a column as table.column, an unnamed
    constraint as table(columns))."""
    table = getattr(part, "table", None)
    name = getattr(part, "name", None)
    if table is None:
        return str(name if name is not None else part)
    if name is not None:
        return f"{table.name}.{name}"
    columns = ", ".join(getattr(c, "name", str(c)) for c in getattr(part, "columns", ()))
    return f"{table.name}({columns})"


def new_revision(engine: Engine, message: str) -> Path:
    """Write the migration that brings the newest revision to the models (for developers,
    on a database at head); refused when the models need none."""
    with engine.connect() as connection:
        if not state(connection).up_to_date:
            raise SchemaError("Basis data belum pada revisi terbaru; jalankan `lemari db upgrade` dulu.")
        if not differences(connection):
            raise SchemaError("Model dan basis data sudah sama; tidak ada migrasi yang perlu dibuat.")
        rev_id = f"{int(scripts().get_current_head() or 0) + 1:04d}"
        written = command.revision(alembic_config(connection), message=message,
                                   autogenerate=True, rev_id=rev_id)
    script = written[0] if isinstance(written, list) else written
    if script is None:
        raise SchemaError("Alembic tidak menulis berkas migrasi.")
    return Path(script.path)
