"""What a draft carries beyond its declared fields, checked before anything is saved.

- The type's rules (document_rules), each with its legal basis: event dates in the future,
  a berita acara with at least one item, the age of a desa's letter, validity in months.
- The klasifikasi chosen for this letter from the current list (Permendagri 83/2022 Pasal 3
  ayat (6): the code is the basis of the letter's number), the type's code by default.
- A non-resident applicant (penduduk nonpermanen, Permendagri 14/2015) identified from their
  KTP-el, for the types that declare `pemohon_nonpermanen`.
- No new draft of a type whose legal basis is gone (`legacy`, e.g. the IUMK).

Every problem is reported at once, as {field: Indonesian message}, in one ValidationError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import DocumentType
from records.document_rules import run_rules
from records.exceptions import ValidationError
from records.models import Penduduk, Register, Wilayah
from records.nik import NikError, parse_nik
from records.services.fields import clean_fields
from records.services.klasifikasi import CURRENT_SCHEME, find_class

DEFAULT_TIMEZONE = "Asia/Makassar"
#: The form inputs of a non-resident applicant (flat, so HTML forms and JSON send the same).
NONPERMANEN_FLAG = "pemohon_nonpermanen"
NONPERMANEN_INPUTS = {
    "np_nik": "NIK (sesuai KTP-el)", "np_nama": "Nama lengkap", "np_tempat_lahir": "Tempat lahir",
    "np_tanggal_lahir": "Tanggal lahir", "np_jenis_kelamin": "Jenis kelamin",
    "np_alamat_asal": "Alamat asal (sesuai KTP-el)", "np_alamat": "Alamat tinggal di kecamatan",
    "np_desa": "Desa/kelurahan tempat tinggal",
}
JENIS_KELAMIN = ("LAKI-LAKI", "PEREMPUAN")
NONPERMANEN_BASIS = ("Permendagri 14/2015 tentang Pedoman Pendataan Penduduk Nonpermanen "
                     "(Pasal 1 angka 4 dan Pasal 3)")
LEGACY_REFUSAL = ("{title} tidak lagi diterbitkan: dasar hukumnya sudah tidak berlaku. "
                  "Dokumen yang sudah terbit tetap dapat dicetak ulang dan diverifikasi.")


def office_today(policy: Mapping[str, Any] | None = None) -> dt.date:
    """Today's date at the office (WITA for Kota Bangun): event dates are judged by it."""
    zone = (policy or {}).get("TIMEZONE") or DEFAULT_TIMEZONE
    return dt.datetime.now(ZoneInfo(zone)).date()


def wants_nonpermanen(data: Mapping) -> bool:
    """Whether the form says the applicant is not in the registry."""
    return str(data.get(NONPERMANEN_FLAG) or "").strip().lower() in {"1", "true", "ya", "on"}


def draft_values(doctype: DocumentType, data: Mapping, *, session: Session,
                 today: dt.date | None = None, policy: Mapping[str, Any] | None = None) -> dict:
    """The values stored on the record: cleaned fields, items of a list, the klasifikasi.

    Refuses a legacy type, bad fields, broken rules and an unknown code, all at once."""
    if doctype.legacy:
        raise ValidationError(LEGACY_REFUSAL.format(title=doctype.title))
    policy, today = policy or {}, today or office_today(policy)
    errors: dict[str, str] = {}
    try:
        cleaned = clean_fields(doctype.fields, dict(data))
    except ValidationError as exc:
        cleaned, errors = {}, dict(exc.errors)
    if not errors:
        errors.update(run_rules(doctype.aturan, cleaned, today, policy))
    kode, problem = chosen_klasifikasi(doctype, data.get("klasifikasi"), session=session)
    if problem:
        errors["klasifikasi"] = problem
    if errors:
        raise ValidationError("Periksa kembali isian formulir.", errors)
    cleaned["klasifikasi"] = kode
    return cleaned


def chosen_klasifikasi(doctype: DocumentType, raw: object, *,
                       session: Session) -> tuple[str, str]:
    """(code, problem): the code typed for this letter, or the type's default; the problem is
    an Indonesian message when the code is not in the list of the type's register."""
    code = str(raw or "").strip() or doctype.klasifikasi
    scheme = session.scalar(select(Register.scheme).where(Register.name == doctype.register))
    scheme = scheme or CURRENT_SCHEME
    if find_class(session, scheme, code) is None:
        return code, (f"Kode klasifikasi {code} tidak ada dalam daftar klasifikasi arsip "
                      "Permendagri 83/2022. Pilih kode dari daftar.")
    return code, ""


