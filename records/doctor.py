"""`lemari doctor`: checks that the database, the archive and the search index agree.

Each check is a function returning a `Check`; the command prints them and exits 1 when any
failed. Schema checks come first, then search, then the archive's files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from records.indexing import SearchEngine, database_ids, index_ids, pending_count
from search import SearchError

# How many ids a failed check names, so a large drift stays readable.
SHOW_IDS = 5


@dataclass
class Check:
    """One check's outcome: ok, a one-line summary and optional detail lines."""

    name: str
    ok: bool
    summary: str
    details: list[str] = field(default_factory=list)


def check_search_health(engine: SearchEngine) -> Check:
    """The index opens and reads (a damaged one is rebuilt on next use, but say so now)."""
    health = engine.index.health()
    return Check("search.health", health["ok"],
                 f"indeks: {health['doc_count']} dokumen; {health['detail']}")


def check_search_drift(session: Session, engine: SearchEngine) -> Check:
    """Every findable record and resident is in the index, and the index holds nothing else."""
    wanted = database_ids(session)
    try:
        held, complete = index_ids(engine.index)
    except SearchError as exc:
        return Check("search.drift", False, f"indeks tidak terbaca: {exc}",
                     ["Perbaiki dengan: lemari reindex"])
    missing, extra = sorted(wanted - held, key=_order), sorted(held - wanted, key=_order)
    if not complete:
        missing = []  # a partial listing cannot prove absence; compare the counts instead
        count = engine.index.health()["doc_count"]
        ok = count == len(wanted) and not extra
        summary = (f"basis data {len(wanted)}, indeks {count} (daftar indeks terpotong; "
                   "hanya jumlah yang dibandingkan)")
    else:
        ok = not missing and not extra
        summary = f"basis data {len(wanted)}, indeks {len(held)}"
    details = []
    if missing:
        details.append(f"{len(missing)} tidak ada di indeks: {', '.join(missing[:SHOW_IDS])}")
    if extra:
        details.append(f"{len(extra)} di indeks tetapi tidak di basis data: "
                       f"{', '.join(extra[:SHOW_IDS])}")
    if not ok:
        details.append("Perbaiki dengan: lemari reindex")
    return Check("search.drift", ok, summary, details)


def check_search_outbox(session: Session) -> Check:
    """Pending outbox rows are normal for a moment; many that stay mean no drain is running.
    Reported, not failed: drift (above) is what shows a real gap."""
    pending = pending_count(session)
    note = [] if not pending else ["Terapkan dengan: lemari index-drain"]
    return Check("search.outbox", True, f"{pending} perubahan menunggu diterapkan ke indeks", note)


def search_checks(session: Session, engine: SearchEngine) -> list[Check]:
    """Every search check, in the order they are printed."""
    return [check_search_health(engine), check_search_drift(session, engine),
            check_search_outbox(session)]


# --- schema checks: the database is at the newest migration and matches the models ----------

def schema_checks(engine) -> list[Check]:
    """The database's revision is the newest this code ships, and autogenerate finds nothing
    between it and the models (a hand-made change, or a model changed without a migration)."""
    from records.services.schema import SchemaError, current_state, differences

    try:
        state = current_state(engine)
    except SchemaError as exc:
        return [Check("schema.revision", False, str(exc))]
    if not state.up_to_date:
        return [Check("schema.revision", False,
                      f"revisi {state.current or 'belum ada'}, terbaru {state.head}",
                      ["Perbarui dengan: lemari init (atau lemari db upgrade)"])]
    with engine.connect() as connection:
        found = differences(connection)
    return [Check("schema.revision", True, f"revisi {state.current} (terbaru)"),
            Check("schema.models", not found,
                  f"{len(found)} perbedaan antara basis data dan model",
                  found[:SHOW_IDS])]


def _order(value: str) -> tuple[str, int]:
    """record:2 before record:10."""
    kind, _, number = value.partition(":")
    return kind, int(number) if number.isdigit() else 0


# --- archive checks (issue 4): database rows and archived files agree ------------------------

def check_issued_have_files(session: Session, registry) -> Check:
    """Every issued record (numbered, in a state its workflow tags `issued`) has its archived
    PDF row (issuing writes both in one transaction)."""
    from sqlalchemy import select

    from records.declarations import ISSUED
    from records.models import Record, RecordFile
    from records.services.records import in_tagged_state

    issued = select(RecordFile.record_id).where(RecordFile.kind == "terbit")
    bad = list(session.scalars(select(Record.id).where(
        Record.number.is_not(None), in_tagged_state(registry, ISSUED),
        ~Record.id.in_(issued)).order_by(Record.id)))
    return Check("archive.issued_files", not bad,
                 f"{len(bad)} dokumen terbit tanpa berkas arsip",
                 [f"dokumen #{i}" for i in bad[:SHOW_IDS]])


def check_requests_have_receipts(session: Session) -> Check:
    """Every service request (a record with a tracking code) has its receipt's row: intake
    renders the receipt first and writes both in one transaction (services.requests)."""
    from sqlalchemy import select

    from records.models import Record, RecordFile

    receipts = select(RecordFile.record_id).where(RecordFile.kind == "tanda_terima")
    bad = list(session.scalars(select(Record.id).where(
        Record.tracking_code.is_not(None), Record.layanan_code.is_not(None),
        ~Record.id.in_(receipts)).order_by(Record.id)))
    return Check("archive.request_receipts", not bad,
                 f"{len(bad)} permohonan tanpa tanda terima",
                 [f"dokumen #{i}" for i in bad[:SHOW_IDS]])


def archive_checks(session: Session, blobs, registry) -> list[Check]:
    """Issued records and requests have their files, then every check the features add (the
    archive re-hashes every stored file), in plugin order."""
    return [check_issued_have_files(session, registry), check_requests_have_receipts(session),
            *(check for fn in registry.doctor_checks for check in fn(session, blobs, registry))]


# --- office setup (issue 14): nothing may be printed with an address residents cannot open ---

def check_office_setup(settings) -> Check:
    """Outside demo mode the public base URL must not be a loopback address (every QR code and
    printed link uses it); issuing refuses until the Admin has completed the setup."""
    from records.services.kantor import setup_problem

    problem = setup_problem(settings)
    if problem is None:
        mode = " (kantor demo)" if settings.get("DEMO_MODE") else ""
        return Check("kantor.setup", True, f"URL publik {settings['PUBLIC_BASE_URL']}{mode}")
    return Check("kantor.setup", False, problem,
                 ["Lengkapi dengan: halaman Pengaturan Kantor (/pengaturan-kantor/) atau "
                  "lemari setup kantor --url-publik https://… --as admin"])


# --- backups (issue 21): a missed or failed backup or drill is a failed check ----------------

def check_backups(session: Session, settings) -> Check:
    """Every target had a good backup within BACKUP_MAX_AGE_HOURS, the last run to it did not
    fail, and the last restore drill passed. Not yet set up is said, not failed."""
    from pathlib import Path

    from records.services.backup_targets import status

    found = status(session, home=Path(settings["HOME"]), settings=settings)
    session.rollback()
    if not found.configured:
        return Check("cadangan", True, "; ".join(found.lines),
                     ["Atur di halaman Cadangan (/cadangan/) atau: lemari backup passphrase; "
                      "lemari backup target add NAMA /media/disk"])
    if found.problems:
        return Check("cadangan", False, found.problems[0], [*found.problems[1:], *found.lines])
    return Check("cadangan", True, "cadangan dan latihan pemulihan terbaru berhasil", found.lines)
