"""Initialise a data folder and load the demo office; both are safe to run again.

Re-running never deletes or overwrites data: the schema is migrated (services.schema), wilayah
rows are upserted by code, accounts and residents are added only when absent.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.declarations import Registry
from records.models import (
    HariLibur,
    Keluarga,
    Layanan,
    MasaJabatan,
    Pejabat,
    Penduduk,
    PengaturanKantor,
    Wilayah,
)
from records.passwords import DEMO_PASSWORD
from records.services.accounts import ensure_user, sync_roles
from records.services.audit import record_event
from records.services.klasifikasi import seed_klasifikasi
from records.services.numbering import seed_registers
from records.services.schema import SchemaState, model_metadata, upgrade

OFFICE_ACCOUNTS = (("admin", "Admin", "Administrator"), ("camat", "Camat", "Camat"),
                   ("sekcam", "Sekcam", "Sekcam"), ("petugas", "Petugas Pelayanan", "Petugas"),
                   ("arsiparis", "Arsiparis", "Arsiparis"), ("humas", "Humas", "Humas"),
                   ("auditor", "Auditor", "Auditor"))


def create_schema(engine) -> tuple[SchemaState, SchemaState]:
    """Bring the database to the newest schema revision; returns the state before and after.

    The migrations (records/migrations) build an empty database, recognise one made before
    they existed as the baseline, and apply what is pending; Flask-AppBuilder's security tables
    are part of them. Tables of third-party plugins, which have no migrations of their own,
    are then created when missing, as before.
    """
    before_after = upgrade(engine)
    model_metadata().create_all(engine)
    return before_after


def wilayah_rows() -> list[dict]:
    """The shipped, versioned region table (records/data/wilayah.csv)."""
    text = files("records").joinpath("data/wilayah.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def seed_wilayah(session: Session, rows: list[dict]) -> int:
    """Upsert region rows by code; returns how many were added."""
    existing = {w.code: w for w in session.scalars(select(Wilayah))}
    added = 0
    for row in rows:
        values = {"name": row["name"], "level": row["level"], "source": row.get("source", ""),
                  "parent_code": row["code"].rsplit(".", 1)[0] if "." in row["code"] else None,
                  "valid_from": _date(row.get("valid_from")), "valid_to": _date(row.get("valid_to"))}
        if row["code"] in existing:
            for key, value in values.items():
                setattr(existing[row["code"]], key, value)
        else:
            session.add(Wilayah(code=row["code"], **values))
            added += 1
    session.commit()
    return added


def _date(raw: str | None) -> dt.date | None:
    return dt.date.fromisoformat(raw) if raw else None


def initialise(*, session: Session, engine, sm, appbuilder, registry: Registry,
               menu_permissions, pm) -> tuple[SchemaState, SchemaState]:
    """Schema, FAB permissions, declared roles, the wilayah table and what each plugin seeds
    (hook `seed_office` of the plugin manager `pm`); returns the schema state before and after
    its migrations."""
    migrated = create_schema(engine)
    for role in (sm.auth_role_admin, sm.auth_role_public):
        sm.find_role(role) or sm.add_role(role)
    register_fab_permissions(appbuilder, registry)
    sync_roles(sm, registry, menu_permissions)
    seed_wilayah(session, wilayah_rows())
    seed_registers(session)
    seed_klasifikasi(session)
    seed_layanan(session, catalogue())
    pm.hook.seed_office(session=session)
    return migrated


def catalogue() -> dict:
    """The shipped service standards and holidays (records/data/layanan.json)."""
    return json.loads(files("records").joinpath("data/layanan.json").read_text(encoding="utf-8"))


def seed_layanan(session: Session, data: dict) -> None:
    """Add services and holidays that are missing; an office's edits are kept."""
    known = set(session.scalars(select(Layanan.code)))
    for spec in data["layanan"]:
        if spec["code"] not in known:
            session.add(Layanan(**spec))
    holidays = set(session.scalars(select(HariLibur.tanggal)))
    for day, name in data["hari_libur"]:
        if dt.date.fromisoformat(day) not in holidays:
            session.add(HariLibur(tanggal=dt.date.fromisoformat(day), keterangan=name))
    session.commit()


def register_fab_permissions(appbuilder, registry: Registry) -> None:
    """Create FAB's own view permissions and every menu_access; ours come from declarations.

    FAB's own sync (`add_permissions`) deletes permissions a view does not list, which would
    strip declared rights such as `can_view_nik on Penduduk` that no single view carries.
    """
    sm, declared_areas = appbuilder.sm, {p.fab_pair[1] for p in registry.permissions.values()}
    for view in appbuilder.baseviews:
        if view.class_permission_name not in declared_areas and view.base_permissions:
            sm.add_permissions_view(view.base_permissions, view.class_permission_name)
    for name in appbuilder.menu.get_flat_name_list():
        sm.add_permissions_menu(name)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    desa: str = ""


def operator_username(desa_name: str) -> str:
    """operator_<desa>, e.g. operator_kota_bangun_ulu."""
    return "operator_" + "_".join(desa_name.lower().split())


