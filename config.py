"""Lemari settings: documented defaults only.

Every key here can be overridden by an environment variable ``LEMARI_<KEY>`` (read by
``records.settings.load_config``) or by ``<LEMARI_HOME>/config.py`` on the office machine.
Nothing here may import the application: this file is read before the app exists.
"""

import os

# Data folder holding the database, archived files, search index and keys. Relative paths are
# resolved against the current directory; `make run` uses ./instance.
HOME = os.environ.get("LEMARI_HOME", "instance")

# SQLAlchemy URL. Empty means "SQLite file lemari.db inside HOME" (WAL, foreign keys,
# synchronous=FULL). Set e.g. postgresql+psycopg://postgres@127.0.0.1:5432/lemari to scale out.
DATABASE_URL = ""

# Address and port `lemari serve` (and `make run`) listen on. Keep 127.0.0.1 unless the office
# LAN must reach this PC; then put it behind the office firewall.
HOST = "127.0.0.1"
# Port of `lemari serve`.
PORT = 8080

# Default interface language ("id" Bahasa Indonesia or "en" English); users can switch.
DEFAULT_LOCALE = "id"

# Plugins (by registered name) that must not load, comma separated. Essential plugins refuse.
DISABLED_PLUGINS = ""

# Print every plugin hook call to the log (debugging a plugin).
TRACE_PLUGINS = False

# Largest registry import file accepted (CSV/XLSX), in bytes.
IMPORT_MAX_BYTES = 5 * 1024 * 1024

# Largest number of rows in one registry import file.
IMPORT_MAX_ROWS = 20000

# Largest HTTP request body (uploads included), in bytes.
MAX_CONTENT_LENGTH = 64 * 1024 * 1024

# Log level for the structured (one JSON object per line) application log.
LOG_LEVEL = "INFO"

# Name printed in the navbar and on documents.
APP_NAME = "Lemari — Kecamatan Kota Bangun"

# Kemendagri code of the kecamatan this installation serves.
KECAMATAN_CODE = "64.02.08"

# Lifetime of a login session, in minutes of inactivity.
SESSION_IDLE_MINUTES = 30
