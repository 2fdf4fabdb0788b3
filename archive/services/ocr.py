"""OCR of scans: OCRmyPDF + Tesseract (`ind+eng`) into a searchable PDF/A beside the original.

A job runs in a background worker (records.jobs). OCRmyPDF runs as a child process with one
OpenMP thread (2–3× faster than the default on 2 cores, engineering facts §3.4), a time limit
and an address-space ceiling, since it parses the untrusted original. The searchable PDF and
the extracted text are stored, and the search outbox row is written, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from archive.models import Arsip, ArsipVersi, OcrJob
from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.models import Record, RecordFile
from records.models.outbox import RECORD, enqueue
from records.ports import BlobStore
from records.sandbox import limit_memory
from records.services.audit import record_event
from records.services.clock import utc_now

QUEUED, RUNNING, DONE, FAILED = "antri", "berjalan", "selesai", "gagal"
SUFFIX = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png", "tiff": ".tif"}
MAX_TEXT_CHARS = 1_000_000
# OCRmyPDF exit codes worth explaining to a clerk (ocrmypdf.ExitCode).
EXIT_REASONS = {2: "berkas masukan tidak dapat dibaca", 4: "hasil PDF tidak sah",
                6: "PDF sudah berisi teks", 8: "PDF terenkripsi", 7: "Tesseract/Ghostscript gagal",
                15: "kehabisan memori atau dihentikan"}


@dataclass(frozen=True)
class OcrSettings:
    """How OCR runs: languages, time per page, memory ceiling, image DPI fallback."""

    languages: str = "ind+eng"
    seconds_per_page: int = 120
    memory_bytes: int = 3 * 1024 * 1024 * 1024
    image_dpi: int = 300


class OcrFailed(Exception):
    """OCR could not produce a searchable PDF; the message says why."""


def ocr_to_pdfa(source: Path, kind: str, pages: int, settings: OcrSettings,
                workdir: Path) -> tuple[Path, str]:
    """Run OCRmyPDF on one file; returns the PDF/A path and the recognised text."""
    output, sidecar = workdir / "ocr.pdf", workdir / "ocr.txt"
    command = [sys.executable, "-m", "ocrmypdf", "-l", settings.languages, "--output-type",
               "pdfa", "--optimize", "0", "--jobs", "1", "--sidecar",
               str(sidecar), "--tesseract-timeout", str(settings.seconds_per_page),
               "--quiet"]
    # A PDF reaches OCR because some page lacks text; --force-ocr rasterises any page that
    # has some (the original stays beside the copy). --skip-text would be gentler, but
    # OCRmyPDF refuses it with Ghostscript 10.0–10.02 (Debian 12), which corrupt such PDFs.
    command += ["--force-ocr"] if kind == "pdf" else ["--image-dpi", str(settings.image_dpi)]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    timeout = 60 + settings.seconds_per_page * max(pages, 1)
    try:
        done = subprocess.run([*command, str(source), str(output)], env=env, timeout=timeout,
                              capture_output=True, text=True,
                              preexec_fn=lambda: limit_memory(settings.memory_bytes))
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"OCR melebihi batas waktu {timeout} detik.") from None
    if done.returncode != 0 or not output.exists():
        reason = EXIT_REASONS.get(done.returncode, f"kode keluar {done.returncode}")
        tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
        raise OcrFailed(f"OCR gagal: {reason}. {tail[0][:300]}".strip())
    text = sidecar.read_text(encoding="utf-8", errors="replace") if sidecar.exists() else ""
    return output, _clean_text(text)


def _clean_text(text: str) -> str:
    """Sidecar text without page-break characters or OCRmyPDF's skipped-page markers."""
    lines = [line.rstrip() for line in text.replace("\f", "\n").splitlines()]
    kept = [line for line in lines if not line.startswith("[OCR skipped on page")]
    return "\n".join(kept).strip()[:MAX_TEXT_CHARS]


