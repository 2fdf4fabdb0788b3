"""The citizen registry: validate, save and delete residents and families within scope.

Every write path (FAB forms, REST API, CLI, CSV/XLSX import) ends here, so the same NIK rules,
desa scope, uniqueness and audit entry apply whichever door the data came through.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from records import codes
from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.models import Keluarga, Penduduk, Wilayah
from records.models.outbox import DELETE, PENDUDUK, enqueue, enqueue_saved
from records.nik import NikError, mask_numbers_in_text, parse_nik, parse_no_kk
from records.services.audit import record_event

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
KELUARGA_FIELDS = ("no_kk", "alamat", "rt", "rw", "desa_code", "kode_pos")
MAX_LENGTH = {"nama": 100, "tempat_lahir": 60, "alamat": 200, "nama_ayah": 100, "nama_ibu": 100}
SEX_CODE = {"LAKI-LAKI": "L", "PEREMPUAN": "P"}
# What the database would default to; an empty spreadsheet cell must not store "" instead.
DEFAULTS = {"golongan_darah": "TIDAK TAHU", "kewarganegaraan": "WNI"}


def validate_penduduk(values: dict, *, actor: Actor, session: Session,
                      current_id: int | None = None) -> tuple[dict, list[str]]:
    """Clean a resident's values; raise ValidationError naming every bad field.

    Runs without autoflush: an edited resident is already dirty in the session, and the
    uniqueness query must not flush a duplicate NIK into an IntegrityError (a 500).
    """
    with session.no_autoflush:
        clean: dict[str, object] = {k: _text(v) for k, v in values.items() if k in LABELS}
        errors: dict[str, str] = {}
        _check_form(clean, errors)
        birth = _date(clean, errors)
        warnings = _check_nik(clean, birth, errors, session, current_id)
        _check_member_kk(clean, errors)
        _check_desa(clean, actor, session, errors, current_id)
    if errors:
        raise ValidationError("Data penduduk tidak valid: " + "; ".join(errors.values()), errors)
    clean["tanggal_lahir"] = birth
    return clean, warnings


def _check_form(clean: dict, errors: dict) -> None:
    """Required fields, lengths, code lists and RT/RW: rules that need no database."""
    for name in REQUIRED:
        if not clean.get(name):
            errors[name] = f"{LABELS[name]} wajib diisi."
    for name, limit in MAX_LENGTH.items():
        if len(clean.get(name) or "") > limit:
            errors[name] = f"{LABELS[name]} terlalu panjang (maksimal {limit} karakter)."
    for name, options in CHOICE_FIELDS.items():
        _check_choice(clean, name, options, errors)
    _check_rt_rw(clean, errors)
    for name, default in DEFAULTS.items():
        clean[name] = clean.get(name) or default


def _check_rt_rw(clean: dict, errors: dict) -> None:
    """RT/RW are 1-3 digits, stored as on the KTP ("003"): Excel drops the leading zeros."""
    for name in ("rt", "rw"):
        value = clean.get(name)
        if not value:
            continue
        if value.isascii() and value.isdigit() and len(value) <= 3:
            clean[name] = value.zfill(3)
        else:
            errors[name] = f"{LABELS[name]} harus 1–3 digit angka."


def _check_choice(clean: dict, name: str, options, errors: dict) -> None:
    """Accept a label in any letter case (spreadsheets say 'Islam'); store the official one."""
    value = clean.get(name)
    if not value:
        return
    if codes.label_valid(options, value.upper()):
        clean[name] = value.upper()
    else:
        errors[name] = f"{LABELS[name]} '{value}' tidak ada dalam daftar resmi."


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
    return list(parsed.warnings)


def _check_member_kk(clean: dict, errors: dict) -> None:
    """A No. KK given with a resident (import) must itself be well formed."""
    if clean.get("no_kk"):
        try:
            clean["no_kk"] = parse_no_kk(clean["no_kk"]).no_kk
        except NikError as exc:
            errors["no_kk"] = str(exc)


def _check_desa(clean: dict, actor: Actor, session: Session, errors: dict,
                current_id: int | None = None, model=Penduduk) -> None:
    """Known, current desa within the actor's scope; a retired desa only if already stored."""
    code = clean.get("desa_code")
    if not code:
        return
    desa = session.get(Wilayah, code)
    if desa is None or desa.level != "desa":
        errors["desa_code"] = f"Kode desa '{code}' tidak dikenal."
    elif not actor.sees_desa(code):
        errors["desa_code"] = "Anda hanya dapat mengelola penduduk desa Anda sendiri."
    elif desa.valid_to is not None and not _stored_in(session, model, current_id, code):
        errors["desa_code"] = (f"Desa {desa.name} ({code}) sudah tidak berlaku sejak "
                               f"{desa.valid_to.isoformat()}; pilih desa yang berlaku.")


