"""Citizen registry: Penduduk (KTP-el fields) and Keluarga (No. KK with its members).

NIK and No. KK are strings (leading zeros; 16 digits overflow JSON numbers) and unique in the
database, so two people on one NIK is an error to resolve, never a silent merge.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.nik import mask_nik


class Keluarga(Model):
    """A family as recorded on its Kartu Keluarga."""

    __tablename__ = "keluarga"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    no_kk: Mapped[str] = mapped_column(String(16), unique=True)
    desa_code: Mapped[str] = mapped_column(ForeignKey("wilayah.code"), index=True)
    alamat: Mapped[str] = mapped_column(String(200))
    rt: Mapped[str] = mapped_column(String(3), default="")
    rw: Mapped[str] = mapped_column(String(3), default="")
    kode_pos: Mapped[str] = mapped_column(String(5), default="")
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, default=func.now(), onupdate=func.now())

    desa = relationship("Wilayah")
    # loaded with the family in one query per page (lists show the head of each family)
    anggota = relationship("Penduduk", back_populates="keluarga", order_by="Penduduk.id",
                           lazy="selectin")

    @property
    def kepala(self) -> Penduduk | None:
        """The member recorded as KEPALA KELUARGA."""
        return next((p for p in self.anggota if p.hubungan == "KEPALA KELUARGA"), None)

    @property
    def no_kk_masked(self) -> str:
        """No. KK with its date digits hidden, for roles without full-number rights."""
        return mask_nik(self.no_kk)

    def __str__(self) -> str:
        return self.no_kk_masked


class Penduduk(Model):
    """A resident with the fields printed on the KTP-el plus family links."""

    __tablename__ = "penduduk"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nik: Mapped[str] = mapped_column(String(16), unique=True)
    nama: Mapped[str] = mapped_column(String(100), index=True)
    tempat_lahir: Mapped[str] = mapped_column(String(60))
    tanggal_lahir: Mapped[dt.date] = mapped_column(Date)
    jenis_kelamin: Mapped[str] = mapped_column(String(12))
    golongan_darah: Mapped[str] = mapped_column(String(10), default="TIDAK TAHU")
    alamat: Mapped[str] = mapped_column(String(200))
    rt: Mapped[str] = mapped_column(String(3), default="")
    rw: Mapped[str] = mapped_column(String(3), default="")
    desa_code: Mapped[str] = mapped_column(ForeignKey("wilayah.code"), index=True)
    agama: Mapped[str] = mapped_column(String(60))
    status_perkawinan: Mapped[str] = mapped_column(String(40))
    pekerjaan: Mapped[str] = mapped_column(String(60))
    pendidikan: Mapped[str] = mapped_column(String(60), default="")
    kewarganegaraan: Mapped[str] = mapped_column(String(30), default="WNI")
    keluarga_id: Mapped[int | None] = mapped_column(ForeignKey("keluarga.id"), index=True)
    hubungan: Mapped[str] = mapped_column(String(30), default="")
    nama_ayah: Mapped[str] = mapped_column(String(100), default="")
    nama_ibu: Mapped[str] = mapped_column(String(100), default="")
    changed_on: Mapped[dt.datetime] = mapped_column(DateTime, default=func.now(), onupdate=func.now())

    desa = relationship("Wilayah")
    keluarga = relationship("Keluarga", back_populates="anggota")

    @property
    def nik_masked(self) -> str:
        """NIK with its date-of-birth digits hidden (they reveal birth date and sex)."""
        return mask_nik(self.nik)

    def __str__(self) -> str:
        return f"{self.nama} ({self.nik_masked})"
