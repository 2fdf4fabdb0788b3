"""The archive: archival metadata of records,
scan versions, OCR jobs, disposition batches with their tombstones, and fixity runs.

Every record kept by the office (an issued letter or a scanned paper original) gets one `Arsip`
row: its classification, the dates its retention is computed from, where the paper lies and
its disposition state. The row is keyed by the record id, so the record stays the unit that
search, permissions and the audit trail already know.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from records.models.klasifikasi import (  # noqa: F401  (re-exported for the archive)
    DINILAI_KEMBALI,
    MUSNAH,
    NASIB_AKHIR,
    PERMANEN,
    JadwalRetensi,
)


class Arsip(Model):
    """Archival metadata of one record: class, dates, paper location, retention, disposition."""

    __tablename__ = "arsip"

    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), primary_key=True)
    sumber: Mapped[str] = mapped_column(String(16))  # "terbit" (issued here) or "pindaian"
    jenis_dokumen: Mapped[str] = mapped_column(String(64), default="")
    seri: Mapped[str] = mapped_column(String(64), default="")  # retention class of the doctype
    skema_code: Mapped[str] = mapped_column(ForeignKey("arsip_skema.code"))
    klasifikasi: Mapped[str] = mapped_column(String(40), index=True)
    tanggal_dokumen: Mapped[dt.date | None] = mapped_column(Date)
    niks: Mapped[list] = mapped_column(JSON, default=list)
    no_kk: Mapped[list] = mapped_column(JSON, default=list)
    lemari: Mapped[str] = mapped_column(String(40), default="")
    rak: Mapped[str] = mapped_column(String(40), default="")
    boks: Mapped[str] = mapped_column(String(40), default="")
    map: Mapped[str] = mapped_column(String(40), default="")
    catatan: Mapped[str] = mapped_column(Text, default="")
    jra_id: Mapped[int | None] = mapped_column(ForeignKey("arsip_jra.id"))
    ditutup_pada: Mapped[dt.date | None] = mapped_column(Date)
    inaktif_mulai: Mapped[dt.date | None] = mapped_column(Date, index=True)
    retensi_sampai: Mapped[dt.date | None] = mapped_column(Date, index=True)
    retensi_tahun: Mapped[int | None] = mapped_column(Integer)
    nasib_akhir: Mapped[str] = mapped_column(String(20), default="")
    # Set when a "dinilai kembali" record was re-appraised; wins over the JRA row.
    nasib_ditetapkan: Mapped[str] = mapped_column(String(20), default="")
    # tersimpan, diusulkan (in a disposal batch), musnah, diserahkan (transferred as a package)
    status: Mapped[str] = mapped_column(String(20), default="tersimpan", index=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_alasan: Mapped[str] = mapped_column(Text, default="")
    ocr_status: Mapped[str] = mapped_column(String(16), default="")
    teks: Mapped[str] = mapped_column(Text, default="")
    halaman: Mapped[int] = mapped_column(Integer, default=0)
    versi: Mapped[int] = mapped_column(Integer, default=1)

    record = relationship("Record", backref=backref("arsip", uselist=False))
    jra = relationship("JadwalRetensi")

    @property
    def lokasi(self) -> str:
        """Where the paper original lies, e.g. "Lemari 2 / Rak 1 / Boks 14 / Map 3"."""
        parts = [("Lemari", self.lemari), ("Rak", self.rak), ("Boks", self.boks), ("Map", self.map)]
        return " / ".join(f"{label} {value}" for label, value in parts if value)


class ArsipVersi(Model):
    """One version of an archived record's content; a correction adds one with its reason."""

    __tablename__ = "arsip_versi"
    __table_args__ = (UniqueConstraint("record_id", "versi"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    versi: Mapped[int] = mapped_column(Integer)
    alasan: Mapped[str] = mapped_column(Text, default="")
    file_asli_id: Mapped[int | None] = mapped_column(ForeignKey("record_file.id"))
    file_ocr_id: Mapped[int | None] = mapped_column(ForeignKey("record_file.id"))
    nama_berkas: Mapped[str] = mapped_column(String(255), default="")
    jenis_berkas: Mapped[str] = mapped_column(String(16), default="")
    metadata_json: Mapped[dict] = mapped_column(JSON, default=dict)
    dibuat_oleh: Mapped[str] = mapped_column(String(64))
    dibuat_pada: Mapped[dt.datetime] = mapped_column(DateTime)

    file_asli = relationship("RecordFile", foreign_keys=[file_asli_id])
    file_ocr = relationship("RecordFile", foreign_keys=[file_ocr_id])


class OcrJob(Model):
    """One background OCR job for one version of a scan, with progress the UI shows."""

    __tablename__ = "arsip_tugas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    versi: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # antri, berjalan, selesai, gagal
    halaman: Mapped[int] = mapped_column(Integer, default=0)
    percobaan: Mapped[int] = mapped_column(Integer, default=0)
    pesan: Mapped[str] = mapped_column(Text, default="")
    dibuat_pada: Mapped[dt.datetime] = mapped_column(DateTime)
    mulai: Mapped[dt.datetime | None] = mapped_column(DateTime)
    selesai: Mapped[dt.datetime | None] = mapped_column(DateTime)

    record = relationship("Record")


class Penyusutan(Model):
    """A disposal batch: proposed by the Arsiparis, approved (and executed) by the Camat."""

    __tablename__ = "arsip_penyusutan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # diusulkan, dilaksanakan, ditolak
    catatan: Mapped[str] = mapped_column(Text, default="")
    metode: Mapped[str] = mapped_column(String(120), default="")
    tempat: Mapped[str] = mapped_column(String(200), default="")
    persetujuan_anri: Mapped[str] = mapped_column(String(200), default="")
    persetujuan_kepala_daerah: Mapped[str] = mapped_column(String(200), default="")
    diusulkan_oleh: Mapped[str] = mapped_column(String(64))
    diusulkan_pada: Mapped[dt.datetime] = mapped_column(DateTime)
    diputus_oleh: Mapped[str] = mapped_column(String(64), default="")
    diputus_pada: Mapped[dt.datetime | None] = mapped_column(DateTime)
    alasan_tolak: Mapped[str] = mapped_column(Text, default="")
    berita_acara_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"))

    items = relationship("PenyusutanItem", order_by="PenyusutanItem.id",
                         cascade="all, delete-orphan", back_populates="penyusutan")
    berita_acara = relationship("Record", foreign_keys=[berita_acara_id])
    pihak = relationship("PenyusutanPihak", order_by="PenyusutanPihak.urutan",
                         cascade="all, delete-orphan", back_populates="penyusutan")
    syarat = relationship("PenyusutanSyarat", uselist=False, cascade="all, delete-orphan",
                          back_populates="penyusutan")

    def pihak_peran(self, peran: str) -> list:
        """The panitia members or the witnesses of this batch, in their order."""
        return [p for p in self.pihak if p.peran == peran]


class PenyusutanSyarat(Model):
    """What PP 28/2012 requires of a batch beyond its people: the panitia penilai's written
    assessment and the dates of the Bupati's and the Kepala ANRI's written approvals (their
    numbers are on the batch). One row per batch, made when the panitia records it."""

    __tablename__ = "arsip_penyusutan_syarat"

    penyusutan_id: Mapped[int] = mapped_column(ForeignKey("arsip_penyusutan.id"),
                                               primary_key=True)
    penilaian_panitia: Mapped[str] = mapped_column(Text, default="")
    penilaian_tanggal: Mapped[dt.date | None] = mapped_column(Date)
    penilaian_oleh: Mapped[str] = mapped_column(String(64), default="")
    persetujuan_kepala_daerah_tanggal: Mapped[dt.date | None] = mapped_column(Date)
    persetujuan_anri_tanggal: Mapped[dt.date | None] = mapped_column(Date)

    penyusutan = relationship("Penyusutan", back_populates="syarat")


class PenyusutanPihak(Model):
    """A person named on a disposal batch: a member of the panitia penilai arsip (with the
    unsur the rule requires) or a witness of the destruction (PP 28/2012 Pasal 66-67)."""

    __tablename__ = "arsip_penyusutan_pihak"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    penyusutan_id: Mapped[int] = mapped_column(ForeignKey("arsip_penyusutan.id"), index=True)
    peran: Mapped[str] = mapped_column(String(16))  # panitia, saksi
    unsur: Mapped[str] = mapped_column(String(40), default="")  # ketua, unit_pengolah, arsiparis
    urutan: Mapped[int] = mapped_column(Integer, default=0)
    nama: Mapped[str] = mapped_column(String(120))
    nip: Mapped[str] = mapped_column(String(18), default="")
    jabatan: Mapped[str] = mapped_column(String(120))

    penyusutan = relationship("Penyusutan", back_populates="pihak")


class PenyusutanItem(Model):
    """One record of a disposal batch; after destruction `tombstone` keeps what it was."""

    __tablename__ = "arsip_penyusutan_item"
    __table_args__ = (UniqueConstraint("penyusutan_id", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    penyusutan_id: Mapped[int] = mapped_column(ForeignKey("arsip_penyusutan.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    tombstone: Mapped[dict] = mapped_column(JSON, default=dict)

    penyusutan = relationship("Penyusutan", back_populates="items")
    record = relationship("Record")


class FixityRun(Model):
    """One re-hash of every archived file: what was missing, altered or orphaned."""

    __tablename__ = "arsip_fixity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mulai: Mapped[dt.datetime] = mapped_column(DateTime)
    selesai: Mapped[dt.datetime] = mapped_column(DateTime)
    oleh: Mapped[str] = mapped_column(String(64))
    ok: Mapped[int] = mapped_column(Integer)
    bytes_checked: Mapped[int] = mapped_column(BigInteger)
    mb_per_detik: Mapped[float] = mapped_column(Float)
    missing: Mapped[list] = mapped_column(JSON, default=list)
    altered: Mapped[list] = mapped_column(JSON, default=list)
    orphans: Mapped[list] = mapped_column(JSON, default=list)

    @property
    def clean(self) -> bool:
        """True when nothing was missing or altered (orphans are reported, not failures)."""
        return not (self.missing or self.altered)
