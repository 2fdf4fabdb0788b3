"""Public verification: by code (QR or typed) and by uploading a PDF.

The public answer never contains a NIK, an address or the purpose of the letter: only the
type, number, issue date, office, status and the holder's name masked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.declarations import REVOKED
from records.models import Record, RecordFile
from records.services.issuing import Desk
from records.verification import mask_name, normalise

STATUS_TEXT = {"valid": "SAH — dokumen tercatat dan berlaku",
               "revoked": "DICABUT — dokumen pernah diterbitkan tetapi sudah dicabut",
               "unknown": "TIDAK DIKENAL — tidak ada dokumen dengan kode ini",
               "tampered": "TIDAK SAH — berkas berbeda dari dokumen yang diterbitkan"}


@dataclass
class Verification:
    """What a visitor may learn about a document."""

    status: str
    doctype: str = ""
    number: str = ""
    issued_on: str = ""
    office: str = ""
    holder: str = ""
    signature: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    @property
    def message(self) -> str:
        return STATUS_TEXT[self.status]

    def to_json(self) -> dict:
        return {"status": self.status, "message": self.message, "valid": self.valid,
                "doctype": self.doctype, "number": self.number, "issued_on": self.issued_on,
                "office": self.office, "holder": self.holder, "signature": self.signature}


def _describe(record: Record, status: str, *, desk: Desk) -> Verification:
    """The public facts of a record; the issue date is the office's local date, as printed on
    the letter (an evening issue in UTC is already the next day in Kota Bangun)."""
    doctype = desk.registry.document_types.get(record.doctype)
    issued_on = desk.local_time(record.issued_at).date().isoformat() if record.issued_at else ""
    return Verification(status=status, doctype=doctype.title if doctype else record.doctype,
                        number=record.number or "", issued_on=issued_on,
                        office=desk.office["name"],
                        holder=mask_name(record.penduduk.nama) if record.penduduk else "")


def _status(record: Record, desk: Desk) -> str:
    """Revoked when the record's state is tagged `revoked` in its workflow."""
    return "revoked" if desk.registry.state_is(record.doctype, record.state, REVOKED) else "valid"


def verify_code(text: str, *, session: Session, desk: Desk) -> Verification:
    """Look a typed or scanned code up; malformed and unknown codes are both 'unknown'."""
    code = normalise(text)
    record = code and session.scalar(select(Record).where(Record.verify_code == code))
    if not record or not record.number:
        return Verification(status="unknown")
    return _describe(record, _status(record, desk), desk=desk)


def verify_upload(pdf: bytes, *, session: Session, desk: Desk) -> Verification:
    """Compare an uploaded file's SHA-256 with the issued files and check its signature."""
    from records.signing import verify_pdf

    digest = hashlib.sha256(pdf).hexdigest()
    found = session.scalar(select(RecordFile).where(RecordFile.sha256 == digest,
                                                    RecordFile.kind == "terbit"))
    report = verify_pdf(pdf, trust_roots_pem=desk.trust_roots)
    signature = {"status": report.status, "message": report.message, "signer": report.signer}
    if found is None:
        return Verification(status="tampered" if report.status != "unsigned" else "unknown",
                            signature=signature)
    record = session.get_one(Record, found.record_id)  # a file row always has its record
    result = _describe(record, _status(record, desk), desk=desk)
    result.signature = signature
    return result
