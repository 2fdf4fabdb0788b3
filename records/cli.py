"""The `lemari` command: a Flask CLI group (with FAB's `fab` commands) over the services.

Every command parses its arguments, calls one service and maps domain errors to a message and
a non-zero exit code in one place (`run_service`).
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import asdict
from functools import partial
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from records.backup_cli import BACKUP_COMMANDS
from records.bench_cli import bench_group
from records.db_cli import db_group, describe_upgrade, require_current_schema
from records.exceptions import RecordsError
from records.extensions import db, lemari
from records.nik_cli import nik_command
from records.search_cli import SEARCH_COMMANDS
from records.tenancy_cli import TENANT_COMMANDS

#: Request threads of `lemari serve`. Rendering holds at most (letter workers + PDF_QUEUE_MAX)
#: + (1 + PUBLISH_RENDER_QUEUE_MAX) of them with both pools flooded: 8 on two cores, 10 on
#: four; the rest answer /health, the kiosk and the counters. SQLAlchemy's default pool (15
#: connections) covers one per thread.
SERVE_THREADS = 12


def _create_app():
    from records.tenancy import app_for_command

    try:
        return app_for_command()  # the kecamatan LEMARI_TENANT names, else the single office
    except RecordsError as exc:  # e.g. LEMARI_TENANT names no registered kecamatan
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """Lemari — lemari arsip digital dan meja dokumen kantor kecamatan."""


def run_service(action):
    """Run a service call; domain errors become a message on stderr and exit code 1."""
    try:
        return action()
    except RecordsError as exc:
        db.session.rollback()
        click.echo(f"Gagal: {exc}", err=True)
        for row, field, message in getattr(exc, "rows", []):
            click.echo(f"  baris {row} · {field}: {message}", err=True)
        for field, message in getattr(exc, "errors", {}).items():
            click.echo(f"  {field}: {message}", err=True)
        sys.exit(1)


def actor(username: str):
    """The Actor for `--as USERNAME`."""
    from records.services.accounts import actor_for_username
    from records.services.audit import acting_user

    found = run_service(lambda: actor_for_username(
        username, sm=current_app.appbuilder.sm, session=db.session, registry=lemari().registry))
    acting_user.set(found.username)
    return found


@click.command("init")
@click.option("--tanpa-cadangan", "no_backup", is_flag=True,
              help="Jangan mencadangkan ke target sebelum migrasi.")
@with_appcontext
def init_command(no_backup: bool) -> None:
    """Migrate the schema, create roles and permissions, load the wilayah table (safe to re-run);
    with pending migrations and backups set up, backs up to every target first."""
    from records.db_cli import backup_before_upgrade
    from records.desk import signing_config
    from records.search_cli import fill_empty_index
    from records.services.setup import initialise

    backup_before_upgrade(no_backup)

    migrated = run_service(lambda: initialise(
        session=db.session, engine=db.engine, sm=current_app.appbuilder.sm,
        appbuilder=current_app.appbuilder, registry=lemari().registry,
        menu_permissions=lemari().menu_permissions, pm=lemari().pm))
    for line in describe_upgrade(*migrated):
        click.echo(line)
    fill_empty_index()
    if signing_config(lemari().settings).demo:
        click.echo("Sertifikat DEMO untuk tanda tangan elektronik tersedia di folder pki "
                   "(bukan sertifikat resmi BSrE).")
    click.echo(f"Data folder siap: {current_app.config['HOME']}")


@click.command("demo")
@click.option("--keep-demo-passwords", is_flag=True,
              help="Jangan wajibkan ganti kata sandi saat login pertama (hanya untuk uji coba).")
@with_appcontext
def demo_command(keep_demo_passwords: bool) -> None:
    """Load the demo office of Kecamatan Kota Bangun (accounts and ~500 residents)."""
    from records.demo_data import DESA, generate_population
    from records.services.setup import DEMO_PASSWORD, load_demo

    accounts, added = load_demo(session=db.session, sm=current_app.appbuilder.sm,
                                population=generate_population(), desa=DESA,
                                force_password_change=not keep_demo_passwords, pm=lemari().pm)
    click.echo(f"Penduduk demo ditambahkan: {added}")
    click.echo(f"Akun demo (kata sandi semua akun: {DEMO_PASSWORD}):")
    for account in accounts:
        desa = f" — {account.desa}" if account.desa else ""
        click.echo(f"  {account.username:<34} {account.role}{desa}")
    if not keep_demo_passwords:
        click.echo("Setiap akun demo wajib mengganti kata sandinya saat login pertama.")


@click.command("serve")
@click.option("--host", default=None, help="Alamat (bawaan: LEMARI_HOST).")
@click.option("--port", default=None, type=int, help="Port (bawaan: LEMARI_PORT).")
@click.option("--workers", default=None, type=click.IntRange(min=0),
              help="Proses pekerja utama (bawaan: SERVE_WORKERS; 0 = sebanyak inti CPU; "
                   "1 = satu proses waitress).")
@with_appcontext
def serve_command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the app: on Linux a front-office process (counters, kiosk, TV) before several
    gunicorn workers and a job consumer (records.serving); with one worker, or where gunicorn
    does not run, one waitress process. No debug mode.

    SIGTERM or a plugin's watcher (the UPS at low battery) stops it cleanly and it exits 0
    (records.lifecycle says what happens at each step)."""
    from records.serving import can_prefork, default_workers

    host = host or current_app.config["HOST"]
    port = port or current_app.config["PORT"]
    if _kabupaten():
        _serve_kabupaten(host, port)
        return
    require_current_schema()
    app = current_app._get_current_object()
    wanted = current_app.config["SERVE_WORKERS"] if workers is None else workers
    count = (wanted or default_workers()) if can_prefork() else 1
    if count > 1:
        _serve_prefork(app, host, port, count)
    else:
        _serve_single(app, host, port)


