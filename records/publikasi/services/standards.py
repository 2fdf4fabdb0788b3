"""The service catalogue as versioned standards (standar pelayanan, PermenPANRB 15/2014).

Every save writes a new `StandarPelayanan` version and refreshes the `layanan` row (the
projection receipts and the queue read) in the same transaction: an old version stays readable
for ever, and a request taken after the commit promises the new time. Posters, pamphlets,
flowcharts and the public pages all read the current version through this module.
"""

from __future__ import annotations

import json
from importlib.resources import files
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import Registry
from records.exceptions import NotFoundError, ValidationError
from records.models import Layanan
from records.publikasi.models import StandarPelayanan
from records.services import persyaratan as syarat
from records.services.audit import record_event
from records.services.clock import utc_now

#: Who carries out a step: the swimlanes of the flowchart, in their left-to-right order.
PELAKSANA = {"warga": "Pemohon", "rt_desa": "RT/RW dan Desa", "petugas": "Petugas Kecamatan",
             "camat": "Camat / Sekcam", "dinas": "Dinas Dukcapil"}
#: Words a clerk may type for an actor in the step list, besides the codes themselves.
PELAKSANA_ALIASES = {"pemohon": "warga", "rt": "rt_desa", "desa": "rt_desa", "rt/desa": "rt_desa",
                     "kecamatan": "petugas", "petugas kecamatan": "petugas", "sekcam": "camat",
                     "dukcapil": "dinas", "dinas dukcapil": "dinas"}
TEXT_FIELDS = ("nama", "kelompok", "ringkasan", "dasar_biaya", "produk", "pengaduan",
               "dasar_hukum", "pengawasan", "jumlah_pelaksana", "jaminan_pelayanan",
               "jaminan_keamanan", "evaluasi", "keputusan", "catatan", "dasar_waktu")
LIST_FIELDS = ("persyaratan", "sarana", "kompetensi")
MAX_TEXT, MAX_ITEMS, MAX_ITEM, MAX_STEPS, MAX_DAYS = 2000, 30, 300, 30, 365
STEP_KEYS = ("pelaksana", "kegiatan", "waktu", "output", "dasar_hukum", "jika_tidak")


def catalogue_standards() -> dict:
    """The shipped standards (records/data/standar_pelayanan.json): office defaults + services."""
    text = files("records").joinpath("data/standar_pelayanan.json").read_text(encoding="utf-8")
    return json.loads(text)


def national_items(code: str) -> tuple[list[dict], list[dict]]:
    """The shipped national requirements and steps of a service (empty for an office's own service).

    Read from the shipped files, never from the database: an office edit cannot make an item
    national.
    """
    text = files("records").joinpath("data/layanan.json").read_text(encoding="utf-8")
    shipped = {spec["code"]: spec for spec in json.loads(text)["layanan"]}
    requirements = syarat.items(shipped.get(code, {}).get("persyaratan"))
    steps = catalogue_standards().get("layanan", {}).get(code, {}).get("prosedur", [])
    return requirements, [step for step in steps if step.get("lingkup") == "nasional"]


def current_standard(code: str, *, session: Session) -> StandarPelayanan:
    """The standard in force for a service (its highest version)."""
    found = session.scalar(select(StandarPelayanan).where(StandarPelayanan.layanan_code == code)
                           .order_by(StandarPelayanan.versi.desc()).limit(1))
    if found is None:
        raise NotFoundError(f"Standar pelayanan '{code}' tidak ditemukan.")
    return found


def list_current(*, session: Session) -> list[StandarPelayanan]:
    """The current standard of every service, grouped by kelompok, then by name."""
    latest = (select(StandarPelayanan.layanan_code, func.max(StandarPelayanan.versi).label("v"))
              .group_by(StandarPelayanan.layanan_code).subquery())
    rows = session.scalars(select(StandarPelayanan).join(
        latest, (StandarPelayanan.layanan_code == latest.c.layanan_code)
        & (StandarPelayanan.versi == latest.c.v)))
    return sorted(rows, key=lambda s: (s.kelompok, s.nama))


