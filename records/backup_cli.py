"""`lemari backup`, `restore` and `jobs`: the core's care of the whole office, whichever
features are installed (backup copies every table and every stored file).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from records.extensions import db, lemari
from records.services import clock

# --- backup / restore ---------------------------------------------------------------------

class BackupGroup(click.Group):
    """`lemari backup run|drill|target|…`, and the old `lemari backup DEST` (a plain copy into
    a new folder) kept working: an argument that names no subcommand is that folder."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["folder", *args]
        return super().parse_args(ctx, args)


@click.group("backup", cls=BackupGroup)
def backup_command() -> None:
    """Backups: automatic encrypted ones to the office's targets (run, drill, target, status,
    passphrase), or `lemari backup DEST`: a plain copy into a new folder."""


@backup_command.command("folder", hidden=True)
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_folder(dest: Path) -> None:
    """Consistent backup while the app runs: database snapshot, files, keys, manifest (NOT
    encrypted: keep such a folder inside the office; automatic backups are encrypted)."""
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
    click.echo("Perhatian: salinan ini TIDAK terenkripsi (berisi NIK dan kunci); simpan di kantor. "
               "Cadangan otomatis (lemari backup run) terenkripsi.")


def _admin():
    """The actor for backup set-up commands run at the server's console (an Admin)."""
    from records.actor import Actor

    return Actor(user_id=None, username="konsol", roles=frozenset({"Admin"}),
                 permissions=frozenset({"cadangan.manage", "cadangan.read"}))


def _fail(exc: Exception) -> None:
    click.echo(f"Gagal: {exc}", err=True)
    sys.exit(1)


@backup_command.command("passphrase")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Berkas berisi frasa sandi (selain itu: LEMARI_BACKUP_PASSPHRASE atau ditanya).")
@with_appcontext
def backup_passphrase(passphrase_file: Path | None) -> None:
    """Set the backup passphrase once (write it on paper; it is not stored)."""
    from records.services import backup_targets as bt

    phrase = _passphrase(passphrase_file, confirm=True)
    try:
        key = bt.set_passphrase(db.session, _admin(), home=Path(lemari().settings["HOME"]),
                                passphrase=phrase, confirmation=phrase)
    except bt.BackupError as exc:
        _fail(exc)
    click.echo(f"Kunci cadangan {key.key_id} dibuat. TULIS FRASA SANDI DI KERTAS dan simpan di lemari "
               "besi: tanpa frasa sandi, cadangan tidak dapat dipulihkan. Lemari tidak menyimpannya.")


@backup_command.command("recipient")
@click.argument("name")
@click.argument("public_key")
@with_appcontext
def backup_recipient(name: str, public_key: str) -> None:
    """Also encrypt every new backup for PUBLIC_KEY (e.g. the kabupaten's; base64 X25519)."""
    from records.services import backup_targets as bt

    try:
        bt.add_recipient(db.session, _admin(), home=Path(lemari().settings["HOME"]), name=name,
                         public=public_key)
    except bt.BackupError as exc:
        _fail(exc)
    click.echo(f"Penerima {name} ditambahkan; berlaku untuk berkas yang ditulis mulai sekarang.")


@backup_command.command("identity")
def backup_identity() -> None:
    """Print a new key pair for a second holder (the kabupaten keeps the private half)."""
    from records.services.backup_crypto import new_identity

    private, public = new_identity()
    click.echo(f"Kunci privat (simpan di kabupaten, jangan dikirim): {private}")
    click.echo(f"Kunci publik (berikan ke kecamatan): {public}")


@backup_command.group("target")
def target_group() -> None:
    """The backup targets."""


@target_group.command("add")
@click.argument("name")
@click.argument("path")
@click.option("--label", default="", help="Isi berkas LEMARI-LABEL yang harus ada di disk itu; untuk "
              "sftp://…: sidik jari kunci host server (SHA256:…).")
@with_appcontext
def target_add(name: str, path: str, label: str) -> None:
    """Add a folder target (an external drive's mount point or a mounted share), or an SFTP
    server: PATH sftp://user@host[:port]/folder with --label SHA256:… (the host key's pin)."""
    from records.services import backup_targets as bt

    try:
        bt.add_target(db.session, _admin(), nama=name, lokasi=path, label=label,
                      home=Path(lemari().settings["HOME"]), settings=lemari().settings)
    except bt.BackupError as exc:
        db.session.rollback()
        _fail(exc)
    click.echo(f"Target {name} ({path}) ditambahkan.")


