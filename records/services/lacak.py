"""Public tracking (/lacak): a citizen types the code from their ticket or receipt.

The answer is the status and the promised date only: no name, NIK, address or purpose, so
a guessed or shared code reveals nothing personal. A code that belongs to a queue ticket not
yet taken in at a counter shows the ticket's place in the queue instead.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.declarations import CLOSED, HANDED_OVER, ISSUED, READY, REVOKED, Registry
from records.exceptions import NotFoundError, ValidationError
from records.models import Record
from records.services.clock import clock, local_time
from records.verification import ALPHABET

TRACKING = re.compile(r"KB-[" + ALPHABET + "]{8}")
#: A request is complete once the product is ready or handed over (the office's work is done).
COMPLETE = (READY, HANDED_OVER)
#: ... and never overdue once complete or closed (rejected, revoked).
NOT_OVERDUE = (READY, HANDED_OVER, CLOSED)

#: What a resident reads on /lacak, by the meaning tags of the record's state (never its name):
#: the first row whose tag the state carries wins; a state with none of them is in progress.
#: The words are the page's (lacak.html, translated there); the service names the kind.
PLAIN_STATUS = (
    (REVOKED, "dicabut"),         # "Dicabut — dokumen tidak berlaku lagi"
    (HANDED_OVER, "diambil"),     # "Sudah diambil"
    (READY, "siap"),              # "Siap diambil"
    (CLOSED, "berhenti"),         # "Tidak dilanjutkan — silakan tanyakan di meja layanan"
    (ISSUED, "siap"),
)
IN_PROGRESS = "proses"            # "Sedang diproses"


def plain_status(registry: Registry, doctype: str, state: str) -> str:
    """The kind of status a resident is told, from the workflow's tags (see PLAIN_STATUS)."""
    for tag, kind in PLAIN_STATUS:
        if registry.state_is(doctype, state, tag):
            return kind
    return IN_PROGRESS


def normalise_tracking(text: str) -> str | None:
    """The tracking code ("KB-" and eight characters) from what a citizen typed (case, spaces,
    I/L/O for 1/1/0), or None."""
    cleaned = re.sub(r"\s", "", text or "").upper()
    if cleaned.startswith("KB") and not cleaned.startswith("KB-"):
        cleaned = "KB-" + cleaned[2:]
    cleaned = cleaned[:3] + cleaned[3:].translate(str.maketrans("ILO", "110"))
    return cleaned if TRACKING.fullmatch(cleaned) else None


def track(code: str, *, session: Session, registry: Registry, tz: str) -> dict:
    """The public status of a request or queue ticket; clear errors for bad or unknown codes."""
    normal = normalise_tracking(code)
    if normal is None:
        raise ValidationError("Format kode lacak tidak dikenali. Kode tertulis pada tiket atau "
                              "tanda terima, contoh: KB-7K2QM9XD.")
    record = session.scalar(select(Record).where(Record.tracking_code == normal))
    if record is not None:
        return _request(record, registry, tz)
    for tracker in registry.trackers:  # the features' own codes (the queue's tickets)
        found = tracker(normal, session=session, tz=tz)
        if found is not None:
            return found
    raise NotFoundError("Kode lacak tidak ditemukan. Periksa kembali kode pada tiket atau tanda terima.")


def state_means_any(registry: Registry, doctype: str, state: str, tags: tuple[str, ...]) -> bool:
    """Whether a record of `doctype` in `state` carries one of `tags` in its workflow."""
    return any(registry.state_is(doctype, state, tag) for tag in tags)


def _request(record: Record, registry: Registry, tz: str) -> dict:
    doctype = registry.document_types.get(record.doctype)
    workflow = registry.workflows.get(doctype.workflow) if doctype else None
    _, today = clock(tz)
    received = local_time(tz, record.history[0].at).date() if record.history else None
    overdue = bool(record.promised_date and today > record.promised_date
                   and not state_means_any(registry, record.doctype, record.state, NOT_OVERDUE))
    return {"kind": "permohonan", "code": record.tracking_code,
            "layanan": record.layanan.nama if record.layanan else (doctype.title if doctype else ""),
            "state": record.state,
            "status": workflow.states.get(record.state, record.state) if workflow else record.state,
            "plain": plain_status(registry, record.doctype, record.state),
            "received": received, "promised_date": record.promised_date, "overdue": overdue,
            "complete": state_means_any(registry, record.doctype, record.state, COMPLETE),
            "survey": registry.state_is(record.doctype, record.state, HANDED_OVER)}