def load_demo(*, session: Session, sm, population: list[dict], desa: list[tuple[str, str]],
              password: str = DEMO_PASSWORD, force_password_change: bool = True, pm=None,
              ) -> tuple[list[DemoAccount], int]:
    """Demo accounts (one per role, one operator per desa) and residents; returns both. With
    the plugin manager `pm`, each plugin then adds its part (hook `seed_demo`).

    The demo password is published, so by default each account must choose its own at first
    login; test suites that log in as demo users pass force_password_change=False."""
    accounts = []
    for username, role, first_name in OFFICE_ACCOUNTS:
        ensure_user(sm, username=username, role=role, password=password, first_name=first_name,
                    session=session, must_change_password=force_password_change)
        accounts.append(DemoAccount(username, role))
    for code, name in desa:
        username = operator_username(name)
        ensure_user(sm, username=username, role="Operator Desa", password=password,
                    first_name="Operator", last_name=name, session=session, desa_code=code,
                    must_change_password=force_password_change)
        accounts.append(DemoAccount(username, "Operator Desa", name))
    _load_officials(session)
    _load_demo_office(session)
    added = _load_families(session, population)
    if pm is not None:
        pm.hook.seed_demo(session=session)
    return accounts, added


DEMO_OFFICIALS = (
    {"username": "camat", "nama": "Drs. H. Syahrani, M.Si.", "nip": "197105121996031004",
     "pangkat": "Pembina Tingkat I", "golongan": "IV/b", "jabatan": "Camat Kota Bangun"},
    {"username": "sekcam", "nama": "Rusdiansyah, S.Sos.", "nip": "197809232005011007",
     "pangkat": "Pembina", "golongan": "IV/a", "jabatan": "Sekretaris Kecamatan",
     "prefix": "a.n.", "atas_nama": "Camat Kota Bangun"},
    # The loket officer: named with NIP on the forms and receipts they sign (never the login).
    {"username": "petugas", "nama": "Nurhayati, A.Md.", "nip": "199203142019032011",
     "pangkat": "Pengatur", "golongan": "II/c", "jabatan": "Pengadministrasi Kependudukan"},
)


def _load_officials(session: Session) -> None:
    """Signature data of the demo Camat and Sekcam (fictional people)."""
    known = set(session.scalars(select(Pejabat.username)))
    for spec in DEMO_OFFICIALS:
        if spec["username"] not in known:
            session.add(Pejabat(**spec))
    session.commit()


#: The demo office's setup (fictional contacts on reserved .example names, RFC 2606): complete,
#: so the demo prints; DEMO_MODE lets it print its loopback public address.
DEMO_OFFICE = {
    "KECAMATAN": "Kota Bangun", "KABUPATEN": "Kabupaten Kutai Kartanegara",
    "OFFICE_ADDRESS": "Jl. Poros Kota Bangun, Kota Bangun Ulu, Kutai Kartanegara, "
                      "Kalimantan Timur 75561",
    "OFFICE_PHONE": "(0541) 000000", "OFFICE_EMAIL": "kecamatan.kotabangun@kukar.example",
    "OFFICE_WEBSITE": "kotabangun.kukar.example", "TIMEZONE": "Asia/Makassar",
    "PAPER_SIZE": "F4", "DEMO_MODE": "1",
}
#: The demo Camat and Sekcam on the signatories roster (fictional people, see DEMO_OFFICIALS).
DEMO_ROSTER = ({"kedudukan": "camat", "username": "camat", "mulai": dt.date(2024, 1, 2),
                "dasar": "SK Bupati (demo)"},
               {"kedudukan": "sekcam", "username": "sekcam", "mulai": dt.date(2024, 1, 2),
                "dasar": "SK Bupati (demo)"})


def _load_demo_office(session: Session) -> None:
    """The demo office's setup and roster, where the office has not set its own."""
    known = set(session.scalars(select(PengaturanKantor.kunci)))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for key, value in DEMO_OFFICE.items():
        if key not in known:
            session.add(PengaturanKantor(kunci=key, nilai=value, berkas="", diubah_oleh="sistem",
                                         diubah_pada=now))
    if session.scalar(select(MasaJabatan.id).limit(1)) is None:
        officials = {o["username"]: o for o in DEMO_OFFICIALS}
        for spec in DEMO_ROSTER:
            person = officials[str(spec["username"])]
            session.add(MasaJabatan(**spec, nama=person["nama"], nip=person["nip"],
                                    pangkat=person["pangkat"], golongan=person["golongan"]))
    session.commit()


def _load_families(session: Session, population: list[dict]) -> int:
    """Insert demo families whose No. KK is not yet present; returns residents added."""
    known = set(session.scalars(select(Keluarga.no_kk)))
    added = 0
    for family in population:
        if family["no_kk"] in known:
            continue
        keluarga = Keluarga(no_kk=family["no_kk"], desa_code=family["desa_code"],
                            alamat=family["alamat"], rt=family["rt"], rw=family["rw"])
        session.add(keluarga)
        for member in family["members"]:
            session.add(Penduduk(keluarga=keluarga, alamat=family["alamat"], rt=family["rt"],
                                 rw=family["rw"], desa_code=family["desa_code"], **member))
            added += 1
    record_event(session, "system", "demo.load", detail={"residents": added})
    session.commit()
    return added
