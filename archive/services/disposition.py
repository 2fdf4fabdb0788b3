"""Disposition (penyusutan): records due, the Arsiparis's proposal, the Camat's decision.

Destruction follows UU 43/2009 Pasal 51–52, PP 28/2012 Pasal 65–67 and Perka ANRI 25/2012
(the requirements and their basis are data: records/data/pemusnahan.json): only records whose
JRA says *musnah*, whose retention is over and that are not on legal hold; the panitia penilai
arsip (named members covering the required unsur) records its written assessment; the
Bupati's written approval (number and date) is required, and the Kepala ANRI's as well for
series kept ten years or more; at least two witnesses are named. Without any of them the
approval is refused and nothing changes. The Camat's approval destroys in one
transaction: each record keeps a tombstone (metadata, hashes, who approved), becomes
'musnah', and a berita acara pemusnahan arsip is issued as an archived record of its own.
The files are deleted after the commit; a cut-off deletion leaves orphans that
`lemari doctor` reports and `lemari fixity --hapus-yatim` removes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib.resources import files
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from archive.models import Arsip, Penyusutan, PenyusutanItem, PenyusutanPihak, PenyusutanSyarat
from archive.services.retensi import is_destroyable, needs_anri, phase
from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.models import Record, RecordFile
from records.models.outbox import RECORD, enqueue
from records.ports import BlobStore
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.issuing import Desk
from records.services.klasifikasi import NASIB_LABELS
from records.services.numbering import allocate
from records.services.records import readable_by
from records.services.terbilang import kalimat_hari_ini
from records.services.workflow_history import remember

BERITA_ACARA_DOCTYPE = "berita_acara_pemusnahan_arsip"
BERITA_ACARA_TEMPLATE = "berita_acara_pemusnahan/document.html"
BERITA_ACARA_CODE = "000.5.6.2"
DESTROYED = "musnah"
MAX_BATCH = 1000
PANITIA, SAKSI = "panitia", "saksi"
#: Rows of people a form may send per role (panitia members, witnesses).
MAX_PIHAK = 9
NIP_PATTERN = re.compile(r"[0-9]{18}")


def due_list(*, actor: Actor, session: Session, registry, today: dt.date | None = None) -> dict:
    """Records whose retention has passed, grouped by what happens next."""
    from archive.services.archiving import catalogue_records

    actor.require("arsip.read")
    catalogue_records(session, registry)
    today = today or dt.date.today()
    query = select(Arsip).join(Record, Record.id == Arsip.record_id).where(
        Arsip.status == "tersimpan", Arsip.retensi_sampai.is_not(None),
        Arsip.retensi_sampai <= today, readable_by(actor))
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(actor.desa_scope))
    groups: dict[str, list[Arsip]] = {"musnah": [], "permanen": [], "dinilai_kembali": [],
                                      "ditahan": []}
    for arsip in session.scalars(query.order_by(Arsip.retensi_sampai, Arsip.record_id)):
        key = "ditahan" if arsip.legal_hold else (arsip.nasib_akhir or "dinilai_kembali")
        groups.setdefault(key, []).append(arsip)
    return groups


def propose(record_ids: list[int], note: str, *, actor: Actor, session: Session,
            today: dt.date | None = None) -> Penyusutan:
    """The Arsiparis proposes destroying due *musnah* records; they are locked in the batch."""
    actor.require("arsip.propose")
    ids = sorted(set(record_ids))
    if not ids:
        raise ValidationError("Pilih arsip yang diusulkan untuk dimusnahkan.")
    if len(ids) > MAX_BATCH:
        raise ValidationError(f"Paling banyak {MAX_BATCH} arsip per usulan.")
    today = today or dt.date.today()
    batch = Penyusutan(status="diusulkan", catatan=(note or "").strip()[:2000],
                       diusulkan_oleh=actor.username, diusulkan_pada=utc_now())
    for arsip in _destroyable(ids, today, actor=actor, session=session):
        arsip.status = "diusulkan"
        batch.items.append(PenyusutanItem(record_id=arsip.record_id))
    session.add(batch)
    session.flush()
    record_event(session, actor, "arsip.dispose.propose", object_type="arsip_penyusutan",
                 object_id=batch.id, detail={"records": ids[:200], "count": len(ids)})
    session.commit()
    return batch


def _destroyable(ids: list[int], today: dt.date, *, actor: Actor,
                 session: Session) -> list[Arsip]:
    """The archival rows, refusing the whole proposal with every reason if one may not go."""
    rows = {a.record_id: a for a in session.scalars(select(Arsip).where(Arsip.record_id.in_(ids)))}
    problems = []
    for record_id in ids:
        arsip = rows.get(record_id)
        if arsip is None or not actor.sees_desa(arsip.record.desa_code):
            problems.append(f"#{record_id}: tidak ditemukan di arsip")
        elif arsip.legal_hold:
            problems.append(f"#{record_id}: ditahan (legal hold): {arsip.legal_hold_alasan}")
        elif not is_destroyable(arsip):
            nasib = NASIB_LABELS.get(arsip.nasib_akhir, "belum ditentukan")
            problems.append(f"#{record_id}: menurut JRA {nasib} atau sudah dalam proses penyusutan")
        elif arsip.retensi_sampai is not None and arsip.retensi_sampai > today:
            problems.append(f"#{record_id}: retensi baru berakhir {arsip.retensi_sampai:%d-%m-%Y}")
    if problems:
        raise ValidationError("Usulan pemusnahan ditolak: " + "; ".join(problems[:20]))
    return [rows[i] for i in ids]


def get_batch(batch_id: int, *, actor: Actor, session: Session) -> Penyusutan:
    """A disposal batch (office-wide roles only: it spans desa)."""
    actor.require("arsip.read")
    batch = session.get(Penyusutan, batch_id) if isinstance(batch_id, int) else None
    if batch is None or actor.desa_scope is not None:
        raise NotFoundError("Usulan penyusutan tidak ditemukan.")
    return batch


def list_batches(*, actor: Actor, session: Session, limit: int = 50) -> list[Penyusutan]:
    """Latest disposal batches (office-wide roles only)."""
    actor.require("arsip.read")
    if actor.desa_scope is not None:
        return []
    return list(session.scalars(select(Penyusutan).order_by(Penyusutan.id.desc()).limit(limit)))


def needs_anri_approval(batch: Penyusutan) -> bool:
    """Whether any record of the batch belongs to a series retained ten years or more."""
    return any(needs_anri(item.record.arsip) for item in batch.items)


def reject(batch_id: int, reason: str, *, actor: Actor, session: Session) -> Penyusutan:
    """The Camat refuses the proposal; its records are kept and may be proposed again."""
    actor.require("arsip.approve")
    batch = _open_batch(batch_id, actor=actor, session=session)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Alasan penolakan wajib diisi.", {"alasan": "Wajib diisi."})
    batch.status, batch.alasan_tolak = "ditolak", reason[:2000]
    batch.diputus_oleh, batch.diputus_pada = actor.username, utc_now()
    for item in batch.items:
        item.record.arsip.status = "tersimpan"
    record_event(session, actor, "arsip.dispose.reject", object_type="arsip_penyusutan",
                 object_id=batch.id, detail={"reason": batch.alasan_tolak})
    session.commit()
    return batch


def _open_batch(batch_id: int, *, actor: Actor, session: Session) -> Penyusutan:
    batch = get_batch(batch_id, actor=actor, session=session)
    if batch.status != "diusulkan":
        raise ValidationError("Usulan ini sudah diputuskan.")
    return batch


def approve(batch_id: int, values: dict, *, actor: Actor, session: Session, desk: Desk,
            today: dt.date | None = None) -> Penyusutan:
    """The Camat approves: tombstones, records destroyed, berita acara issued; one commit.

    `desk` is the issuing desk (renderer, blob store, signer, office). Files are deleted after
    the commit, and only those no kept record still points to.
    """
    actor.require("arsip.approve")
    batch = _open_batch(batch_id, actor=actor, session=session)
    today = today or desk.today()
    signer = _approver_block(actor, session)
    _take_approval_refs(batch, values, today)
    held = [i.record_id for i in batch.items if i.record.arsip.legal_hold]
    if held:
        raise ValidationError("Arsip berikut ditahan (legal hold) sejak diusulkan: "
                              + ", ".join(f"#{i}" for i in held) + ". Tolak usulan ini.")
    shas = _destroy_items(batch, actor=actor, session=session)
    berita = _berita_acara(batch, today, actor=actor, session=session, desk=desk)
    batch.status, batch.diputus_oleh, batch.diputus_pada = "dilaksanakan", actor.username, utc_now()
    batch.berita_acara_id = berita.id
    record_event(session, actor, "arsip.dispose.approve", object_type="arsip_penyusutan",
                 object_id=batch.id,
                 detail={"records": [i.record_id for i in batch.items][:200],
                         "anri": batch.persetujuan_anri,
                         "kepala_daerah": batch.persetujuan_kepala_daerah,
                         "kepala_daerah_tanggal": _iso(batch.syarat.persetujuan_kepala_daerah_tanggal),
                         "anri_tanggal": _iso(batch.syarat.persetujuan_anri_tanggal),
                         "saksi": [_person(p) for p in batch.pihak_peran(SAKSI)],
                         "signer": {"nama": signer["nama"], "nip": signer["nip"]},
                         "berita_acara": berita.id, "number": berita.number})
    session.commit()
    _delete_unreferenced(session, desk.blobs, shas)
    return batch


def _take_approval_refs(batch: Penyusutan, values: dict, today: dt.date) -> None:
    """Check everything the destruction needs, then write it to the batch; every problem at
    once in Indonesian, and nothing written when one is missing."""
    rules = aturan()
    errors: dict[str, str] = {}
    tempat = _field(values, "tempat", 200, errors, "Tempat pemusnahan wajib diisi.")
    metode = str(values.get("metode") or "Pencacahan").strip()[:120]
    if not (batch.syarat and batch.syarat.penilaian_panitia and batch.pihak_peran(PANITIA)):
        errors["panitia"] = ("Panitia penilai arsip belum mencatat penilaiannya "
                             f"({rules['panitia_penilai']['dasar'].split(':')[0]}).")
    bupati = _approval(values, "persetujuan_kepala_daerah", today, errors,
                       f"persetujuan tertulis {rules['persetujuan_kepala_daerah']['jabatan']}")
    anri = _approval(values, "persetujuan_anri", today, errors,
                     "persetujuan Kepala ANRI", required=needs_anri_approval(batch))
    saksi = _people(values, SAKSI, errors)
    minimum = rules["saksi"]["min"]
    if len(saksi) < minimum and SAKSI not in errors:
        errors[SAKSI] = (f"Pemusnahan wajib disaksikan paling sedikit {minimum} orang pejabat "
                         f"(nama dan jabatan); baru {len(saksi)}.")
    if errors:
        raise ValidationError("Pemusnahan ditolak, belum lengkap: " + "; ".join(errors.values()),
                              errors)
    batch.tempat, batch.metode = tempat, metode
    batch.persetujuan_kepala_daerah, batch.syarat.persetujuan_kepala_daerah_tanggal = bupati
    batch.persetujuan_anri, batch.syarat.persetujuan_anri_tanggal = anri
    batch.pihak = [p for p in batch.pihak if p.peran != SAKSI] + saksi


def aturan() -> dict:
    """The procedure's requirements with their legal basis (records/data/pemusnahan.json)."""
    text = files("records").joinpath("data/pemusnahan.json").read_text(encoding="utf-8")
    return json.loads(text)


