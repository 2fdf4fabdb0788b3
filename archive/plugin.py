"""The digital archive that replaces the iron cabinets: scans, classification, retention (JRA),
disposition with its berita acara, fixity, BagIt export.

Declares the archive's permissions, its two record types (a scanned paper original and the
berita acara pemusnahan) and a workflow without manual steps: records enter the archive
through the ingest service and leave it only through the disposition procedure.
"""

from pathlib import Path

from records.builtin.core import ARSIPARIS, AUDITOR, CAMAT, OPERATOR_DESA, PETUGAS, SEKCAM
from records.declarations import CLOSED, DocumentType, Permission, Workflow
from records.hookspecs import hookimpl

ARCHIVE_READERS = frozenset({CAMAT, SEKCAM, PETUGAS, ARSIPARIS, AUDITOR, OPERATOR_DESA})

PERMISSIONS = (
    Permission("arsip.read", "Melihat arsip (sesuai cakupan desa)", ARCHIVE_READERS),
    Permission("arsip.write", "Mengunggah pindaian dan memperbaiki metadata arsip",
               frozenset({ARSIPARIS})),
    Permission("arsip.manage", "Mengatur skema klasifikasi dan Jadwal Retensi Arsip",
               frozenset({ARSIPARIS})),
    Permission("arsip.propose", "Mengusulkan penyusutan dan menilai kembali arsip",
               frozenset({ARSIPARIS})),
    Permission("arsip.approve", "Menyetujui atau menolak pemusnahan arsip", frozenset({CAMAT})),
    Permission("arsip.hold", "Menahan arsip dari pemusnahan (legal hold)",
               frozenset({ARSIPARIS, CAMAT})),
    Permission("arsip.fixity", "Melihat dan menjalankan pemeriksaan keutuhan berkas (fixity)",
               frozenset({ARSIPARIS, AUDITOR})),
    Permission("arsip.export", "Mengekspor arsip sebagai paket BagIt untuk diserahkan",
               frozenset({ARSIPARIS})),
)

# A destroyed record needs no more work. (Disposition writes 'musnah' into records of every
# workflow, outside any declaration: services.disposition.DESTROYED.)
ARCHIVE_WORKFLOW = Workflow(
    name="arsip", title="Arsip", initial="arsip",
    states={"arsip": "Diarsipkan", "musnah": "Dimusnahkan"}, transitions=(),
    state_tags={"musnah": {CLOSED}})

DOCUMENT_TYPES = (
    DocumentType(name="arsip_pindaian", title="Arsip Pindaian", fields=(), workflow="arsip",
                 needs_penduduk=False, internal=True, klasifikasi="",
                 description="Dokumen kertas yang dipindai dan diarsipkan (alih media)."),
    DocumentType(name="berita_acara_pemusnahan_arsip", title="Berita Acara Pemusnahan Arsip",
                 fields=(), workflow="arsip", needs_penduduk=False, internal=True,
                 template="berita_acara_pemusnahan/document.html", klasifikasi="000.5.6.2",
                 retention_class="berita_acara_pemusnahan",
                 description="Dibuat otomatis ketika Camat menyetujui pemusnahan arsip."),
)

# (menu name, address, permission that opens it) of the archive's menu.
MENU = (
    ("Arsip Digital", "/arsip/", "arsip.read"),
    ("Unggah Pindaian", "/arsip/unggah", "arsip.write"),
    ("Impor Daftar Arsip", "/arsip/daftar-arsip", "arsip.write"),
    ("Tugas OCR", "/arsip/tugas", "arsip.read"),
    ("Klasifikasi dan JRA", "/arsip/klasifikasi", "arsip.read"),
    ("Penyusutan", "/arsip/penyusutan/", "arsip.read"),
    ("Keutuhan Berkas", "/arsip/fixity", "arsip.fixity"),
)
CATEGORY = "Arsip"


@hookimpl
def register_permissions():
    """The archive's permissions and their default roles."""
    return list(PERMISSIONS)


@hookimpl
def register_workflows():
    """Archived records have no manual steps."""
    return [ARCHIVE_WORKFLOW]


@hookimpl
def register_document_types():
    """Scanned originals and the berita acara pemusnahan arsip."""
    return list(DOCUMENT_TYPES)


@hookimpl
def register_views(appbuilder):
    """The archive's pages, REST API and menu."""
    from archive.views import register

    register(appbuilder, MENU, CATEGORY)


@hookimpl
def register_commands(cli):
    """import-scans, fixity, export-bag, backup, restore and jobs."""
    from archive.cli import ARCHIVE_COMMANDS

    for command in ARCHIVE_COMMANDS:
        cli.add_command(command)


