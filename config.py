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
# Main worker processes of `lemari serve` on Linux (gunicorn; the counters, kiosk and TV get a
# front-office process of their own): 0 = as many as CPU cores (at least 2); 1 = one waitress
# process (as on Windows). Each worker takes ~150 MB and its own render workers.
SERVE_WORKERS = 0

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

# Login attempts (form and REST) accepted per client address; more answer 429 for a while
# (Flask-Limiter syntax, e.g. "10 per minute").
LOGIN_RATE_LIMIT = "10 per minute"
# Failed logins in a row, for one account from one address, after which that address must
# wait before its next try for that account (other addresses are not held back).
LOGIN_MAX_FAILURES = 5
# Seconds that first wait lasts; it doubles with each further failure from the address.
LOGIN_BACKOFF_SECONDS = 60
# Longest wait, in minutes; also how long an account stays shut to outside addresses after
# LOGIN_ACCOUNT_MAX_FAILURES failures from all addresses together.
LOGIN_LOCK_MINUTES = 15
# Failures from all addresses together (since the account's last success) that shut the
# account to addresses outside LOGIN_OFFICE_NETWORKS; the office itself still gets in.
LOGIN_ACCOUNT_MAX_FAILURES = 50
# The office's own networks (comma-separated CIDR): a clerk there is never shut out by
# failures from elsewhere. Narrow it to the office LAN when the server is reachable from outside.
LOGIN_OFFICE_NETWORKS = "127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16"
# Public look-ups (/lacak, /verify, /pengaduan/lacak, together) accepted per client address;
# more answer 429 with Retry-After (Flask-Limiter syntax, counters where RATELIMIT_STORAGE_URI says).
LOOKUP_RATE_LIMIT = "30 per minute"
# The applicant look-up on the intake form (suggestions while a clerk types), per account;
# generous for typing, a wall for a script paging through the register.
APPLICANT_LOOKUP_RATE_LIMIT = "120 per minute"
# Where rate-limit counters live: "memory://" (one server process, the default) or Redis
# when several processes or PCs serve the office, e.g. redis://127.0.0.1:6379/0.
RATELIMIT_STORAGE_URI = "memory://"
# Send cookies over HTTPS only. Turn on when the office serves Lemari over HTTPS (it is then
# also on automatically when PUBLIC_BASE_URL starts with https://).
SESSION_COOKIE_SECURE = False

# Address printed in QR codes and verification links; set it to the address citizens can
# reach (e.g. the office's public host name) before issuing real documents.
PUBLIC_BASE_URL = "http://127.0.0.1:8080"

# Folder of the content-addressed archive. Empty means <HOME>/archive.
ARCHIVE_DIR = ""

# Largest single file the archive accepts, in bytes.
ARCHIVE_MAX_BYTES = 256 * 1024 * 1024

# PDF render worker processes (rendering never runs in the web request thread). 0 means one
# per CPU core, at most 4 (each takes 100-200 MB of memory).
PDF_WORKERS = 0

# Seconds one PDF may take to render before its worker is stopped.
PDF_TIMEOUT_SECONDS = 30

# Letters that may wait for a busy render worker (beyond the workers themselves); more are
# refused at once with 503 and Retry-After, so waiting letters never hold every server thread.
PDF_QUEUE_MAX = 4
# Seconds a letter may wait for a free render worker before it is refused with 503.
PDF_QUEUE_WAIT_SECONDS = 20

# Keep the render workers for the whole process instead of per app, shared by every app built
# in it with the same templates (the test suite and benchmarks build many apps in one process).
PDF_POOL_PER_PROCESS = False

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
# Name of the kecamatan ("Kota Bangun") and of its kabupaten or kota ("Kabupaten Kutai
# Kartanegara"). When set, they give the kop lines (OFFICE_NAME, OFFICE_GOVERNMENT) and the
# place of signing. The Admin's setup page (or `lemari setup kantor`) stores all office values
# in the database; these settings are the defaults until then.
KECAMATAN = ""
# Kabupaten or kota of the kecamatan, with its kind ("Kabupaten …" or "Kota …").
KABUPATEN = ""
# Paper size of letters: "F4" (215 × 330 mm) or "A4".
PAPER_SIZE = "F4"
# Demo office: allows a loopback PUBLIC_BASE_URL (`lemari demo` turns it on). Outside demo
# mode nothing is printed while the public address only reaches the server itself.
DEMO_MODE = False
# Largest logo (lambang) the setup page accepts, in bytes.
OFFICE_LOGO_MAX_BYTES = 512 * 1024
# Opening hours printed on posters, pamphlets and the public pages.
OFFICE_HOURS = "Senin–Kamis 08.00–15.30 WITA · Jumat 08.00–11.00 WITA"