def assess(batch_id: int, values: dict, *, actor: Actor, session: Session,
           today: dt.date | None = None) -> Penyusutan:
    """Record the panitia penilai arsip and its written assessment on an open proposal
    (PP 28/2012 Pasal 66–67): at least the minimum members, every required unsur present.
    Recording again replaces the earlier panitia; refused whole, nothing changed."""
    actor.require("arsip.propose")
    batch = _open_batch(batch_id, actor=actor, session=session)
    today = today or dt.date.today()
    rules = aturan()["panitia_penilai"]
    errors: dict[str, str] = {}
    members = _people(values, PANITIA, errors, unsur={u["kode"] for u in rules["unsur"]})
    _check_panitia(members, rules, errors)
    penilaian = _field(values, "penilaian_panitia", 4000, errors,
                       "Isi pertimbangan tertulis panitia penilai arsip.")
    tanggal = _date(values.get("penilaian_tanggal"), "penilaian_tanggal", today, errors,
                    "Tanggal penilaian")
    if tanggal and tanggal < batch.diusulkan_pada.date():
        errors["penilaian_tanggal"] = "Tanggal penilaian tidak boleh sebelum tanggal usulan."
    if errors:
        raise ValidationError("Penilaian panitia belum lengkap: " + "; ".join(errors.values()),
                              errors)
    batch.pihak = [p for p in batch.pihak if p.peran != PANITIA] + members
    batch.syarat = batch.syarat or PenyusutanSyarat()
    batch.syarat.penilaian_panitia, batch.syarat.penilaian_tanggal = penilaian, tanggal
    batch.syarat.penilaian_oleh = actor.username
    session.flush()
    record_event(session, actor, "arsip.dispose.assess", object_type="arsip_penyusutan",
                 object_id=batch.id,
                 detail={"panitia": [_person(m) for m in members],
                         "tanggal": tanggal.isoformat() if tanggal else None})
    session.commit()
    return batch


