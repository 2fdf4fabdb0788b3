"""Retention of archived records: the JRA row a record falls under, its dates and its phase,
and the Arsiparis's changes to the JRA (each change recomputes the records it governs).

The classification schemes and the JRA rows themselves are the core's vocabulary
(`records.services.klasifikasi`); applying them to the archive's records is the archive's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import MUSNAH, NASIB_AKHIR, Arsip
from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.models import JadwalRetensi, KlasifikasiSkema
from records.services.audit import record_event
from records.services.clock import utc_now
from records.services.klasifikasi import CURRENT_SCHEME, add_years, find_class, resolve_jra

# Series retained ten years or more need the Kepala ANRI's approval before destruction
# (PP 28/2012 Pasal 66 ayat (1)).
ANRI_THRESHOLD_YEARS = 10


def apply_retention(arsip: Arsip, jra: JadwalRetensi | None, base: dt.date | None) -> None:
    """Set the computed dates and final disposition of an archived record.

    The clock starts when the file was closed (`ditutup_pada`), else at the document date;
    a "selama berlaku" series has no dates until the Arsiparis closes the file.
    """
    arsip.jra_id = jra.id if jra else None
    arsip.nasib_akhir = arsip.nasib_ditetapkan or (jra.keterangan if jra else "")
    arsip.retensi_tahun = jra.total_tahun if jra else None
    start = arsip.ditutup_pada or (base if jra is None or jra.aktif_tahun is not None else None)
    if jra is None or start is None:
        arsip.inaktif_mulai = arsip.retensi_sampai = None
        return
    arsip.inaktif_mulai = add_years(start, jra.aktif_tahun or 0) if jra.aktif_tahun is not None \
        else start
    arsip.retensi_sampai = add_years(arsip.inaktif_mulai, jra.inaktif_tahun)


def recompute(session: Session, arsip: Arsip) -> None:
    """Find the JRA row again and recompute the dates (after a class or JRA change)."""
    jra = resolve_jra(session, arsip.skema_code, arsip.klasifikasi, arsip.seri) \
        if (arsip.klasifikasi or arsip.seri) else None
    apply_retention(arsip, jra, arsip.tanggal_dokumen)


def phase(arsip: Arsip, today: dt.date) -> str:
    """aktif / inaktif / jatuh tempo, or the disposition state when one was reached."""
    if arsip.status != "tersimpan":
        return arsip.status
    if arsip.retensi_sampai and arsip.retensi_sampai <= today:
        return "jatuh_tempo"
    if arsip.inaktif_mulai and arsip.inaktif_mulai <= today:
        return "inaktif"
    return "aktif"


def needs_anri(arsip: Arsip) -> bool:
    """Whether destroying this record needs the Kepala ANRI's approval reference."""
    return arsip.retensi_tahun is None or arsip.retensi_tahun >= ANRI_THRESHOLD_YEARS


JRA_FIELDS = ("code", "series", "jenis_arsip", "aktif_tahun", "aktif_keterangan",
              "inaktif_tahun", "keterangan", "dasar")


def save_jra(values: dict, *, jra_id: int | None, skema_code: str, actor: Actor,
             session: Session) -> JadwalRetensi:
    """Add or change a JRA row (with its legal basis) and recompute the records it governs."""
    actor.require("arsip.manage")
    skema = session.get(KlasifikasiSkema, skema_code)
    if skema is None:
        raise NotFoundError("Skema klasifikasi tidak ditemukan.")
    if skema.read_only:
        raise ValidationError(f"Skema {skema.title} sudah dicabut dan hanya dapat dibaca.")
    clean = clean_jra(values, session, skema_code)
    row = session.get(JadwalRetensi, jra_id) if jra_id else JadwalRetensi(skema_code=skema_code)
    if row is None or row.skema_code != skema_code:
        raise NotFoundError("Baris JRA tidak ditemukan.")
    before = {k: getattr(row, k, None) for k in JRA_FIELDS}
    for key, value in clean.items():
        setattr(row, key, value)
    row.changed_by, row.changed_on = actor.username, utc_now()
    session.add(row)
    session.flush()
    affected = _recompute_scheme(session, skema_code)
    record_event(session, actor, "arsip.jra.save", object_type="arsip_jra", object_id=row.id,
                 detail={"before": before if jra_id else None, "after": clean,
                         "recomputed": affected})
    session.commit()
    return row


def clean_jra(values: dict, session: Session, skema_code: str) -> dict:
    """Validate a JRA row; every problem at once, in Indonesian."""
    errors: dict[str, str] = {}
    code = str(values.get("code") or "").strip()
    series = str(values.get("series") or "").strip()
    if not code and not series:
        errors["code"] = "Isi kode klasifikasi atau seri dokumen."
    if code and find_class(session, skema_code, code) is None:
        errors["code"] = f"Kode {code} tidak ada dalam skema ini."
    jenis = str(values.get("jenis_arsip") or "").strip()
    if not jenis or len(jenis) > 300:
        errors["jenis_arsip"] = "Jenis arsip wajib diisi (paling banyak 300 karakter)."
    aktif = _years(values.get("aktif_tahun"), errors, "aktif_tahun", allow_empty=True)
    inaktif = _years(values.get("inaktif_tahun"), errors, "inaktif_tahun")
    keterangan = str(values.get("keterangan") or "")
    if keterangan not in NASIB_AKHIR:
        errors["keterangan"] = "Pilih Musnah, Permanen atau Dinilai kembali."
    dasar = str(values.get("dasar") or "").strip()
    if not dasar:
        errors["dasar"] = "Dasar hukum / sumber wajib diisi."
    if errors:
        raise ValidationError("Baris JRA belum benar.", errors)
    return {"code": code, "series": series, "jenis_arsip": jenis, "aktif_tahun": aktif,
            "aktif_keterangan": "" if aktif is not None else "selama berlaku",
            "inaktif_tahun": inaktif or 0, "keterangan": keterangan, "dasar": dasar}


def _years(raw, errors: dict, name: str, allow_empty: bool = False) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text and allow_empty:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > 100:
        errors[name] = "Isi jumlah tahun 0–100" + (" (kosong = selama berlaku)." if allow_empty else ".")
        return None
    return int(text)


def _recompute_scheme(session: Session, skema_code: str) -> int:
    """Recompute retention of every record still kept that is classified in the scheme."""
    count = 0
    for arsip in session.scalars(select(Arsip).where(Arsip.status == "tersimpan")):
        target = arsip.skema_code
        if target == skema_code or _maps_into(session, target, skema_code):
            recompute(session, arsip)
            count += 1
    return count


def _maps_into(session: Session, source: str, target: str) -> bool:
    skema = session.get(KlasifikasiSkema, source)
    return bool(skema and skema.read_only and target == CURRENT_SCHEME)


def is_destroyable(arsip: Arsip) -> bool:
    """Musnah by the JRA, past its date, not on hold, still kept."""
    return (arsip.nasib_akhir == MUSNAH and arsip.status == "tersimpan" and not arsip.legal_hold
            and arsip.retensi_sampai is not None)
