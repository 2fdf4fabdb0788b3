"""`lemari gratifikasi …`: declare, list, review and report from the terminal (the same
services as the screens: the same checks, the same audit entries)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from records.extensions import db, lemari


@click.group("gratifikasi")
def gratifikasi_group() -> None:
    """Register gratifikasi (Unit Pengendalian Gratifikasi)."""


@gratifikasi_group.command("lapor")
@click.option("--as", "username", required=True, help="Akun pelapor.")
@click.option("--uraian", required=True, help="Apa yang diberikan.")
@click.option("--pemberi", required=True, help="Nama pemberi.")
@click.option("--hubungan", required=True, help="Hubungan dengan pemberi.")
@click.option("--nilai", required=True, help="Nilai dalam rupiah, contoh 1.500.000.")
@click.option("--tanggal", required=True, help="Tanggal pemberian (2026-12-01 atau 01-12-2026).")
@click.option("--tempat", required=True, help="Tempat pemberian.")
@click.option("--sikap", required=True, type=click.Choice(["ditolak", "diterima"]))
@click.option("--layanan", default="", help="Kode layanan terkait (bila ada).")
@click.option("--kode-lacak", "kode_lacak", default="", help="Kode lacak permohonan terkait.")
@with_appcontext
def declare_command(username: str, **values: str) -> None:
    """Declare a gift offered or received; prints the register code."""
    from records.cli import actor, run_service
    from records.gratifikasi import services as gratifikasi
    from records.web_common import tz

    who = actor(username)
    row = run_service(lambda: gratifikasi.declare(values, actor=who, session=db.session,
                                                  registry=lemari().registry, tz=tz()))
    late = " (TERLAMBAT: lewat 30 hari kerja)" if row.terlambat else ""
    click.echo(f"{row.kode} tercatat; batas lapor {row.batas_lapor:%d-%m-%Y}{late}.")


@gratifikasi_group.command("daftar")
@click.option("--as", "username", required=True, help="Akun yang melihat.")
@with_appcontext
def list_command(username: str) -> None:
    """List the declarations this account may see, one JSON line each."""
    from records.cli import actor, run_service
    from records.gratifikasi import services as gratifikasi

    who = actor(username)
    rows = run_service(lambda: gratifikasi.list_declarations(actor=who, session=db.session,
                                                             registry=lemari().registry))
    for row in rows:
        click.echo(json.dumps({"id": row.id, "kode": row.kode, "pelapor": row.pelapor,
                               "nilai": row.nilai, "sikap": row.sikap, "state": row.state,
                               "terlambat": row.terlambat}, ensure_ascii=False))


@gratifikasi_group.command("langkah")
@click.argument("declaration_id", type=int)
@click.argument("name")
@click.option("--as", "username", required=True, help="Camat atau Petugas UPG.")
@click.option("--catatan", default="", help="Dasar penetapan (wajib untuk penetapan).")
@with_appcontext
def transition_command(declaration_id: int, name: str, username: str, catatan: str) -> None:
    """Take one review step on a declaration."""
    from records.cli import actor, run_service
    from records.gratifikasi import services as gratifikasi
    from records.web_common import tz

    who = actor(username)
    row = run_service(lambda: gratifikasi.fire(declaration_id, name, note=catatan, actor=who,
                                               session=db.session, registry=lemari().registry,
                                               tz=tz()))
    click.echo(f"{row.kode}: {row.state}")


@gratifikasi_group.command("laporan")
@click.argument("periode")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="Camat, Petugas UPG atau Auditor.")
@with_appcontext
def report_command(periode: str, dest: Path, username: str) -> None:
    """Write the report for PERIODE (2026 or 2026-T4) to DEST (.pdf or .xlsx)."""
    from archive.blobstore.atomic import atomic_write_bytes
    from records.cli import actor, run_service
    from records.gratifikasi import services as gratifikasi

    who = actor(username)
    if dest.suffix.lower() == ".xlsx":
        data = run_service(lambda: gratifikasi.report_xlsx(gratifikasi.report(
            periode, actor=who, session=db.session, registry=lemari().registry)))
    else:
        data = run_service(lambda: gratifikasi.report_pdf(periode, actor=who, session=db.session,
                                                          desk=lemari().desk()))
    atomic_write_bytes(dest, data)
    click.echo(f"Laporan gratifikasi {periode} ditulis ke {dest}.")
