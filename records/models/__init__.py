"""SQLAlchemy models, all on Flask-AppBuilder's declarative base so one metadata holds them."""

from records.models.arsip import (
    Arsip,
    ArsipVersi,
    FixityRun,
    JadwalRetensi,
    Klasifikasi,
    KlasifikasiSkema,
    OcrJob,
    Penyusutan,
    PenyusutanItem,
)
from records.models.audit import AuditEvent
from records.models.batch import BatchItem
from records.models.issuance import HariLibur, IssuedNumber, Layanan, NumberSequence, RecordFile, Register
from records.models.outbox import SearchOutbox
from records.models.pejabat import Pejabat
from records.models.publikasi import Publikasi, PublikasiLangkah, StandarPelayanan, TemplatAset, TemplatVersi
from records.models.records import Record, RecordTransition
from records.models.registry import Keluarga, Penduduk
from records.models.security import AccountSecurity, CacheEpoch, LocalRole, LoginThrottle, SessionEpoch
from records.models.wilayah import Wilayah

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
