"""The classification catalogue: seeding the shipped schemes and checking a code against one."""

from __future__ import annotations

import csv
import io
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..exceptions import ValidationError
from ..models import Klasifikasi

#: Scheme in force for regional governments, and the legacy one kept to read old letters.
CURRENT_SCHEME, LEGACY_SCHEME = "permendagri-83-2022", "permendagri-78-2012"
SCHEME_TITLES = {CURRENT_SCHEME: "Permendagri 83/2022", LEGACY_SCHEME: "Permendagri 78/2012"}


def shipped_rows() -> list[dict]:
    """records/data/klasifikasi.csv: scheme, code, name."""
    text = files("records").joinpath("data/klasifikasi.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def seed_klasifikasi(session: Session, rows: list[dict] | None = None) -> int:
    """Add the shipped codes that are missing; existing rows are left as they are."""
    known = {(scheme, code) for scheme, code in session.execute(select(Klasifikasi.scheme, Klasifikasi.code))}
    added = 0
    for row in shipped_rows() if rows is None else rows:
        if (row["scheme"], row["code"]) not in known:
            session.add(Klasifikasi(scheme=row["scheme"], code=row["code"], name=row["name"],
                                    in_force=row["scheme"] != LEGACY_SCHEME))
            known.add((row["scheme"], row["code"]))
            added += 1
    session.commit()
    return added


def require_code(session: Session, scheme: str, code: str) -> Klasifikasi:
    """The catalogue entry of `code` in `scheme`, or a form error naming the scheme."""
    found = session.scalar(select(Klasifikasi).where(Klasifikasi.scheme == scheme,
                                                     Klasifikasi.code == code))
    if found is None:
        title = SCHEME_TITLES.get(scheme, scheme)
        message = f"Kode klasifikasi {code} tidak ada dalam daftar {title}."
        raise ValidationError(message, {"kode": message})
    return found


def codes_of(session: Session, scheme: str) -> list[Klasifikasi]:
    """Every code of a scheme in code order (for pick lists)."""
    rows = session.scalars(select(Klasifikasi).where(Klasifikasi.scheme == scheme)).all()
    return sorted(rows, key=lambda row: [int(part) for part in row.code.split(".")])
