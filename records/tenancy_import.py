"""Move a single office in: `lemari tenant impor SRC` makes its installation a new kecamatan of
the kabupaten deployment (issue 19), keeping every id, number and audit entry as it was.

SRC is the office's data folder (its SQLite database, or the PostgreSQL one its config.py names,
and its files), or a plain backup of it (`lemari backup DEST`: verified against its manifest,
laid out as a data folder in a temporary folder; a PostgreSQL dump is restored into a temporary
database, dropped at the end). What happens, and what a crash at each point leaves:

1. The source's audit trail is verified (chain and signed checkpoints); a broken one is refused.
   A SQLite source is read from a snapshot (SQLite's backup API, so a running office is copied
   consistently), brought to the newest schema; a PostgreSQL source must be at it already.
2. The folder's files (archive, signing key, audit checkpoints, publication templates) are
   copied to the kecamatan's folder; the database, job queue, search index and secret key are
   not. A crash leaves copies nobody reads; the next run copies over them.
3. The kecamatan's schema is migrated and every table is copied row by row in one transaction,
   ids included, then each id sequence is moved past the highest id. A crash rolls it all back;
   a rerun after a commit whose registration was lost finds the same rows and goes on.
4. The seeds of `lemari init` add only what is missing, the search index is built from the
   database, the trail is verified again, and only then is the kecamatan registered (served).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Integer, MetaData, Table, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from records import tenancy
from records.services.backup import MANIFEST
from records.tenancy import Kecamatan, TenancyError

#: Files of a data folder that are not carried over: the database (copied row by row), the job
#: queue (per installation), the search index (rebuilt), the secret key (the kecamatan's own)
#: and the front office's lock flag; config.py is kept beside, as config.py.asal, to be read.
NOT_COPIED = ("lemari.db", "lemari.db-wal", "lemari.db-shm", "lemari.db-journal", "lemari.db-lemari-loket",
              "jobs.db", "jobs.db-wal", "jobs.db-shm", "index", "secret_key", "config.py", "kecamatan")
CHUNK = 1000


@dataclass
class ImportReport:
    """What was moved, for the command's output and the closing check."""

    kecamatan: Kecamatan | None = None
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    audit_entries: int = 0
    audit_checkpoints: int = 0
    numbers: dict[str, int] = field(default_factory=dict)  # register code/year -> last number
    indexed: int = 0
    notes: list[str] = field(default_factory=list)


def import_office(base: Mapping[str, Any], source: Path, *, nama_singkat: str, nama: str, kode: str,
                  hosts: tuple[str, ...] = (), alamat_publik: str = "",
                  overrides: Mapping[str, Any] | None = None) -> ImportReport:
    """Import the office at `source` as kecamatan `nama_singkat` (module docstring)."""
    source = Path(source).expanduser().resolve()
    if not source.is_dir():
        raise TenancyError(f"Folder data kantor asal {source} tidak ditemukan.")
    report = ImportReport()
    with tempfile.TemporaryDirectory(prefix="lemari-impor-") as work, ExitStack() as cleanup:
        if (source / MANIFEST).is_file():
            source = _staged_backup(source, Path(work), base, cleanup)
        source_app = _source_app(source, Path(work), overrides)
        try:
            _check_trail(source_app, report, "asal")
            metadata = _metadata(source_app)

            def prepare(app) -> None:
                _copy_files(source_app, app, report)
                _copy_rows(source_app, app, metadata, report)

            def finish(app) -> None:
                report.indexed = _rebuild_index(app)
                _check_trail(app, report, "tujuan")
                report.numbers = _last_numbers(app)

            report.kecamatan = tenancy.add_kecamatan(
                base, nama_singkat=nama_singkat, nama=nama, kode=kode, hosts=hosts,
                alamat_publik=alamat_publik, overrides=overrides, prepare=prepare, finish=finish)
        finally:
            tenancy.close_app(source_app)
    return report


