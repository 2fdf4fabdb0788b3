"""Backup and restore of an installation: database snapshot, archived files, keys, manifest.

`backup` takes a consistent snapshot while the app runs: SQLite through its online backup API
(a point-in-time copy even with writers), PostgreSQL through `pg_dump` (one transaction
snapshot). Files are written before the commits that point to them, so every file the
snapshot names already exists; they are copied after the snapshot. A manifest lists the
SHA-256 of every file in the backup. The caller hands in a signed checkpoint of the audit
chain's head, read before the snapshot (so the snapshot holds at least that head): it is
written into the backup and its head into `lemari-backup.json`, both under the manifest.

`restore` verifies the whole manifest before it replaces anything: a backup with a missing,
extra or altered file is refused and nothing changes. Then the database is replaced, the
files are put back into the content-addressed store (each checked against its name), and the
caller rebuilds the search index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from archive.blobstore.atomic import atomic_write_text, ensure_dir, fsync_dir
from archive.blobstore.base import CHUNK_SIZE
from records.pg_pool import is_shared, search_path_of
from records.ports import BlobStore

MANIFEST = "manifest-sha256.txt"
INFO = "lemari-backup.json"
SQLITE_FILE, PG_FILE = "database.sqlite", "database.pgdump"
FILES_DIR, KEYS = "archive", ("secret_key", "pki")
AUDIT_CHECKPOINT = "audit-titik-periksa.json"
FORMAT_VERSION = 1


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why, in Indonesian."""


@dataclass
class BackupResult:
    """What a backup holds."""

    path: Path
    database: str
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            hasher.update(chunk)
    return hasher.hexdigest()


def backup(dest: Path, *, database_url: str, engine, blobs: BlobStore, home: Path,
           progress: Callable[[int, int], None] | None = None,
           audit_checkpoint: dict | None = None) -> BackupResult:
    """Write a full backup into dest (new or empty); returns what it holds."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"Folder tujuan {dest} tidak kosong; pilih folder baru.")
    ensure_dir(dest)
    kind = _dump_database(dest, database_url, engine)
    shas = _referenced_files(engine)
    copied = _copy_blobs(dest / FILES_DIR, blobs, shas, progress)
    _copy_keys(home, dest)
    info = {"format": FORMAT_VERSION, "database": kind, "files": len(copied),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    schema = kecamatan_schema(database_url)
    if schema:
        info["schema"] = schema
    if audit_checkpoint is not None:
        info["audit"] = audit_checkpoint["head"]
        atomic_write_text(dest / AUDIT_CHECKPOINT, json.dumps(audit_checkpoint, indent=1))
    atomic_write_text(dest / INFO, json.dumps(info, indent=1))
    total = write_manifest(dest)
    return BackupResult(dest, kind, len(copied), total)


def _dump_database(dest: Path, database_url: str, engine) -> str:
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database)
        target = sqlite3.connect(dest / SQLITE_FILE)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return "sqlite"
    if engine.dialect.name == "postgresql":
        # a kecamatan of a kabupaten database: its own schema only, never its neighbours' rows
        schema = kecamatan_schema(database_url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              *([f"--schema={schema}"] if schema else []),
              "--file", str(dest / PG_FILE), _libpq_url(database_url)])
        return "postgresql"
    raise BackupError(f"Basis data {engine.dialect.name} belum didukung untuk cadangan.")


def kecamatan_schema(database_url: str) -> str:
    """The kecamatan's schema when the URL is a kecamatan's of a kabupaten database (its
    search_path, records.tenancy), else "" (a single office: the whole database is its own)."""
    if not database_url.startswith("postgresql"):
        return ""
    return (search_path_of(database_url) or "").split(",")[0].strip()


def _libpq_url(url: str) -> str:
    """SQLAlchemy's postgresql+psycopg:// as the postgresql:// pg_dump understands."""
    parts = urlsplit(url)
    return parts._replace(scheme="postgresql").geturl()


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"Perintah {command[0]} tidak ditemukan; pasang postgresql-client.") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} gagal: {done.stderr.strip()[-500:]}")


def _referenced_files(engine) -> list[str]:
    """Every blob a record points to (destroyed records' files are gone by design)."""
    from records.models import Record, RecordFile

    with engine.connect() as conn:
        rows = conn.execute(select(RecordFile.sha256).join(Record, Record.id == RecordFile.record_id)
                            .where(Record.state != "musnah").distinct())
        return sorted(row[0] for row in rows)