def _kabupaten() -> bool:
    """Whether this is a kabupaten database served whole (no LEMARI_TENANT, kecamatan registered)."""
    from records.tenancy import registered

    return not current_app.config.get("TENANT") and bool(registered(db.engine))


def _serve_kabupaten(host: str, port: int) -> None:
    """Every kecamatan from one waitress process (records.tenancy.Kabupaten); each kecamatan's
    app starts on its first request, and its job consumer in whichever process holds its jobs
    lock first (records.tenancy.KabupatenJobs). More processes and hosts behind HAProxy or
    nginx scale it out (docs/deployment.md)."""
    from waitress import create_server

    from records.lifecycle import Shutdown
    from records.services.schema import current_state
    from records.tenancy import Kabupaten, KabupatenJobs, TenancyError, ready_schema, registered

    base = lemari().settings
    for kecamatan in registered(db.engine):
        try:
            engine, said = ready_schema(base, kecamatan)
        except TenancyError as exc:
            raise click.ClickException(str(exc)) from None
        if said:
            click.echo(f"Kecamatan {kecamatan.nama}: {said}.", err=True)
        try:
            state = current_state(engine)
        finally:
            engine.dispose()
        if not state.up_to_date:
            raise click.ClickException(
                f"Skema Kecamatan {kecamatan.nama} belum terbaru (revisi {state.current or 'belum ada'}). "
                "Jalankan dulu: lemari tenant migrasi")
    kabupaten = Kabupaten(base)
    jobs = KabupatenJobs(base, base["JOB_WORKERS"], apps=kabupaten.app)
    # a TV per kecamatan long-polls a thread for up to 25 s: the office's threads plus two each
    threads = SERVE_THREADS + 2 * len(kabupaten.kecamatan())
    server = create_server(kabupaten, host=host, port=port, threads=threads)
    shutdown = Shutdown(server)
    shutdown.install_sigterm()
    jobs.start()
    click.echo(f"Lemari kabupaten berjalan di http://{host}:{port}/ "
               f"({len(kabupaten.kecamatan())} kecamatan, /k/<nama>/ atau nama host masing-masing; "
               f"tugas latar belakang di proses ini untuk {len(jobs.held())} kecamatan)")
    try:
        server.run()
    finally:
        jobs.stop()
        for app in kabupaten.apps():
            shutdown.finish(app)
        kabupaten.close()
    click.echo(f"Lemari berhenti dengan rapi: {shutdown.reason or 'dihentikan'}")


def _serve_single(app, host: str, port: int) -> None:
    """One waitress process with threads; it also runs the job consumer."""
    from waitress import create_server

    from records.jobs import jobs_of
    from records.lifecycle import Shutdown

    server = create_server(app, host=host, port=port, threads=SERVE_THREADS)
    shutdown = Shutdown(server)
    shutdown.install_sigterm()
    jobs_of(app).start(current_app.config["JOB_WORKERS"])
    for stop in lemari().pm.hook.register_watchers(app=app, stop=shutdown.request):
        shutdown.add_stopper(stop)
    click.echo(f"Lemari berjalan di http://{host}:{port}/ (pekerja OCR di latar belakang aktif)")
    try:
        server.run()
    finally:
        shutdown.finish(app)
    click.echo(f"Lemari berhenti dengan rapi: {shutdown.reason or 'dihentikan'}")