def _check_panitia(members: list[PenyusutanPihak], rules: dict, errors: dict) -> None:
    """At least the minimum members, each required unsur filled, and the ketua's NIP (the
    ketua signs the berita acara as the one who carried out the destruction)."""
    if "panitia" in errors:
        return
    if len(members) < rules["min_anggota"]:
        errors["panitia"] = (f"Panitia penilai arsip paling sedikit {rules['min_anggota']} "
                             f"anggota ({rules['dasar'].split(' (')[0]}); baru {len(members)}.")
        return
    present = {m.unsur for m in members}
    missing = [u["label"] for u in rules["unsur"] if u["kode"] not in present]
    if missing:
        errors["panitia"] = "Unsur panitia belum ada: " + "; ".join(missing) + "."
    elif sum(m.unsur == "ketua" for m in members) != 1:
        errors["panitia"] = "Panitia penilai arsip dipimpin oleh tepat satu ketua."
    elif not next(m for m in members if m.unsur == "ketua").nip:
        errors["panitia"] = "NIP ketua panitia wajib diisi (ketua menandatangani berita acara)."


def _people(values: dict, peran: str, errors: dict,
            unsur: set[str] | None = None) -> list[PenyusutanPihak]:
    """The named people of a form (`panitia-0-nama`, `-nip`, `-jabatan`, `-unsur`); blank rows
    are skipped, a half-filled row or a malformed NIP is an error."""
    people: list[PenyusutanPihak] = []
    problems: list[str] = []
    for n in range(MAX_PIHAK):
        row = {k: str(values.get(f"{peran}-{n}-{k}") or "").strip()
               for k in ("nama", "nip", "jabatan", "unsur")}
        if not any(row[k] for k in ("nama", "nip", "jabatan")):
            continue
        nip = row["nip"].replace(" ", "")
        if not (row["nama"] and row["jabatan"]) or max(len(row["nama"]), len(row["jabatan"])) > 120:
            problems.append(f"baris {n + 1}: nama lengkap dan jabatan wajib diisi "
                            "(paling banyak 120 karakter)")
        elif nip and not NIP_PATTERN.fullmatch(nip):
            problems.append(f"baris {n + 1}: NIP harus 18 digit angka")
        elif unsur is not None and row["unsur"] not in unsur:
            problems.append(f"baris {n + 1}: pilih unsur panitia")
        else:
            people.append(PenyusutanPihak(peran=peran, unsur=row["unsur"] if unsur else "",
                                          urutan=len(people) + 1, nama=row["nama"], nip=nip,
                                          jabatan=row["jabatan"]))
    if problems:
        label = "Panitia" if peran == PANITIA else "Saksi"
        errors[peran] = f"{label}: " + "; ".join(problems) + "."
    return people


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _person(p: PenyusutanPihak) -> dict:
    return {"nama": p.nama, "nip": p.nip, "jabatan": p.jabatan, "unsur": p.unsur}


