"""The "Pindah ke Lemari" checklist (issue 22, item 5): what has been brought in and what is
still missing before the office goes live with Lemari.

The core answers for its own parts (office setup, number registers continued from paper,
residents per desa); features add lines through the `register_movein_items` hook (the archive
answers for its daftar arsip, the incoming-letters feature for its old agenda books). The
checklist only reads; the berita acara of a switch-over is printed here as a PDF (audited).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.declarations import Registry
from records.exceptions import NotFoundError
from records.models import NomorLanjutan, Penduduk, PengaturanKantor, Register, Wilayah
from records.services.audit import record_event
from records.services.issuing import Desk
from records.services.kantor import is_complete


@dataclass(frozen=True)
class MoveInItem:
    """One line of the checklist: done or not, what was found, where to do it."""

    key: str
    judul: str
    selesai: bool
    keterangan: str = ""
    tautan: str = ""  # a page of Lemari, e.g. "/pindah/" (a path, not a URL with a host)
    perintah: str = ""  # the CLI command doing the same
    urutan: int = 50


def checklist(session: Session, registry: Registry, *, year: int, kecamatan_code: str) -> list[MoveInItem]:
    """Every line, the core's first, then the plugins' (ordered by `urutan`)."""
    items = [_office(session), _registers(session, year), _residents(session, kecamatan_code)]
    for fn in registry.movein_items:
        items += list(fn(session, registry, year=year))
    return sorted(items, key=lambda item: (item.urutan, item.key))


def _office(session: Session) -> MoveInItem:
    rows = {row.kunci: row for row in session.scalars(select(PengaturanKantor))}
    done = is_complete(rows)
    return MoveInItem("kantor", "Pengaturan kantor disimpan", done,
                      "Nama, alamat, URL publik, zona waktu dan kertas kantor." if done else
                      "Belum disimpan: surat dan QR belum boleh dicetak.",
                      "/pengaturan-kantor/", "lemari setup kantor", urutan=10)


def _registers(session: Session, year: int) -> MoveInItem:
    rows = session.execute(select(Register.title, NomorLanjutan.nomor_terakhir)
                           .join(NomorLanjutan, NomorLanjutan.register_id == Register.id)
                           .where(NomorLanjutan.year == year).order_by(Register.id)).all()
    detail = "; ".join(f"{title}: nomor kertas 1–{last}, Lemari mulai {last + 1}"
                       for title, last in rows)
    return MoveInItem("register", f"Register nomor {year} dilanjutkan dari buku kertas", bool(rows),
                      detail or "Belum ada register yang dilanjutkan; tanpa ini nomor mulai dari 1.",
                      "/pindah/", "lemari nomor lanjutkan REGISTER NOMOR_TERAKHIR --as admin",
                      urutan=20)


def _residents(session: Session, kecamatan_code: str) -> MoveInItem:
    desas = session.execute(select(Wilayah.code, Wilayah.name).where(
        Wilayah.level == "desa", Wilayah.valid_to.is_(None),
        Wilayah.code.startswith(kecamatan_code + "."))).all() if kecamatan_code else []
    counts = dict(session.execute(select(Penduduk.desa_code, func.count())
                                  .group_by(Penduduk.desa_code)).all())
    missing = [name for code, name in desas if not counts.get(code)]
    done = bool(desas) and not missing
    found = [f"{name} ({counts[code]})" for code, name in desas if counts.get(code)]
    text = ("Sudah: " + ", ".join(found) + ". " if found else "") + (
        "Belum: " + ", ".join(missing) + "." if missing else "")
    return MoveInItem("penduduk", "Penduduk tiap desa diimpor", done,
                      text or "Kode kecamatan kantor belum diatur.", "/penduduk-impor/",
                      "lemari import-penduduk FILE --format opensid --desa KODE --as admin",
                      urutan=30)


# --- the berita acara of a switch-over, as a PDF --------------------------------------------

def berita_acara_pdf(lanjutan_id: int, *, actor: Actor, session: Session, desk: Desk) -> bytes:
    """The berita acara peralihan of one register's switch-over (templates_pdf/
    berita_acara_peralihan), printed through the one WeasyPrint renderer, so the office files
    a real document with who recorded what and when; audited."""
    actor.require("nomor.manage")
    row = session.get(NomorLanjutan, lanjutan_id) if isinstance(lanjutan_id, int) else None
    if row is None:
        raise NotFoundError("Berita acara peralihan register tidak ditemukan.")
    register = row.register
    title = f"Berita Acara Peralihan Register {register.title} {row.year}"
    recorded = desk.local_time(row.dicatat_pada)
    context = {"title": title, "office": desk.office, "register": register, "year": row.year,
               "last": row.nomor_terakhir, "last_text": row.nomor_terakhir_teks,
               "first_lemari": row.nomor_terakhir + 1, "note": row.keterangan,
               "recorded_by": row.dicatat_oleh,
               "recorded_at": f"{recorded:%d-%m-%Y} pukul {recorded:%H.%M} ({desk.timezone})",
               "made_on": desk.today(), "made_by": actor.username}
    metadata = desk.metadata_factory(title=title, author=desk.office["name"], subject=title,
                                     document_type="berita_acara_peralihan",
                                     issue_date=desk.today(), office=desk.office["name"])
    pdf = desk.renderer.render("berita_acara_peralihan/document.html", context, paper="A4",
                               metadata=metadata).pdf
    record_event(session, actor, "nomor.berita_acara", object_type="register",
                 object_id=register.id, detail={"register": register.name, "year": row.year,
                                                "lanjutan": row.id})
    session.commit()
    return pdf