def _serve_prefork(app, host: str, port: int, workers: int) -> None:
    """The front office here, `workers` gunicorn workers and the job consumer as children."""
    from waitress import create_server
    from waitress.task import ThreadedTaskDispatcher

    from records import sqlite_gate
    from records.lifecycle import Shutdown
    from records.serving import (
        Children,
        FrontDispatcher,
        FrontOffice,
        front_office_pattern,
        warn_shared_limits,
    )

    sqlite_gate.give_priority(db.engine)  # the counters' writes go before the clerks'
    children = Children(workers, current_app.config["HOME"])
    pattern = front_office_pattern(lemari().registry.front_office_paths)
    front = FrontOffice(app, pattern, children.socket_path)
    dispatcher = FrontDispatcher(pattern, ThreadedTaskDispatcher)
    server = create_server(front, host=host, port=port, _dispatcher=dispatcher)
    shutdown = Shutdown(server)
    shutdown.install_sigterm()
    try:
        children.start()
    except RuntimeError as exc:
        children.stop()
        server.close()
        raise click.ClickException(f"Pekerja utama tidak mulai: {exc}") from exc
    children.watch(shutdown.request)
    for stop in lemari().pm.hook.register_watchers(app=app, stop=shutdown.request):
        shutdown.add_stopper(stop)
    warn_shared_limits(current_app.config, lambda line: click.echo(line, err=True))
    click.echo(f"Lemari berjalan di http://{host}:{port}/ ({workers} pekerja utama, loket dan layar "
               "di proses sendiri, pekerja OCR di latar belakang aktif)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        children.stop()
        shutdown.finish(app)
    click.echo(f"Lemari berhenti dengan rapi: {shutdown.reason or 'dihentikan'}")


@click.command("import-penduduk")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="Akun yang melakukan impor.")
@click.option("--format", "fmt", type=click.Choice(["lemari", "opensid", "dkb"]), default="lemari",
              help="lemari (kolom Lemari), opensid (ekspor OpenSID desa) atau dkb (Disdukcapil).")
@click.option("--desa", "desa_code", default="", help="Kode desa (wajib untuk opensid dan dkb).")
@with_appcontext
def import_command(path: Path, username: str, fmt: str, desa_code: str) -> None:
    """Import residents from CSV/XLSX (all rows or none)."""
    from records.services.importing import import_penduduk, read_table

    cfg = current_app.config
    who = actor(username)
    if fmt != "lemari":
        _import_from_source(path, fmt, desa_code, who)
        return
    rows = run_service(lambda: read_table(path.read_bytes(), path.name,
                                          max_bytes=cfg["IMPORT_MAX_BYTES"],
                                          max_rows=cfg["IMPORT_MAX_ROWS"]))
    report = run_service(lambda: import_penduduk(rows, actor=who, session=db.session,
                                                 source=path.name))
    click.echo(f"{report.created} penduduk diimpor.")
    for row, message in report.warnings:
        click.echo(f"  peringatan baris {row}: {message}")


