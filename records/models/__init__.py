"""SQLAlchemy models, all on Flask-AppBuilder's declarative base so one metadata holds them."""

from .audit import AuditEvent
from .issuance import HariLibur, IssuedNumber, Layanan, NumberSequence, RecordFile, Register
from .klasifikasi import Klasifikasi
from .pejabat import Pejabat
from .outbox import SearchOutbox
from .records import Record, RecordTransition
from .registry import Keluarga, Penduduk
from .security import LocalRole
from .wilayah import Wilayah

__all__ = ["AuditEvent", "SearchOutbox", "HariLibur", "IssuedNumber", "Klasifikasi", "Layanan", "NumberSequence", "RecordFile", "Register", "Keluarga", "LocalRole", "Pejabat", "Penduduk", "Record", "RecordTransition", "Wilayah"]