def _source_app(source: Path, work: Path, overrides: Mapping[str, Any] | None):
    """An app on the source folder; a SQLite database is read from a snapshot in `work`,
    migrated to the newest schema there (the source itself is never written)."""
    from records.app import create_app
    from records.services.schema import current_state, upgrade
    from records.settings import instance_overrides, load_config

    own = {**dict(overrides or {}), **instance_overrides(source), "HOME": str(source), "TENANT": ""}
    settings = load_config(own)  # the source's config.py: its database, archive, certificate
    url = settings["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        database = source / "lemari.db" if not settings["DATABASE_URL"] else Path(url.split("///", 1)[1])
        if not database.is_file():
            raise TenancyError(f"Basis data kantor asal {database} tidak ditemukan.")
        snapshot = work / "lemari.db"
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as live, sqlite3.connect(snapshot) as copy:
            live.backup(copy)
        url = f"sqlite:///{snapshot}"
        engine = create_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
    else:
        engine = create_engine(url)
        try:
            if source.is_relative_to(work):  # a backup's dump, ours to bring up to date
                upgrade(engine)
            elif not current_state(engine).up_to_date:
                raise TenancyError("Basis data kantor asal belum pada revisi terbaru; jalankan "
                                   "`lemari init` di kantor asal dulu.")
        finally:
            engine.dispose()
    return create_app({**own, "DATABASE_URL": url})


def _staged_backup(backup: Path, work: Path, base: Mapping[str, Any], cleanup: ExitStack) -> Path:
    """A plain backup laid out as a data folder in `work`: its files in an archive, its keys, its
    audit checkpoint where the trail's check looks, and its database (SQLite file, or the dump
    restored into a temporary PostgreSQL database that `cleanup` drops)."""
    from archive.blobstore import LocalBlobStore
    from records.services import backup as backups

    try:
        info = backups.verify_backup(backup)
    except backups.BackupError as exc:
        raise TenancyError(str(exc)) from None
    home = work / "kantor"
    home.mkdir()
    for name in backups.KEYS:
        if (backup / name).is_dir():
            shutil.copytree(backup / name, home / name)
    store = LocalBlobStore(home / "archive")
    for path in sorted(p for p in (backup / backups.FILES_DIR).rglob("*") if p.is_file()):
        with open(path, "rb") as fh:
            store.put(fh)
    if (backup / backups.AUDIT_CHECKPOINT).is_file():
        (home / "titik_periksa_audit").mkdir()
        shutil.copy2(backup / backups.AUDIT_CHECKPOINT, home / "titik_periksa_audit" / "cadangan.json")
    if info["database"] == "sqlite":
        shutil.copy2(backup / backups.SQLITE_FILE, home / "lemari.db")
    else:
        url = _temporary_database(base["SQLALCHEMY_DATABASE_URI"], cleanup)
        backups._run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                      "--dbname", backups._libpq_url(url), str(backup / backups.PG_FILE)])
        (home / "config.py").write_text(f"DATABASE_URL = {url!r}\n", encoding="utf-8")
    return home


def _temporary_database(url: str, cleanup: ExitStack) -> str:
    """An empty database beside the kabupaten's, dropped when `cleanup` closes."""
    name = f"lemari_impor_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    cleanup.callback(drop)
    return admin.url.set(database=name).render_as_string(hide_password=False)


def _metadata(app) -> MetaData:
    """Every table the models declare, Flask-AppBuilder's included (the app is built)."""
    from records.services.schema import model_metadata

    with app.app_context():
        return model_metadata()


def _check_trail(app, report: ImportReport, where: str) -> None:
    """The trail's chain and checkpoints must hold; `where` names the side in the message."""
    from records.audit_desk import checkpoint_folder, checkpoint_signer
    from records.extensions import db, lemari
    from records.models.audit import AuditEvent
    from records.services.audit_checkpoint import verify_trail

    with app.app_context():
        settings = lemari().settings
        trail = verify_trail(db.session, checkpoint_signer(settings), folder=checkpoint_folder(settings))
        entries = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        db.session.rollback()
    if not trail.intact:
        broken = f"rusak mulai entri #{trail.broken.id}" if trail.broken is not None else "tidak cocok"
        raise TenancyError(f"Log audit {where} {broken}: " + "; ".join(trail.problems)
                           + " Impor dibatalkan; tidak ada yang didaftarkan.")
    if where == "tujuan" and (entries, len(trail.held)) != (report.audit_entries, report.audit_checkpoints):
        raise TenancyError(f"Log audit tujuan berisi {entries} entri dan {len(trail.held)} titik periksa "
                           f"cocok, asal {report.audit_entries} dan {report.audit_checkpoints}; dibatalkan.")
    report.audit_entries, report.audit_checkpoints = entries, len(trail.held)