@backup_command.command("sftp-key")
@with_appcontext
def backup_sftp_key() -> None:
    """Make the office's SSH key for SFTP targets (once) and print its public line for the
    kabupaten's authorized_keys."""
    from records.services import backup_targets as bt
    from records.services.backup_sftp import make_key

    settings = lemari().settings
    path = bt.sftp_key_file(Path(settings["HOME"]), settings)
    line = make_key(path, f"lemari-{settings['OFFICE_NAME']}".replace(" ", "-").lower())
    click.echo("Kirim baris ini ke admin kabupaten untuk authorized_keys pengguna SFTP kantor:")
    click.echo(line)


@target_group.command("list")
@with_appcontext
def target_list() -> None:
    """Every target and its complete generations."""
    from records.services import backup_targets as bt

    settings = lemari().settings
    for target in bt.list_targets(db.session):
        try:
            with bt.open_target(target, home=Path(settings["HOME"]), settings=settings) as opened:
                found = bt.generations(opened)
        except (OSError, bt.BackupError) as exc:
            click.echo(f"Peringatan: {exc}", err=True)
            found = []
        newest = found[-1].name if found else "-"
        label = f" label={target.label}" if target.label else ""
        click.echo(f"{target.nama}\t{target.lokasi}{label}\t{len(found)} generasi, terbaru {newest}")


@target_group.command("generations")
@click.argument("name")
@with_appcontext
def target_generations(name: str) -> None:
    """The complete generations on one target (names for `restore --generation`), office time."""
    from records.services import backup_targets as bt

    settings = lemari().settings
    row = bt.find_target(db.session, name)
    if row is None:
        _fail(bt.BackupError(f"Target {name} tidak ada."))
    try:
        with bt.open_target(row, home=Path(settings["HOME"]), settings=settings) as opened:
            found = bt.generations(opened)
    except bt.BackupError as exc:
        _fail(exc)
    for gen in found:
        click.echo(f"{gen.name}\t{clock.format_local(gen.created, settings['TIMEZONE'])}")
    if not found:
        click.echo(f"Target {name} belum berisi generasi yang lengkap.")


@target_group.command("remove")
@click.argument("name")
@with_appcontext
def target_remove(name: str) -> None:
    """Stop backing up to a target (what it already holds stays)."""
    from records.services import backup_targets as bt

    try:
        bt.remove_target(db.session, _admin(), name)
    except bt.BackupError as exc:
        _fail(exc)
    click.echo(f"Target {name} dihapus dari daftar; isinya tidak disentuh.")


@backup_command.command("run")
@click.option("--trigger", "pemicu", default="manual", type=click.Choice(["manual", "ups", "jadwal"]),
              help="Alasan (ups: dipanggil oleh pemantau UPS).")
@with_appcontext
def backup_run(pemicu: str) -> None:
    """Back up to every target now (encrypted, incremental, rotated); exit 1 if one failed."""
    from records import backup_desk
    from records.services import backup_targets as bt

    try:
        runs = backup_desk.run_now(current_app._get_current_object(), pemicu)
    except bt.BackupError as exc:
        _fail(exc)
    for run in runs:
        mark = "OK" if run.status == "berhasil" else "GAGAL"
        click.echo(f"[{mark}] {run.target_nama}: {run.generasi or '-'} — {run.pesan}")
    if any(run.status != "berhasil" for run in runs):
        sys.exit(1)


@backup_command.command("drill")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", "target_name", default=None,
              help="Latih dari target ini (mis. server SFTP kabupaten); bawaan: generasi terbaru mana pun.")
@click.option("--generation", default=None, help="Generasi yang dilatih (bawaan: terbaru di target).")
@with_appcontext
def backup_drill(passphrase_file: Path | None, target_name: str | None, generation: str | None) -> None:
    """Restore the newest generation (or the one chosen) into a temporary folder and check it
    (doctor, audit)."""
    from records import backup_desk
    from records.services import backup_targets as bt

    app = current_app._get_current_object()
    phrase = None
    if backup_desk.drill_passphrase(lemari().settings) is None:
        phrase = _passphrase(passphrase_file, confirm=False)
    try:
        run = backup_desk.drill(app, "manual", passphrase=phrase, target_name=target_name,
                                generation=generation)
    except bt.BackupError as exc:
        _fail(exc)
    click.echo(f"[{'OK' if run.status == 'berhasil' else 'GAGAL'}] {run.pesan}")
    if run.status != "berhasil":
        sys.exit(1)