def _approval(values: dict, name: str, today: dt.date, errors: dict, what: str,
              required: bool = True) -> tuple[str, dt.date | None]:
    """A written approval's number and date; both required when the rule requires it."""
    nomor = str(values.get(name) or "").strip()
    raw = values.get(f"{name}_tanggal")
    if not required and not nomor and not str(raw or "").strip():
        return "", None
    if not nomor or len(nomor) > 200:
        errors[name] = f"Isi nomor {what} (paling banyak 200 karakter)."
    tanggal = _date(raw, f"{name}_tanggal", today, errors, f"Tanggal {what}")
    return nomor, tanggal


def _field(values: dict, name: str, limit: int, errors: dict, message: str) -> str:
    text = str(values.get(name) or "").strip()
    if not text or len(text) > limit or "\x00" in text:
        errors[name] = f"{message} (paling banyak {limit} karakter)." if text else message
    return text


def _date(raw, name: str, today: dt.date, errors: dict, label: str) -> dt.date | None:
    """A date from a form (YYYY-MM-DD or DD-MM-YYYY), not after today."""
    text = str(raw or "").strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if day > today:
            errors[name] = f"{label} tidak boleh setelah hari ini."
        return day
    errors[name] = f"{label} wajib diisi (format HH-BB-TTTT)."
    return None