@hookimpl
def register_models():
    """Archival metadata, scan versions, OCR jobs, disposition batches and fixity runs."""
    return ["archive.models"]


@hookimpl
def register_page_templates():
    """The archive's pages (templates/lemari/arsip_*.html)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_index_fields():
    """A scan's text and the NIKs an archivist related to it join its record's document."""
    return [index_fields]


# Scanned text can hold NIK and No. KK of anyone: masked in the body (snippets print it); the
# numbers recorded as related are indexed as identifiers instead.
_ARCHIVE_TEXT_LIMIT = 200_000


def index_fields(record):
    """The OCR or born-digital text of an archived record (16-digit numbers masked), where the
    paper lies, and the related NIKs."""
    from records.indexing import IndexFields, mask_sixteen_digits

    arsip = getattr(record, "arsip", None)
    if arsip is None:
        return None
    text = ""
    if arsip.teks:
        location = " ".join(filter(None, (arsip.klasifikasi, arsip.lokasi, arsip.catatan)))
        masked = mask_sixteen_digits(arsip.teks[:_ARCHIVE_TEXT_LIMIT])
        text = f"{location}\n{masked}".strip()
    daftar = (record.data or {}).get("daftar_arsip")
    if daftar:  # a berkas of the paper archive's finding aid: found by its codes and place
        baru = (record.data or {}).get("klasifikasi_baru") or ""
        lines = [f"Daftar arsip: berkas {daftar.get('nomor_berkas') or '-'}, kurun waktu "
                 f"{daftar.get('kurun_waktu') or '-'}", f"Klasifikasi {arsip.klasifikasi}"
                 + (f" (Permendagri 83/2022: {baru})" if baru and baru != arsip.klasifikasi else ""),
                 arsip.lokasi, mask_sixteen_digits(arsip.catatan or "")]
        text = "\n".join(filter(None, [*lines, text]))
    return IndexFields(text=text, niks=tuple(arsip.niks or ()))


@hookimpl
def register_jobs(jobs, settings):
    """OCR of each scan (queued by ingest), the nightly fixity check, and re-queuing the OCR
    jobs a crash left unfinished."""
    jobs.task("ocr", _run_ocr, retries=1, retry_delay=60, long=True)
    jobs.periodic("fixity", _run_fixity, minute=settings["FIXITY_MINUTE"], hour=settings["FIXITY_HOUR"],
                  long=True)
    jobs.on_start(_requeue_ocr)
    jobs.on_status(_ocr_status)


def _run_ocr(app, job_id: int) -> str:
    from archive.desk import blob_store_of, ocr_settings
    from archive.services.ocr import run_job
    from records.extensions import db

    return run_job(job_id, session=db.session, blobs=blob_store_of(app), settings=ocr_settings(app))


def _run_fixity(app) -> None:
    from archive.desk import blob_store_of
    from archive.services.fixity import run_fixity
    from records.extensions import db

    run_fixity(session=db.session, blobs=blob_store_of(app), by="jadwal")


def _requeue_ocr(jobs) -> int:
    from archive.services.ocr import pending_jobs
    from records.extensions import db

    with jobs.app.app_context():
        pending = pending_jobs(db.session)
        db.session.remove()
    for job_id in pending:
        jobs.enqueue("ocr", job_id)
    return len(pending)


def _ocr_status(app) -> list[str]:
    """OCR jobs by status, and the last failed ones."""
    from sqlalchemy import func, select

    from archive.models import OcrJob
    from records.extensions import db

    rows = db.session.execute(select(OcrJob.status, func.count()).group_by(OcrJob.status)).all()
    lines = [", ".join(f"{n} {s}" for s, n in rows) or "Belum ada tugas OCR."]
    for job in db.session.scalars(select(OcrJob).where(OcrJob.status == "gagal")
                                  .order_by(OcrJob.id.desc()).limit(20)):
        lines.append(f"  gagal #{job.id} dokumen {job.record_id}: {job.pesan}")
    return lines


@hookimpl
def register_doctor_checks():
    """Every stored file re-hashed against what the database expects."""
    return [check_archive_files]


def check_archive_files(session, blobs, registry) -> list:
    """`lemari doctor`: re-hash every expected file: missing or altered files fail; orphans are
    reported."""
    from archive.blobstore import verify_all
    from archive.services.fixity import expected_refs, is_recent, owned_shas
    from records.doctor import SHOW_IDS, Check

    owned = owned_shas(session)
    report = verify_all(blobs, list(expected_refs(session)), owned=owned)
    lost = sorted(sha for sha in owned if not blobs.exists(sha))
    missing = [f"hilang: {blobs.path_hint(r)}" for r in report.missing[:SHOW_IDS]]
    altered = [f"berubah: {blobs.path_hint(r)}" for r in report.altered[:SHOW_IDS]]
    recent = [r for r in report.orphans if is_recent(blobs, r)]
    stale = [r for r in report.orphans if r not in recent]
    orphans = [f"yatim: {blobs.path_hint(r)}" for r in stale[:SHOW_IDS]]
    hint = ["Pulihkan dari cadangan: lemari restore SRC"] if missing or altered or lost else []
    return [
        Check("archive.hashes", not (report.missing or report.altered),
              f"{report.ok} berkas utuh, {len(report.missing)} hilang, {len(report.altered)} "
              f"berubah ({report.mb_per_second:.1f} MB/s)", missing + altered + hint),
        Check("archive.owned", not lost,
              f"{len(owned) - len(lost)} berkas publikasi dan templat ada, {len(lost)} hilang",
              [f"hilang: {sha}" for sha in lost[:SHOW_IDS]]),
        Check("archive.orphans", not stale,
              f"{len(stale)} berkas tanpa dokumen"
              + (f"; {len(recent)} berkas baru tanpa dokumen (transaksi berjalan atau terputus "
                 "kurang dari satu jam lalu; dihapus setelahnya)" if recent else ""),
              orphans + (["Hapus dengan: lemari fixity --hapus-yatim"] if orphans else [])),
    ]


@hookimpl
def register_movein_items():
    """The "Pindah ke Lemari" checklist: has the daftar arsip of the iron cabinets been read?"""
    return [movein_daftar_arsip]


def movein_daftar_arsip(session, registry, *, year):
    """One line: how many berkas are known from a daftar arsip, how many of them scanned."""
    from archive.services.daftar_arsip import paper_status
    from records.services.pindah import MoveInItem

    total, scanned = paper_status(session)
    return [MoveInItem(
        "daftar_arsip", "Daftar arsip lemari besi diimpor", total > 0,
        f"{total} berkas tercatat dari daftar arsip, {scanned} sudah dipindai." if total else
        "Belum ada daftar arsip yang diimpor; arsip kertas lama belum dapat dicari.",
        "/arsip/daftar-arsip", "lemari import-daftar-arsip FILE.xlsx --as arsiparis", urutan=40)]


@hookimpl
def register_worklists():
    """The Arsiparis's inbox (scans whose OCR waits or failed) and the records due for
    disposition; the Camat's disposal batches waiting for a decision."""
    return [_ocr_inbox, _disposition_due, _disposal_proposed]


