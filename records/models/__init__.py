"""SQLAlchemy models, all on Flask-AppBuilder's declarative base so one metadata holds them."""

from .arsip import (Arsip, ArsipVersi, FixityRun, JadwalRetensi, Klasifikasi, KlasifikasiSkema,
                    OcrJob, Penyusutan, PenyusutanItem)
from .audit import AuditEvent
from .issuance import HariLibur, IssuedNumber, Layanan, NumberSequence, RecordFile, Register
from .pejabat import Pejabat
from .outbox import SearchOutbox
from .records import Record, RecordTransition
from .registry import Keluarga, Penduduk
from .security import LocalRole
from .wilayah import Wilayah

__all__ = ["Arsip", "ArsipVersi", "FixityRun", "JadwalRetensi", "Klasifikasi", "KlasifikasiSkema", "OcrJob", "Penyusutan", "PenyusutanItem", "AuditEvent", "SearchOutbox", "HariLibur", "IssuedNumber", "Layanan", "NumberSequence", "RecordFile", "Register", "Keluarga", "LocalRole", "Pejabat", "Penduduk", "Record", "RecordTransition", "Wilayah"]
