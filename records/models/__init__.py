"""The core's SQLAlchemy models (features bring their own through the `register_models` hook),
all on Flask-AppBuilder's declarative base so one metadata holds them."""

from records.models.audit import AuditEvent
from records.models.backup import BackupRun, BackupTarget
from records.models.batch import BatchItem
from records.models.idempotency import IdempotencyKey
from records.models.issuance import (
    HariLibur,
    IssuedNumber,
    Layanan,
    NomorLanjutan,
    NumberSequence,
    RecordFile,
    Register,
)
from records.models.kantor import MasaJabatan, PengaturanKantor
from records.models.kependudukan import Keluarga, Penduduk
from records.models.klasifikasi import JadwalRetensi, Klasifikasi, KlasifikasiSkema
from records.models.outbox import SearchOutbox
from records.models.pejabat import Pejabat
from records.models.records import Record, RecordReader
from records.models.security import AccountSecurity, CacheEpoch, LocalRole, LoginThrottle, SessionEpoch
from records.models.wilayah import Wilayah
from records.models.workflow import WorkflowStep

__all__ = [
    "AccountSecurity",
    "AuditEvent",
    "BackupRun",
    "BackupTarget",
    "BatchItem",
    "HariLibur",
    "IdempotencyKey",
    "IssuedNumber",
    "JadwalRetensi",
    "Keluarga",
    "Klasifikasi",
    "KlasifikasiSkema",
    "Layanan",
    "CacheEpoch",
    "LocalRole",
    "LoginThrottle",
    "MasaJabatan",
    "PengaturanKantor",
    "NomorLanjutan",
    "NumberSequence",
    "Pejabat",
    "Penduduk",
    "Record",
    "RecordReader",
    "RecordFile",
    "Register",
    "SearchOutbox",
    "SessionEpoch",
    "Wilayah",
    "WorkflowStep",
]
