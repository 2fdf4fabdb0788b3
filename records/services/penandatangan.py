"""The signatories roster: who signs as Camat, Sekcam (a.n. Camat), Plt. or Plh. Camat, when.

A letter names the person the roster holds for the signing account on the letter's date, and
its body says who signs ("Yang bertanda tangan di bawah ini Sekretaris Kecamatan … atas nama
Camat …", never "… Camat" under a Sekcam's signature). An account without any roster period
keeps its `pejabat` signature data (offices set up before the roster existed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.exceptions import InvalidTransitionError, ValidationError
from records.models import MasaJabatan, Pejabat
from records.services.audit import record_event

TATA_NASKAH = "Permendagri 1/2023 tentang Tata Naskah Dinas di Lingkungan Pemerintah Daerah"


@dataclass(frozen=True)
class Kedudukan:
    """How a position signs: the line over the name, the delegation mark, the body wording,
    and the rule it follows."""

    kode: str
    judul: str
    prefix: str  # "", "a.n.", "Plt.", "Plh."
    jabatan: str  # {kecamatan} is filled in
    sebutan: str  # the signer as the body names them
    memegang: str  # the post this period occupies (two periods of one post may not overlap)
    dasar: str
    urutan: int  # when one account holds two periods on one date, the lower number signs


KEDUDUKAN = {k.kode: k for k in (
    Kedudukan("camat", "Camat", "", "Camat {kecamatan}", "Camat {kecamatan}", "camat",
              f"{TATA_NASKAH}, Pasal 44 ayat (3): nama penanda tangan dengan gelar, NIP dan "
              "pangkat/golongan", 3),
    Kedudukan("sekcam", "Sekretaris Kecamatan (a.n. Camat)", "a.n.", "Sekretaris Kecamatan",
              "Sekretaris Kecamatan {kecamatan}, atas nama Camat {kecamatan}", "sekcam",
              f"{TATA_NASKAH}, ketentuan penandatanganan atas nama (a.n.): pejabat satu "
              "tingkat di bawah menandatangani atas nama pimpinan; Pasal 44 ayat (3)", 4),
    Kedudukan("plt_camat", "Pelaksana Tugas (Plt.) Camat", "Plt.", "Camat {kecamatan}",
              "Plt. Camat {kecamatan}", "camat",
              f"{TATA_NASKAH}, ketentuan pelaksana tugas (Plt.): jabatan definitif kosong; "
              "Pasal 44 ayat (3)", 1),
    Kedudukan("plh_camat", "Pelaksana Harian (Plh.) Camat", "Plh.", "Camat {kecamatan}",
              "Plh. Camat {kecamatan}", "plh_camat",
              f"{TATA_NASKAH}, ketentuan pelaksana harian (Plh.): pejabat definitif "
              "berhalangan sementara; Pasal 44 ayat (3)", 2),
)}
_NIP = re.compile(r"^\d{18}$")


def roster(session: Session) -> list[MasaJabatan]:
    """Every period, newest first."""
    return list(session.scalars(select(MasaJabatan).order_by(MasaJabatan.mulai.desc(),
                                                             MasaJabatan.id.desc())))


def _date(raw, field: str, errors: dict[str, str], *, required: bool) -> dt.date | None:
    if isinstance(raw, dt.date):
        return raw
    text = (raw or "").strip()
    if not text:
        if required:
            errors[field] = "Isi tanggal (TTTT-BB-HH)."
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[field] = f"Tanggal '{text}' tidak sah; tulis TTTT-BB-HH, misalnya 2026-01-02."
        return None


def _overlaps(a_start: dt.date, a_end: dt.date | None, b_start: dt.date,
              b_end: dt.date | None) -> bool:
    """Two periods (end inclusive, None = still running) share at least one day."""
    return a_start <= (b_end or dt.date.max) and b_start <= (a_end or dt.date.max)


def check_period(values: Mapping[str, object], *, session: Session, known_users: set[str],
                 ignore_id: int | None = None) -> dict:
    """A roster period checked whole, or a ValidationError naming every problem.

    Refused: an unknown position or account, a NIP that is not 18 digits, an end before the
    start, and a period overlapping another of the same post (two Camat, or a Camat and a
    Plt. Camat, on one day; a Plh. beside the definitive Camat is allowed, that is what a
    Plh. is for)."""
    errors: dict[str, str] = {}
    text = {k: str(values.get(k) or "").strip() for k in
            ("kedudukan", "username", "nama", "nip", "pangkat", "golongan", "dasar")}
    kedudukan = KEDUDUKAN.get(text["kedudukan"])
    if kedudukan is None:
        errors["kedudukan"] = "Pilih kedudukan: Camat, Sekcam, Plt. Camat atau Plh. Camat."
    if text["username"] not in known_users:
        errors["username"] = f"Akun '{text['username']}' tidak ada."
    if not 3 <= len(text["nama"]) <= 120:
        errors["nama"] = "Isi nama lengkap dengan gelar (3–120 karakter)."
    nip = text["nip"].replace(" ", "")
    if not _NIP.match(nip):
        errors["nip"] = "NIP harus 18 angka."
    mulai = _date(values.get("mulai"), "mulai", errors, required=True)
    selesai = _date(values.get("selesai"), "selesai", errors, required=False)
    if mulai and selesai and selesai < mulai:
        errors["selesai"] = "Tanggal selesai tidak boleh sebelum tanggal mulai."
    if kedudukan and mulai and "mulai" not in errors and "selesai" not in errors:
        clash = _clash(session, kedudukan, mulai, selesai, ignore_id)
        if clash is not None:
            errors["mulai"] = (
                f"Masa ini bertumpang tindih dengan {KEDUDUKAN[clash.kedudukan].judul} "
                f"{clash.nama} ({_period(clash)}); satu jabatan hanya dipegang satu orang "
                "pada satu waktu.")
    if errors:
        raise ValidationError("Masa jabatan belum disimpan: periksa isian yang ditandai.", errors)
    return {**text, "nip": nip, "mulai": mulai, "selesai": selesai}


def _clash(session: Session, kedudukan: Kedudukan, mulai: dt.date, selesai: dt.date | None,
           ignore_id: int | None) -> MasaJabatan | None:
    """The first period of the same post sharing a day with [mulai, selesai]."""
    same_post = [k.kode for k in KEDUDUKAN.values() if k.memegang == kedudukan.memegang]
    for other in session.scalars(select(MasaJabatan).where(MasaJabatan.kedudukan.in_(same_post))):
        if other.id != ignore_id and _overlaps(mulai, selesai, other.mulai, other.selesai):
            return other
    return None


def _period(row: MasaJabatan) -> str:
    end = row.selesai.isoformat() if row.selesai else "sekarang"
    return f"{row.mulai.isoformat()} s.d. {end}"


def add_period(values: Mapping[str, object], *, actor: Actor, session: Session,
               known_users: set[str]) -> MasaJabatan:
    """Store one checked period (audited through the model); nothing is saved when refused."""
    actor.require("konfigurasi.write")
    clean = check_period(values, session=session, known_users=known_users)
    row = MasaJabatan(**clean)
    session.add(row)
    session.flush()
    record_event(session, actor, "kantor.masa_jabatan", object_type="masa_jabatan",
                 object_id=row.id, detail={"kedudukan": row.kedudukan, "username": row.username,
                                           "mulai": row.mulai.isoformat(),
                                           "selesai": row.selesai.isoformat() if row.selesai else None})
    session.commit()
    return row


def end_period(period_id: int, selesai: dt.date, *, actor: Actor, session: Session) -> MasaJabatan:
    """Close a running period (a new Camat is installed, a Plh. ends)."""
    actor.require("konfigurasi.write")
    row = session.get(MasaJabatan, period_id)
    if row is None:
        raise ValidationError("Masa jabatan tidak ditemukan.")
    if selesai < row.mulai:
        raise ValidationError("Tanggal selesai tidak boleh sebelum tanggal mulai.",
                              {"selesai": "Tanggal selesai tidak boleh sebelum tanggal mulai."})
    row.selesai = selesai
    session.commit()
    return row


def block_for(row: MasaJabatan, *, kecamatan: str) -> dict:
    """The `signer` mapping the templates print for a roster period."""
    kedudukan = KEDUDUKAN[row.kedudukan]
    camat = f"Camat {kecamatan}"
    return {"jabatan": kedudukan.jabatan.format(kecamatan=kecamatan), "prefix": kedudukan.prefix,
            "atas_nama": camat if kedudukan.prefix == "a.n." else "", "nama": row.nama,
            "pangkat": row.pangkat, "golongan": row.golongan, "nip": row.nip,
            "sebutan": kedudukan.sebutan.format(kecamatan=kecamatan),
            "kedudukan": kedudukan.kode, "dasar_hukum": kedudukan.dasar}


def legacy_block(pejabat: Pejabat, *, kecamatan: str) -> dict:
    """The `signer` mapping of an account's `pejabat` data, with the body wording derived
    from its delegation mark (an a.n. signer is named with the principal)."""
    block = pejabat.signature_block()
    if pejabat.prefix == "a.n.":
        jabatan = pejabat.jabatan
        if kecamatan and kecamatan.lower() not in jabatan.lower():
            jabatan = f"{jabatan} {kecamatan}"
        block["sebutan"] = f"{jabatan}, atas nama {pejabat.atas_nama}"
    else:
        block["sebutan"] = f"{pejabat.prefix} {pejabat.jabatan}".strip()
    return block


def signer_on(username: str, on: dt.date, *, session: Session, kecamatan: str) -> dict | None:
    """The signature of `username` for a letter dated `on`: its roster period that day (a
    Plt./Plh. period before its own Camat/Sekcam one), else its `pejabat` data; None when the
    account has neither. An account on the roster but outside every period is refused: the
    letter would name somebody who did not hold the post that day."""
    periods = list(session.scalars(select(MasaJabatan).where(MasaJabatan.username == username)))
    current = [p for p in periods if _overlaps(on, on, p.mulai, p.selesai)]
    if current:
        best = min(current, key=lambda p: KEDUDUKAN[p.kedudukan].urutan)
        return block_for(best, kecamatan=kecamatan)
    if periods:
        raise InvalidTransitionError(
            f"Akun '{username}' tidak tercatat sebagai penanda tangan pada tanggal "
            f"{on.isoformat()} (masa jabatannya: {', '.join(_period(p) for p in periods)}). "
            "Perbarui daftar penanda tangan di Pengaturan Kantor.")
    pejabat = session.scalar(select(Pejabat).where(Pejabat.username == username))
    return legacy_block(pejabat, kecamatan=kecamatan) if pejabat else None


def camat_on(on: dt.date, *, session: Session, kecamatan: str) -> dict | None:
    """The holder of the Camat's post on `on` (the definitive Camat or a Plt.), for documents
    the Camat signs in person such as the maklumat; None when the roster has nobody."""
    rows = session.scalars(select(MasaJabatan).where(
        MasaJabatan.kedudukan.in_(("camat", "plt_camat")), MasaJabatan.mulai <= on))
    holders = [r for r in rows if r.selesai is None or r.selesai >= on]
    return block_for(holders[0], kecamatan=kecamatan) if holders else None
