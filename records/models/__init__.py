"""SQLAlchemy models, all on Flask-AppBuilder's declarative base so one metadata holds them."""

from .audit import AuditEvent
from .batch import BatchItem
from .issuance import HariLibur, IssuedNumber, Layanan, NumberSequence, RecordFile, Register
from .pejabat import Pejabat
from .publikasi import Publikasi, PublikasiLangkah, StandarPelayanan, TemplatAset, TemplatVersi
from .outbox import SearchOutbox
from .records import Record, RecordTransition
from .registry import Keluarga, Penduduk
from .security import AccountSecurity, LocalRole
from .wilayah import Wilayah

__all__ = ["AccountSecurity", "AuditEvent", "BatchItem", "SearchOutbox", "HariLibur", "IssuedNumber", "Layanan", "NumberSequence", "RecordFile", "Register", "Keluarga", "LocalRole", "Pejabat", "Penduduk", "Publikasi", "PublikasiLangkah", "StandarPelayanan", "TemplatAset", "TemplatVersi", "Record", "RecordTransition", "Wilayah"]
