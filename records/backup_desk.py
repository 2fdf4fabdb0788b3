"""The app's side of automatic backups (issue 21): what the job consumer, the CLI, the web page
and `lemari db upgrade` call. The work is in records.services.backup_targets; this module
hands it the installation's engine, blob store, data folder, audit checkpoint and settings,
and runs the restore drill's checks (doctor's schema checks and `audit verify`) on the copy.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from records.services import backup_targets as bt
from records.services import clock

log = logging.getLogger(__name__)


def audit_checkpoint(settings, session) -> dict | None:
    """The signed head of the audit chain, read before the snapshot (written as today's
    checkpoint file too when the trail holds its earlier ones)."""
    from records.audit_desk import checkpoint_signer, write_checkpoint
    from records.services import audit_checkpoint as ac
    from records.services.audit_checkpoint import CheckpointRefusedError

    try:
        written = write_checkpoint(settings, session)
    except CheckpointRefusedError as exc:
        log.warning("audit checkpoint refused before backup: %s", exc)
        written = None
    document = written[1] if written else ac.make(session, checkpoint_signer(settings),
                                                  office=settings["OFFICE_NAME"])
    session.rollback()
    return document


def run_now(app, pemicu: str) -> list:
    """Back up to every target now (inside an app context); returns the BackupRun rows."""
    from records.desk import blob_store
    from records.extensions import db

    settings = app.extensions["lemari"].settings
    return bt.run_backup(db.session, engine=db.engine, database_url=settings["SQLALCHEMY_DATABASE_URI"],
                         blobs=blob_store(settings), home=Path(settings["HOME"]), settings=settings,
                         pemicu=pemicu, checkpoint=audit_checkpoint(settings, db.session))


def is_set_up(app) -> bool:
    """Automatic backups are set up: the office key exists and at least one target is active."""
    from records.extensions import db

    settings = app.extensions["lemari"].settings
    if bt.load_office_key(Path(settings["HOME"])) is None:
        return False
    try:
        return any(t.aktif for t in bt.list_targets(db.session))
    finally:
        db.session.rollback()


def scheduled_backup(app, pemicu: str = "jadwal") -> None:
    """The job: a refusal (no key, no target) is logged; each target's result is in the DB."""
    try:
        runs = run_now(app, pemicu)
    except bt.BackupError as exc:
        log.error("backup not run: %s", exc)
        return
    for run in runs:
        (log.info if run.status == "berhasil" else log.error)("backup %s: %s", run.target_nama, run.pesan)


def before_upgrade(app, pending: list[str]) -> str | None:
    """Before migrations run: a backup to every target when backups are set up. Returns a line
    to print, None when backups are not set up; raises BackupError when every target failed."""
    from records.extensions import db

    settings = app.extensions["lemari"].settings
    if not pending or bt.load_office_key(Path(settings["HOME"])) is None:
        return None
    from sqlalchemy import inspect

    if not inspect(db.engine).has_table("cadangan_target"):
        return None
    runs = run_now(app, "pembaruan")
    good = [r for r in runs if r.status == "berhasil"]
    if not good:
        raise bt.BackupError("Cadangan sebelum pembaruan gagal: " + "; ".join(r.pesan for r in runs))
    return f"Cadangan sebelum pembaruan tersimpan di {', '.join(r.target_nama for r in good)}."


# --- the restore drill -----------------------------------------------------------------------

def drill(app, pemicu: str = "jadwal", passphrase: str | None = None, *,
          target_name: str | None = None, generation: str | None = None):
    """Restore the newest generation (of every target, or of `target_name`; or the chosen
    `generation`) into a temporary folder and prove it: every file decrypts to its SHA-256, the
    schema is the newest, the audit trail verifies against the backup's own checkpoint, issued
    letters have their files. The result is a BackupRun (jenis latihan)."""
    from records.extensions import db

    ext = app.extensions["lemari"]
    home = Path(ext.settings["HOME"])
    session = db.session
    targets = [t for t in bt.list_targets(session) if t.aktif]
    if target_name is not None:
        targets = [t for t in bt.list_targets(session) if t.nama == target_name]
        if not targets:
            raise bt.BackupError(f"Target {target_name} tidak ada.")
    newest, unreachable = None, []
    for target in targets:
        try:
            with bt.open_target(target, home=home, settings=ext.settings) as opened:
                found = bt.generations(opened)
        except (OSError, bt.BackupError) as exc:
            unreachable.append(str(exc))
            continue
        if generation is not None:
            found = [g for g in found if g.name == generation]
        if found and (newest is None or found[-1].created > newest[1].created):
            newest = (target, found[-1])
    if newest is None:
        run = bt.start_run(session, jenis="latihan", pemicu=pemicu, target=None)
        bt.finish_run(session, run, ok=False,
                      message=" ".join([f"Generasi {generation} tidak ada di target." if generation else
                                        "Tidak ada generasi cadangan yang bisa dilatih-pulihkan.",
                                        *unreachable]))
        return run
    target, generation = newest
    with bt.backup_lock(home):
        run = bt.start_run(session, jenis="latihan", pemicu=pemicu, target=target)
        staging = bt.server_dir(home) / f"latihan-{clock.utc_now():%Y%m%dT%H%M%S}"
        try:
            with bt.open_target(target, home=home, settings=ext.settings) as opened:
                ok, message = _drill_in(ext, opened, generation.name, staging, passphrase)
        except bt.BackupError as exc:
            ok, message = False, str(exc)
        except Exception as exc:  # a drill reports; it never takes the job consumer down
            log.exception("restore drill failed")
            ok, message = False, f"Latihan gagal: {exc}"
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        bt.finish_run(session, run, ok=ok, message=message, generation=generation.name)
    return run


