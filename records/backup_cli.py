"""`lemari backup`, `restore` and `jobs`: the core's care of the whole office, whichever
features are installed (backup copies every table and every stored file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from records.extensions import db, lemari

# --- backup / restore ---------------------------------------------------------------------

@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Consistent backup while the app runs: database snapshot, files, keys, manifest."""
    from records.services.backup import BackupError

    with click.progressbar(length=1, label="Menyalin berkas") as bar:
        def progress(done, total):
            bar.length = total
            bar.update(done - bar.pos)

        try:
            result = take_backup(lemari().settings, dest, progress=progress,
                                 warn=lambda text: click.echo(f"Peringatan: {text}", err=True))
        except BackupError as exc:
            click.echo(f"Gagal: {exc}", err=True)
            sys.exit(1)
    click.echo(f"Cadangan {result.database} dengan {result.files} berkas "
               f"({result.bytes / 1_000_000:.1f} MB) tersimpan di {result.path}")


def take_backup(settings, dest: Path, *, progress=None, warn=None):
    """One consistent backup of the whole office into `dest` (in an app context): the audit
    checkpoint, then the snapshot. `lemari backup` and the UPS watcher (records/daya, on
    battery) both call this. Raises BackupError with the reason."""
    from records.desk import blob_store
    from records.services.backup import backup

    checkpoint = _audit_checkpoint(settings, warn=warn)
    return backup(dest, database_url=settings["SQLALCHEMY_DATABASE_URI"], engine=db.engine,
                  blobs=blob_store(settings), home=Path(settings["HOME"]), progress=progress,
                  audit_checkpoint=checkpoint)


def _audit_checkpoint(settings, *, warn=None) -> dict | None:
    """The signed head of the audit chain, read before the snapshot: written into the backup
    and, when the trail holds its earlier checkpoints, as today's checkpoint file too."""
    from records.audit_desk import checkpoint_signer, write_checkpoint
    from records.services import audit_checkpoint
    from records.services.audit_checkpoint import CheckpointRefusedError

    try:
        written = write_checkpoint(settings, db.session)
    except CheckpointRefusedError as exc:
        if warn is not None:
            warn(str(exc))
        written = None
    document = written[1] if written else audit_checkpoint.make(
        db.session, checkpoint_signer(settings), office=settings["OFFICE_NAME"])
    db.session.rollback()  # end the read transaction before the snapshot
    return document


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Jangan bertanya lagi (basis data akan diganti).")
@with_appcontext
def restore_command(src: Path, yes: bool) -> None:
    """Verify a backup's manifest, then replace the database and files and rebuild search."""
    from records.desk import blob_store
    from records.services.backup import BackupError, restore, verify_backup

    try:
        info = verify_backup(src)
    except BackupError as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Cadangan utuh: {info['database']}, {info['files']} berkas, dibuat {info['created']}.")
    if not yes:
        click.confirm("Hentikan `lemari serve` dulu. Ganti basis data dan berkas sekarang?",
                      abort=True)
    settings = lemari().settings
    try:
        restore(src, database_url=settings["SQLALCHEMY_DATABASE_URI"], engine=db.engine,
                blobs=blob_store(settings), home=Path(settings["HOME"]))
    except BackupError as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)
    db.session.remove()
    written = lemari().search().rebuild() if lemari()._search else _rebuild_index()
    click.echo(f"Dipulihkan; indeks pencarian dibangun ulang ({written} dokumen).")
    _set_aside_newer_checkpoints(settings)


def _set_aside_newer_checkpoints(settings) -> None:
    """Checkpoints made after the backup count audit entries the restored trail lacks: they
    are kept aside, and the loss is said out loud."""
    import datetime as dt

    from records.audit_desk import checkpoint_folder, checkpoint_signer
    from records.services.audit_checkpoint import set_aside_after_restore

    folder = checkpoint_folder(settings)
    if not folder.is_dir():
        return
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    moved, missing = set_aside_after_restore(folder, db.session, checkpoint_signer(settings),
                                             stamp=stamp)
    db.session.remove()
    if moved:
        click.echo(f"Perhatian: log audit hasil pemulihan tidak memuat {missing} entri yang dicatat "
                   f"sesudah cadangan ini dibuat. {moved} titik periksa yang lebih baru dipindah ke "
                   f"{folder / f'sebelum-pemulihan-{stamp}'}.")


def _rebuild_index() -> int:
    from records.indexing import open_engine

    ext = lemari()
    return open_engine(ext.settings, ext.registry, db.engine, check=False).rebuild()


# --- jobs ---------------------------------------------------------------------------------

@click.group("jobs")
def jobs_group() -> None:
    """Background jobs (the features' tasks, e.g. OCR and the nightly fixity check, and the
    daily audit checkpoint)."""


@jobs_group.command("worker")
@click.option("--workers", default=None, type=int, help="Jumlah thread (bawaan JOB_WORKERS).")
@with_appcontext
def jobs_worker(workers: int | None) -> None:
    """Run the job consumer alone (when `lemari serve` runs elsewhere); Ctrl-C stops it."""
    import time

    from records.jobs import jobs_of
    from records.lifecycle import Shutdown

    app = current_app._get_current_object()
    shutdown = Shutdown()
    shutdown.install_sigterm()
    jobs = jobs_of(app)
    jobs.start(workers or lemari().settings["JOB_WORKERS"])
    for stop in lemari().pm.hook.register_watchers(app=app, stop=shutdown.request):
        shutdown.add_stopper(stop)
    click.echo("Pekerja tugas berjalan; tekan Ctrl-C untuk berhenti.")
    try:
        while not shutdown.requested.is_set():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown.finish(app)


@jobs_group.command("status")
@with_appcontext
def jobs_status() -> None:
    """The declared tasks and, per feature, what its jobs are doing."""
    from records.jobs import jobs_of

    jobs = jobs_of(current_app._get_current_object())
    click.echo("Tugas: " + ", ".join(sorted(jobs.tasks)))
    for line in jobs.status_lines():
        click.echo(line)


BACKUP_COMMANDS = (backup_command, restore_command, jobs_group)
