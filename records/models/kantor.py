"""The office's own setup (names, contacts, logo, public address, zone, paper) and the roster
of who signs for the Camat in which period."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class PengaturanKantor(Model):
    """One setting of the office (key → value); a missing key falls back to config/env.

    `berkas` names a file in the archive's blob store ("<sha256>.<ext>", the logo); it is
    listed in `__blob_columns__` so the archive checks count it as owned, not as an orphan.
    """

    __audit_area__ = "konfigurasi"
    __blob_columns__ = ("berkas",)

    __tablename__ = "pengaturan_kantor"

    kunci: Mapped[str] = mapped_column(String(40), primary_key=True)
    nilai: Mapped[str] = mapped_column(Text, default="")
    berkas: Mapped[str] = mapped_column(String(80), default="")
    diubah_oleh: Mapped[str] = mapped_column(String(64), default="")
    diubah_pada: Mapped[dt.datetime] = mapped_column(DateTime)


class MasaJabatan(Model):
    """A period in which an account signs in a position (Camat, Sekcam, Plt./Plh. Camat).

    Name, NIP and rank are kept per period: the letter names the person as they were on its
    date. `selesai` empty means the period is still running.
    """

    __audit_area__ = "konfigurasi"

    __tablename__ = "masa_jabatan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kedudukan: Mapped[str] = mapped_column(String(16))  # camat, sekcam, plt_camat, plh_camat
    username: Mapped[str] = mapped_column(ForeignKey("ab_user.username", ondelete="CASCADE"))
    nama: Mapped[str] = mapped_column(String(120))
    nip: Mapped[str] = mapped_column(String(18), default="")
    pangkat: Mapped[str] = mapped_column(String(60), default="")
    golongan: Mapped[str] = mapped_column(String(10), default="")
    mulai: Mapped[dt.date] = mapped_column(Date)
    selesai: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    dasar: Mapped[str] = mapped_column(String(200), default="")  # e.g. "SK Bupati Nomor …"