def _import_from_source(path: Path, fmt: str, desa_code: str, who) -> None:
    """`lemari import-penduduk --format opensid|dkb --desa KODE`: create or update one desa."""
    from records.services.impor_kependudukan import import_from_source, read_source

    cfg = current_app.config
    if not desa_code:
        click.echo("Gagal: --desa wajib diisi untuk format opensid dan dkb.", err=True)
        sys.exit(1)
    rows = run_service(lambda: read_source(path.read_bytes(), path.name, fmt,
                                           max_bytes=cfg["IMPORT_MAX_BYTES"],
                                           max_rows=cfg["IMPORT_MAX_ROWS"]))
    report = run_service(lambda: import_from_source(rows, fmt, desa_code=desa_code, actor=who,
                                                    session=db.session, source=path.name))
    click.echo(f"{report.created} penduduk dibuat, {report.updated} diperbarui.")
    for row, status, message in report.rows:
        click.echo(f"  baris {row}: {status} · {message}")


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@click.option("--titik", "extra", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Titik periksa lain: berkas, folder titik periksa, atau folder cadangan.")
@with_appcontext
def audit_verify(extra: tuple[Path, ...]) -> None:
    """Check the hash chain and the signed checkpoints of its head; exit 1 naming the first
    edited, deleted or reordered entry, or how many entries a cut tail lost."""
    from records.audit_desk import checkpoint_folder, checkpoint_signer
    from records.services.audit_checkpoint import verify_trail

    settings = lemari().settings
    report = run_service(lambda: verify_trail(db.session, checkpoint_signer(settings),
                                              folder=checkpoint_folder(settings), extra=extra))
    if report.intact:
        click.echo("Log audit utuh.")
        if report.held:
            newest = max(report.held, key=lambda c: c.head["count"])
            click.echo(f"{len(report.held)} titik periksa cocok; terbaru: entri #{newest.head['id']} "
                       f"({newest.head['count']} entri, dibuat {newest.head['made']}).")
        else:
            click.echo("Belum ada titik periksa; jalankan `lemari audit checkpoint`.")
        return
    if report.broken is not None:
        bad = report.broken
        click.echo(f"Log audit rusak mulai entri #{bad.id} ({bad.at:%Y-%m-%d %H:%M:%S}, {bad.action}).")
    for problem in report.problems:
        click.echo(problem)
    sys.exit(1)


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint_command() -> None:
    """Write today's signed checkpoint of the chain's head (refused over a cut or broken chain)."""
    from records.audit_desk import write_checkpoint

    written = run_service(lambda: write_checkpoint(lemari().settings, db.session))
    if written is None:
        click.echo("Log audit masih kosong; tidak ada titik periksa.")
        return
    path, document = written
    head = document["head"]
    click.echo(f"Titik periksa audit: entri #{head['id']} ({head['count']} entri, hash "
               f"{head['hash'][:16]}…) disimpan di {path}")


@click.command("sync-roles")
@with_appcontext
def sync_roles_command() -> None:
    """Grant declared permissions to roles again (after installing a plugin)."""
    from records.services.accounts import sync_roles
    from records.services.setup import register_fab_permissions

    register_fab_permissions(current_app.appbuilder, lemari().registry)
    sync_roles(current_app.appbuilder.sm, lemari().registry, lemari().menu_permissions)
    click.echo("Peran dan izin diperbarui.")


@click.command("issue")
@click.argument("doctype")
@click.option("--nik", default=None, help="NIK pemohon (untuk dokumen penduduk).")
@click.option("--field", "fields", multiple=True, metavar="KEY=VALUE", help="Isian dokumen.")
@click.option("--paper", type=click.Choice(["F4", "A4"]), default=None,
              help="Ukuran kertas (bawaan: ukuran kertas di pengaturan kantor).")
@click.option("--as", "username", required=True, help="Akun yang membuat dan menerbitkan.")
@with_appcontext
def issue_command(doctype, nik, fields, paper, username) -> None:
    """Create a document and take it through the workflow to issue (the declaration's path to
    its `issues` step); print number and PDF path."""
    paper = paper or _office_paper()
    from records.services.issuing import check_can_issue_alone, issue, steps_to_issue
    from records.services.kantor import require_setup
    from records.services.kependudukan import find_penduduk_by_nik
    from records.services.records import create_record, fire_transition

    who, ext = actor(username), lemari()
    run_service(lambda: check_can_issue_alone(doctype, actor=who, registry=ext.registry))
    run_service(lambda: require_setup(_office_settings()))  # refused before anything is written
    values = dict(_split_field(f) for f in fields)
    penduduk_id = None
    if nik:
        penduduk_id = run_service(lambda: find_penduduk_by_nik(nik, actor=who, session=db.session))
    record = run_service(lambda: create_record(doctype, values, penduduk_id=penduduk_id, actor=who,
                                               session=db.session, registry=ext.registry,
                                               policy=ext.settings))
    for step in steps_to_issue(doctype, ext.registry)[:-1]:
        run_service(partial(fire_transition, record.id, step.name, actor=who, session=db.session,
                            registry=ext.registry, pm=ext.pm))
    issued = run_service(lambda: issue(record.id, paper=paper, actor=who, session=db.session,
                                       desk=ext.desk()))
    click.echo(json.dumps({"number": issued.number, "verify_code": issued.verify_code,
                           "pdf": str(ext.desk().blobs.path_hint(issued.files[-1].sha256))},
                          ensure_ascii=False))


def _split_field(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise click.BadParameter(f"'{text}' harus berbentuk KUNCI=NILAI", param_hint="--field")
    return key.strip(), value


@click.command("issue-batch")
@click.argument("doctype")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--paper", type=click.Choice(["F4", "A4"]), default=None,
              help="Ukuran kertas (bawaan: ukuran kertas di pengaturan kantor).")
@click.option("--as", "username", required=True, help="Akun penanda tangan yang menerbitkan.")
@with_appcontext
def issue_batch_command(doctype: str, path: Path, paper: str | None, username: str) -> None:
    """Issue one DOCTYPE letter per CSV row (column `nik` plus the type's fields); one JSON
    line per row once it is durable. Re-running the same file resumes after an interruption."""
    paper = paper or _office_paper()
    from records.services.batch import issue_batch, read_rows
    from records.services.kantor import require_setup

    who, ext = actor(username), lemari()
    run_service(lambda: require_setup(_office_settings()))  # refused before anything is written
    digest, rows = run_service(lambda: read_rows(path.read_bytes()))
    results = run_service(lambda: issue_batch(
        doctype, digest, rows, paper=paper, actor=who, session=db.session,
        registry=ext.registry, pm=ext.pm, desk_factory=ext.desk))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
        click.echo(json.dumps(asdict(result), ensure_ascii=False))
        sys.stdout.flush()
    click.echo("Selesai: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), err=True)
    sys.exit(1 if counts.get("gagal") else 0)


@click.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_command(path: Path) -> None:
    """Check a PDF against the issued original and its signature (exit 0 valid, 1 otherwise)."""
    from records.services.verifying import verify_upload

    result = verify_upload(path.read_bytes(), session=db.session, desk=lemari().desk())
    click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str))
    sys.exit(0 if result.valid else 1)


