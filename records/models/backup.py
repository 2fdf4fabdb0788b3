"""Backup targets and the record of every backup and restore drill (issue 21)."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class BackupTarget(Model):
    """Where automatic backups go: a folder (an external drive's mount point, a share of another
    PC) or an SFTP server. `label` names the text of the file LEMARI-LABEL a drive must carry,
    so an unplugged drive's empty mount point is never written to."""

    __audit_area__ = "konfigurasi"

    __tablename__ = "cadangan_target"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nama: Mapped[str] = mapped_column(String(80), unique=True)
    jenis: Mapped[str] = mapped_column(String(10), default="folder")
    lokasi: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(80), default="")
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)
    dibuat: Mapped[dt.datetime] = mapped_column(DateTime)


class BackupRun(Model):
    """One backup to one target, or one restore drill: when, why, and how it ended.

    `status` is `berjalan` until it ends as `berhasil` or `gagal`; a run still `berjalan` after
    its process died is what a power cut leaves, and counts as failed."""

    __tablename__ = "cadangan_riwayat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jenis: Mapped[str] = mapped_column(String(10))  # cadangan | latihan
    pemicu: Mapped[str] = mapped_column(String(12))  # jadwal | pembaruan | manual | ups
    target_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    target_nama: Mapped[str] = mapped_column(String(80), default="")
    mulai: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    selesai: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="berjalan")
    generasi: Mapped[str] = mapped_column(String(40), default="")
    berkas_baru: Mapped[int] = mapped_column(Integer, default=0)
    byte_ditulis: Mapped[int] = mapped_column(BigInteger, default=0)
    pesan: Mapped[str] = mapped_column(Text, default="")
