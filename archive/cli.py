"""`lemari import-scans`, `fixity`, `export-bag` and `demo-scans`: thin adapters over the
archive services (the folder import is `archive.services.folder_ingest`).

Thin adapters: each parses its arguments, calls the archive services and prints. The folder
import is resumable: a journal in the data folder remembers each file already decided (by
path, size and modification time), so a second run after a power cut skips them, and the
SHA-256 check makes a re-import of the same content a reported duplicate, never a second copy.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from records.extensions import db, lemari


def _cli():
    from records import cli

    return cli


# --- import-scans -------------------------------------------------------------------------

@click.command("import-scans")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--metadata", "metadata_csv", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="CSV pendamping: kolom berkas, judul, klasifikasi, ….")
@click.option("--as", "username", required=True, help="Akun yang mengimpor (Arsiparis).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Berkas laporan CSV (bawaan: laporan-impor-<waktu>.csv di folder kerja).")
@click.option("--klasifikasi", default="", help="Kode klasifikasi bawaan untuk semua berkas.")
@click.option("--desa", default="", help="Desa bawaan (kode atau nama).")
@with_appcontext
def import_scans_command(folder, metadata_csv, username, report_path, klasifikasi, desa):
    """Archive every scan in FOLDER (PDF, JPEG, PNG, TIFF) with a progress bar and a report."""
    from archive.blobstore.atomic import atomic_write_text
    from archive.desk import archive_desk
    from archive.services import folder_ingest

    who = _cli().actor(username)
    _cli().run_service(lambda: who.require("arsip.write"))
    desk = archive_desk(current_app._get_current_object())
    sidecar, refused = _cli().run_service(lambda: folder_ingest.read_sidecar(
        metadata_csv.read_bytes())) if metadata_csv else ({}, [])
    entries = list(folder_ingest.scan_folder(folder, skip={metadata_csv.resolve()} if metadata_csv
                                             else set()))
    journal = folder_ingest.Journal(Path(lemari().settings["HOME"]) / "impor", folder)
    with click.progressbar(length=len(entries), label="Mengimpor", show_pos=True) as bar:
        results = refused + folder_ingest.ingest_entries(
            entries, sidecar, {"klasifikasi": klasifikasi, "desa": desa}, actor=who,
            session=db.session, desk=desk, journal=journal, each=lambda result: bar.update(1))
    path = report_path or Path(f"laporan-impor-{dt.datetime.now():%Y%m%d-%H%M%S}.csv")
    atomic_write_text(path, folder_ingest.report_csv(results))
    _print_summary(results, path)


def _print_summary(results, path: Path) -> None:
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    click.echo("Selesai: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for r in results:
        if r.status == "gagal":
            click.echo(f"  gagal  {r.name}: {r.reason}")
    click.echo(f"Laporan: {path}")
    click.echo("OCR berjalan di latar belakang; pantau di /arsip/tugas atau `lemari jobs status`.")


# --- fixity -------------------------------------------------------------------------------

@click.command("fixity")
@click.option("--hapus-yatim", "remove_orphans", is_flag=True,
              help="Hapus berkas tanpa dokumen yang lebih tua dari satu jam.")
@with_appcontext
def fixity_command(remove_orphans: bool) -> None:
    """Re-hash every archived file; exit 1 when a file is missing or altered."""
    from archive.desk import blob_store_of
    from archive.services import fixity

    blobs = blob_store_of(current_app._get_current_object())
    total = sum(1 for _ in fixity.expected_refs(db.session))
    with click.progressbar(length=total, label="Memeriksa") as bar:
        def wrap(refs):
            for ref in refs:
                bar.update(1)
                yield ref

        run = fixity.run_fixity(session=db.session, blobs=blobs, by="cli", iter_wrapper=wrap)
    click.echo(f"{run.ok} berkas utuh, {len(run.missing)} hilang, {len(run.altered)} berubah, "
               f"{len(run.orphans)} tanpa dokumen; {run.mb_per_detik:.1f} MB/s.")
    for label, rows in (("HILANG", run.missing), ("BERUBAH", run.altered)):
        for row in rows:
            click.echo(f"  {label} {row['path']} (dokumen {', '.join(map(str, row['records']))})")
    if remove_orphans:
        removed = fixity.remove_orphans(session=db.session, blobs=blobs, by="cli")
        click.echo(f"{len(removed)} berkas tanpa dokumen dihapus.")
    if not run.clean:
        sys.exit(1)


# --- export-bag ---------------------------------------------------------------------------

@click.command("export-bag")
@click.argument("selection")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="Akun yang mengekspor (Arsiparis).")
@click.option("--serahkan", "transfer", is_flag=True,
              help="Tandai arsip sebagai diserahkan (penyerahan arsip statis).")
@with_appcontext
def export_bag_command(selection: str, dest: Path, username: str, transfer: bool) -> None:
    """Write a BagIt bag of the SELECTION (permanen, id:1,2, klasifikasi:400.12, tahun:2019)."""
    from archive.desk import blob_store_of
    from archive.services.bagexport import export_bag

    who = _cli().actor(username)
    path, count = _cli().run_service(lambda: export_bag(
        selection, dest, actor=who, session=db.session,
        blobs=blob_store_of(current_app._get_current_object()),
        office=lemari().settings["OFFICE_NAME"], transfer=transfer))
    click.echo(f"{count} dokumen diekspor ke paket BagIt {path}")


@click.command("demo-scans")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def demo_scans_command(folder: Path) -> None:
    """Write a folder of generated scans, good and broken, with a CSV sidecar, to try
    `lemari import-scans FOLDER --metadata FOLDER/metadata.csv`."""
    from archive.scan_samples import write_sample_folder

    expected = write_sample_folder(folder)
    click.echo(f"{len(expected)} berkas contoh ditulis ke {folder}")
    click.echo(f"Coba: lemari import-scans {folder} --metadata {folder}/metadata.csv --as arsiparis")


# --- import-daftar-arsip ------------------------------------------------------------------

@click.command("import-daftar-arsip")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="Akun yang mengimpor (Arsiparis).")
@with_appcontext
def import_daftar_command(path: Path, username: str) -> None:
    """Record the berkas of a daftar arsip spreadsheet (XLSX/CSV) without scans; all or none."""
    from archive.services.daftar_arsip import import_daftar_arsip, read_daftar

    cli = _cli()
    who = cli.actor(username)
    rows = cli.run_service(lambda: read_daftar(path.read_bytes(), path.name))
    report = cli.run_service(lambda: import_daftar_arsip(rows, actor=who, session=db.session,
                                                         source=path.name))
    click.echo(f"{len(report.created)} berkas dicatat dari daftar arsip, "
               f"{len(report.skipped)} sudah tercatat sebelumnya.")
    for row, record_id, code in report.created:
        click.echo(f"  baris {row}: dokumen #{record_id} ({code})")
    for row, text in report.mapped:
        click.echo(f"  baris {row}: {text}")
    for row, text in report.skipped:
        click.echo(f"  baris {row}: {text}")


ARCHIVE_COMMANDS = (demo_scans_command, import_scans_command, fixity_command, export_bag_command,
                    import_daftar_command)
