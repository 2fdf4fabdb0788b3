"""SQLAlchemy models, all on Flask-AppBuilder's declarative base so one metadata holds them."""

from .arsip import (
                    Arsip,
                    ArsipVersi,
                    FixityRun,
                    JadwalRetensi,
                    Klasifikasi,
                    KlasifikasiSkema,
                    OcrJob,
                    Penyusutan,
                    PenyusutanItem,
                    PenyusutanPihak,
                    PenyusutanSyarat,
)
from .audit import AuditEvent
from .batch import BatchItem
from .issuance import HariLibur, IssuedNumber, Layanan, NumberSequence, RecordFile, Register
from .outbox import SearchOutbox
from .pejabat import Pejabat
from .publikasi import Publikasi, PublikasiLangkah, StandarPelayanan, TemplatAset, TemplatVersi
from .records import Record, RecordTransition
from .registry import Keluarga, Penduduk
from .security import AccountSecurity, CacheEpoch, LocalRole, LoginThrottle, SessionEpoch
from .wilayah import Wilayah

__all__ = [
    "AccountSecurity",
    "Arsip",
    "ArsipVersi",
    "AuditEvent",
    "BatchItem",
    "FixityRun",
    "HariLibur",
    "IssuedNumber",
    "JadwalRetensi",
    "Keluarga",
    "Klasifikasi",
    "KlasifikasiSkema",
    "Layanan",
    "CacheEpoch",
    "LocalRole",
    "LoginThrottle",
    "NumberSequence",
    "OcrJob",
    "Pejabat",
    "Penduduk",
    "Penyusutan",
    "PenyusutanItem",
    "PenyusutanPihak",
    "PenyusutanSyarat",
    "Publikasi",
    "PublikasiLangkah",
    "Record",
    "RecordFile",
    "RecordTransition",
    "Register",
    "SearchOutbox",
    "SessionEpoch",
    "StandarPelayanan",
    "TemplatAset",
    "TemplatVersi",
    "Wilayah",
]