def _count(query):
    from sqlalchemy import func, select

    return select(func.count()).select_from(query.order_by(None).subquery())


def _ocr_inbox(session, actor, today):
    from flask import url_for
    from sqlalchemy.orm import joinedload

    from archive.models import OcrJob
    from archive.services import ocr
    from records.services.worklists import Pending

    if not actor.can("arsip.write"):
        return None
    query = ocr.inbox_query(actor)
    words = {ocr.FAILED: "OCR gagal", ocr.QUEUED: "menunggu OCR", ocr.RUNNING: "sedang OCR"}

    def links(limit):
        rows = session.scalars(query.options(joinedload(OcrJob.record)).limit(limit))
        return [(f"{job.record.title} — {words.get(job.status, job.status)}",
                 url_for("ArsipView.show", record_id=job.record_id)) for job in rows]

    return Pending("arsip_ocr", "Pindaian menunggu OCR atau gagal OCR", _count(query), links=links,
                   menu="Tugas OCR")


def _disposition_due(session, actor, today):
    from flask import url_for
    from sqlalchemy.orm import joinedload

    from archive.models import Arsip
    from archive.services import disposition
    from records.services.worklists import Pending

    if not actor.can("arsip.propose"):
        return None
    query = disposition.due_query(actor, today)

    def links(limit):
        rows = session.scalars(query.options(joinedload(Arsip.record)).limit(limit))
        return [(f"{arsip.record.title} — retensi habis {arsip.retensi_sampai:%d-%m-%Y}",
                 url_for("ArsipView.show", record_id=arsip.record_id)) for arsip in rows]

    return Pending("arsip_jatuh_tempo", "Arsip jatuh tempo penyusutan", _count(query),
                   links=links, menu="Penyusutan")


def _disposal_proposed(session, actor, today):
    from flask import url_for

    from archive.services import disposition
    from records.services.worklists import Pending

    if not actor.can("arsip.approve"):
        return None
    query = disposition.proposed_query()

    def links(limit):
        return [(f"Usulan penyusutan #{batch.id}", url_for("PenyusutanView.batch", batch_id=batch.id))
                for batch in session.scalars(query.limit(limit))]

    return Pending("penyusutan_usulan", "Usulan penyusutan menunggu keputusan", _count(query),
                   links=links, menu="Penyusutan")
