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

from sqlalchemy import Connection, Engine, MetaData, Sequence, Table, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from records import pg_pool, tenancy
from records.services.backup import MANIFEST
from records.tenancy import Kecamatan, TenancyError

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
    wanted = Kecamatan(nama_singkat, nama.strip(), kode.strip(), tuple(h.strip().lower() for h in hosts),
                       alamat_publik.strip())
    tenancy.check_new(base, wanted)
    report = ImportReport()
    with tempfile.TemporaryDirectory(prefix="lemari-impor-") as work, ExitStack() as cleanup:
        if (source / MANIFEST).is_file():
            source = _staged_backup(source, Path(work), base, cleanup)
        source_app = _source_app(source, Path(work), overrides)
        try:
            _check_trail(source_app, report, "asal")
            metadata = _metadata(source_app)
            _prepare_folder(source_app, tenancy.tenant_home(base, wanted), report)

            def prepare(app) -> None:
                _copy_rows(source_app, app, metadata, report)
                _check_trail(app, report, "tujuan")  # the same trail, before any seed adds to it

            def finish(app) -> None:
                report.indexed = _rebuild_index(app)
                _check_trail(app, report, "akhir")
                _check_archive(app)
                report.numbers = _last_numbers(app)

            report.kecamatan = tenancy.add_kecamatan(
                base, nama_singkat=nama_singkat, nama=nama, kode=kode, hosts=hosts,
                alamat_publik=alamat_publik, overrides=overrides, prepare=prepare, finish=finish)
        finally:
            tenancy.close_app(source_app)
            pg_pool.dispose_shared(source_app.config["SQLALCHEMY_DATABASE_URI"])
    return report


def _source_app(source: Path, work: Path, overrides: Mapping[str, Any] | None):
    """An app on the source folder; a SQLite database is read from a snapshot in `work`,
    migrated to the newest schema there (the source itself is never written)."""
    from records.app import create_app
    from records.services.schema import current_state, upgrade
    from records.settings import default_settings, instance_overrides, load_config

    # the defaults and the source's own config.py (its database, archive, certificate), never
    # the kabupaten's config.py or environment, which a bare load_config would lay underneath
    own = {**default_settings(), **instance_overrides(source), **dict(overrides or {}),
           "HOME": str(source), "TENANT": ""}
    settings = load_config(own, environ={})
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
        # a kecamatan's backup (of another kabupaten database) holds its schema alone
        backups.load_dump(backup / backups.PG_FILE, url, info.get("schema", ""))
        if info.get("schema"):
            url = tenancy.tenant_url(url, info["schema"])
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
    """The trail's chain and checkpoints must hold. "asal" records them; "tujuan" (right after
    the copy) must have the same entries and checkpoints; "akhir" (after the seeds of `lemari
    init`, which may add entries for what they put back) the same checkpoints and no fewer."""
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
    if where == "asal":
        report.audit_entries, report.audit_checkpoints = entries, len(trail.held)
        return
    fewer = entries < report.audit_entries if where == "akhir" else entries != report.audit_entries
    if fewer or len(trail.held) != report.audit_checkpoints:
        raise TenancyError(f"Log audit {where} berisi {entries} entri dan {len(trail.held)} titik periksa "
                           f"cocok, asal {report.audit_entries} dan {report.audit_checkpoints}; dibatalkan.")


def _check_archive(app) -> None:
    """Every file the kecamatan's records name is in its archive, whole (the doctor's checks)."""
    from records.desk import blob_store
    from records.doctor import archive_checks
    from records.extensions import db, lemari

    with app.app_context():
        ext = lemari()
        failed = [f"{c.name}: {c.summary}" for c in archive_checks(db.session, blob_store(ext.settings),
                                                                  ext.registry) if not c.ok]
        db.session.rollback()
    if failed:
        raise TenancyError("Arsip kecamatan tujuan tidak lengkap: " + "; ".join(failed))


#: Where the signing certificate's files go in the kecamatan's folder, by setting.
CERTIFICATE_FILES = {"SIGNING_CERT": "sertifikat/cert.pem", "SIGNING_KEY": "sertifikat/key.pem",
                     "SIGNING_CA": "sertifikat/ca.pem"}


