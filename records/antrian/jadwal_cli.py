"""`lemari janji slot|daftar|buat|lihat|batal|hadir`: appointments from the command line, thin
adapters over `antrian.jadwal` (`--as` names the acting account, as in `lemari surat-masuk`).

A slot is named by its service, day and start time (`--layanan ktp_el --tanggal 2026-12-08
--jam 08:00`) rather than its id; the NIK is shown masked, as on every screen."""

from __future__ import annotations

import datetime as dt
import json

import click
from flask.cli import with_appcontext

from records.extensions import db, lemari
from records.services.clock import clock


def _cli():
    from records import cli

    return cli


def _tz() -> str:
    return lemari().settings["TIMEZONE"]


def _setup() -> None:
    """The queue's service letters and first counters, as a queue page would make them."""
    from records.antrian.services import ensure_setup
    from records.services.setup import catalogue

    ensure_setup(db.session, [spec["code"] for spec in catalogue()["layanan"]])


def _day(text: str) -> dt.date:
    from records.antrian.jadwal_api import parse_day

    return _cli().run_service(lambda: parse_day(text, default=clock(_tz())[1]))


def _time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.replace(".", ":"))
    except ValueError:
        raise click.BadParameter("jam seperti 08:00", param_hint="--jam") from None


def _echo(booking) -> None:
    from records.antrian.jadwal_api import janji_json

    click.echo(json.dumps(janji_json(booking), ensure_ascii=False))


@click.group("janji")
def janji_group():
    """Janji layanan: jam layanan, membuat, membatalkan dan daftar janji per hari."""


@janji_group.command("slot")
@click.option("--as", "username", required=True)
@click.option("--layanan", default="", help="Kode layanan (mis. ktp_el); kosong = semua layanan berjadwal.")
@click.option("--tanggal", default="", help="Tanggal (2026-12-08; bawaan: hari ini).")
@with_appcontext
def slot_command(username, layanan, tanggal):
    """Jam layanan pada satu hari dengan sisa kuotanya."""
    from records.antrian.jadwal_api import slot_list

    who = _cli().actor(username)
    _cli().run_service(lambda: who.require("antrian.janji"))
    day = _day(tanggal)
    _setup()
    shown = _cli().run_service(lambda: slot_list(layanan.strip(), day))
    if not shown["buka"]:
        click.echo(shown["keterangan"])
        return
    if not shown["items"]:
        click.echo(f"Tidak ada jam layanan pada {day:%d-%m-%Y}.")
    for row in shown["items"]:
        khusus = "khusus lansia/disabilitas/ibu hamil" if row["khusus"] else "umum"
        click.echo(
            f"{row['layanan']}\t{row['jam_mulai']}–{row['jam_selesai']}\t{khusus}\t"
            f"sisa {row['sisa']} dari {row['kuota']}"
        )


@janji_group.command("daftar")
@click.option("--as", "username", required=True)
@click.option("--tanggal", default="", help="Tanggal (bawaan: hari ini).")
@with_appcontext
def list_command(username, tanggal):
    """Janji pada satu hari (Operator Desa: warga desanya); NIK disamarkan."""
    from records.antrian import jadwal
    from records.nik import mask_nik

    who = _cli().actor(username)
    day = _day(tanggal)
    rows = _cli().run_service(lambda: jadwal.bookings_on(day, actor=who, session=db.session))
    if not rows:
        click.echo(f"Belum ada janji pada {day:%d-%m-%Y}.")
    for b in rows:
        click.echo(
            f"{b.kode}\t{b.jam_mulai:%H:%M}–{b.jam_selesai:%H:%M}\t{b.layanan_code}\t"
            f"{b.alasan_prioritas or '-'}\t{b.nama}\t{mask_nik(b.nik)}\t{b.status}"
        )


@janji_group.command("buat")
@click.option("--as", "username", required=True)
@click.option("--layanan", required=True, help="Kode layanan (mis. ktp_el).")
@click.option("--tanggal", required=True, help="Tanggal janji (2026-12-08).")
@click.option("--jam", required=True, help="Jam mulai slot (08:00).")
@click.option("--nik", required=True)
@click.option("--nama", default="", help="Nama pemohon bila NIK belum ada di data penduduk.")
@click.option("--telepon", default="")
@click.option("--alasan", default="", help="lansia, disabilitas atau hamil (wajib untuk jam khusus).")
@with_appcontext
def book_command(username, layanan, tanggal, jam, nik, nama, telepon, alasan):
    """Buat janji untuk warga (mis. penelepon); mencetak kode janjinya."""
    from records.antrian import jadwal

    who = _cli().actor(username)
    day, start = _day(tanggal), _time(jam)
    _setup()

    def action():
        slot = jadwal.slot_at(layanan.strip(), day, start, session=db.session)
        return jadwal.book(
            slot.id,
            day,
            nik=nik,
            nama=nama,
            telepon=telepon,
            reason=alasan.strip(),
            actor=who,
            source=jadwal.DESA if who.desa_scope is not None else jadwal.CLERK,
            session=db.session,
            tz=_tz(),
        )

    booking = _cli().run_service(action)
    click.echo(
        f"Janji dibuat: {booking.kode} — {booking.layanan.nama}, {booking.tanggal:%d-%m-%Y} "
        f"{booking.jam_mulai:%H.%M}–{booking.jam_selesai:%H.%M}"
    )


@janji_group.command("lihat")
@click.argument("kode")
@click.option("--as", "username", required=True)
@with_appcontext
def show_command(kode, username):
    """Satu janji (JSON, NIK disamarkan)."""
    from records.antrian import jadwal

    who = _cli().actor(username)
    _echo(_cli().run_service(lambda: jadwal.view_booking(kode, actor=who, session=db.session)))


@janji_group.command("batal")
@click.argument("kode")
@click.option("--as", "username", required=True)
@with_appcontext
def cancel_command(kode, username):
    """Batalkan janji yang masih terjadwal; kuotanya kembali terbuka."""
    from records.antrian import jadwal

    who = _cli().actor(username)
    booking = _cli().run_service(lambda: jadwal.cancel(kode, actor=who, session=db.session, tz=_tz()))
    click.echo(f"Janji {booking.kode} dibatalkan.")


@janji_group.command("hadir")
@click.argument("kode")
@click.option("--as", "username", required=True)
@with_appcontext
def check_in_command(kode, username):
    """Warga dengan janji hari ini sudah datang: buat tiket antriannya."""
    from records.antrian import jadwal

    who = _cli().actor(username)
    _setup()
    ticket = _cli().run_service(lambda: jadwal.check_in(kode, actor=who, session=db.session, tz=_tz()))
    click.echo(f"Tiket {ticket.label} dibuat dari janji {ticket.tracking_code}.")
