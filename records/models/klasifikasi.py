"""Classification schemes (Permendagri 83/2022 and its predecessors) and the retention schedule
(JRA): the core's records-management vocabulary, used by numbering (the code in a letter's
number) and by the archive (retention and disposition).
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Final dispositions of a JRA row (Keterangan column).
MUSNAH, PERMANEN, DINILAI_KEMBALI = "musnah", "permanen", "dinilai_kembali"
NASIB_AKHIR = (MUSNAH, PERMANEN, DINILAI_KEMBALI)


class KlasifikasiSkema(Model):
    """One version of a classification scheme (e.g. Permendagri 83/2022, list for pemda).

    Letters keep the code they were issued with for ever, so a revoked scheme stays, read-only.
    """

    __tablename__ = "arsip_skema"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    dasar_hukum: Mapped[str] = mapped_column(Text, default="")
    sumber: Mapped[str] = mapped_column(Text, default="")
    berlaku_mulai: Mapped[dt.date | None] = mapped_column(Date)
    dicabut_oleh: Mapped[str] = mapped_column(String(200), default="")
    read_only: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.title


class Klasifikasi(Model):
    """A class of a scheme; `maps_to` names the class of the current scheme an old one became."""

    __tablename__ = "arsip_klasifikasi"
    __table_args__ = (UniqueConstraint("skema_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skema_code: Mapped[str] = mapped_column(ForeignKey("arsip_skema.code"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    maps_to: Mapped[str] = mapped_column(String(40), default="")
    sumber: Mapped[str] = mapped_column(Text, default="")

    skema = relationship("KlasifikasiSkema")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class JadwalRetensi(Model):
    """One row of the Jadwal Retensi Arsip: a series, its active and inactive years and its fate.

    A row applies to a classification code and everything under it (the longest matching code
    wins), or to a document series (`series`, the retention class a document type declares).
    `aktif_tahun` None means "selama berlaku": the clock starts only when the archivist closes
    the file.
    """

    __tablename__ = "arsip_jra"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skema_code: Mapped[str] = mapped_column(ForeignKey("arsip_skema.code"), index=True)
    code: Mapped[str] = mapped_column(String(40), default="")
    series: Mapped[str] = mapped_column(String(64), default="")
    jenis_arsip: Mapped[str] = mapped_column(String(300))
    aktif_tahun: Mapped[int | None] = mapped_column(Integer)
    aktif_keterangan: Mapped[str] = mapped_column(String(120), default="")
    inaktif_tahun: Mapped[int] = mapped_column(Integer, default=0)
    keterangan: Mapped[str] = mapped_column(String(20))
    dasar: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[str] = mapped_column(String(64), default="")
    changed_on: Mapped[dt.datetime | None] = mapped_column(DateTime)

    skema = relationship("KlasifikasiSkema")

    @property
    def total_tahun(self) -> int | None:
        """Active plus inactive years (None while "selama berlaku")."""
        return None if self.aktif_tahun is None else self.aktif_tahun + self.inaktif_tahun

    def __str__(self) -> str:
        return self.jenis_arsip