def _stored_in(session: Session, model, current_id: int | None, code: str) -> bool:
    """True when the record being edited already lies in desa `code` (old data stays editable)."""
    if current_id is None:
        return False
    return session.scalar(select(model.desa_code).where(model.id == current_id)) == code


def save_penduduk(item: Penduduk, *, actor: Actor, session: Session, is_new: bool) -> list[str]:
    """Validate and commit a resident filled in by a form or API; returns NIK warnings."""
    actor.require("penduduk.write")
    try:
        with session.no_autoflush:  # reading item.desa must not flush the dirty item first
            clean, warnings = validate_penduduk(penduduk_values(item), actor=actor, session=session,
                                                current_id=None if is_new else item.id)
            _check_keluarga(item, actor)
    except ValidationError:
        session.rollback()
        raise
    clean.pop("no_kk", None)
    for name, value in clean.items():
        setattr(item, name, value)
    session.add(item)
    _commit_with_event(session, actor, item, "penduduk", is_new)
    return warnings


def penduduk_values(item: Penduduk) -> dict:
    """The item's values, with desa taken from the relationship a form or API may have set.

    FAB fills `item.desa` (a Wilayah), and SQLAlchemy copies it into `desa_code` only at
    flush; reading `desa_code` before that would report "Desa wajib diisi" for a chosen desa.
    """
    values = {name: getattr(item, name, None) for name in LABELS if name != "no_kk"}
    if item.desa is not None:
        values["desa_code"] = item.desa.code
    return values


def _check_keluarga(item: Penduduk, actor: Actor) -> None:
    """A resident may only be put into a family the actor can see."""
    family = item.keluarga
    if family is not None and not actor.sees_desa(family.desa_code):
        raise ValidationError("Keluarga tidak ditemukan.", {"keluarga": "Keluarga tidak ditemukan."})


def _commit_with_event(session: Session, actor: Actor, item, kind: str, is_new: bool) -> None:
    """Flush, audit and commit as one transaction; a lost race on a unique number is a
    validation error (nothing saved), not a 500."""
    try:
        session.flush()
        enqueue_saved(session, kind, item)  # search index follows in the same transaction
        record_event(session, actor, f"{kind}.create" if is_new else f"{kind}.update",
                     object_type=kind, object_id=item.id, desa_code=item.desa_code)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ValidationError("Data bentrok dengan data lain yang baru saja disimpan "
                              "(NIK atau No. KK sudah terdaftar). Tidak ada yang disimpan.") from None


def delete_penduduk(item: Penduduk, *, actor: Actor, session: Session) -> None:
    """Remove a resident; the audit entry keeps who did it (NIK masked)."""
    actor.require("penduduk.delete")
    actor.require_desa(item.desa_code)
    record_event(session, actor, "penduduk.delete", object_type="penduduk", object_id=item.id,
                 desa_code=item.desa_code, detail={"nik": item.nik_masked})
    enqueue(session, PENDUDUK, item.id, DELETE)  # search index follows in the same transaction
    session.delete(item)
    session.commit()


def get_penduduk(penduduk_id: int, *, actor: Actor, session: Session) -> Penduduk:
    """A resident the actor may read; out-of-scope residents are 'not found'."""
    actor.require("penduduk.read")
    item = session.get(Penduduk, penduduk_id)
    if item is None:
        raise NotFoundError("Penduduk tidak ditemukan.")
    actor.require_desa(item.desa_code, "Penduduk tidak ditemukan.")
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


def validate_keluarga(values: dict, *, actor: Actor, session: Session,
                      current_id: int | None = None) -> dict:
    """Clean a family's values (No. KK form rules, unique, desa in scope, RT/RW)."""
    clean = {k: _text(values.get(k)) for k in KELUARGA_FIELDS}
    errors: dict[str, str] = {}
    with session.no_autoflush:
        _check_no_kk(clean, errors, session, current_id)
        for name in ("alamat", "desa_code"):
            if not clean[name]:
                errors[name] = f"{LABELS[name]} wajib diisi."
        _check_rt_rw(clean, errors)
        if clean["kode_pos"] and not (clean["kode_pos"].isascii() and clean["kode_pos"].isdigit()
                                      and len(clean["kode_pos"]) == 5):
            errors["kode_pos"] = "Kode pos harus 5 digit angka."
        _check_desa(clean, actor, session, errors, current_id, model=Keluarga)
    if errors:
        raise ValidationError("Data keluarga tidak valid: " + "; ".join(errors.values()), errors)
    return clean


def _check_no_kk(clean: dict, errors: dict, session: Session, current_id: int | None) -> None:
    """No. KK form rules, then uniqueness (the family being edited may keep its own)."""
    try:
        clean["no_kk"] = parse_no_kk(clean["no_kk"]).no_kk
    except NikError as exc:
        errors["no_kk"] = str(exc)
        return
    clash = session.scalar(select(Keluarga.id).where(Keluarga.no_kk == clean["no_kk"]))
    if clash is not None and clash != current_id:
        errors["no_kk"] = f"No. KK {clean['no_kk']} sudah terdaftar."


