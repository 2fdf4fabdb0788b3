"""Classification schemes and the retention schedule (JRA): seed, look up, edit, compute dates.

Law changes, so every code and every JRA row is data with its source (records/data/
klasifikasi.json), editable by the Arsiparis; the revoked 78/2012 list stays read-only because
old letters keep the code they were issued with. A record's retention dates are computed from
the JRA row that applies to its class (or to its document series) and the date its file was
closed.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.exceptions import ValidationError
from records.models import JadwalRetensi, Klasifikasi, KlasifikasiSkema

CURRENT_SCHEME = "permendagri-83-2022"
# The revoked list, kept read-only for old letters and numbers reserved in its register.
LEGACY_SCHEME = "permendagri-78-2012"
# Destroying a series retained this long or longer needs the Kepala ANRI's approval
# (UU 43/2009 and 83/2022's description of 000.5.6.2; domain note §7.1).
NASIB_LABELS = {"musnah": "Musnah", "permanen": "Permanen", "dinilai_kembali": "Dinilai kembali"}


def shipped_schemes() -> dict:
    """The shipped schemes, codes and JRA rows (records/data/klasifikasi.json)."""
    text = files("records").joinpath("data/klasifikasi.json").read_text(encoding="utf-8")
    return json.loads(text)


def seed_klasifikasi(session: Session, data: dict | None = None) -> int:
    """Add the shipped schemes, codes and JRA rows that are missing; returns rows added.

    Existing rows are never overwritten, so an office's edits survive `lemari init`.
    """
    data = data or shipped_schemes()
    added = 0
    for spec in data["schemes"]:
        if session.get(KlasifikasiSkema, spec["code"]) is None:
            session.add(KlasifikasiSkema(
                code=spec["code"], title=spec["title"], dasar_hukum=spec["dasar_hukum"],
                sumber=spec["sumber"], dicabut_oleh=spec["dicabut_oleh"],
                read_only=spec["read_only"],
                berlaku_mulai=dt.date.fromisoformat(spec["berlaku_mulai"])
                if spec["berlaku_mulai"] else None))
            session.flush()
        added += _seed_codes(session, spec) + _seed_jra(session, spec)
    session.commit()
    return added


def _seed_codes(session: Session, spec: dict) -> int:
    known = set(session.scalars(select(Klasifikasi.code)
                                .where(Klasifikasi.skema_code == spec["code"])))
    new = [row for row in spec["codes"] if row["code"] not in known]
    for row in new:
        session.add(Klasifikasi(skema_code=spec["code"], code=row["code"], title=row["title"],
                                maps_to=row.get("maps_to", ""), sumber=spec["sumber"]))
    return len(new)


def _seed_jra(session: Session, spec: dict) -> int:
    """JRA rows are seeded once per scheme: after that the office's table is the truth."""
    exists = session.scalar(select(JadwalRetensi.id).where(JadwalRetensi.skema_code == spec["code"])
                            .limit(1))
    if exists is not None:
        return 0
    for row in spec["jra"]:
        session.add(JadwalRetensi(skema_code=spec["code"], changed_by="seed", **row))
    return len(spec["jra"])


def schemes(session: Session) -> list[KlasifikasiSkema]:
    """Every scheme, the current one first."""
    rows = session.scalars(select(KlasifikasiSkema)).all()
    return sorted(rows, key=lambda s: (s.read_only, s.code))


def codes_of(session: Session, skema_code: str) -> list[Klasifikasi]:
    """The classes of a scheme in code order (000.2 before 000.10)."""
    rows = session.scalars(select(Klasifikasi).where(Klasifikasi.skema_code == skema_code)).all()
    return sorted(rows, key=lambda k: code_key(k.code))


def code_key(code: str) -> tuple:
    """Sort key of a dotted code: numeric parts compare as numbers."""
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))


def jra_of(session: Session, skema_code: str) -> list[JadwalRetensi]:
    """The JRA rows of a scheme, by code then series."""
    rows = session.scalars(select(JadwalRetensi).where(JadwalRetensi.skema_code == skema_code)).all()
    return sorted(rows, key=lambda r: (code_key(r.code) if r.code else (999,), r.series))


def find_class(session: Session, skema_code: str, code: str) -> Klasifikasi | None:
    """The class with this code in the scheme, or None."""
    return session.scalar(select(Klasifikasi).where(Klasifikasi.skema_code == skema_code,
                                                    Klasifikasi.code == code))


def check_class(session: Session, skema_code: str, code: str) -> str:
    """The code when the scheme knows it; a clear Indonesian error otherwise."""
    if session.get(KlasifikasiSkema, skema_code) is None:
        raise ValidationError(f"Skema klasifikasi '{skema_code}' tidak dikenal.",
                              {"skema": "Skema klasifikasi tidak dikenal."})
    if find_class(session, skema_code, code) is None:
        raise ValidationError(f"Kode klasifikasi {code} tidak ada dalam skema {skema_code}.",
                              {"klasifikasi": f"Kode {code} tidak ada dalam skema {skema_code}."})
    return code


def require_code(session: Session, skema_code: str, code: str) -> Klasifikasi:
    """The class a number is formed with, for a register of that scheme; a form error on the
    code field naming the scheme otherwise (a reserved number must carry a real code)."""
    found = find_class(session, skema_code, code)
    if found is None:
        skema = session.get(KlasifikasiSkema, skema_code)
        message = (f"Kode klasifikasi {code} tidak ada dalam daftar "
                   f"{skema.title if skema else skema_code}.")
        raise ValidationError(message, {"kode": message})
    return found


def resolve_jra(session: Session, skema_code: str, code: str,
                series: str = "") -> JadwalRetensi | None:
    """The JRA row for a class, matched by the record's klasifikasi: the row of the longest
    code that is the class or one of its parents; only when no code row applies, a row for
    the document series alone. A class of a revoked scheme is looked up through the class
    it maps to in the current scheme.

    A row that names both a code and a series (the KTP-el/KK files under 400.12.2.1) covers
    that series only: a record of another known series under the same code (a domisili
    letter, series surat_keterangan) must not take its retention and fate. A record of no
    known series (a scan filed without a document type) still takes it, as before.
    """
    skema = session.get(KlasifikasiSkema, skema_code)
    if skema is not None and skema.read_only:
        old = find_class(session, skema_code, code)
        skema_code, code = CURRENT_SCHEME, (old.maps_to if old else "")
    rows = jra_of(session, skema_code)
    matching = [r for r in rows if r.code and (code == r.code or code.startswith(r.code + "."))
                and (not r.series or not series or r.series == series)]
    if matching:
        return max(matching, key=lambda r: (len(r.code.split(".")), r.series == series))
    return next((r for r in rows if series and r.series == series and not r.code), None)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