def get_version(code: str, versi: int, *, session: Session) -> StandarPelayanan:
    """One version of a service's standard (old versions stay readable)."""
    found = session.scalar(select(StandarPelayanan).where(
        StandarPelayanan.layanan_code == code, StandarPelayanan.versi == versi))
    if found is None:
        raise NotFoundError(f"Versi {versi} standar '{code}' tidak ditemukan.")
    return found


def versions(code: str, *, session: Session) -> list[StandarPelayanan]:
    """Every version of a service's standard, newest first."""
    return list(session.scalars(select(StandarPelayanan).where(
        StandarPelayanan.layanan_code == code).order_by(StandarPelayanan.versi.desc())))


def save_standard(code: str, values: dict, *, actor: Actor, session: Session) -> StandarPelayanan:
    """Write a new version of a service's standard and refresh the `layanan` row; commit."""
    actor.require("konfigurasi.write")
    layanan = session.get(Layanan, code)
    if layanan is None:
        raise NotFoundError(f"Layanan '{code}' tidak dikenal.")
    current = session.scalar(select(StandarPelayanan).where(StandarPelayanan.layanan_code == code)
                             .order_by(StandarPelayanan.versi.desc()).limit(1))
    cleaned = clean_standard(values, code=code, previous=current)
    version = _new_version(session, layanan, cleaned, actor.username)
    record_event(session, actor, "standar.ubah", object_type="layanan", object_id=code,
                 detail={"versi": version.versi, "catatan": version.catatan})
    session.commit()
    return version


def add_service(code: str, doctype: str, values: dict, *, actor: Actor, session: Session,
                registry: Registry) -> StandarPelayanan:
    """A new service with its first standard version; commit."""
    actor.require("konfigurasi.write")
    errors = {}
    code = (code or "").strip()
    if not code or len(code) > 40 or not code.replace("_", "").isalnum() or not code.isascii():
        errors["code"] = "Kode: huruf kecil, angka dan _, paling banyak 40 karakter."
    elif session.get(Layanan, code) is not None:
        errors["code"] = f"Kode '{code}' sudah dipakai."
    if doctype not in registry.document_types or registry.document_types[doctype].internal:
        errors["doctype"] = "Pilih jenis dokumen yang dihasilkan layanan ini."
    try:
        cleaned = clean_standard(values, code=code)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError("Isian standar pelayanan belum benar.", errors)
    layanan = Layanan(code=code.lower(), nama=cleaned["nama"], doctype=doctype,
                      waktu_hari=cleaned["waktu_hari"])
    session.add(layanan)
    session.flush()
    version = _new_version(session, layanan, cleaned, actor.username)
    record_event(session, actor, "standar.tambah", object_type="layanan", object_id=layanan.code,
                 detail={"versi": version.versi, "doctype": doctype})
    session.commit()
    return version


def _new_version(session: Session, layanan: Layanan, cleaned: dict, username: str) -> StandarPelayanan:
    """Add the next version and mirror the fields receipts use onto the layanan row."""
    last = session.scalar(select(func.max(StandarPelayanan.versi))
                          .where(StandarPelayanan.layanan_code == layanan.code)) or 0
    version = StandarPelayanan(layanan_code=layanan.code, versi=last + 1, created_by=username,
                               created_at=utc_now(), **cleaned)
    session.add(version)
    layanan.nama, layanan.waktu_hari, layanan.biaya = cleaned["nama"], cleaned["waktu_hari"], cleaned["biaya"]
    layanan.persyaratan, layanan.produk = [dict(e) for e in cleaned["persyaratan"]], cleaned["produk"]
    layanan.dasar_hukum = cleaned["dasar_hukum"]
    session.flush()
    return version