def nonpermanen_applicant(doctype: DocumentType, data: Mapping, *, actor: Actor,
                          session: Session, today: dt.date | None = None,
                          policy: Mapping[str, Any] | None = None) -> dict:
    """The identity of a non-resident applicant, as typed from their KTP-el and checked.

    The NIK is validated (records.nik, the declared birth date and sex checked against it);
    a NIK already in the registry is refused (choose the resident instead), and the desa of
    residence must be in the office's kecamatan and in the clerk's scope."""
    if not doctype.pemohon_nonpermanen:
        raise ValidationError(f"{doctype.title} hanya untuk penduduk terdaftar.",
                              {"nik": "Pemohon harus penduduk terdaftar."})
    policy, today = policy or {}, today or office_today(policy)
    values = {name: str(data.get(name) or "").strip() for name in NONPERMANEN_INPUTS}
    errors = {name: f"{label} wajib diisi." for name, label in NONPERMANEN_INPUTS.items()
              if not values[name]}
    errors.update(_check_identity(values, today, errors))
    if not errors.get("np_nik") and values["np_nik"]:
        nik = values["np_nik"]
        if session.scalar(select(Penduduk.id).where(Penduduk.nik == nik)) is not None:
            errors["np_nik"] = ("NIK ini terdaftar sebagai penduduk; pilih pemohon dari data "
                                "penduduk.")
    desa = _desa(values["np_desa"], session=session, policy=policy) if values["np_desa"] else None
    if values["np_desa"] and (desa is None or not actor.sees_desa(desa.code)):
        errors["np_desa"] = "Desa tidak dikenal di kecamatan ini."
    if errors:
        raise ValidationError("Periksa kembali identitas pemohon nonpermanen.", errors)
    return {"nik": values["np_nik"], "nama": values["np_nama"].upper(),
            "tempat_lahir": values["np_tempat_lahir"], "tanggal_lahir": values["np_tanggal_lahir"],
            "jenis_kelamin": values["np_jenis_kelamin"], "alamat_asal": values["np_alamat_asal"],
            "alamat": values["np_alamat"], "desa_code": desa.code if desa else "",
            "desa": desa.name if desa else "", "dasar_hukum": NONPERMANEN_BASIS}


def _check_identity(values: dict, today: dt.date, missing: dict) -> dict[str, str]:
    """Form of the date, the sex and the NIK (against the declared date and sex)."""
    errors: dict[str, str] = {}
    born = None
    if values["np_tanggal_lahir"] and "np_tanggal_lahir" not in missing:
        try:
            born = dt.date.fromisoformat(values["np_tanggal_lahir"])
            if born > today:
                errors["np_tanggal_lahir"] = "Tanggal lahir belum terjadi."
        except ValueError:
            errors["np_tanggal_lahir"] = "Tanggal lahir tidak valid (format TTTT-BB-HH)."
    sex = values["np_jenis_kelamin"].upper()
    if sex and sex not in JENIS_KELAMIN:
        errors["np_jenis_kelamin"] = "Jenis kelamin: pilih LAKI-LAKI atau PEREMPUAN."
    values["np_jenis_kelamin"] = sex
    if values["np_nik"]:
        try:
            parsed = parse_nik(values["np_nik"], ref_date=today, declared_birth_date=born)
        except NikError as exc:
            errors["np_nik"] = f"NIK tidak valid: {exc}"
        else:
            values["np_nik"] = parsed.nik
            if born and parsed.birth_date != born:
                errors["np_tanggal_lahir"] = "Tanggal lahir tidak sesuai dengan NIK."
            elif sex in JENIS_KELAMIN and parsed.sex != sex[0]:
                errors["np_jenis_kelamin"] = "Jenis kelamin tidak sesuai dengan NIK."
    return errors


def _desa(code: str, *, session: Session, policy: Mapping[str, Any]) -> Wilayah | None:
    """A current desa of the office's kecamatan, or None."""
    desa = session.get(Wilayah, code)
    kecamatan = str(policy.get("KECAMATAN_CODE") or "")
    if desa is None or desa.level != "desa" or desa.valid_to is not None:
        return None
    if kecamatan and desa.parent_code != kecamatan:
        return None
    return desa


def desa_choices(session: Session, policy: Mapping[str, Any] | None = None) -> list[Wilayah]:
    """The current desa of the office's kecamatan, for the non-resident form."""
    kecamatan = str((policy or {}).get("KECAMATAN_CODE") or "")
    query = select(Wilayah).where(Wilayah.level == "desa", Wilayah.valid_to.is_(None))
    if kecamatan:
        query = query.where(Wilayah.parent_code == kecamatan)
    return list(session.scalars(query.order_by(Wilayah.name)))
