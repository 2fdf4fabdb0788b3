"""The folder/CSV ingest pipeline: many scans with a CSV sidecar of metadata, one result per
file, resumable. Used by `lemari import-scans` (a folder) and the web upload (many files and
an optional CSV), both through `ingest_file`, so each file gets the same checks, OCR job,
fixity and search entry whichever door it came through.

A journal (JSON lines, fsync'd per file) remembers each file already decided by path, size and
modification time, so a second run after a power cut skips them; the SHA-256 check in
`ingest_file` makes a re-import of the same content a reported duplicate, never a second copy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from archive.scan_probe import ProbeError
from archive.services.archiving import FAILED, ArchiveDesk, IngestResult, check_name, ingest_file
from records.actor import Actor
from records.exceptions import ValidationError

REPORT_COLUMNS = ("berkas", "status", "keterangan", "dokumen", "sha256")
# CSV sidecar columns (the first names the file; the rest are archival metadata).
CSV_COLUMNS = ("berkas", "judul", "jenis", "skema", "klasifikasi", "tanggal", "desa", "nik",
               "no_kk", "lemari", "rak", "boks", "map", "catatan")


class Entry:
    """A file found in the folder: its display name (None when undecodable) and path."""

    def __init__(self, path: Path, name: str, problem: str = "") -> None:
        self.path, self.name, self.problem = path, name, problem


def scan_folder(folder: Path, skip: set[Path]) -> Iterator[Entry]:
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


def ingest_entry(entry: Entry, values: dict, *, actor: Actor, session: Session,
                 desk: ArchiveDesk, journal: Journal | None = None) -> IngestResult:
    """One file of a folder or an upload: refused with its reason, resumed from the journal,
    or archived through `ingest_file`."""
    if entry.problem:
        return IngestResult(entry.name, FAILED, entry.problem)
    known = journal.seen(entry) if journal else None
    if known is not None:
        return IngestResult(entry.name, known["status"],
                            f"{known['reason'] or 'diproses pada impor sebelumnya'} (dilanjutkan)",
                            known.get("record_id"), known.get("sha256", ""))
    result = ingest_file(entry.path, Path(entry.name).name, values, actor=actor, session=session,
                         desk=desk)
    result.name = entry.name
    if journal is not None and result.status != FAILED:
        journal.remember(entry, result)
    return result


def ingest_entries(entries: Iterable[Entry], sidecar: dict[str, dict], defaults: dict, *,
                   actor: Actor, session: Session, desk: ArchiveDesk,
                   journal: Journal | None = None,
                   each: Callable[[IngestResult], None] = lambda result: None) -> list[IngestResult]:
    """Every entry with its sidecar row over the defaults; rows naming no entry fail too, so
    the report names every file either side mentioned."""
    actor.require("arsip.write")
    entries = list(entries)
    results = [IngestResult(name, FAILED, "Disebut di CSV tetapi tidak ada di folder atau unggahan.")
               for name in sorted(set(sidecar) - {e.name for e in entries})]
    for entry in entries:
        result = ingest_entry(entry, {**defaults, **sidecar.get(entry.name, {})}, actor=actor,
                              session=session, desk=desk, journal=journal)
        results.append(result)
        each(result)
    return results


class Journal:
    """Files already decided in earlier runs of the same folder (JSON lines in HOME/impor)."""

    def __init__(self, directory: Path, folder: Path) -> None:
        key = hashlib.sha256(os.fsencode(folder.resolve())).hexdigest()[:16]
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{key}.jsonl"
        self.known: dict[str, dict] = {}
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


def read_sidecar(raw: bytes) -> tuple[dict[str, dict], list[IngestResult]]:
    """Metadata per file name from the CSV; rows naming files outside the folder fail.
    A CSV that is not UTF-8 or has no `berkas` column is refused whole (ValidationError)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("CSV pendamping harus UTF-8.") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and "berkas" not in rows[0]:
        raise ValidationError("CSV pendamping harus punya kolom 'berkas'.")
    found: dict[str, dict] = {}
    failed: list[IngestResult] = []
    for number, row in enumerate(rows, start=2):
        name = (row.get("berkas") or "").strip()
        try:
            for part in Path(name).parts or ("",):
                check_name(part)
        except ProbeError as exc:
            failed.append(IngestResult(name or f"(baris {number})", FAILED,
                                       f"Baris {number} CSV: {exc}"))
            continue
        found[name] = {k: v for k, v in row.items() if k in CSV_COLUMNS and k != "berkas"}
    return found, failed


def report_csv(results: Iterable[IngestResult]) -> str:
    """The import report: one line per file with its status and reason."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for r in results:
        writer.writerow([r.name, r.status, r.reason, r.record_id or "", r.sha256])
    return out.getvalue()