def clean_standard(values: dict, *, code: str = "", previous: Any = None) -> dict:
    """Validate a standard's components; every problem is reported at once, by field.

    `code` names the service whose shipped national items are recognised; `previous` is the
    version being replaced, or anything with its `persyaratan` and `prosedur` (items carried
    over unchanged keep what they had).
    """
    national, national_steps = national_items(code)
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        text = str(values.get(name) or "").strip()
        if len(text) > MAX_TEXT:
            errors[name] = f"Paling banyak {MAX_TEXT} karakter."
        cleaned[name] = text
    if not cleaned["nama"]:
        errors["nama"] = "Nama layanan wajib diisi."
    elif len(cleaned["nama"]) > 120:
        errors["nama"] = "Nama layanan paling banyak 120 karakter."
    for name in LIST_FIELDS:
        if name == "persyaratan":  # items with their basis, below
            continue
        cleaned[name], problem = _clean_list(values.get(name))
        if problem:
            errors[name] = problem
    try:
        cleaned["persyaratan"] = syarat.clean_requirements(
            values.get("persyaratan"), national=national,
            previous=previous.persyaratan if previous is not None else None)
    except ValidationError as exc:
        errors["persyaratan"] = str(exc)
    cleaned["ketentuan"], problem = _clean_ketentuan(values.get("ketentuan"))
    if problem:
        errors["ketentuan"] = problem
    for name, lowest in (("waktu_hari", 0), ("biaya", 0)):
        cleaned[name], problem = _clean_int(values.get(name), lowest)
        if problem:
            errors[name] = problem
    if cleaned.get("waktu_hari", 0) > MAX_DAYS:
        errors["waktu_hari"] = f"Paling lama {MAX_DAYS} hari kerja."
    if cleaned.get("biaya") and not cleaned["dasar_biaya"]:
        errors["dasar_biaya"] = "Biaya selain Rp 0 wajib menyebut peraturan yang menetapkannya."
    try:
        cleaned["prosedur"] = _clean_steps(values.get("prosedur"), national_steps,
                                           previous.prosedur if previous is not None else [])
    except ValidationError as exc:
        errors["prosedur"] = str(exc)
    if errors:
        raise ValidationError("Isian standar pelayanan belum benar.", errors)
    return cleaned


def _clean_list(raw) -> tuple[list[str], str]:
    """A list of short texts from a list or from text with one item per line."""
    items = raw.splitlines() if isinstance(raw, str) else list(raw or [])
    items = [str(item).strip() for item in items if str(item).strip()]
    if len(items) > MAX_ITEMS:
        return items, f"Paling banyak {MAX_ITEMS} butir."
    if any(len(item) > MAX_ITEM for item in items):
        return items, f"Setiap butir paling banyak {MAX_ITEM} karakter."
    return items, ""


def _clean_int(raw, lowest: int) -> tuple[int, str]:
    text = str(raw if raw is not None else "").strip().replace(".", "")
    if not text.isascii() or not text.isdigit():
        return 0, "Isi dengan bilangan bulat."
    value = int(text)
    return value, "" if value >= lowest else f"Paling kecil {lowest}."


def _clean_ketentuan(raw) -> tuple[list[dict], str]:
    """Legal statements printed on the products ({teks, dasar_hukum}); each needs its basis.

    Typed one per line as 'pernyataan | dasar hukum'.
    """
    if isinstance(raw, str):
        raw = [dict(zip(("teks", "dasar_hukum"), [p.strip() for p in line.split("|", 1)] + [""],
                        strict=False)) for line in raw.splitlines() if line.strip()]
    found = [{"teks": str(e.get("teks") or "").strip(),
              "dasar_hukum": str(e.get("dasar_hukum") or "").strip()}
             for e in raw or [] if isinstance(e, dict) and str(e.get("teks") or "").strip()]
    if len(found) > MAX_ITEMS or any(len(e["teks"]) > MAX_ITEM for e in found):
        return found, f"Paling banyak {MAX_ITEMS} pernyataan, masing-masing {MAX_ITEM} karakter."
    bare = [e["teks"] for e in found if not e["dasar_hukum"]]
    if bare:
        return found, ("Setiap pernyataan hukum wajib menyebut dasar hukumnya (peraturan dan pasal) "
                       f"setelah tanda |: {bare[0]}")
    return found, ""


