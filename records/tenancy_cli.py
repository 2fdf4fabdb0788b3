"""`lemari tenant …`: the kecamatan of a kabupaten deployment (records.tenancy).

These commands work on the whole kabupaten database, so they refuse to run with LEMARI_TENANT
set; every other command works on the kecamatan LEMARI_TENANT names.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from records.exceptions import RecordsError
from records.extensions import lemari


def _base() -> dict:
    """The deployment's settings; a command run for one kecamatan is refused."""
    settings = lemari().settings
    if settings.get("TENANT"):
        raise click.ClickException("Perintah `lemari tenant` berlaku untuk seluruh kabupaten; "
                                   "jalankan tanpa LEMARI_TENANT.")
    return settings


def _run(action):
    try:
        return action()
    except RecordsError as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)


@click.group("tenant")
def tenant_group() -> None:
    """Kecamatan dalam satu pemasangan kabupaten (PostgreSQL)."""


@tenant_group.command("tambah")
@click.argument("nama_singkat")
@click.option("--nama", required=True, help="Nama kecamatan, mis. \"Kota Bangun\".")
@click.option("--kode", required=True, help="Kode Kemendagri kecamatan, mis. 64.02.08.")
@click.option("--host", "hosts", multiple=True, help="Nama host kecamatan (boleh berulang).")
@click.option("--alamat-publik", default="", help="Alamat publik untuk QR (bawaan: dari host atau /k/NAMA).")
@with_appcontext
def tambah_command(nama_singkat: str, nama: str, kode: str, hosts: tuple[str, ...],
                   alamat_publik: str) -> None:
    """Add a kecamatan: its schema, migrations and seeds, then its registration."""
    from records import tenancy

    base = _base()
    kecamatan = _run(lambda: tenancy.add_kecamatan(base, nama_singkat=nama_singkat, nama=nama, kode=kode,
                                                   hosts=hosts, alamat_publik=alamat_publik))
    click.echo(f"Kecamatan {kecamatan.nama} ({kecamatan.kode}) siap di /k/{kecamatan.nama_singkat}/"
               + (f" dan {', '.join(kecamatan.hosts)}" if kecamatan.hosts else "") + ".")
    click.echo(f"Buat akunnya: LEMARI_TENANT={kecamatan.nama_singkat} lemari fab create-admin, "
               "atau akun kabupaten dengan `lemari tenant akun`.")


@tenant_group.command("daftar")
@with_appcontext
def daftar_command() -> None:
    """List the registered kecamatan."""
    from records import tenancy
    from records.extensions import db

    _base()
    known = tenancy.registered(db.engine)
    if not known:
        click.echo("Belum ada kecamatan terdaftar (basis data satu kantor, atau kabupaten yang baru).")
    for k in known:
        where = ", ".join(k.hosts) or f"/k/{k.nama_singkat}/"
        click.echo(f"{k.nama_singkat:<16} {k.kode}  Kecamatan {k.nama}  ({where})")


@tenant_group.command("impor")
@click.argument("sumber", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--nama-singkat", required=True, help="Nama singkat kecamatan baru, mis. kotabangun.")
@click.option("--nama", required=True, help="Nama kecamatan.")
@click.option("--kode", required=True, help="Kode Kemendagri kecamatan.")
@click.option("--host", "hosts", multiple=True, help="Nama host kecamatan (boleh berulang).")
@click.option("--alamat-publik", default="", help="Alamat publik untuk QR.")
@with_appcontext
def impor_command(sumber: Path, nama_singkat: str, nama: str, kode: str, hosts: tuple[str, ...],
                  alamat_publik: str) -> None:
    """Move a single office in (its data folder SUMBER) as a new kecamatan, keeping every
    number and the audit trail (verified before and after)."""
    from records.tenancy_import import import_office

    base = _base()
    report = _run(lambda: import_office(base, sumber, nama_singkat=nama_singkat, nama=nama, kode=kode,
                                        hosts=hosts, alamat_publik=alamat_publik))
    click.echo(f"Kantor dari {sumber} kini Kecamatan {nama} (/k/{nama_singkat}/).")
    tables = sum(1 for count in report.rows.values() if count)
    click.echo(f"Baris disalin: {sum(report.rows.values())} dari {tables} tabel; "
               f"berkas: {report.files}; dokumen diindeks: {report.indexed}.")
    click.echo(f"Log audit utuh sebelum dan sesudah: {report.audit_entries} entri, "
               f"{report.audit_checkpoints} titik periksa cocok.")
    for register, last in sorted(report.numbers.items()):
        click.echo(f"  nomor terakhir {register}: {last} (berlanjut dari sana)")
    for note in report.notes:
        click.echo(f"Catatan: {note}")


@tenant_group.command("akun")
@click.argument("nama_pengguna")
@click.option("--nama-lengkap", required=True, help="Nama lengkap pemegang akun.")
@click.option("--peran", required=True, help="Admin Kabupaten, Inspektorat atau Dinas Dukcapil.")
@click.option("--kecamatan", "kecamatan", multiple=True,
              help="Kecamatan yang dijangkau (boleh berulang; bawaan: semua).")
@click.password_option("--kata-sandi", prompt="Kata sandi",
                       help="Kata sandi (ditanyakan bila tidak diberikan).")
@with_appcontext
def akun_command(nama_pengguna: str, nama_lengkap: str, peran: str, kecamatan: tuple[str, ...],
                 kata_sandi: str) -> None:
    """Create or update a kabupaten-wide account in every kecamatan it reaches."""
    from records import tenancy

    base = _base()
    reached = _run(lambda: tenancy.grant_account(base, nama_pengguna=nama_pengguna, nama_lengkap=nama_lengkap,
                                                 peran=peran, password=kata_sandi, kecamatan=kecamatan))
    role = tenancy.peran_kabupaten(peran)
    click.echo(f"Akun {nama_pengguna} ({role.nama}: {role.peran_kecamatan} di kecamatan) aktif di: "
               + ", ".join(reached) + ".")


@tenant_group.command("migrasi")
@with_appcontext
def migrasi_command() -> None:
    """Bring every kecamatan's schema to the newest revision (stop the app nodes first)."""
    from records import tenancy
    from records.extensions import db
    from records.services.schema import upgrade

    base = _base()
    for kecamatan in tenancy.registered(db.engine):
        engine, said = _run(lambda k=kecamatan: tenancy.ready_schema(base, k))
        if said:
            click.echo(f"{kecamatan.nama_singkat}: {said}.")
        try:
            before, after = _run(lambda e=engine: upgrade(e))
        finally:
            engine.dispose()
        done = "sudah terbaru" if not before.pending else f"{len(before.pending)} migrasi diterapkan"
        click.echo(f"{kecamatan.nama_singkat}: {done} (revisi {after.current}).")


TENANT_COMMANDS = (tenant_group,)
