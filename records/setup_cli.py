"""`lemari setup kantor|penandatangan|lihat`: the Admin's first-run setup from the shell, through
the same services as the /pengaturan-kantor page (so the same checks and the same audit)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from records.cli import actor, run_service
from records.extensions import db, lemari

#: option name → setup key; an option left out keeps the value in force.
KANTOR_OPTIONS = {"kecamatan": "KECAMATAN", "kabupaten": "KABUPATEN", "alamat": "OFFICE_ADDRESS",
                  "telepon": "OFFICE_PHONE", "email": "OFFICE_EMAIL", "laman": "OFFICE_WEBSITE",
                  "url_publik": "PUBLIC_BASE_URL", "zona_waktu": "TIMEZONE", "kertas": "PAPER_SIZE"}


@click.group("setup")
def setup_group() -> None:
    """Pengaturan kantor: nama, alamat, logo, URL publik, zona waktu, kertas, penanda tangan."""


@setup_group.command("kantor")
@click.option("--kecamatan", help="Nama kecamatan tanpa kata 'Kecamatan', mis. Kota Bangun.")
@click.option("--kabupaten", help="Kabupaten/kota dengan jenisnya, mis. Kabupaten Kutai Kartanegara.")
@click.option("--alamat", help="Alamat kantor.")
@click.option("--telepon", help="Nomor telepon kantor.")
@click.option("--email", help="Pos-el kantor.")
@click.option("--laman", help="Laman kantor.")
@click.option("--url-publik", help="Alamat yang dapat dibuka warga (dipakai kode QR dan tautan).")
@click.option("--zona-waktu", type=click.Choice(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
              help="WIB, WITA atau WIT (bawaan: menurut provinsi kantor).")
@click.option("--kertas", type=click.Choice(["F4", "A4"]), help="Ukuran kertas surat.")
@click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Berkas logo (PNG, JPEG atau SVG).")
@click.option("--demo/--bukan-demo", default=None, help="Tandai kantor demo (boleh alamat lokal).")
@click.option("--as", "username", required=True, help="Akun Admin yang menyimpan.")
@with_appcontext
def kantor_command(logo: Path | None, demo: bool | None, username: str, **options) -> None:
    """Save the office setup; values not given keep what is in force (saved, config or env)."""
    from records.desk import blob_store
    from records.services import kantor

    ext = lemari()
    ext.refresh_office(force=True)
    who = actor(username)
    values = kantor.form_values(ext.settings)
    values.update({KANTOR_OPTIONS[k]: v for k, v in options.items() if v is not None})
    if demo is not None:
        values["DEMO_MODE"] = "1" if demo else ""
    limit = ext.settings["OFFICE_LOGO_MAX_BYTES"]
    checked = run_service(lambda: kantor.check_logo(
        logo.read_bytes()[:limit + 1], logo.name, max_bytes=limit)) if logo else None
    saved = run_service(lambda: kantor.save_setup(values, logo=checked, actor=who,
                                                  session=db.session,
                                                  blobs=blob_store(ext.settings)))
    ext.refresh_office(force=True)
    click.echo(f"Pengaturan kantor disimpan: Kecamatan {saved['KECAMATAN']}, "
               f"{saved['KABUPATEN']}; URL publik {saved['PUBLIC_BASE_URL']}; "
               f"zona {kantor.zona_label(saved['TIMEZONE'])}; kertas {saved['PAPER_SIZE']}"
               + ("; logo diganti" if checked else "") + ".")


@setup_group.command("penandatangan")
@click.option("--kedudukan", required=True,
              type=click.Choice(["camat", "sekcam", "plt_camat", "plh_camat"]))
@click.option("--akun", required=True, help="Akun yang menandatangani di Lemari.")
@click.option("--nama", required=True, help="Nama lengkap dengan gelar.")
@click.option("--nip", required=True, help="NIP (18 angka).")
@click.option("--pangkat", default="", help="Pangkat, mis. Pembina Tingkat I.")
@click.option("--golongan", default="", help="Golongan, mis. IV/b.")
@click.option("--mulai", required=True, help="Tanggal mulai (TTTT-BB-HH).")
@click.option("--selesai", default="", help="Tanggal selesai (kosong: masih menjabat).")
@click.option("--dasar", default="", help="Dasar penunjukan (nomor SK).")
@click.option("--as", "username", required=True, help="Akun Admin yang menyimpan.")
@with_appcontext
def penandatangan_command(akun: str, username: str, **values) -> None:
    """Add a period to the signatories roster (overlaps in one post are refused)."""
    from records.services import penandatangan

    who = actor(username)
    users = set(db.session.scalars(select(current_app.appbuilder.sm.user_model.username)))
    row = run_service(lambda: penandatangan.add_period(
        {**values, "username": akun}, actor=who, session=db.session, known_users=users))
    click.echo(f"Masa jabatan disimpan: {penandatangan.KEDUDUKAN[row.kedudukan].judul} "
               f"{row.nama}, mulai {row.mulai.isoformat()}.")


@setup_group.command("lihat")
@with_appcontext
def show_command() -> None:
    """Print the setup in force and the roster; say what still blocks printing."""
    from records.services import kantor, penandatangan

    ext = lemari()
    ext.refresh_office(force=True)
    for key, value in kantor.form_values(ext.settings).items():
        click.echo(f"{key}: {value}")
    click.echo(f"Logo: {'tersimpan' if ext.settings.get('OFFICE_LOGO') else 'lambang bawaan'}")
    for row in penandatangan.roster(db.session):
        end = row.selesai.isoformat() if row.selesai else "sekarang"
        click.echo(f"  {penandatangan.KEDUDUKAN[row.kedudukan].judul}: {row.nama} "
                   f"({row.username}) {row.mulai.isoformat()} s.d. {end}")
    problem = kantor.setup_problem(ext.settings)
    if problem:
        click.echo(problem)