def run_job(job_id: int, *, session: Session, blobs: BlobStore, settings: OcrSettings) -> str:
    """Run one queued OCR job to its end; returns the final status. Safe to call twice:
    a finished job, or a job for a version that has been replaced, is left alone."""
    job = session.get(OcrJob, job_id)
    if job is None or job.status == DONE:
        return job.status if job else "hilang"
    version = session.scalar(select(ArsipVersi).where(ArsipVersi.record_id == job.record_id,
                                                      ArsipVersi.versi == job.versi))
    arsip = session.get(Arsip, job.record_id)
    if version is None or arsip is None or arsip.status == "musnah":
        return _finish_job(session, job, FAILED, "Arsip sudah tidak ada atau sudah dimusnahkan.")
    job.status, job.mulai, job.percobaan = RUNNING, utc_now(), job.percobaan + 1
    arsip.ocr_status = RUNNING
    session.commit()
    workdir = Path(tempfile.mkdtemp(prefix="lemari-ocr-"))
    try:
        source = workdir / f"asli{SUFFIX.get(version.jenis_berkas, '.pdf')}"
        with blobs.open(version.file_asli.sha256) as src, open(source, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        pdf, text = ocr_to_pdfa(source, version.jenis_berkas, job.halaman, settings, workdir)
        with open(pdf, "rb") as fh:
            ref = blobs.put(fh)
    except (OcrFailed, OSError) as exc:
        session.rollback()
        return _fail(session, job_id, str(exc))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _store_result(session, job_id, ref, text)


def _store_result(session: Session, job_id: int, ref, text: str) -> str:
    """The PDF/A file, the text, the job's end, audit and outbox: one commit."""
    job = session.get_one(OcrJob, job_id)
    arsip = session.get_one(Arsip, job.record_id)
    version = session.scalars(select(ArsipVersi).where(ArsipVersi.record_id == job.record_id,
                                                       ArsipVersi.versi == job.versi)).one()
    stored = RecordFile(record_id=job.record_id, kind="ocr", sha256=ref.sha256, size=ref.size,
                        created_at=utc_now())
    session.add(stored)
    session.flush()
    version.file_ocr_id = stored.id
    if arsip.versi == job.versi:  # a newer version's text wins
        arsip.teks, arsip.ocr_status = text, DONE
        enqueue(session, RECORD, job.record_id)
    record_event(session, "sistem", "arsip.ocr", object_type="record", object_id=job.record_id,
                 desa_code=arsip.record.desa_code,
                 detail={"job": job.id, "versi": job.versi, "sha256": ref.sha256,
                         "chars": len(text)})
    return _finish_job(session, job, DONE, f"{len(text)} karakter dikenali.")


def _fail(session: Session, job_id: int, message: str) -> str:
    job = session.get_one(OcrJob, job_id)
    arsip = session.get(Arsip, job.record_id)
    if arsip is not None and arsip.versi == job.versi:
        arsip.ocr_status = FAILED
    return _finish_job(session, job, FAILED, message)


def _finish_job(session: Session, job: OcrJob, status: str, message: str) -> str:
    job.status, job.pesan, job.selesai = status, message[:2000], utc_now()
    session.commit()
    return status


def retry_job(job_id: int, *, actor: Actor, session: Session) -> OcrJob:
    """Queue a failed job again (after the cause was fixed, e.g. Tesseract installed)."""
    actor.require("arsip.write")
    job = session.get(OcrJob, job_id)
    if job is None:
        raise NotFoundError("Tugas OCR tidak ditemukan.")
    actor.require_desa(job.record.desa_code, "Tugas OCR tidak ditemukan.")
    if job.status != FAILED:
        raise ValidationError("Hanya tugas yang gagal yang dapat diulang.")
    job.status, job.pesan, job.selesai = QUEUED, "", None
    session.get_one(Arsip, job.record_id).ocr_status = QUEUED
    record_event(session, actor, "arsip.ocr.retry", object_type="record", object_id=job.record_id,
                 desa_code=job.record.desa_code, detail={"job": job.id})
    session.commit()
    return job


def pending_jobs(session: Session) -> list[int]:
    """Jobs waiting or cut off mid-run (a power cut): the worker queues them again at start."""
    return list(session.scalars(select(OcrJob.id).where(OcrJob.status.in_((QUEUED, RUNNING)))
                                .order_by(OcrJob.id)))


def list_jobs(*, actor: Actor, session: Session, limit: int = 100) -> list[OcrJob]:
    """Latest OCR jobs within the actor's desa scope, running and waiting ones first."""
    actor.require("arsip.read")
    query = select(OcrJob).join(Record, Record.id == OcrJob.record_id)
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(actor.desa_scope))
    rows = session.scalars(query.order_by(OcrJob.id.desc()).limit(limit)).all()
    order = {RUNNING: 0, QUEUED: 1, FAILED: 2, DONE: 3}
    return sorted(rows, key=lambda j: (order.get(j.status, 4), -j.id))


def job_progress(jobs: list[OcrJob], now: dt.datetime | None = None) -> dict:
    """Counts per status and an estimate for running jobs (about 3 s per page on 2 cores)."""
    now = now or utc_now()
    counts = {status: 0 for status in (QUEUED, RUNNING, DONE, FAILED)}
    for job in jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    rows = []
    for job in jobs:
        percent = 100 if job.status in (DONE, FAILED) else 0
        if job.status == RUNNING and job.mulai:
            expected = max(job.halaman, 1) * 3.0
            percent = min(95, int((now - job.mulai).total_seconds() / expected * 100))
        rows.append({"id": job.id, "record_id": job.record_id, "status": job.status,
                     "halaman": job.halaman, "persen": percent, "pesan": job.pesan})
    total = len(jobs)
    return {"counts": counts, "jobs": rows,
            "persen": int(100 * (counts[DONE] + counts[FAILED]) / total) if total else 100}


def inbox_query(actor: Actor) -> Select:
    """The ingest desk's inbox: scans whose OCR waits, runs or failed (failed ones first, they
    need a hand), within the actor's desa scope; the home page counts it."""
    query = (select(OcrJob).join(Record, Record.id == OcrJob.record_id)
             .where(OcrJob.status.in_((FAILED, QUEUED, RUNNING))))
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(sorted(actor.desa_scope)))
    return query.order_by((OcrJob.status != FAILED), OcrJob.id.desc())