def _clean_steps(raw, national: list[dict] | None = None, previous: list[dict] | None = None) -> list[dict]:
    """Ordered steps, from a list of dicts or from text lines
    'pelaksana | kegiatan | waktu | output | dasar hukum | jika tidak lengkap'."""
    steps = parse_steps(raw) if isinstance(raw, str) else [dict(s) for s in raw or []]
    if not steps:
        raise ValidationError("Prosedur wajib berisi paling sedikit satu langkah.")
    if len(steps) > MAX_STEPS:
        raise ValidationError(f"Prosedur paling banyak {MAX_STEPS} langkah.")
    cleaned = []
    for number, step in enumerate(steps, start=1):
        actor = resolve_pelaksana(str(step.get("pelaksana") or ""))
        if actor is None:
            raise ValidationError(f"Langkah {number}: pelaksana '{step.get('pelaksana')}' tidak "
                                  f"dikenal (pilih: {', '.join(PELAKSANA)}).")
        kegiatan = str(step.get("kegiatan") or "").strip()
        if not kegiatan or len(kegiatan) > 200:
            raise ValidationError(f"Langkah {number}: kegiatan wajib diisi (paling banyak 200 karakter).")
        shipped = next((s for s in national or []
                        if (s["pelaksana"], s["kegiatan"]) == (actor, kegiatan)), None)
        clean = {"pelaksana": actor, "kegiatan": kegiatan,
                 "waktu": str(step.get("waktu") or "").strip()[:60],
                 "output": str(step.get("output") or "").strip()[:100],
                 "dasar_hukum": str(step.get("dasar_hukum") or "").strip()[:300],
                 "jika_tidak": str(step.get("jika_tidak") or "").strip()[:200],
                 "lingkup": "nasional" if shipped else "lokal"}
        if shipped and not clean["dasar_hukum"]:
            clean["dasar_hukum"] = shipped.get("dasar_hukum", "")
        syarat.check_step(number, clean, previous or [])
        cleaned.append(clean)
    return cleaned


def parse_steps(text: str) -> list[dict]:
    """Steps typed one per line as 'pelaksana | kegiatan | waktu | output' (the last two optional)."""
    steps = []
    for line in (text or "").splitlines():
        if line.strip():
            parts = [part.strip() for part in line.split("|")]
            # short lines are padded with empty fields; a fifth "|" and what follows is dropped
            steps.append(dict(zip(STEP_KEYS, parts + [""] * (len(STEP_KEYS) - len(parts)), strict=False)))
    return steps


def steps_text(steps: list[dict]) -> str:
    """The inverse of parse_steps, to prefill the edit form."""
    return "\n".join(" | ".join(step.get(key, "") for key in STEP_KEYS).rstrip(" |")
                     for step in steps)


def resolve_pelaksana(text: str) -> str | None:
    """An actor code from a code, a label or a common word ('Desa', 'Sekcam'); None if unknown."""
    key = text.strip().lower()
    if key in PELAKSANA:
        return key
    labels = {label.lower(): code for code, label in PELAKSANA.items()}
    return labels.get(key) or PELAKSANA_ALIASES.get(key)


def standard_dict(standard: StandarPelayanan) -> dict:
    """A standard as templates and the public pages see it (actor labels resolved)."""
    data = {name: getattr(standard, name) for name in
            (*TEXT_FIELDS, *LIST_FIELDS, "waktu_hari", "biaya", "versi", "layanan_code")}
    data["code"] = standard.layanan_code
    data["gratis"] = standard.biaya == 0
    data["prosedur"] = [{**step, "pelaksana_label": PELAKSANA.get(step["pelaksana"], step["pelaksana"])}
                        for step in standard.prosedur]
    data["persyaratan"] = syarat.items(standard.persyaratan)
    data["ketentuan"] = list(standard.ketentuan or [])
    data["ada_lokal"] = any(e["lingkup"] == "lokal" for e in data["persyaratan"])
    data["berlaku_sejak"] = standard.created_at.date()
    return data


