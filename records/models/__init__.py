"""SQLAlchemy models, all on Flask-AppBuilder's declarative base so one metadata holds them."""

from .audit import AuditEvent
from .records import Record, RecordTransition
from .registry import Keluarga, Penduduk
from .security import LocalRole
from .wilayah import Wilayah

__all__ = ["AuditEvent", "Keluarga", "LocalRole", "Penduduk", "Record", "RecordTransition", "Wilayah"]