def _destroy_items(batch: Penyusutan, *, actor: Actor, session: Session) -> set[str]:
    """Tombstone each record and mark it destroyed; returns the hashes to delete."""
    shas: set[str] = set()
    for item in batch.items:
        record, arsip = item.record, item.record.arsip
        files = list(session.scalars(select(RecordFile).where(RecordFile.record_id == record.id)))
        item.tombstone = tombstone(record, arsip, files, batch, actor)
        shas |= {f.sha256 for f in files}
        remember(session, RECORD, record.id, "musnahkan", record.state, DESTROYED,
                 actor.username, f"Penyusutan #{batch.id}")
        record.state, arsip.status = DESTROYED, DESTROYED
        arsip.teks = ""
        record.data = {"dimusnahkan": True}
        enqueue(session, RECORD, record.id)  # the index drops destroyed records
    return shas


def tombstone(record: Record, arsip: Arsip, files, batch: Penyusutan, actor: Actor) -> dict:
    """What stays of a destroyed record: its identity, class, dates, hashes and approval."""
    return {"record_id": record.id, "title": record.title, "number": record.number,
            "doctype": record.doctype, "desa_code": record.desa_code,
            "skema": arsip.skema_code, "klasifikasi": arsip.klasifikasi,
            "tanggal_dokumen": arsip.tanggal_dokumen.isoformat() if arsip.tanggal_dokumen else None,
            "retensi_sampai": arsip.retensi_sampai.isoformat() if arsip.retensi_sampai else None,
            "retensi_tahun": arsip.retensi_tahun,
            "jra": arsip.jra.jenis_arsip if arsip.jra else "", "lokasi": arsip.lokasi,
            "files": [{"kind": f.kind, "sha256": f.sha256, "size": f.size} for f in files],
            "proposed_by": batch.diusulkan_oleh, "approved_by": actor.username,
            "kepala_daerah": batch.persetujuan_kepala_daerah,
            "anri": batch.persetujuan_anri, "destroyed_at": utc_now().isoformat(timespec="seconds")}