def keluarga_values(item: Keluarga) -> dict:
    """The family's values, with desa taken from the relationship (see penduduk_values)."""
    values = {name: getattr(item, name, None) for name in KELUARGA_FIELDS}
    if item.desa is not None:
        values["desa_code"] = item.desa.code
    return values


def save_keluarga(item: Keluarga, *, actor: Actor, session: Session, is_new: bool) -> None:
    """Validate and commit a family (No. KK form rules, unique, desa within scope)."""
    actor.require("keluarga.write")
    try:
        with session.no_autoflush:
            clean = validate_keluarga(keluarga_values(item), actor=actor, session=session,
                                      current_id=None if is_new else item.id)
    except ValidationError:
        session.rollback()
        raise
    for name, value in clean.items():
        setattr(item, name, value)
    session.add(item)
    _commit_with_event(session, actor, item, "keluarga", is_new)


def find_penduduk_by_nik(nik_text: str, *, actor: Actor, session: Session) -> int:
    """The id of the resident with this NIK, within the actor's scope.

    A resident outside the scope is reported exactly like an unknown NIK, so the answer does
    not reveal that the NIK exists elsewhere.
    """
    actor.require("penduduk.read")
    try:
        nik = parse_nik(nik_text).nik
    except NikError as exc:
        raise ValidationError(str(exc), {"nik": str(exc)}) from None
    found = session.scalar(select(Penduduk).where(Penduduk.nik == nik))
    if found is None or not actor.sees_desa(found.desa_code):
        raise ValidationError("NIK tidak terdaftar.", {"nik": "NIK tidak terdaftar di data penduduk."})
    return found.id


# --- finding the applicant at the counter ---------------------------------------------------

LOOKUP_MIN = 3
LOOKUP_LIMIT = 8
LOOKUP_MAX = 100
NIK_PREFIX_MIN = 6
_NUMBER_TYPING = re.compile(r"[0-9 .\-]+")
TOO_SHORT = f"Ketik sedikitnya {LOOKUP_MIN} huruf nama atau angka NIK."
WHOLE_NIK = ("Tanpa izin melihat NIK lengkap, cari dengan NIK yang lengkap (16 digit) atau "
             "dengan nama.")


def lookup_residents(text: str, *, actor: Actor, session: Session,
                     limit: int = LOOKUP_LIMIT) -> list[Penduduk]:
    """Residents whose name contains `text`, or whose NIK is `text` (a role with the full-NIK
    right may type its first digits, at least NIK_PREFIX_MIN), within the actor's desa scope;
    at most `limit`, by name. Refuses a query too short to narrow the register (a clerk would
    otherwise page through every resident) with a plain message. Every answer that shows
    someone is audited with the ids shown, so "who saw this resident?" covers the counter."""
    actor.require("penduduk.read")
    query = _lookup_query(" ".join((text or "").split())[:LOOKUP_MAX], actor)
    if actor.desa_scope is not None:
        query = query.where(Penduduk.desa_code.in_(sorted(actor.desa_scope)))
    found = list(session.scalars(query.options(joinedload(Penduduk.desa))
                                 .order_by(Penduduk.nama, Penduduk.id).limit(limit)))
    if found:
        record_event(session, actor, "penduduk.cari", object_type="penduduk",
                     detail={"channel": "lookup", "query": mask_numbers_in_text(text[:LOOKUP_MAX]),
                             "ids": [p.id for p in found], "full_nik": actor.can("penduduk.view_nik")})
        session.commit()
    return found


def _lookup_query(text: str, actor: Actor):
    """SQL for a name (contains, case-insensitive) or a NIK (whole, or its start)."""
    if len(text) < LOOKUP_MIN:
        raise ValidationError(TOO_SHORT, {"q": TOO_SHORT})
    if _NUMBER_TYPING.fullmatch(text):
        digits = re.sub(r"[^0-9]", "", text)
        if len(digits) == 16:
            return select(Penduduk).where(Penduduk.nik == digits)
        if not actor.can("penduduk.view_nik") or len(digits) < NIK_PREFIX_MIN or len(digits) > 16:
            message = WHOLE_NIK if not actor.can("penduduk.view_nik") else (
                f"Ketik sedikitnya {NIK_PREFIX_MIN} angka NIK, atau NIK lengkap (16 digit).")
            raise ValidationError(message, {"q": message})
        return select(Penduduk).where(Penduduk.nik.startswith(digits))
    pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return select(Penduduk).where(Penduduk.nama.ilike(f"%{pattern}%", escape="\\"))


def family_of(person: Penduduk) -> list[Penduduk]:
    """The members of the resident's Kartu Keluarga (the resident included), head first."""
    if person.keluarga is None:
        return [person]
    members = list(person.keluarga.anggota)
    return sorted(members, key=lambda p: (p.hubungan != "KEPALA KELUARGA", p.id))
