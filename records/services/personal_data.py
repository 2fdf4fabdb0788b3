"""Personal data (UU 27/2022): who looked at a resident, what a role without the full-NIK
right may ask about personal numbers, and a resident's own copy of their data.

Views of a resident, a family, a record, an archived record or a letter preview, every page of
the registry lists and subject-access exports are written to the audit trail in the
transaction of the read, so the Auditor can answer "who saw this NIK?" for any resident.

Masking a number is worth nothing if a filter, a sort or a count can undo it: for a role
without `penduduk.view_nik`, a NIK or No. KK may only be matched whole (`number_filter_value`,
`check_number_order`, `check_search_text`), and files that carry the numbers in a form that
cannot be masked (the signed original) are not handed out (`require_unmaskable_file`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.exceptions import PermissionDeniedError, RecordsError
from records.models import AuditEvent, Penduduk, Record
from records.nik import NikError, mask_numbers_deep, normalise
from records.ports import Renderer
from records.services.audit import record_event
from records.services.issuing import Desk, preview
from records.services.kependudukan import get_penduduk
from records.services.records import get_record
from search import QueryError, parse_query
from search.analysis import digits_key

# The personal-data permission without which NIK and No. KK are masked.
FULL_NIK = "penduduk.view_nik"
# Columns (of any model, also reached through a relation: "keluarga.no_kk") holding numbers.
NUMBER_COLUMNS = {"nik": "NIK", "niks": "NIK", "no_kk": "No. KK"}
# Search fields holding numbers (search.query_parser).
NUMBER_SEARCH_FIELDS = {"nik": "NIK", "kk": "No. KK"}
NUMBER_LENGTH = 16
ONLY_WHOLE = ("Tanpa izin melihat NIK lengkap, {label} hanya dapat dicari dengan nomornya yang "
              "lengkap (16 digit, filter 'Sama dengan'); mencari dengan sebagian nomor, dengan "
              "'tidak sama dengan' atau dengan daftar nomor tidak diizinkan.")
NO_SORT = "Tanpa izin melihat NIK lengkap, daftar tidak dapat diurutkan menurut {label}."
SIGNED_ORIGINAL = ("Berkas ini memuat NIK dan No. KK lengkap dan tidak dapat disamarkan (dokumen "
                   "bertanda tangan tidak boleh diubah); peran Anda tidak berwenang mengunduhnya. "
                   "Buka pratinjau PDF dokumen ini: NIK dan No. KK di sana disamarkan.")
SCAN = ("Pindaian ini dapat memuat NIK dan No. KK lengkap yang tidak dapat disamarkan; hanya "
        "peran yang berwenang melihat NIK lengkap atau mengelola arsip yang dapat mengunduhnya.")
# Kinds of archived files that are scans of paper (the Arsiparis handles the paper itself).
SCAN_KINDS = frozenset({"asli", "ocr"})


class NumberQueryError(RecordsError):
    """A filter, sort or search on a personal number that the actor may not run (HTTP 400)."""

    http_status = 400


def note_viewed(kind: str, object_id: int, *, desa_code: str | None, actor: Actor,
                session: Session, channel: str, object_type: str | None = None) -> None:
    """Audit one opened resident, family, record or archived record (detail page, API item)."""
    record_event(session, actor, f"{kind}.view", object_type=object_type or kind,
                 object_id=object_id, desa_code=desa_code,
                 detail={"channel": channel, "full_nik": actor.can(FULL_NIK)})
    session.commit()


def note_listed(kind: str, count: int | None, *, actor: Actor, session: Session, query: str,
                channel: str = "api") -> None:
    """Audit a bulk read (a page of residents or families), with the filter that chose it;
    a web page is audited before its query runs, so its count is not known (None)."""
    detail: dict[str, Any] = {"channel": channel, "query": query[:500],
                              "full_nik": actor.can(FULL_NIK)}
    if count is not None:
        detail["count"] = count
    record_event(session, actor, f"{kind}.list", object_type=kind, detail=detail)
    session.commit()


# --- what a role without the full-NIK right may ask ----------------------------------------

def number_label(column: str) -> str | None:
    """"NIK" or "No. KK" when the column (or the last step of a relation path) holds personal
    numbers, else None."""
    return NUMBER_COLUMNS.get(column.rsplit(".", 1)[-1])


def number_filter_value(actor: Actor, column: str, operator: str, value: object) -> object:
    """The value a list filter may use on `column`: unchanged for other columns and for roles
    with the full-NIK right; otherwise only "equal to" one complete number, returned as its 16
    digits (spaces, dots and dashes dropped). Anything else would let masked numbers be read
    back through counts, so it raises NumberQueryError."""
    label = number_label(column)
    if label is None or actor.can(FULL_NIK):
        return value
    if isinstance(value, list) and operator not in ("in", "not_in"):  # one web filter, repeated
        return [number_filter_value(actor, column, operator, item) for item in value]
    if operator != "eq" or isinstance(value, bool) or not isinstance(value, (str, int)):
        raise NumberQueryError(ONLY_WHOLE.format(label=label))
    try:
        return normalise(str(value), label)
    except NikError:
        raise NumberQueryError(ONLY_WHOLE.format(label=label)) from None


def check_number_order(actor: Actor, column: str | None) -> None:
    """Refuse a list sorted by a personal number to a role without the full-NIK right (the
    order of masked rows would tell the hidden digits)."""
    label = number_label(column or "")
    if label is not None and not actor.can(FULL_NIK):
        raise NumberQueryError(NO_SORT.format(label=label))


def check_search_text(actor: Actor, text: str) -> None:
    """Refuse `nik:` and `kk:` with anything but one complete number to a role without the
    full-NIK right. A query the parser refuses is left to the search itself to report."""
    if actor.can(FULL_NIK) or ":" not in text:
        return
    try:
        fields = parse_query(text).fields
    except QueryError:
        return
    for name, value in fields:
        if name in NUMBER_SEARCH_FIELDS and len(digits_key(value)) != NUMBER_LENGTH:
            raise NumberQueryError(ONLY_WHOLE.format(label=NUMBER_SEARCH_FIELDS[name]))


# --- files and previews ----------------------------------------------------------------------

def require_unmaskable_file(actor: Actor, kind: str) -> None:
    """Refuse a file that carries full numbers which cannot be masked: the signed letter and
    the receipt need the full-NIK right; a scan also opens to whoever keeps the archive
    (`arsip.write`), who handles the paper original anyway."""
    if actor.can(FULL_NIK):
        return
    if kind in SCAN_KINDS:
        if not actor.can("arsip.write"):
            raise PermissionDeniedError(SCAN)
        return
    raise PermissionDeniedError(SIGNED_ORIGINAL)


@dataclasses.dataclass
class _MaskingRenderer:
    """A renderer that masks every number in the context it is handed (letter previews for
    roles without the full-NIK right)."""

    inner: Renderer

    def render(self, template_name: str, context: Mapping[str, Any], *, paper: str = "F4",
               metadata):
        return self.inner.render(template_name, mask_numbers_deep(dict(context)), paper=paper,
                                 metadata=metadata)

    def close(self) -> None:
        """The inner renderer belongs to the desk; nothing to close here."""


def preview_letter(record_id: int, *, paper: str, actor: Actor, session: Session,
                   desk: Desk) -> bytes:
    """The letter as it would be issued (`issuing.preview`), with NIK and No. KK masked for a
    role without the full-NIK right; the preview is audited."""
    full = actor.can(FULL_NIK)
    shown = desk if full else dataclasses.replace(desk, renderer=_MaskingRenderer(desk.renderer))
    pdf = preview(record_id, paper=paper, actor=actor, session=session, desk=shown)
    record = get_record(record_id, actor=actor, session=session)
    record_event(session, actor, "record.preview", object_type="record", object_id=record.id,
                 desa_code=record.desa_code, detail={"paper": paper, "full_nik": full})
    session.commit()
    return pdf


def subject_access_export(penduduk_id: int, *, actor: Actor, session: Session,
                          now: dt.datetime) -> dict:
    """Everything Lemari holds about one resident, for their own request (hak akses subjek
    data): identity, family, documents and who accessed the record. Needs the full-NIK right;
    the export itself is audited."""
    actor.require(FULL_NIK)
    person = get_penduduk(penduduk_id, actor=actor, session=session)
    records = list(session.scalars(select(Record).where(Record.penduduk_id == person.id)
                                   .order_by(Record.id)))
    about = or_((AuditEvent.object_type == "penduduk") & (AuditEvent.object_id == str(person.id)),
                (AuditEvent.object_type == "record")
                & AuditEvent.object_id.in_([str(r.id) for r in records]))
    export = {
        "dibuat": now.isoformat(timespec="seconds"), "oleh": actor.username,
        "penduduk": _person(person), "keluarga": _family(person),
        "dokumen": [_record(r) for r in records],
        "akses": [_access(e) for e in session.scalars(select(AuditEvent).where(about)
                                                       .order_by(AuditEvent.id))],
    }
    record_event(session, actor, "penduduk.export_subjek", object_type="penduduk",
                 object_id=person.id, desa_code=person.desa_code)
    session.commit()
    return export


def _person(p: Penduduk) -> dict:
    return {"nik": p.nik, "nama": p.nama, "tempat_lahir": p.tempat_lahir,
            "tanggal_lahir": p.tanggal_lahir.isoformat(), "jenis_kelamin": p.jenis_kelamin,
            "golongan_darah": p.golongan_darah, "agama": p.agama,
            "status_perkawinan": p.status_perkawinan, "pekerjaan": p.pekerjaan,
            "pendidikan": p.pendidikan, "kewarganegaraan": p.kewarganegaraan,
            "alamat": p.alamat, "rt": p.rt, "rw": p.rw, "desa": p.desa.name if p.desa else "",
            "hubungan": p.hubungan, "nama_ayah": p.nama_ayah, "nama_ibu": p.nama_ibu}


def _family(p: Penduduk) -> dict | None:
    k = p.keluarga
    if k is None:
        return None
    return {"no_kk": k.no_kk, "alamat": k.alamat,
            "anggota": [{"nama": m.nama, "hubungan": m.hubungan} for m in k.anggota]}


def _record(r: Record) -> dict:
    return {"jenis": r.doctype, "judul": r.title, "status": r.state, "nomor": r.number or "",
            "kode_lacak": r.tracking_code or "",
            "dibuat": r.created_on.isoformat(timespec="seconds") if r.created_on else "",
            "terbit": r.issued_at.isoformat(timespec="seconds") if r.issued_at else ""}


def _access(e: AuditEvent) -> dict:
    return {"waktu_utc": e.at.isoformat(timespec="seconds"), "pengguna": e.actor,
            "tindakan": e.action, "objek": f"{e.object_type}:{e.object_id}"}