def _berita_acara(batch: Penyusutan, today: dt.date, *, actor: Actor, session: Session,
                  desk: Desk) -> Record:
    """Issue the berita acara as a record of its own: numbered, rendered, archived."""
    from archive.services.archiving import ARCHIVED_STATE
    from archive.services.retensi import recompute
    from records.services.klasifikasi import CURRENT_SCHEME

    record = Record(doctype=BERITA_ACARA_DOCTYPE, state=ARCHIVED_STATE,
                    title=f"Berita Acara Pemusnahan Arsip (penyusutan #{batch.id})",
                    data={"penyusutan_id": batch.id}, created_by=actor.username)
    session.add(record)
    session.flush()
    number = allocate(session, "surat_keluar", kode=BERITA_ACARA_CODE, on=today, actor=actor,
                      record_id=record.id)
    record.number, record.issued_at = number.number, utc_now()
    pdf = render_berita_acara(batch, record.number, today, actor=actor, session=session, desk=desk)
    ref = desk.blobs.put(pdf)
    session.add(RecordFile(record_id=record.id, kind="terbit", sha256=ref.sha256, size=ref.size,
                           template_name=BERITA_ACARA_TEMPLATE, signed=desk.signer is not None,
                           created_at=utc_now()))
    remember(session, RECORD, record.id, "arsipkan", None, ARCHIVED_STATE, actor.username,
             f"Nomor {record.number}")
    arsip = Arsip(record_id=record.id, sumber="terbit", jenis_dokumen=BERITA_ACARA_DOCTYPE,
                  seri="berita_acara_pemusnahan", skema_code=CURRENT_SCHEME,
                  klasifikasi=BERITA_ACARA_CODE, tanggal_dokumen=today, versi=0,
                  ocr_status="terbit")
    session.add(arsip)
    session.flush()
    recompute(session, arsip)
    enqueue(session, RECORD, record.id)
    return record


def render_berita_acara(batch: Penyusutan, number: str, today: dt.date, *, actor: Actor,
                        session: Session, desk: Desk) -> bytes:
    """The berita acara PDF through the shared renderer (and the office signer, if any)."""
    context = berita_acara_context(batch, number, today, actor=actor, session=session, desk=desk)
    metadata = desk.metadata_factory(
        title=f"Berita Acara Pemusnahan Arsip {number}", author=desk.office["name"],
        subject="Berita Acara Pemusnahan Arsip", document_number=number,
        document_type=BERITA_ACARA_DOCTYPE, issue_date=today, office=desk.office["name"])
    pdf = desk.renderer.render(BERITA_ACARA_TEMPLATE, context, paper="F4", metadata=metadata).pdf
    if desk.signer is None:
        return pdf
    signer = context["signer"]
    return desk.signer.sign(pdf, reason=f"Berita acara pemusnahan arsip {number}",
                            location=desk.office.get("place", ""),
                            name=signer["nama"] if signer else None)


def _approver_block(actor: Actor, session: Session) -> dict:
    """The approving official's signature block; the berita acara names the signer with full
    name and NIP, never a login name, so an approver without them is refused."""
    from records.models import Pejabat

    found = session.scalar(select(Pejabat).where(Pejabat.username == actor.username))
    if found is None or not found.nama.strip() or not NIP_PATTERN.fullmatch(found.nip or ""):
        raise ValidationError(
            "Nama lengkap dan NIP Anda sebagai pejabat yang menyetujui belum tercatat di data "
            "pejabat; berita acara pemusnahan harus memuat nama lengkap dan NIP penanda tangan.",
            {"pejabat": "Lengkapi data pejabat (nama lengkap, NIP 18 digit)."})
    return found.signature_block()