# Folder of the live editable print templates (posters, notices) and their images. Empty means
# <HOME>/templat_publikasi. The database holds every version; this folder is rebuilt from it.
PUBLISH_TEMPLATE_DIR = ""
# Seconds one poster, notice or pamphlet may take to render; an edited template that loops is
# stopped after this and refused.
PUBLISH_RENDER_TIMEOUT_SECONDS = 20
# Posters and template previews that may wait for the (one) publishing render worker; more
# are refused at once with 503 and Retry-After, so runaway previews hold at most two threads.
PUBLISH_RENDER_QUEUE_MAX = 1
# Seconds a poster or preview may wait for the publishing render worker before a 503.
PUBLISH_RENDER_WAIT_SECONDS = 10

# Time zone of the office (WITA for Kalimantan Timur); dates printed on documents and
# promised completion dates use it, stored timestamps are UTC.
TIMEZONE = "Asia/Makassar"

# The Camat endorses a desa's SKTM only while the desa's letter is recent: days it stays
# usable, and the rule the office follows for that number. No national regulation sets it
# (the SKTM itself is a desa letter, UU 6/2014 Pasal 26 ayat (4)); set both from the Perbup or
# the kecamatan's SOP when there is one. docs/documents.md, "Pengesahan SKTM".
SKTM_BATAS_UMUR_HARI = 90
# The rule SKTM_BATAS_UMUR_HARI follows, as the office cites it (shown in docs/documents.md).
SKTM_BATAS_UMUR_DASAR = ("Kebijakan kantor (belum ada Perbup Kutai Kartanegara yang ditemukan); "
                         "ubah SKTM_BATAS_UMUR_HARI dan dasar ini bila ada ketentuan daerah")

# Search engine behind the search port. Empty (the default) means the full text of the app's
# own database: "sqlite" (SQLite FTS5 tables beside the records) on SQLite, "postgres"
# (PostgreSQL full text) on PostgreSQL. "whoosh" (a folder of its own) is kept as a supported
# adapter. docs/decisions.md, "Embedded search: SQLite FTS5 in the records' database".
SEARCH_BACKEND = ""
# Folder of the Whoosh search index (SEARCH_BACKEND=whoosh only). Empty means <HOME>/index.
SEARCH_INDEX_DIR = ""

