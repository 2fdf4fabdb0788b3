"""`lemari doctor`: checks that the database, the archive and the search index agree.

Each check is a function returning a `Check`; the command prints them and exits 1 when any
failed. Search checks come first; archive file checks can be added as further functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from search import SearchError

from .indexing import SearchEngine, database_ids, index_ids, pending_count

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


def _order(value: str) -> tuple[str, int]:
    """record:2 before record:10."""
    kind, _, number = value.partition(":")
    return kind, int(number) if number.isdigit() else 0