def _prepare_folder(source_app, target: Path, report: ImportReport) -> None:
    """The kecamatan's folder before its app is built: the archive (wherever ARCHIVE_DIR put it),
    the demo signing key folder, the audit checkpoints (wherever AUDIT_CHECKPOINT_DIR put them),
    the office's own certificate with a config.py naming it, and the source's config.py kept
    beside as config.py.asal. Nothing else (backups, job queue, index, keys of the session)."""
    from records.audit_desk import checkpoint_folder

    settings = source_app.extensions["lemari"].settings
    source = Path(settings["HOME"])
    target.mkdir(parents=True, exist_ok=True)
    folders = {Path(settings["ARCHIVE_DIR"] or source / "archive"): target / "archive",
               checkpoint_folder(settings): target / "titik_periksa_audit", source / "pki": target / "pki"}
    for origin, copy in folders.items():
        if origin.is_dir():
            shutil.copytree(origin, copy, dirs_exist_ok=True)
    lines = []
    for key, name in CERTIFICATE_FILES.items():
        if settings.get(key):
            (target / name).parent.mkdir(exist_ok=True)
            shutil.copy2(settings[key], target / name)
            lines.append(f"{key} = {str(target / name)!r}\n")
    if lines:
        (target / "config.py").write_text("# sertifikat kantor, dibawa oleh `lemari tenant impor`\n"
                                          + "".join(lines), encoding="utf-8")
    if (source / "config.py").is_file():
        shutil.copy2(source / "config.py", target / "config.py.asal")
        report.notes.append("config.py kantor asal disimpan sebagai config.py.asal (tidak dipakai); "
                            "sertifikat penandatangan dan titik periksa audit sudah dibawa.")
    report.files = sum(1 for p in target.rglob("*") if p.is_file())


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
    """One table in primary-key order. A column naming a row of the same table (an account
    that edited an account made before it) is written after every row is in."""
    own = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
    key = list(table.primary_key.columns)
    if own and len(key) != 1:
        raise TenancyError(f"Tabel {table.name}: rujukan ke dirinya sendiri tanpa kunci tunggal.")
    later: list[dict] = []
    rows = src.execution_options(yield_per=CHUNK).execute(select(table).order_by(*key))
    for chunk in rows.mappings().partitions(CHUNK):
        batch = [dict(row) for row in chunk]
        for row in batch:
            refs = {c.name: row[c.name] for c in own if row[c.name] is not None}
            if refs:
                later.append({"_key": row[key[0].name], **refs})
                row.update(dict.fromkeys(refs))
        _write(dst, table, table.insert(), batch)
    for refs in later:
        values = {name: value for name, value in refs.items() if name != "_key"}
        _write(dst, table, table.update().where(key[0] == refs["_key"]).values(**values), None)


def _write(dst: Connection, table: Table, statement, rows: list[dict] | None) -> None:
    try:
        dst.execute(statement, rows) if rows is not None else dst.execute(statement)
    except DBAPIError as exc:
        raise TenancyError(f"Baris tabel {table.name} tidak dapat disalin ({type(exc.orig).__name__}: "
                           f"{str(exc.orig).splitlines()[0]}); tidak ada yang disalin.") from exc


def _move_sequence(dst: Connection, table: Table) -> None:
    """The id sequence past the highest copied id, so the next record does not collide: the
    named Sequence a model declares (Flask-AppBuilder's ab_* tables), else the column's own."""
    column = table.autoincrement_column
    if column is None:
        return
    name = column.default.name if isinstance(column.default, Sequence) else dst.scalar(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name})
    if name is None:
        raise TenancyError(f"Urutan nomor id tabel {table.name} tidak ditemukan; impor dibatalkan.")
    highest = f'MAX("{column.name}")'
    dst.execute(text(f'SELECT setval(:s, COALESCE({highest}, 1), {highest} IS NOT NULL) FROM "{table.name}"'),
                {"s": name})


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