def _copy_files(source_app, app, report: ImportReport) -> None:
    """The source's data folder (and its archive, wherever ARCHIVE_DIR put it) into the
    kecamatan's, without what NOT_COPIED names."""
    source = Path(source_app.config["HOME"])
    target = Path(app.config["HOME"])
    copied = shutil.copytree(source, target, ignore=_ignore_top(source), dirs_exist_ok=True)
    archive = source_app.config["ARCHIVE_DIR"]
    if archive and not Path(archive).resolve().is_relative_to(source):
        shutil.copytree(archive, target / "archive", dirs_exist_ok=True)
    if (source / "config.py").is_file():
        shutil.copy2(source / "config.py", target / "config.py.asal")
        report.notes.append("config.py kantor asal disimpan sebagai config.py.asal (tidak dipakai): "
                            "pindahkan pengaturan yang masih perlu, mis. sertifikat BSrE, ke config.py "
                            "kecamatan.")
    report.files = sum(1 for p in Path(copied).rglob("*") if p.is_file())


def _ignore_top(source: Path):
    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n in NOT_COPIED] if Path(folder) == source else []
    return ignore


def _copy_rows(source_app, app, metadata: MetaData, report: ImportReport) -> None:
    """Every table, ids included, in one transaction of the kecamatan's database."""
    from records.services.setup import create_schema

    with source_app.app_context():
        from records.extensions import db as source_db

        source_engine: Engine = source_db.engine
    with app.app_context():
        from records.extensions import db

        create_schema(db.engine)
        target_engine: Engine = db.engine
    tables = list(metadata.sorted_tables)
    with source_engine.connect() as src, target_engine.begin() as dst:
        counts = {t.name: src.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
        present = {t.name: dst.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
        if present.get("ab_user"):  # accounts: only a copy makes them, migrations never do
            if present != counts:
                raise TenancyError("Skema kecamatan tujuan sudah berisi data lain; hapus skemanya "
                                   "dulu (DROP SCHEMA … CASCADE) bila itu sisa impor yang gagal.")
            report.rows = counts  # an earlier run committed the copy, its registration was lost
            return
        for table in reversed(tables):  # what the migrations seeded; the source has its own
            dst.execute(table.delete())
        for table in tables:
            _copy_table(src, dst, table)
            _move_sequence(dst, table)
        report.rows = counts


def _copy_table(src: Connection, dst: Connection, table: Table) -> None:
    """One table in primary-key order (a row's parent in the same table comes first)."""
    rows = src.execution_options(yield_per=CHUNK).execute(select(table).order_by(*table.primary_key.columns))
    for chunk in rows.mappings().partitions(CHUNK):
        try:
            dst.execute(table.insert(), [dict(row) for row in chunk])
        except DBAPIError as exc:
            raise TenancyError(f"Baris tabel {table.name} tidak dapat disalin ({type(exc.orig).__name__}: "
                               f"{str(exc.orig).splitlines()[0]}); tidak ada yang disalin.") from exc


def _move_sequence(dst: Connection, table: Table) -> None:
    """The id sequence past the highest copied id, so the next record does not collide."""
    for column in table.primary_key.columns:
        if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
            name = column.name
            dst.execute(text(f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{name}"), 1), '
                             f'MAX("{name}") IS NOT NULL) FROM "{table.name}"'),
                        {"t": table.name, "c": column.name})


def _rebuild_index(app) -> int:
    """The kecamatan's search index, built from its database."""
    from records.extensions import db, lemari
    from records.indexing import open_engine

    with app.app_context():
        ext = lemari()
        return open_engine(ext.settings, ext.registry, db.engine, check=False).rebuild()


def _last_numbers(app) -> dict[str, int]:
    """The last number given in each register and year ("<register>/<year>"), as moved."""
    from records.extensions import db
    from records.models.issuance import NumberSequence, Register

    with app.app_context():
        rows = db.session.execute(select(Register.name, NumberSequence.year, NumberSequence.last)
                                  .join(Register, Register.id == NumberSequence.register_id)).all()
        db.session.rollback()
    return {f"{code}/{year}": int(last) for code, year, last in rows}
