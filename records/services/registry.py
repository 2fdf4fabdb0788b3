"""The citizen registry: validate, save and delete residents and families within scope.

Every write path (FAB forms, REST API, CLI, CSV/XLSX import) ends here, so the same NIK rules,
desa scope, uniqueness and audit entry apply whichever door the data came through.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import codes
from ..actor import Actor
from ..exceptions import NotFoundError, ValidationError
from ..models import Keluarga, Penduduk, Wilayah
from ..nik import NikError, parse_nik, parse_no_kk
from .audit import record_event

CHOICE_FIELDS = {
    "jenis_kelamin": codes.JENIS_KELAMIN,
    "golongan_darah": codes.GOLONGAN_DARAH,
    "agama": codes.AGAMA,
    "status_perkawinan": codes.STATUS_PERKAWINAN,
    "pekerjaan": codes.PEKERJAAN,
    "pendidikan": codes.PENDIDIKAN,
    "kewarganegaraan": codes.KEWARGANEGARAAN,
    "hubungan": codes.SHDK,
}
REQUIRED = ("nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "alamat",
            "desa_code", "agama", "status_perkawinan", "pekerjaan")
LABELS = {
    "nik": "NIK", "nama": "Nama", "tempat_lahir": "Tempat lahir", "tanggal_lahir": "Tanggal lahir",
    "jenis_kelamin": "Jenis kelamin", "golongan_darah": "Golongan darah", "alamat": "Alamat",
    "rt": "RT", "rw": "RW", "desa_code": "Desa", "agama": "Agama",
    "status_perkawinan": "Status perkawinan", "pekerjaan": "Pekerjaan",
    "pendidikan": "Pendidikan", "kewarganegaraan": "Kewarganegaraan", "hubungan": "Hubungan",
    "no_kk": "No. KK", "nama_ayah": "Nama ayah", "nama_ibu": "Nama ibu",
}
MAX_LENGTH = {"nama": 100, "tempat_lahir": 60, "alamat": 200, "nama_ayah": 100, "nama_ibu": 100}
SEX_CODE = {"LAKI-LAKI": "L", "PEREMPUAN": "P"}


def validate_penduduk(values: dict, *, actor: Actor, session: Session,
                      current_id: int | None = None) -> tuple[dict, list[str]]:
    """Clean a resident's values; raise ValidationError naming every bad field."""
    clean = {k: _text(v) for k, v in values.items() if k in LABELS}
    errors: dict[str, str] = {}
    for name in REQUIRED:
        if not clean.get(name):
            errors[name] = f"{LABELS[name]} wajib diisi."
    for name, limit in MAX_LENGTH.items():
        if len(clean.get(name) or "") > limit:
            errors[name] = f"{LABELS[name]} terlalu panjang (maksimal {limit} karakter)."
    for name, options in CHOICE_FIELDS.items():
        if clean.get(name) and not codes.label_valid(options, clean[name]):
            errors[name] = f"{LABELS[name]} '{clean[name]}' tidak ada dalam daftar resmi."
    for name in ("rt", "rw"):
        if clean.get(name) and not (clean[name].isascii() and clean[name].isdigit() and len(clean[name]) <= 3):
            errors[name] = f"{LABELS[name]} harus 1–3 digit angka."
    birth = _date(clean, errors)
    warnings = _check_nik(clean, birth, errors, session, current_id)
    _check_desa(clean, actor, session, errors)
    if errors:
        raise ValidationError("Data penduduk tidak valid: " + "; ".join(errors.values()), errors)
    clean["tanggal_lahir"] = birth
    return clean, warnings


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return " ".join(str(value).split())


def _date(clean: dict, errors: dict) -> dt.date | None:
    raw = clean.get("tanggal_lahir")
    if not raw:
        return None
    try:
        return parse_date(raw)
    except ValueError:
        errors["tanggal_lahir"] = f"Tanggal lahir '{raw}' tidak valid (contoh: 1990-08-17 atau 17-08-1990)."
        return None


