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

# Address printed in QR codes and verification links; set it to the address citizens can
# reach (e.g. the office's public host name) before issuing real documents.
PUBLIC_BASE_URL = "http://127.0.0.1:8080"

# Folder of the content-addressed archive. Empty means <HOME>/archive.
ARCHIVE_DIR = ""

# Largest single file the archive accepts, in bytes.
ARCHIVE_MAX_BYTES = 256 * 1024 * 1024

# PDF render worker processes (rendering never runs in the web request thread).
PDF_WORKERS = 1

# Seconds one PDF may take to render before its worker is stopped.
PDF_TIMEOUT_SECONDS = 30

# Office signing certificate (PEM), key (PEM) and CA chain (PEM). Empty means the demo
# certificate that `lemari init` creates in <HOME>/pki (NOT a legal signature: BSrE issues
# the real one).
SIGNING_CERT = ""
# Private key matching SIGNING_CERT.
SIGNING_KEY = ""
# CA certificate(s) that verification trusts, PEM.
SIGNING_CA = ""

# Letterhead: government line, office name, address and contacts, and the place of signing.
OFFICE_GOVERNMENT = "PEMERINTAH KABUPATEN KUTAI KARTANEGARA"
# Office name on the letterhead.
OFFICE_NAME = "KECAMATAN KOTA BANGUN"
# Street address on the letterhead.
OFFICE_ADDRESS = "Jl. Poros Kota Bangun, Kota Bangun Ulu, Kutai Kartanegara, Kalimantan Timur 75561"
# Telephone on the letterhead (empty to omit).
OFFICE_PHONE = ""
# E-mail on the letterhead (empty to omit).
OFFICE_EMAIL = ""
# Website on the letterhead (empty to omit).
OFFICE_WEBSITE = ""
# Place printed before the date of signing.
OFFICE_PLACE = "Kota Bangun"

# Time zone of the office (WITA for Kalimantan Timur); dates printed on documents and
# promised completion dates use it, stored timestamps are UTC.
TIMEZONE = "Asia/Makassar"

# Search engine behind the search port: "whoosh" (embedded, default) or "postgres" (PostgreSQL
# full text in the app's own PostgreSQL database: DATABASE_URL must point at PostgreSQL).
SEARCH_BACKEND = "whoosh"
# Folder of the Whoosh search index (a rebuildable cache of the database). Empty means <HOME>/index.
SEARCH_INDEX_DIR = ""