def seed_standards(session: Session, data: dict) -> int:
    """Give every service without a standard its first version; office edits are kept.

    The layanan row's own values (possibly edited by the office) win over the shipped seed for
    the fields they share; the shipped file adds steps and the other components.
    """
    have = set(session.scalars(select(StandarPelayanan.layanan_code).distinct()))
    added = 0
    for layanan in session.scalars(select(Layanan).order_by(Layanan.code)):
        if layanan.code in have:
            continue
        spec = {**data.get("umum", {}), **data.get("layanan", {}).get(layanan.code, {})}
        spec.update(nama=layanan.nama, waktu_hari=layanan.waktu_hari, biaya=layanan.biaya,
                    persyaratan=layanan.persyaratan, produk=layanan.produk,
                    dasar_hukum=layanan.dasar_hukum)
        spec.setdefault("prosedur", [{"pelaksana": "warga", "kegiatan": "Mengajukan permohonan"},
                                     {"pelaksana": "petugas", "kegiatan": "Memproses permohonan"}])
        spec.setdefault("catatan", "Versi awal dari data bawaan.")
        # what the shipped file and the layanan row already hold is carried, not added
        carried = SimpleNamespace(persyaratan=spec["persyaratan"], prosedur=spec["prosedur"])
        _new_version(session, layanan, clean_standard(spec, code=layanan.code, previous=carried), "system")
        added += 1
    session.commit()
    return added


def upgrade_to_national(*, actor: Actor, session: Session) -> list[dict]:
    """Bring an office's stored standards in line with the shipped national items; commit.

    For every service whose shipped file has national requirements or steps (KTP-el, KK,
    SKPWNI), a new version replaces the stored requirements with the national ones, keeping
    the office's local items that cite a local instrument, and replaces the steps with the
    shipped ones (no pengantar step; the check of the file is a decision). Every other
    service gets the decision on its check step and the basis of its time. Old versions stay
    readable and each change is an audit event naming the items removed; running it again
    changes nothing. Returns one summary per new version.
    """
    actor.require("konfigurasi.write")
    shipped = catalogue_standards()
    done = []
    for standard in list_current(session=session):
        layanan = session.get(Layanan, standard.layanan_code)
        spec = {**shipped.get("umum", {}), **shipped.get("layanan", {}).get(standard.layanan_code, {})}
        if layanan is None or not shipped.get("layanan", {}).get(standard.layanan_code):
            continue
        values, removed = _upgraded_values(standard, spec)
        cleaned = clean_standard(values, code=standard.layanan_code, previous=SimpleNamespace(
            persyaratan=values["persyaratan"], prosedur=values["prosedur"]))
        if all(cleaned[name] == getattr(standard, name)
               for name in ("persyaratan", "prosedur", "ketentuan", "dasar_waktu", "ringkasan")):
            continue
        version = _new_version(session, layanan, cleaned, actor.username)
        record_event(session, actor, "standar.nasional", object_type="layanan",
                     object_id=standard.layanan_code,
                     detail={"versi": version.versi, "dihapus": removed})
        done.append({"layanan": standard.layanan_code, "versi": version.versi, "dihapus": removed})
    session.commit()
    return done


def _upgraded_values(standard: StandarPelayanan, spec: dict) -> tuple[dict, list[str]]:
    """The values of the upgraded version and the names removed."""
    national, national_steps = national_items(standard.layanan_code)
    current = syarat.items(standard.persyaratan)
    removed: list[str] = []
    if national:
        kept = [e for e in current if e["lingkup"] == "lokal" and syarat.LOCAL_BASIS.search(e["dasar_hukum"])
                and e["nama"].lower() not in {n["nama"].lower() for n in national}]
        removed = [e["nama"] for e in current if e not in kept
                   and e["nama"].lower() not in {n["nama"].lower() for n in national}]
        persyaratan = national + kept
    else:
        persyaratan = current
    steps = [dict(step) for step in standard.prosedur]
    if national_steps:
        removed += [s["kegiatan"] for s in steps if s["pelaksana"] == "rt_desa"
                    or "pengantar" in s["kegiatan"].lower()]
        steps = [dict(step) for step in spec.get("prosedur", [])]
    elif not any(step.get("jika_tidak") for step in steps):
        _add_decision(steps, spec.get("prosedur", []))
    values = {name: getattr(standard, name) for name in (*TEXT_FIELDS, "sarana", "kompetensi",
                                                          "waktu_hari", "biaya")}
    values.update(persyaratan=persyaratan, prosedur=steps,
                  ketentuan=standard.ketentuan or spec.get("ketentuan", []),
                  dasar_waktu=standard.dasar_waktu or spec.get("dasar_waktu", ""))
    if national:
        values.update({key: spec_value for key in ("ringkasan",) if (spec_value := spec.get(key))})
    values["catatan"] = ("Penyesuaian dengan Perpres 96/2018 dan dasar hukum per butir"
                         + (f"; dihapus: {', '.join(removed)}" if removed else "") + ".")[:MAX_TEXT]
    return values, removed