@click.command("print-batch")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--id", "ids", multiple=True, type=int, required=True, help="ID dokumen terbit.")
@click.option("--as", "username", required=True, help="Akun yang mencetak.")
@with_appcontext
def print_batch_command(output: Path, ids: tuple[int, ...], username: str) -> None:
    """Merge issued documents into one PDF print job, with a progress bar."""
    from archive.blobstore.atomic import atomic_write_bytes
    from records.services.files import merge_issued

    who = actor(username)
    with click.progressbar(length=len(ids), label="Menggabungkan") as bar:
        data = run_service(lambda: merge_issued(
            list(ids), actor=who, session=db.session, blobs=lemari().desk().blobs,
            progress=lambda done, total: bar.update(done - bar.pos)))
    atomic_write_bytes(output, data)
    click.echo(f"{len(ids)} dokumen digabung ke {output}")


@click.group("nomor")
def nomor_group() -> None:
    """Number registers: continue a register from its paper book when moving in."""


@nomor_group.command("lanjutkan")
@click.argument("register")
@click.argument("terakhir", type=int)
@click.option("--tahun", type=int, default=None, help="Tahun register (bawaan: tahun ini, WITA).")
@click.option("--teks", default="", help="Nomor terakhir seperti tertulis di kertas.")
@click.option("--keterangan", default="", help="Catatan berita acara (buku register, halaman).")
@click.option("--as", "username", required=True, help="Akun Admin yang mencatat.")
@with_appcontext
def nomor_lanjutkan(register: str, terakhir: int, tahun: int | None, teks: str, keterangan: str,
                    username: str) -> None:
    """Record the last number used on paper this year; Lemari continues at the next one."""
    from records.services.numbering import continue_register

    who = actor(username)
    year = tahun or _office_today().year
    row = run_service(lambda: continue_register(db.session, register, terakhir, actor=who,
                                                year=year, last_text=teks, note=keterangan))
    click.echo(f"Register {register} tahun {year} dilanjutkan: nomor kertas 1–{row.nomor_terakhir}, "
               f"nomor berikutnya dari Lemari {row.nomor_terakhir + 1}.")


