"""Structured logging: one JSON object per line, so a clerk's PC log can be grepped and shipped."""

from __future__ import annotations

import json
import logging
import sys

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Format a log record as a single JSON line, keeping `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str) -> None:
    """Send every log line to stderr as JSON (idempotent across app factories)."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
    # FAB logs every permission it creates, WeasyPrint every render step and Alembic its
    # context (lemari prints the revisions it applied) at INFO; only their warnings matter.
    for noisy in ("flask_appbuilder", "weasyprint", "fontTools", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # FAB has no list filter for a time-of-day column (the appointment slots' jam_mulai and
    # jam_selesai) and warns at every start of every command; the lists simply offer none.
    logging.getLogger("flask_appbuilder.models.filters").setLevel(max(logging.ERROR, root.level))