def _add_decision(steps: list[dict], shipped: list[dict]) -> None:
    """Make the first check of the file a decision (returned with a written reason)."""
    model = next((s for s in shipped if s.get("jika_tidak")), None)
    for step in steps:
        if step.get("pelaksana") == "petugas" and step.get("kegiatan", "").lower().startswith("memeriksa"):
            step["jika_tidak"] = (model or {}).get("jika_tidak") or (
                "Berkas tidak lengkap: dikembalikan kepada pemohon dengan alasan tertulis")
            step.setdefault("dasar_hukum", (model or {}).get("dasar_hukum", ""))
            return


# --- the kabupaten's standards (issue 19) ----------------------------------------------------

#: Who writes a version taken from the kabupaten's standards (docs/deployment.md).
KABUPATEN = "kabupaten"
#: Versions a kecamatan did not write itself: the shipped seed and the kabupaten's.
NOT_LOCAL = ("system", KABUPATEN)
#: Components handed on from the kabupaten; `keputusan` is not one: a kecamatan's standard is set
#: by a Keputusan Camat (UU 25/2009, PermenPANRB 15/2014; e.g. Keputusan Camat Kutawaringin
#: 32/2017), so an applied version waits for its own, and `catatan` says where it came from.
HANDED_ON = tuple(name for name in (*TEXT_FIELDS, *LIST_FIELDS, "prosedur", "waktu_hari", "biaya",
                                    "ketentuan") if name not in ("keputusan", "catatan"))


def kabupaten_spec(code: str, *, session: Session) -> dict:
    """A service's current standard as the kabupaten hands it on to every kecamatan."""
    current = current_standard(code, session=session)
    layanan = session.get(Layanan, code)
    return {"code": code, "doctype": layanan.doctype if layanan else "", "versi": current.versi,
            "values": {name: getattr(current, name) for name in HANDED_ON}}


def apply_kabupaten_spec(spec: dict, *, source: str, session: Session) -> str:
    """Write the kabupaten's version of a service's standard in this kecamatan and commit:
    "diterapkan"; "sama" when the current version already says the same; "lokal" when the
    kecamatan wrote its own version (a local override is kept, never replaced)."""
    code = spec["code"]
    layanan = session.get(Layanan, code)
    current = session.scalar(select(StandarPelayanan).where(StandarPelayanan.layanan_code == code)
                             .order_by(StandarPelayanan.versi.desc()).limit(1))
    if current is not None and current.created_by not in NOT_LOCAL:
        return "lokal"
    values = {**spec["values"], "keputusan": "",
              "catatan": f"Standar kabupaten, dari Kecamatan {source} versi {spec['versi']}; "
                         "berlaku setelah ditetapkan dengan Keputusan Camat."}
    cleaned = clean_standard(values, code=code, previous=current)
    if current is not None and all(getattr(current, name) == cleaned[name] for name in HANDED_ON):
        return "sama"
    if layanan is None:
        layanan = Layanan(code=code, nama=cleaned["nama"], doctype=spec["doctype"],
                          waktu_hari=cleaned["waktu_hari"])
        session.add(layanan)
        session.flush()
    version = _new_version(session, layanan, cleaned, KABUPATEN)
    record_event(session, KABUPATEN, "standar.kabupaten", object_type="layanan", object_id=code,
                 detail={"versi": version.versi, "dari": source, "versi_asal": spec["versi"]})
    session.commit()
    return "diterapkan"
