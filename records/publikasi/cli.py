"""`lemari publish-kit DEST`: every print material for every service, as PDF and PNG preview.

Writes, for each service, the A3 and A4 poster and the flowchart; for each group of services
the tri-fold pamphlet; and the KTP-el awareness poster and the maklumat (A3 and A4). Each file
is written atomically, so an interrupted run never leaves a half-written PDF; a manifest lists
what was made with its hash.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from records.extensions import db, lemari


@click.command("publish-kit")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--layanan", "codes", multiple=True, help="Hanya layanan ini (boleh berulang).")
@click.option("--lebar-png", "width", default=1200, show_default=True, type=click.IntRange(100, 4000),
              help="Lebar pratinjau PNG dalam piksel.")
@with_appcontext
def publish_kit_command(dest: Path, codes: tuple[str, ...], width: int) -> None:
    """Write posters, pamphlets, flowcharts and the maklumat as PDF + PNG into DEST."""
    from records.exceptions import RecordsError
    from records.publikasi.desk import publish_desk
    from records.publikasi.services.kit import kit_jobs, write_kit_file

    desk = publish_desk(lemari())
    try:
        jobs = kit_jobs(session=db.session, codes=codes)
    except RecordsError as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)
    manifest, failed = [], 0
    with click.progressbar(jobs, label="Membuat materi cetak", show_pos=True) as bar:
        for job in bar:
            try:
                manifest.append(write_kit_file(job, dest, width=width, session=db.session, desk=desk))
            except RecordsError as exc:
                db.session.rollback()
                failed += 1
                click.echo(f"\nGagal {job.filename}: {exc}", err=True)
    from archive.blobstore.atomic import atomic_write_text

    atomic_write_text(dest / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    click.echo(f"{len(manifest)} materi ditulis ke {dest} ({failed} gagal).")
    sys.exit(1 if failed else 0)


@click.command("publikasi-kedaluwarsa")
@with_appcontext
def expire_command() -> None:
    """Move published notices and posters past their expiry date to 'kedaluwarsa'."""
    from records.publikasi.desk import publish_desk
    from records.publikasi.services.publishing import expire_due

    ext = lemari()
    count = expire_due(session=db.session, registry=ext.registry, today=publish_desk(ext).today())
    click.echo(f"{count} publikasi ditandai kedaluwarsa.")


@click.command("standar-nasional")
@click.option("--as", "username", required=True, help="Akun Admin yang melakukan penyesuaian.")
@with_appcontext
def upgrade_standards_command(username: str) -> None:
    """Bring the stored service standards in line with the national rules (Perpres 96/2018):
    abolished requirements and pengantar steps are removed in a new version; old versions and
    the audit trail stay."""
    from records.cli import actor, run_service
    from records.publikasi.services.standards import upgrade_to_national

    who = actor(username)
    done = run_service(lambda: upgrade_to_national(actor=who, session=db.session))
    for row in done:
        removed = "; ".join(row["dihapus"]) or "-"
        click.echo(f"{row['layanan']}: versi {row['versi']} (dihapus: {removed})")
    click.echo(f"{len(done)} standar diperbarui.")


@click.command("standar-kabupaten")
@click.option("--dari", "source", required=True,
              help="Kecamatan contoh tempat standar kabupaten disusun dan ditinjau.")
@click.option("--layanan", "codes", multiple=True, help="Kode layanan (boleh berulang; bawaan: semua).")
@with_appcontext
def kabupaten_standards_command(source: str, codes: tuple[str, ...]) -> None:
    """Hand the current service standards of one kecamatan (where the kabupaten drafts and
    reviews them) on to every other kecamatan of the deployment; a kecamatan's own version is
    kept (a local override) and reported."""
    from records.cli import run_service
    from records.publikasi.services.standards import apply_kabupaten_spec, kabupaten_spec, list_current
    from records.tenancy import find, registered, run_in

    settings = lemari().settings
    if settings.get("TENANT"):
        raise click.ClickException("Perintah ini berlaku untuk seluruh kabupaten; jalankan tanpa "
                                   "LEMARI_TENANT.")
    model = run_service(lambda: find(settings["SQLALCHEMY_DATABASE_URI"], source))
    wanted = list(codes) or run_in(settings, model, lambda _app: [s.layanan_code for s in list_current(
        session=db.session)])
    specs = run_service(lambda: run_in(settings, model, lambda _app: [
        kabupaten_spec(code, session=db.session) for code in wanted]))
    for kecamatan in registered(db.engine):
        if kecamatan.nama_singkat == model.nama_singkat:
            continue
        outcomes = run_service(lambda k=kecamatan: run_in(settings, k, lambda _app: {
            spec["code"]: apply_kabupaten_spec(spec, source=model.nama, session=db.session)
            for spec in specs}))
        local = sorted(code for code, outcome in outcomes.items() if outcome == "lokal")
        applied = sum(1 for outcome in outcomes.values() if outcome == "diterapkan")
        click.echo(f"{kecamatan.nama_singkat}: {applied} diterapkan, "
                   f"{sum(1 for o in outcomes.values() if o == 'sama')} sudah sama"
                   + (f", versi sendiri dipertahankan: {', '.join(local)}" if local else ""))


COMMANDS = (publish_kit_command, expire_command, upgrade_standards_command, kabupaten_standards_command)