def _copy_blobs(target: Path, blobs: BlobStore, shas: list[str], progress) -> list[str]:
    copied = []
    for done, sha256 in enumerate(shas, start=1):
        if blobs.exists(sha256):
            path = target / sha256[:2] / sha256
            ensure_dir(path.parent)
            with blobs.open(sha256) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK_SIZE)
                dst.flush()
                os.fsync(dst.fileno())
            copied.append(sha256)
        if progress:
            progress(done, len(shas))
    return copied


def _copy_keys(home: Path, dest: Path) -> None:
    for name in KEYS:
        source = home / name
        if source.is_file():
            shutil.copy2(source, dest / name)
        elif source.is_dir():
            shutil.copytree(source, dest / name)


def write_manifest(root: Path) -> int:
    """Write the manifest of every file under root (BagIt-style lines); returns bytes covered."""
    lines, total = [], 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST):
        lines.append(f"{_sha256(path)}  {path.relative_to(root).as_posix()}")
        total += path.stat().st_size
    atomic_write_text(root / MANIFEST, "\n".join(lines) + "\n")
    fsync_dir(root)
    return total


def verify_backup(root: Path) -> dict:
    """Check the manifest against the files; raise BackupError naming every problem."""
    root = Path(root)
    manifest = root / MANIFEST
    if not manifest.is_file() or not (root / INFO).is_file():
        raise BackupError(f"{root} bukan cadangan Lemari (tidak ada {MANIFEST}).")
    listed = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name or ".." in Path(name).parts or name.startswith("/"):
            raise BackupError(f"Baris manifest tidak sah: {line[:80]}")
        listed[name] = digest
    present = {p.relative_to(root).as_posix() for p in root.rglob("*")
               if p.is_file() and p.name != MANIFEST}
    problems = [f"hilang: {n}" for n in sorted(set(listed) - present)]
    problems += [f"tidak tercatat di manifest: {n}" for n in sorted(present - set(listed))]
    problems += [f"berubah: {n}" for n in sorted(set(listed) & present)
                 if _sha256(root / n) != listed[n]]
    if problems:
        raise BackupError("Cadangan rusak atau diubah; tidak ada yang dipulihkan. "
                          + "; ".join(problems[:10]))
    info = json.loads((root / INFO).read_text(encoding="utf-8"))
    if info.get("format") != FORMAT_VERSION:
        raise BackupError(f"Format cadangan {info.get('format')} tidak dikenal.")
    return info


def restore(src: Path, *, database_url: str, engine, blobs: BlobStore, home: Path,
            progress: Callable[[int, int], None] | None = None) -> dict:
    """Verify, then replace the database and put every file back; returns the backup info.

    Run it with the web server stopped: the database is replaced underneath it.
    """
    src = Path(src)
    info = verify_backup(src)
    if info["database"] != engine.dialect.name:
        raise BackupError(f"Cadangan berisi basis data {info['database']}, instalasi ini memakai "
                          f"{engine.dialect.name}.")
    _check_same_office(info.get("schema", ""), kecamatan_schema(database_url))
    _restore_files(src / FILES_DIR, blobs, progress)
    if not is_shared(engine):  # every kecamatan of the process shares it (records.pg_pool)
        engine.dispose()
    if info["database"] == "sqlite":
        _restore_sqlite(src / SQLITE_FILE, Path(engine.url.database))
    else:
        _restore_postgres(src / PG_FILE, database_url, engine)
    _restore_keys(src, home)
    return info


def _check_same_office(theirs: str, ours: str) -> None:
    """A kecamatan's backup goes back into that kecamatan only (its dump recreates its own
    schema), and a single office's never into a kecamatan of a kabupaten database."""
    if theirs == ours:
        return
    if not ours:
        raise BackupError(f"Cadangan ini milik satu kecamatan dari basis data kabupaten ({theirs}); "
                          "pulihkan dengan LEMARI_TENANT=<nama> di pemasangan kabupaten.")
    if not theirs:
        raise BackupError("Cadangan ini milik kantor tunggal; pindahkan ke kabupaten dengan "
                          "`lemari tenant impor`, bukan dipulihkan ke kecamatan lain.")
    raise BackupError(f"Cadangan ini milik {theirs}, bukan {ours}; cadangan satu kecamatan tidak "
                      "dipulihkan ke kecamatan lain.")