# --- Archive (scans, OCR, fixity, backup) ---------------------------------------------------
# Job queue of background work (OCR, nightly fixity). Empty means a SQLite file jobs.db in
# HOME (no broker to install); redis://127.0.0.1:6379/0 moves it to Redis.
JOBS_URL = ""
# Run jobs at once in the caller instead of queueing them (tests and one-off scripts only).
JOBS_IMMEDIATE = False
# Worker threads `lemari serve` starts for jobs; each OCR job uses one core (OMP_THREAD_LIMIT=1).
JOB_WORKERS = 2
# Seconds a long job (OCR, fixity) held by a gate (the UPS on battery) waits before it tries again.
JOB_GATE_RETRY_SECONDS = 60
# Folder of the audit trail's signed checkpoints (its head: last entry, hash, count), one file
# a day. Empty means <HOME>/titik_periksa_audit; better on another disk or a mounted share.
AUDIT_CHECKPOINT_DIR = ""
# Local time of the daily audit checkpoint (hour 0-23).
AUDIT_CHECKPOINT_HOUR = 23
# Minute of the daily audit checkpoint.
AUDIT_CHECKPOINT_MINUTE = 50
# Local time of the nightly fixity check of every archived file (hour 0-23, minute 0-59).
FIXITY_HOUR = 2
# Minute of the nightly fixity check.
FIXITY_MINUTE = 30
# Local time of the daily automatic backup to every configured target (after office hours).
BACKUP_HOUR = 17
# Minute of the daily automatic backup.
BACKUP_MINUTE = 30
# Generations kept on each target: the newest of each of the last N days, weeks and months.
BACKUP_KEEP_DAILY = 7
# Weekly generations kept (the newest of each ISO week).
BACKUP_KEEP_WEEKLY = 4
# Monthly generations kept (the newest of each month).
BACKUP_KEEP_MONTHLY = 12
# Hours after the last good backup of a target before the home page and doctor call it missed.
BACKUP_MAX_AGE_HOURS = 26
# Megabytes a backup leaves free on its target: a backup that would leave less is refused
# before it writes anything (the previous generations stay).
BACKUP_RESERVE_MB = 8
# A target with less free space than this share (percent) after a backup is warned about.
BACKUP_WARN_FREE_PERCENT = 10
# A target whose free space holds fewer backups than this (each the size of the last one: its
# generation, the files it added, the reserve) is warned about while backups still succeed.
BACKUP_WARN_RUNS_LEFT = 3
# Day of the week of the restore drill (0 Sunday … 6 Saturday), and its local hour and minute.
BACKUP_DRILL_WEEKDAY = 5
# Local hour of the weekly restore drill.
BACKUP_DRILL_HOUR = 18
# Minute of the weekly restore drill.
BACKUP_DRILL_MINUTE = 30
# Days after the last passed restore drill before it is called missed.
BACKUP_DRILL_MAX_AGE_DAYS = 8
# File (mode 0600, inside the data folder's disk) holding the backup passphrase, read only by the
# unattended weekly restore drill. Empty: the drill needs `lemari backup drill` typed by a person.
BACKUP_PASSPHRASE_FILE = ""
# The office's SSH key for SFTP targets (OpenSSH at the kabupaten). Empty: cadangan/kunci-ssh in
# the data folder, made by `lemari backup sftp-key`.
BACKUP_SFTP_KEY_FILE = ""
# Seconds to wait for an SFTP server to answer (connect, login, each read or write).
BACKUP_SFTP_TIMEOUT_SECONDS = 20.0
# Tesseract languages for OCR of scans (Indonesian plus English).
OCR_LANGUAGES = "ind+eng"
# Seconds Tesseract may spend on one page before the page is given up.
OCR_SECONDS_PER_PAGE = 120
# Largest image page a scan may have, in pixels (an A3 page at 600 dpi is ~70 million).
SCAN_MAX_PIXELS = 90_000_000
# Most pages one scan file may have.
SCAN_MAX_PAGES = 2000
# Seconds the sandboxed reader may spend opening one scan before it is refused.
SCAN_PROBE_SECONDS = 30
# Address-space ceiling of the sandboxed reader, in MB.
SCAN_PROBE_MEMORY_MB = 1024
# Front office (issue 7). Tickets one kiosk (one address) may take per minute; a flood from
# a script is refused, a busy morning at the kiosk is not.
KIOSK_TICKETS_PER_MINUTE = 30
# Complaints accepted per address per hour on the public form (/pengaduan).
PENGADUAN_PER_HOUR = 5
# Bookings (janji layanan) accepted per address per hour on the public page and the kiosk.
JANJI_PER_HOUR = 5
# ... and at the kiosk, which is one address serving the whole waiting room.
JANJI_KIOSK_PER_HOUR = 60
# Wrong booking codes one address may type per minute at the kiosk's check-in (/antrian/hadir)
# before it must wait: a typo is fine, guessing someone's code is not.
JANJI_WRONG_CODES_PER_MINUTE = 5
# How often the TV display (/antrian/layar) asks for news, in milliseconds (≤ 2 s promised).
DISPLAY_POLL_MS = 1000
# Width of the thermal ticket printer at the kiosk: 58 or 80 (millimetres).
TICKET_WIDTH_MM = 80

# --- kabupaten (records/tenancy): several kecamatan in one PostgreSQL deployment -----------
# The kecamatan (its short name, see `lemari tenant daftar`) a command works on in a kabupaten
# deployment, e.g. LEMARI_TENANT=kotabangun lemari doctor. Empty: the single-office install, or
# for `lemari serve` on a kabupaten database every kecamatan (by host name or /k/<name>/).
TENANT = ""
# Seconds a kabupaten server keeps its list of kecamatan before reading it again, so a kecamatan
# added on one node is served by every node without a restart.
TENANT_REFRESH_SECONDS = 10
# PostgreSQL connections a kabupaten process keeps open for all its kecamatan together (one
# pool, records/pg_pool).
DATABASE_POOL_SIZE = 32
# How many more it may open in a burst (closed after it).
DATABASE_POOL_OVERFLOW = 8
# A PostgreSQL streaming replica of DATABASE_URL (postgresql+psycopg://…) where searches read
# while it is fresh (records/replica). Empty: every read goes to DATABASE_URL.
DATABASE_REPLICA_URL = ""
# Seconds a search may lag behind the primary: the replica is used only while it has replayed
# everything the primary had written this long ago.
REPLICA_MAX_LAG_SECONDS = 10

# --- power (records/daya): the office UPS watched through NUT's upsd ------------------------
# Host of NUT's upsd that serves the office UPS (e.g. 127.0.0.1). Empty: the UPS is not watched
# and `lemari doctor` says so.
UPS_HOST = ""
# TCP port of upsd (NUT's default is 3493).
UPS_PORT = 3493
# Name of the UPS in upsd's ups.conf (the [section] name).
UPS_NAME = "ups"
# Seconds between two readings of the UPS status.
UPS_POLL_SECONDS = 5.0
# Seconds a reading may take before the UPS counts as unreachable.
UPS_TIMEOUT_SECONDS = 3.0
# Folder of the backups taken when the office goes on battery. Empty means <HOME>/cadangan_daya.
UPS_BACKUP_DIR = ""
# Seconds a clean shutdown at low battery waits for a backup still being taken.
UPS_BACKUP_WAIT_SECONDS = 60.0
