"""Public information: versioned service standards, publications and editable templates.

`layanan` stays the current projection that receipts and the queue read (code, nama,
waktu_hari, persyaratan); `standar_pelayanan` keeps every version of a service's standard with
all components of PermenPANRB 15/2014. A save writes the new version and refreshes the
projection in one transaction, so the two never disagree.
"""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from records.models.workflow import history_of


class StandarPelayanan(Model):
    """One version of a service standard; the highest `versi` of a code is the current one."""

    __tablename__ = "standar_pelayanan"
    __table_args__ = (UniqueConstraint("layanan_code", "versi"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layanan_code: Mapped[str] = mapped_column(ForeignKey("layanan.code"), index=True)
    versi: Mapped[int] = mapped_column(Integer)
    nama: Mapped[str] = mapped_column(String(120))
    kelompok: Mapped[str] = mapped_column(String(60), default="")
    ringkasan: Mapped[str] = mapped_column(Text, default="")
    persyaratan: Mapped[list] = mapped_column(JSON, default=list)
    # [{"kegiatan", "pelaksana" (actor code), "waktu", "output"}] in order
    prosedur: Mapped[list] = mapped_column(JSON, default=list)
    waktu_hari: Mapped[int] = mapped_column(Integer)
    biaya: Mapped[int] = mapped_column(Integer, default=0)
    dasar_biaya: Mapped[str] = mapped_column(Text, default="")
    produk: Mapped[str] = mapped_column(String(200), default="")
    pengaduan: Mapped[str] = mapped_column(Text, default="")
    sarana: Mapped[list] = mapped_column(JSON, default=list)
    kompetensi: Mapped[list] = mapped_column(JSON, default=list)
    dasar_hukum: Mapped[str] = mapped_column(Text, default="")
    pengawasan: Mapped[str] = mapped_column(Text, default="")
    jumlah_pelaksana: Mapped[str] = mapped_column(String(200), default="")
    jaminan_pelayanan: Mapped[str] = mapped_column(Text, default="")
    jaminan_keamanan: Mapped[str] = mapped_column(Text, default="")
    evaluasi: Mapped[str] = mapped_column(Text, default="")
    keputusan: Mapped[str] = mapped_column(String(200), default="")  # Keputusan Camat nomor/tanggal
    catatan: Mapped[str] = mapped_column(Text, default="")  # why this version was made
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    # basis of the jangka waktu, and the legal statements printed on the products
    # ([{"teks", "dasar_hukum"}], e.g. how long a KTP-el is valid and for whom); revision 0004
    dasar_waktu: Mapped[str] = mapped_column(Text, default="")
    ketentuan: Mapped[list] = mapped_column(JSON, default=list)


class Publikasi(Model):
    """A notice (pengumuman) or poster on its way through the publication workflow.

    The PDF and previews are rendered when the draft is saved and frozen from submission on,
    so what the Camat approves is byte for byte what the public gets.
    """

    # Archive blobs this row owns (sha256, or "<sha256>.<ext>"), so fixity keeps them.
    __blob_columns__ = ("pdf_sha256", "png_sha256", "layar_sha256", "gambar")

    __tablename__ = "publikasi"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jenis: Mapped[str] = mapped_column(String(16), index=True)  # "pengumuman" | "poster"
    templat: Mapped[str] = mapped_column(String(40))
    judul: Mapped[str] = mapped_column(String(200))
    isi: Mapped[str] = mapped_column(Text, default="")
    layanan_code: Mapped[str | None] = mapped_column(ForeignKey("layanan.code"), nullable=True)
    kelompok: Mapped[str] = mapped_column(String(60), default="")
    ukuran: Mapped[str] = mapped_column(String(4), default="A4")
    gambar: Mapped[str] = mapped_column(String(80), default="")  # "<sha256>.<png|jpg>" or ""
    state: Mapped[str] = mapped_column(String(32), index=True)
    berlaku_mulai: Mapped[dt.date] = mapped_column(Date)
    berlaku_sampai: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    png_sha256: Mapped[str] = mapped_column(String(64), default="")
    layar_sha256: Mapped[str] = mapped_column(String(64), default="")
    halaman: Mapped[int] = mapped_column(Integer, default=0)
    templat_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    history = history_of("publikasi", "Publikasi")


class TemplatVersi(Model):
    """A saved version of an editable print template; the highest `versi` of a name is live.

    Only versions that compiled and rendered a sample are ever stored, so the live template is
    always the last good one.
    """

    __tablename__ = "templat_versi"
    __table_args__ = (UniqueConstraint("nama", "versi"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nama: Mapped[str] = mapped_column(String(40), index=True)
    versi: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    catatan: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class TemplatAset(Model):
    """An image uploaded for the templates (logo, illustration), stored in the archive."""

    __blob_columns__ = ("sha256",)

    __tablename__ = "templat_aset"

    nama: Mapped[str] = mapped_column(String(80), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime)