def parse_date(raw: str) -> dt.date:
    """Accept ISO (1990-08-17) and the Indonesian day-first forms (17-08-1990, 17/08/1990)."""
    raw = raw.strip()[:10]
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def _check_nik(clean: dict, birth: dt.date | None, errors: dict, session: Session,
               current_id: int | None) -> list[str]:
    """NIK form rules, uniqueness; a birth date or sex mismatch is only a warning."""
    if not clean.get("nik"):
        return []
    try:
        parsed = parse_nik(clean["nik"], declared_birth_date=birth,
                           declared_sex=SEX_CODE.get(clean.get("jenis_kelamin", "")))
    except NikError as exc:
        errors["nik"] = str(exc)
        return []
    clean["nik"] = parsed.nik
    clash = session.scalar(select(Penduduk.id).where(Penduduk.nik == parsed.nik))
    if clash is not None and clash != current_id:
        errors["nik"] = f"NIK {parsed.nik} sudah terdaftar untuk penduduk lain."
    if clean.get("no_kk"):
        try:
            clean["no_kk"] = parse_no_kk(clean["no_kk"]).no_kk
        except NikError as exc:
            errors["no_kk"] = str(exc)
    return list(parsed.warnings)


def _check_desa(clean: dict, actor: Actor, session: Session, errors: dict) -> None:
    code = clean.get("desa_code")
    if not code:
        return
    desa = session.get(Wilayah, code)
    if desa is None or desa.level != "desa":
        errors["desa_code"] = f"Kode desa '{code}' tidak dikenal."
    elif not actor.sees_desa(code):
        errors["desa_code"] = "Anda hanya dapat mengelola penduduk desa Anda sendiri."


def save_penduduk(item: Penduduk, *, actor: Actor, session: Session, is_new: bool) -> list[str]:
    """Validate and commit a resident filled in by a form or API; returns NIK warnings."""
    actor.require("penduduk.write")
    values = {name: getattr(item, name, None) for name in LABELS if name != "no_kk"}
    try:
        clean, warnings = validate_penduduk(values, actor=actor, session=session,
                                            current_id=None if is_new else item.id)
    except ValidationError:
        session.rollback()
        raise
    for name, value in clean.items():
        setattr(item, name, value)
    session.add(item)
    session.flush()
    record_event(session, actor, "penduduk.create" if is_new else "penduduk.update",
                 object_type="penduduk", object_id=item.id, desa_code=item.desa_code)
    session.commit()
    return warnings


def delete_penduduk(item: Penduduk, *, actor: Actor, session: Session) -> None:
    """Remove a resident; the audit entry keeps who did it (NIK masked)."""
    actor.require("penduduk.delete")
    actor.require_desa(item.desa_code)
    record_event(session, actor, "penduduk.delete", object_type="penduduk", object_id=item.id,
                 desa_code=item.desa_code, detail={"nik": item.nik_masked})
    session.delete(item)
    session.commit()


def get_penduduk(penduduk_id: int, *, actor: Actor, session: Session) -> Penduduk:
    """A resident the actor may read; out-of-scope residents are 'not found'."""
    actor.require("penduduk.read")
    item = session.get(Penduduk, penduduk_id)
    if item is None:
        raise NotFoundError("Penduduk tidak ditemukan.")
    actor.require_desa(item.desa_code)
    return item


def find_or_create_keluarga(values: dict, *, actor: Actor, session: Session) -> Keluarga:
    """The family for a No. KK, created (in the resident's desa) when new."""
    keluarga = session.scalar(select(Keluarga).where(Keluarga.no_kk == values["no_kk"]))
    if keluarga is not None:
        actor.require_desa(keluarga.desa_code)
        return keluarga
    actor.require("keluarga.write")
    keluarga = Keluarga(no_kk=values["no_kk"], desa_code=values["desa_code"],
                        alamat=values["alamat"], rt=values.get("rt", ""), rw=values.get("rw", ""))
    session.add(keluarga)
    session.flush()
    return keluarga


def save_keluarga(item: Keluarga, *, actor: Actor, session: Session, is_new: bool) -> None:
    """Validate and commit a family (No. KK form rules, unique, desa within scope)."""
    actor.require("keluarga.write")
    errors: dict[str, str] = {}
    try:
        item.no_kk = parse_no_kk(item.no_kk or "").no_kk
    except NikError as exc:
        errors["no_kk"] = str(exc)
    clash = session.scalar(select(Keluarga.id).where(Keluarga.no_kk == item.no_kk))
    if clash is not None and clash != item.id:
        errors["no_kk"] = f"No. KK {item.no_kk} sudah terdaftar."
    _check_desa({"desa_code": item.desa_code}, actor, session, errors)
    if errors:
        session.rollback()
        raise ValidationError("Data keluarga tidak valid: " + "; ".join(errors.values()), errors)
    session.add(item)
    session.flush()
    record_event(session, actor, "keluarga.create" if is_new else "keluarga.update",
                 object_type="keluarga", object_id=item.id, desa_code=item.desa_code)
    session.commit()