@backup_command.command("status")
@with_appcontext
def backup_status() -> None:
    """Targets, last results, and what is missed or failed; exit 1 when something is."""
    from records.services import backup_targets as bt

    found = bt.status(db.session, home=Path(lemari().settings["HOME"]), settings=lemari().settings)
    for line in found.lines:
        click.echo(line)
    for problem in found.problems:
        click.echo(f"MASALAH: {problem}")
    for run in bt.history(db.session, 10):
        click.echo(f"  {run.mulai:%Y-%m-%d %H:%M} UTC {run.jenis} {run.pemicu} {run.target_nama} "
                   f"{run.status} {run.generasi}")
    if found.problems:
        sys.exit(1)


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    """From --passphrase-file, LEMARI_BACKUP_PASSPHRASE, or typed (hidden)."""
    import os

    if path is not None:
        return path.read_text(encoding="utf-8").strip()
    if os.environ.get("LEMARI_BACKUP_PASSPHRASE"):
        return os.environ["LEMARI_BACKUP_PASSPHRASE"]
    return click.prompt("Frasa sandi cadangan", hide_input=True, confirmation_prompt=confirm)


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
@click.argument("src")
@click.option("--yes", is_flag=True, help="Jangan bertanya lagi (basis data akan diganti).")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Cadangan terenkripsi: berkas berisi frasa sandi (atau LEMARI_BACKUP_PASSPHRASE).")
@click.option("--identity-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Cadangan terenkripsi: kunci privat penerima lain (kabupaten) sebagai ganti frasa sandi.")
@click.option("--generation", default=None, help="Generasi yang dipulihkan (bawaan: terbaru).")
@click.option("--host-key", default="", help="SRC sftp://…: sidik jari kunci host server (SHA256:…).")
@click.option("--other-office", is_flag=True, help="Izinkan memulihkan cadangan dari kantor lain.")
@with_appcontext
def restore_command(src: str, yes: bool, passphrase_file: Path | None, identity_file: Path | None,
                    generation: str | None, host_key: str, other_office: bool) -> None:
    """Restore a backup. SRC: a folder (an encrypted target's, or a plain `lemari backup DEST`
    copy), the name of a configured target (a drive or the kabupaten's SFTP server), or
    sftp://user@host/folder with --host-key. An encrypted generation is decrypted straight from
    the target into the data folder's staging area; everything is verified before anything is
    replaced; then the search index is rebuilt."""
    from records.desk import blob_store
    from records.services import backup_targets as bt
    from records.services.backup import BackupError, restore, verify_backup

    settings = lemari().settings
    home = Path(settings["HOME"])
    opened = None
    try:
        source = _encrypted_source(src, host_key, home, settings)
    except BackupError as exc:
        _fail(exc)
    if source is not None:
        identity = identity_file.read_text(encoding="utf-8") if identity_file else None
        phrase = None if identity else _passphrase(passphrase_file, confirm=False)
        staging = bt.server_dir(home) / "pulih"
        try:
            with source as target:
                click.echo(f"Mengunduh dan mendekripsi dari {target.where}…")
                opened = bt.open_generation(target, staging, passphrase=phrase, identity=identity,
                                            generation=generation)
            _check_restorable(opened.contents, home, other_office)
        except (BackupError, OSError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            _fail(bt.BackupError(bt.os_reason(exc)) if isinstance(exc, OSError) else exc)
        folder = opened.folder
    else:
        folder = Path(src)
    try:
        info = verify_backup(folder)
    except BackupError as exc:
        _fail(exc)
    click.echo(f"Cadangan utuh: {info['database']}, {info['files']} berkas, dibuat {info['created']}.")
    try:
        if not yes:
            click.confirm("Hentikan `lemari serve` dulu. Ganti basis data dan berkas sekarang?",
                          abort=True)
        try:
            restore(folder, database_url=settings["SQLALCHEMY_DATABASE_URI"], engine=db.engine,
                    blobs=blob_store(settings), home=home)
        except BackupError as exc:
            _fail(exc)
        if opened is not None:
            bt.restore_server_keys(opened, home)
    finally:
        if opened is not None:
            shutil.rmtree(opened.folder, ignore_errors=True)
    db.session.remove()
    written = lemari().search().rebuild() if lemari()._search else _rebuild_index()
    click.echo(f"Dipulihkan; indeks pencarian dibangun ulang ({written} dokumen).")
    _set_aside_newer_checkpoints(settings)


def _encrypted_source(src: str, host_key: str, home: Path, settings):
    """What SRC names, as a context manager giving an open Target, or None for a plain backup
    folder. A folder wins over a target of the same name (a path is what was typed)."""
    from records.models.backup import BackupTarget
    from records.services import backup_targets as bt

    if src.lower().startswith("sftp://"):
        from records.services.backup_sftp import normalise_fingerprint

        row = BackupTarget(nama=src, jenis="sftp", lokasi=src, label=normalise_fingerprint(host_key))
        return bt.open_target(row, home=home, settings=settings)
    path = Path(src)
    if path.is_dir():
        if (path / bt.ROOT_DIR).is_dir():
            return bt.open_target(BackupTarget(nama=src, jenis="folder", lokasi=str(path), label=""),
                                  home=home, settings=settings)
        if path.name == bt.ROOT_DIR and (path / bt.OFFICE_FILE).is_file():
            return bt.open_target(BackupTarget(nama=src, jenis="folder", lokasi=str(path.parent),
                                               label=""), home=home, settings=settings)
        return None
    row = bt.find_target(db.session, src)
    if row is None:
        raise bt.BackupError(f"{src} bukan folder cadangan dan bukan nama target yang terdaftar "
                             "(lihat: lemari backup target list).")
    return bt.open_target(row, home=home, settings=settings)


def _check_restorable(contents: dict, home: Path, other_office: bool) -> None:
    """Refuse another office's backup (unless asked) and one from a newer schema."""
    from records.services import backup_targets as bt
    from records.services.schema import history

    mine = bt.office_of(home)
    if mine is not None and contents.get("kantor") != mine and not other_office:
        raise bt.BackupError(f"Cadangan ini milik kantor lain ({contents.get('nama_kantor') or '?'}); "
                             "tidak ada yang dipulihkan. Pakai --other-office bila memang disengaja.")
    known = {revision.id for revision in history()}
    if contents.get("revisi") and contents["revisi"] not in known:
        raise bt.BackupError(f"Cadangan ini dibuat oleh versi Lemari yang lebih baru (revisi skema "
                             f"{contents['revisi']}); perbarui Lemari dulu, lalu pulihkan lagi.")


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
@click.option("--tanpa-pengawas", "no_watchers", is_flag=True, hidden=True,
              help="Tanpa pengawas plugin (UPS): `lemari serve` sudah menjalankannya.")
@with_appcontext
def jobs_worker(workers: int | None, no_watchers: bool) -> None:
    """Run the job consumer alone (when `lemari serve` runs elsewhere, or as its child, which
    passes --tanpa-pengawas: the watchers run once, in the server); Ctrl-C stops it."""
    import time

    from records.jobs import jobs_of
    from records.lifecycle import Shutdown

    if _kabupaten_jobs(workers):
        return
    app = current_app._get_current_object()
    shutdown = Shutdown()
    shutdown.install_sigterm()
    jobs = jobs_of(app)
    jobs.start(workers or lemari().settings["JOB_WORKERS"])
    for stop in ([] if no_watchers else
                 lemari().pm.hook.register_watchers(app=app, stop=shutdown.request)):
        shutdown.add_stopper(stop)
    click.echo("Pekerja tugas berjalan; tekan Ctrl-C untuk berhenti.")
    try:
        while not shutdown.requested.is_set():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown.finish(app)


def _kabupaten_jobs(workers: int | None) -> bool:
    """On a kabupaten database without LEMARI_TENANT: the consumers of every kecamatan no other
    process consumes (records.tenancy.KabupatenJobs), until SIGTERM or Ctrl-C; False on a
    single office or a kecamatan, which run their own consumer."""
    from records.extensions import db
    from records.lifecycle import Shutdown
    from records.tenancy import KabupatenJobs, registered

    settings = lemari().settings
    if settings.get("TENANT") or not registered(db.engine):
        return False
    jobs = KabupatenJobs(settings, workers or settings["JOB_WORKERS"])
    shutdown = Shutdown()
    shutdown.install_sigterm()
    jobs.start()
    click.echo(f"Pekerja tugas kabupaten berjalan untuk {len(jobs.held())} kecamatan "
               f"({', '.join(jobs.held()) or 'semua sudah dilayani proses lain'}); Ctrl-C untuk berhenti.")
    try:
        while not shutdown.requested.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        jobs.stop()
    return True


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