def _restore_files(folder: Path, blobs: BlobStore, progress) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    for done, path in enumerate(files, start=1):
        with open(path, "rb") as fh:
            ref = blobs.put(fh)
        if ref.sha256 != path.name:
            raise BackupError(f"Berkas {path.name} tidak sesuai namanya.")
        if progress:
            progress(done, len(files))


def _restore_sqlite(snapshot: Path, target: Path) -> None:
    """Copy the snapshot next to the database, then rename it over (WAL files removed)."""
    temp = target.with_name(target.name + ".restore")
    shutil.copyfile(snapshot, temp)
    with open(temp, "rb+") as fh:
        os.fsync(fh.fileno())
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(temp, target)
    fsync_dir(target.parent)


def _restore_postgres(dump: Path, database_url: str, engine) -> None:
    """Empty the database's public schema, then load the dump into it; a kecamatan's restore
    puts its schema aside instead (`_restore_kecamatan`)."""
    from sqlalchemy import text

    schema = kecamatan_schema(database_url)
    if schema:
        _restore_kecamatan(dump, database_url, engine, schema)
        return
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    load_dump(dump, database_url)


#: Where a kecamatan's schema waits while its backup loads (`_restore_kecamatan`).
ASIDE = "{}_sebelum_pulih"


def _restore_kecamatan(dump: Path, database_url: str, engine, schema: str) -> None:
    """Load a kecamatan's dump (which recreates its schema) with the schema it replaces put
    aside under another name: a load that fails (another PostgreSQL's dump, a full disk) puts
    it back, so the kecamatan keeps what it had; a successful one drops it.

    A crash (power cut) at any point leaves either the schema or its aside copy, never
    neither; `settle_restore` (run first here, and by `lemari serve` and `lemari tenant
    migrasi` on a kabupaten) undoes or finishes what an interrupted restore left. The
    kecamatan's pooled connections name the schema in their search_path, so they read the
    restored one at once. Names are identifiers of our own (`kec_` + letters and digits).
    """
    from sqlalchemy import text

    aside = ASIDE.format(schema)
    settle_restore(engine, schema)
    with engine.begin() as conn:
        if _schema_exists(conn, schema):
            conn.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{aside}"'))
    try:
        load_dump(dump, database_url, schema)
    except BaseException:
        with engine.begin() as conn:
            if _schema_exists(conn, aside):
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'ALTER SCHEMA "{aside}" RENAME TO "{schema}"'))
        raise
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{aside}" CASCADE'))


def settle_restore(engine, schema: str) -> str:
    """Undo or finish what a kecamatan's restore cut short (a power cut) left: its schema
    aside with none in its place means the load never committed, so the old data goes back;
    both means it had, so the old copy goes. Says what it did ("" when nothing was left).
    Run it only where no restore of that kecamatan can be running (at start, not per request)."""
    from sqlalchemy import text

    aside = ASIDE.format(schema)
    with engine.begin() as conn:
        if not _schema_exists(conn, aside):
            return ""
        if _schema_exists(conn, schema):
            conn.execute(text(f'DROP SCHEMA "{aside}" CASCADE'))
            return f"pemulihan {schema} yang terputus sudah dimuat; salinan lamanya dihapus"
        conn.execute(text(f'ALTER SCHEMA "{aside}" RENAME TO "{schema}"'))
        return f"pemulihan {schema} yang terputus dibatalkan; datanya kembali seperti sebelum pemulihan"


def _schema_exists(conn, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_schema(name)


def load_dump(dump: Path, database_url: str, schema: str = "") -> None:
    """Load a pg_dump into the database in one transaction (a failure leaves nothing half
    loaded). A kecamatan's dump (`schema`) holds its schema alone, without the pg_trgm its
    search index's operators come from: made in public first where it is missing (a drill's or
    an import's new database). Used by restore, the restore drill and `lemari tenant impor`."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    if schema:
        engine = create_engine(database_url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        finally:
            engine.dispose()
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          "--dbname", _libpq_url(database_url), str(dump)])


def _restore_keys(src: Path, home: Path) -> None:
    for name in KEYS:
        source, target = src / name, home / name
        if source.is_file():
            atomic_write_text(target, source.read_text(encoding="utf-8"), mode=0o600)
        elif source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
