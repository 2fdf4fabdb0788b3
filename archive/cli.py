"""`lemari import-scans`, `fixity`, `export-bag` and `demo-scans`.

Thin adapters: each parses its arguments, calls the archive services and prints. The folder
import is resumable: a journal in the data folder remembers each file already decided (by
path, size and modification time), so a second run after a power cut skips them, and the
SHA-256 check makes a re-import of the same content a reported duplicate, never a second copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from records.extensions import db, lemari

REPORT_COLUMNS = ("berkas", "status", "keterangan", "dokumen", "sha256")
# CSV sidecar columns (the first names the file; the rest are archival metadata).
CSV_COLUMNS = ("berkas", "judul", "jenis", "skema", "klasifikasi", "tanggal", "desa", "nik",
               "no_kk", "lemari", "rak", "boks", "map", "catatan")


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
    from archive.desk import archive_desk
    from archive.services.archiving import IngestResult

    who = _cli().actor(username)
    _cli().run_service(lambda: who.require("arsip.write"))
    desk = archive_desk(current_app._get_current_object())
    defaults = {"klasifikasi": klasifikasi, "desa": desa}
    sidecar, results = _read_sidecar(metadata_csv, folder) if metadata_csv else ({}, [])
    entries = list(scan_folder(folder, skip={metadata_csv.resolve()} if metadata_csv else set()))
    journal = Journal(Path(lemari().settings["HOME"]) / "impor", folder)
    results += [IngestResult(name, "gagal", "Disebut di CSV tetapi tidak ada di folder.")
                for name in sorted(set(sidecar) - {e.name for e in entries})]
    with click.progressbar(entries, label="Mengimpor", show_pos=True,
                           item_show_func=lambda e: e.name[:40] if e else "") as bar:
        for entry in bar:
            results.append(_import_one(entry, {**defaults, **sidecar.get(entry.name, {})}, who,
                                       desk, journal))
    path = report_path or Path(f"laporan-impor-{dt.datetime.now():%Y%m%d-%H%M%S}.csv")
    write_report(path, results)
    _print_summary(results, path)


class Entry:
    """A file found in the folder: its display name (None when undecodable) and path."""

    def __init__(self, path: Path, name: str, problem: str = "") -> None:
        self.path, self.name, self.problem = path, name, problem


def scan_folder(folder: Path, skip: set[Path]):
    """Every regular file under folder, sorted; names that are not UTF-8 are reported,
    symlinks and files outside the folder are refused."""
    root = os.fsencode(folder.resolve())
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for raw in sorted(filenames):
            full = os.path.join(dirpath, raw)
            relative = os.path.relpath(full, root)
            try:
                name = relative.decode("utf-8")
            except UnicodeDecodeError:
                yield Entry(Path(os.fsdecode(full)), relative.decode("utf-8", "backslashreplace"),
                            "Nama berkas bukan UTF-8 yang sah; ganti nama berkas.")
                continue
            path = Path(os.fsdecode(full))
            if path.resolve() in skip or name.startswith((".lemari", "laporan-impor-")):
                continue
            if path.is_symlink() or not path.is_file():
                yield Entry(path, name, "Tautan simbolik atau bukan berkas biasa; dilewati.")
                continue
            yield Entry(path, name)


def _import_one(entry: Entry, values: dict, who, desk, journal: Journal):
    from archive.services.archiving import FAILED, IngestResult, ingest_file

    if entry.problem:
        return IngestResult(entry.name, FAILED, entry.problem)
    known = journal.seen(entry)
    if known is not None:
        return IngestResult(entry.name, known["status"],
                            f"{known['reason'] or 'diproses pada impor sebelumnya'} (dilanjutkan)",
                            known.get("record_id"), known.get("sha256", ""))
    base = Path(entry.name).name
    result = ingest_file(entry.path, base, values, actor=who, session=db.session, desk=desk)
    result.name = entry.name
    if result.status != FAILED:
        journal.remember(entry, result)
    return result


class Journal:
    """Files already decided in earlier runs of the same folder (JSON lines in HOME/impor)."""

    def __init__(self, directory: Path, folder: Path) -> None:
        key = hashlib.sha256(os.fsencode(folder.resolve())).hexdigest()[:16]
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{key}.jsonl"
        self.known = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line cut by a power cut
                self.known[row["key"]] = row

    @staticmethod
    def key(entry: Entry) -> str:
        stat = entry.path.stat()
        return f"{entry.name}|{stat.st_size}|{stat.st_mtime_ns}"

    def seen(self, entry: Entry) -> dict | None:
        return self.known.get(self.key(entry))

    def remember(self, entry: Entry, result) -> None:
        row = {"key": self.key(entry), "status": result.status, "reason": result.reason,
               "record_id": result.record_id, "sha256": result.sha256}
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.known[row["key"]] = row


def _read_sidecar(path: Path, folder: Path):
    """Metadata per file name from the CSV; rows naming files outside the folder fail."""
    from archive.scan_probe import ProbeError
    from archive.services.archiving import IngestResult, check_name

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _cli().run_service(lambda: _bad_csv("CSV pendamping harus UTF-8."))
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and "berkas" not in rows[0]:
        _cli().run_service(lambda: _bad_csv("CSV pendamping harus punya kolom 'berkas'."))
    found, failed = {}, []
    for number, row in enumerate(rows, start=2):
        name = (row.get("berkas") or "").strip()
        try:
            for part in Path(name).parts or ("",):
                check_name(part)
        except ProbeError as exc:
            failed.append(IngestResult(name or f"(baris {number})", "gagal",
                                       f"Baris {number} CSV: {exc}"))
            continue
        found[name] = {k: v for k, v in row.items() if k in CSV_COLUMNS and k != "berkas"}
    return found, failed


def _bad_csv(message: str):
    from records.exceptions import ValidationError

    raise ValidationError(message)


def write_report(path: Path, results) -> None:
    """The import report: one line per file with its status and reason."""
    from archive.blobstore.atomic import atomic_write_text

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for r in results:
        writer.writerow([r.name, r.status, r.reason, r.record_id or "", r.sha256])
    atomic_write_text(path, out.getvalue())


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


ARCHIVE_COMMANDS = (demo_scans_command, import_scans_command, fixity_command, export_bag_command)