def berita_acara_context(batch: Penyusutan, number: str, today: dt.date, *, actor: Actor,
                         session: Session, desk: Desk) -> dict[str, Any]:
    """What templates_pdf/berita_acara_pemusnahan/document.html prints (Perka ANRI 25/2012:
    place, day and date in words, method, the panitia and its assessment, the Bupati's and
    ANRI's approvals, the list with retention, JRA and the full SHA-256 of every file, and
    the signatures: the ketua panitia who carried it out, the approving Camat, the witnesses)."""
    panitia = [_person(p) for p in batch.pihak_peran(PANITIA)]
    syarat = batch.syarat or PenyusutanSyarat()
    ketua = next((p for p in panitia if p["unsur"] == "ketua"), None)
    labels = {u["kode"]: u["label"] for u in aturan()["panitia_penilai"]["unsur"]}
    for person in panitia:
        person["unsur_label"] = labels.get(person["unsur"], person["unsur"])
    items = [{"no": n, "judul": i.tombstone["title"], "nomor": i.tombstone["number"] or "-",
              "klasifikasi": i.tombstone["klasifikasi"] or "-",
              "tanggal": i.tombstone["tanggal_dokumen"] or "",
              "retensi": i.tombstone["retensi_tahun"], "jra": i.tombstone["jra"] or "-",
              "sha256": [f["sha256"] for f in i.tombstone["files"]]}
             for n, i in enumerate(batch.items, start=1)]
    return {"office": desk.office, "place": desk.office.get("place", ""), "issued_on": today,
            "nomor": number, "title": "Berita Acara Pemusnahan Arsip",
            "pembukaan": kalimat_hari_ini(today),
            "signer": _approver_block(actor, session), "ketua": ketua, "panitia": panitia,
            "saksi": [_person(p) for p in batch.pihak_peran(SAKSI)],
            "kepala_daerah": aturan()["persetujuan_kepala_daerah"]["jabatan"],
            "data": {"metode": batch.metode, "tempat": batch.tempat,
                     "persetujuan_anri": batch.persetujuan_anri,
                     "persetujuan_anri_tanggal": syarat.persetujuan_anri_tanggal,
                     "persetujuan_kepala_daerah": batch.persetujuan_kepala_daerah,
                     "persetujuan_kepala_daerah_tanggal": syarat.persetujuan_kepala_daerah_tanggal,
                     "penilaian_panitia": syarat.penilaian_panitia,
                     "penilaian_tanggal": syarat.penilaian_tanggal,
                     "penyusutan_id": batch.id, "catatan": batch.catatan},
            "items": items}


def _delete_unreferenced(session: Session, blobs: BlobStore, shas: set[str]) -> None:
    """Delete destroyed content that no kept record shares (the same scan may be both)."""
    for sha256 in sorted(shas):
        kept = session.scalar(select(RecordFile.id).join(Record, Record.id == RecordFile.record_id)
                              .where(RecordFile.sha256 == sha256, Record.state != DESTROYED)
                              .limit(1))
        if kept is None and blobs.exists(sha256):
            blobs.delete(sha256)


def transfer_candidates(*, actor: Actor, session: Session, registry,
                        today: dt.date | None = None) -> list[Arsip]:
    """Permanen records whose retention has passed: offered for transfer as a package."""
    return due_list(actor=actor, session=session, registry=registry, today=today)["permanen"]


def phase_label(arsip: Arsip, today: dt.date | None = None) -> str:
    """The record's retention phase for display."""
    return phase(arsip, today or dt.date.today())


def due_query(actor: Actor, today: dt.date) -> Select:
    """Catalogued records whose retention is over and that no legal hold keeps: what the
    Arsiparis proposes next (the home page counts it without cataloguing; the Penyusutan
    page catalogues and groups them by fate, `due_list`)."""
    query = select(Arsip).join(Record, Record.id == Arsip.record_id).where(
        Arsip.status == "tersimpan", Arsip.retensi_sampai.is_not(None),
        Arsip.retensi_sampai <= today, Arsip.legal_hold.is_(False), readable_by(actor))
    if actor.desa_scope is not None:
        query = query.where(Record.desa_code.in_(sorted(actor.desa_scope)))
    return query.order_by(Arsip.retensi_sampai, Arsip.record_id)


def proposed_query() -> Select:
    """Disposal batches proposed and waiting for the Camat's decision."""
    return select(Penyusutan).where(Penyusutan.status == "diusulkan").order_by(Penyusutan.id)