def _drill_in(ext, target, generation: str, staging: Path, typed: str | None) -> tuple[bool, str]:
    """An unattended drill decrypts with the passphrase file the Admin chose to keep on the
    server (BACKUP_PASSPHRASE_FILE); without it the drill says so and counts as failed."""
    passphrase = typed if typed is not None else drill_passphrase(ext.settings)
    if passphrase is None:
        return False, ("Latihan pemulihan butuh frasa sandi: atur BACKUP_PASSPHRASE_FILE (berkas "
                       "0600 di server) atau jalankan `lemari backup drill` dan ketik frasa sandi.")
    return prove(ext, target, generation, staging, passphrase)


def drill_passphrase(settings) -> str | None:
    """The passphrase for unattended drills, from BACKUP_PASSPHRASE_FILE (None when unset)."""
    path = settings.get("BACKUP_PASSPHRASE_FILE") or ""
    if path and Path(path).is_file():
        return Path(path).read_text(encoding="utf-8").strip()
    return None


def prove(ext, target, generation: str | None, staging: Path, passphrase: str) -> tuple[bool, str]:
    """Decrypt into staging, then run the doctor's schema checks and audit verify on the copy."""
    from records.audit_desk import checkpoint_signer
    from records.doctor import check_issued_have_files, schema_checks
    from records.services.audit_checkpoint import verify_trail

    opened = bt.open_generation(target, staging, passphrase=passphrase, generation=generation)
    contents = opened.contents
    if contents["database"] != "sqlite":
        return _prove_postgres(ext, opened)
    engine = create_engine(f"sqlite:///{opened.folder / 'database.sqlite'}")
    try:
        checks = schema_checks(engine)
        with Session(engine) as session:
            checks.append(check_issued_have_files(session, ext.registry))
            extra = [opened.folder / "audit-titik-periksa.json"] if contents.get("audit") else []
            trail = verify_trail(session, checkpoint_signer(ext.settings), folder=None, extra=extra)
    finally:
        engine.dispose()
    failed = [f"{c.name}: {c.summary}" for c in checks if not c.ok]
    if not trail.intact:
        failed.append("audit: " + "; ".join(trail.problems or ["rantai rusak"]))
    if failed:
        return False, "Latihan pemulihan gagal: " + "; ".join(failed)
    return True, (f"Generasi {opened.generation} dipulihkan ke folder sementara: "
                  f"{len(contents['objek'])} berkas cocok, skema terbaru, log audit utuh.")


def _prove_postgres(ext, opened) -> tuple[bool, str]:
    """PostgreSQL: the dump is loaded into a temporary database, checked, then dropped."""
    from records.audit_desk import checkpoint_signer
    from records.doctor import schema_checks
    from records.services.audit_checkpoint import verify_trail
    from records.services.backup import load_dump

    url = ext.settings["SQLALCHEMY_DATABASE_URI"]
    name = f"lemari_latihan_{clock.utc_now():%Y%m%d%H%M%S}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    drill_url = admin.url.set(database=name)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(drill_url)
    try:
        load_dump(opened.folder / "database.pgdump", drill_url.render_as_string(hide_password=False),
                  opened.contents.get("skema", ""))
        checks = schema_checks(engine)
        with Session(engine) as session:
            trail = verify_trail(session, checkpoint_signer(ext.settings), folder=None,
                                 extra=[opened.folder / "audit-titik-periksa.json"])
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    failed = [f"{c.name}: {c.summary}" for c in checks if not c.ok]
    if not trail.intact:
        failed.append("audit: " + "; ".join(trail.problems or ["rantai rusak"]))
    if failed:
        return False, "Latihan pemulihan gagal: " + "; ".join(failed)
    return True, f"Generasi {opened.generation} dipulihkan ke basis data sementara {name}: lolos."


def scheduled_drill(app) -> None:
    run = drill(app, "jadwal")
    (log.info if run.status == "berhasil" else log.error)("restore drill: %s", run.pesan)