@nomor_group.command("berita-acara")
@click.argument("register")
@click.option("--tahun", type=int, default=None, help="Tahun register (bawaan: tahun ini, WITA).")
@click.option("--keluaran", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Berkas PDF yang ditulis.")
@click.option("--as", "username", required=True, help="Akun Admin yang mencetak.")
@with_appcontext
def nomor_berita_acara(register: str, tahun: int | None, keluaran: Path, username: str) -> None:
    """Write the berita acara (PDF) of a register's switch-over from its paper book."""
    from sqlalchemy import select

    from archive.blobstore.atomic import atomic_write_bytes
    from records.models import NomorLanjutan
    from records.services.numbering import get_register
    from records.services.pindah import berita_acara_pdf

    who = actor(username)
    year = tahun or _office_today().year
    found = run_service(lambda: get_register(db.session, register))
    row = db.session.scalar(select(NomorLanjutan).where(NomorLanjutan.register_id == found.id,
                                                        NomorLanjutan.year == year))
    if row is None:
        click.echo(f"Gagal: register {register} tahun {year} belum dilanjutkan dari buku kertas.",
                   err=True)
        sys.exit(1)
    pdf = run_service(lambda: berita_acara_pdf(row.id, actor=who, session=db.session,
                                               desk=lemari().desk()))
    atomic_write_bytes(keluaran, pdf)
    click.echo(f"Berita acara peralihan register {register} tahun {year} ditulis ke {keluaran}")


@nomor_group.command("tautkan-kertas")
@click.argument("register")
@click.argument("urut", type=int)
@click.option("--dokumen", "record_id", type=int, required=True, help="ID arsip pindaian surat itu.")
@click.option("--nomor", "nomor_teks", default="", help="Nomor lengkap seperti tertulis di kertas.")
@click.option("--kode", default="", help="Kode klasifikasi yang tertulis di kertas.")
@click.option("--tahun", type=int, default=None, help="Tahun register (bawaan: tahun ini, WITA).")
@click.option("--as", "username", required=True, help="Akun Admin yang menautkan.")
@with_appcontext
def nomor_tautkan(register: str, urut: int, record_id: int, nomor_teks: str, kode: str,
                  tahun: int | None, username: str) -> None:
    """Link a number issued on paper to the archived scan of its letter."""
    from records.services.numbering import link_paper_number

    who = actor(username)
    year = tahun or _office_today().year
    issued = run_service(lambda: link_paper_number(
        db.session, register, urut, year=year, record_id=record_id, number_text=nomor_teks,
        kode=kode, actor=who))
    click.echo(f"Nomor kertas {issued.number} tertaut ke dokumen #{record_id}.")


def _office_today():
    from records.services.clock import clock

    return clock(_office_settings()["TIMEZONE"])[1]


COMMANDS = (issue_command, print_batch_command, verify_command, init_command, demo_command,
            serve_command, nik_command, import_command, audit_group, sync_roles_command,
            issue_batch_command, nomor_group, *SEARCH_COMMANDS, *BACKUP_COMMANDS, bench_group, db_group,
            *TENANT_COMMANDS)


def _office_settings() -> dict:
    """The settings with the office's saved setup laid over them, read now."""
    lemari().refresh_office(force=True)
    return lemari().settings


def _office_paper() -> str:
    """The office's paper size from its setup (F4 unless the Admin chose A4)."""
    return "A4" if _office_settings().get("PAPER_SIZE") == "A4" else "F4"


#: Commands that work on a kabupaten's database as a whole; every other command works on one
#: kecamatan (LEMARI_TENANT) and is refused without it, since it would act on the database's
#: `public` schema, which belongs to no kecamatan (records.tenancy).
KABUPATEN_COMMANDS = frozenset({"tenant", "serve", "jobs", "standar-kabupaten", "bench", "nik", "routes"})


def register(app, pm) -> None:
    """Attach core commands, then let plugins add theirs; guard them on a kabupaten's database."""
    from records.setup_cli import setup_group

    for command in (*COMMANDS, setup_group):
        app.cli.add_command(command)
    pm.hook.register_commands(cli=app.cli)
    for name, command in list(app.cli.commands.items()):
        if name not in KABUPATEN_COMMANDS and command.callback is not None:
            command.callback = _for_one_office(command.callback)


def _for_one_office(callback):
    """`callback`, refused on a kabupaten's database unless LEMARI_TENANT names a kecamatan."""
    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        from flask.cli import ScriptInfo

        from records.tenancy import registered

        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            if not app.config.get("TENANT") and registered(db.engine):
                raise click.ClickException(
                    "Basis data ini milik kabupaten: jalankan perintah ini untuk satu kecamatan dengan "
                    "LEMARI_TENANT=<nama> (daftarnya: `lemari tenant daftar`).")
        return callback(*args, **kwargs)
    return guarded
