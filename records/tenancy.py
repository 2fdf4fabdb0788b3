"""Kecamatan as tenants of one kabupaten deployment (issue 19): a PostgreSQL schema each.

A kabupaten database holds a schema ``kec_<name>`` per kecamatan with every Lemari table, built
by the same migrations as a single office's database, and a schema ``lemari_kabupaten`` with the
register of kecamatan (name, Kemendagri code, host names). ``public`` holds extensions only
(pg_trgm, which search needs and a database can install once).

A kecamatan's app is an ordinary Lemari app (``create_app``) with:

- connections whose ``search_path`` is ``kec_<name>, public`` (in the database URL, so the
  URL itself says which kecamatan a pool, a cache or a search index belongs to);
- its own data folder ``<HOME>/kecamatan/<name>`` (archive files, signing key, audit
  checkpoints, job queue, secret key) on the volume every app node shares;
- its own session cookie name and secret key (records.app), so a login is worth nothing in
  another kecamatan.

Isolation is structural: no query of a kecamatan's app can reach another kecamatan's rows, and
the permission rules, desa scoping and their route × role matrix stay the single office's. A
single-office install is none of this: no TENANT, the tables where they always were.

`Kabupaten` is the WSGI app of a kabupaten node: it picks the kecamatan by host name or by the
path prefix ``/k/<name>`` (moved to SCRIPT_NAME, so every link the app builds keeps it) and
builds each kecamatan's app on its first request. Adding a kecamatan (`add_kecamatan`) is safe
to repeat after a crash at any point: the schema, migrations and seeds are idempotent, and the
kecamatan is registered (and so served) only after all of them committed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from records.exceptions import RecordsError

log = logging.getLogger(__name__)

REGISTRY_SCHEMA = "lemari_kabupaten"
#: Advisory lock held while the register's schema and a kecamatan's schema are created.
REGISTRY_LOCK = 7460011
SCHEMA_PREFIX = "kec_"
PATH_PREFIX = "/k/"
NAME_RE = re.compile(r"^[a-z][a-z0-9]{1,29}$")
KODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")

_metadata = MetaData(schema=REGISTRY_SCHEMA)
REGISTRY = Table(
    "kecamatan", _metadata,
    Column("nama_singkat", String(30), primary_key=True),  # in URLs, schemas, cookies
    Column("nama", String(100), nullable=False),
    Column("kode", String(8), nullable=False, unique=True),  # Kemendagri, e.g. 64.02.08
    Column("host", Text, nullable=False, default=""),  # host names, comma separated
    Column("alamat_publik", Text, nullable=False, default=""),  # PUBLIC_BASE_URL
    Column("dibuat", DateTime, nullable=False),
)


AKUN = Table(
    "akun_kabupaten", _metadata,
    Column("nama_pengguna", String(64), primary_key=True),
    Column("peran", String(40), nullable=False),
    Column("kecamatan", Text, nullable=False, default=""),  # names, comma separated; "" = all
    Column("diubah", DateTime, nullable=False),
)


@dataclass(frozen=True)
class PeranKabupaten:
    """A kabupaten-wide role: the role its accounts hold in each kecamatan they reach, and why."""

    nama: str
    peran_kecamatan: str
    tugas: str
    dasar: str


#: The kabupaten-wide roles and their reach (issue 19). An account of one of them exists in every
#: kecamatan it reaches, with the same name and password, holding `peran_kecamatan` there.
PERAN_KABUPATEN = (
    PeranKabupaten("Admin Kabupaten", "Admin",
                   "Diskominfo, penyelenggara pemasangan kabupaten: akun, pengaturan dan cadangan "
                   "setiap kecamatan",
                   "Perpres 95/2018 tentang Sistem Pemerintahan Berbasis Elektronik"),
    PeranKabupaten("Inspektorat", "Auditor",
                   "Aparat pengawas internal: membaca catatan dan log audit, tanpa mengubah apa pun",
                   "PP 12/2017 tentang Pembinaan dan Pengawasan Penyelenggaraan Pemerintahan Daerah"),
    PeranKabupaten("Dinas Dukcapil", "Auditor",
                   "Pembina layanan administrasi kependudukan: membaca catatan layanan kecamatan",
                   "UU 23/2006 jo. UU 24/2013 tentang Administrasi Kependudukan"),
)


class TenancyError(RecordsError):
    """A kecamatan could not be added, found or served; nothing was registered."""


@dataclass(frozen=True)
class Kecamatan:
    """One kecamatan of the deployment, as registered."""

    nama_singkat: str
    nama: str
    kode: str
    hosts: tuple[str, ...] = ()
    alamat_publik: str = ""

    @property
    def schema(self) -> str:
        return SCHEMA_PREFIX + self.nama_singkat


def tenant_url(url: str, schema: str) -> str:
    """The database URL whose connections work in `schema` (then public, for extensions)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise TenancyError("Beberapa kecamatan dalam satu pemasangan memerlukan PostgreSQL "
                           "(DATABASE_URL postgresql+psycopg://…); SQLite melayani satu kantor.")
    return parsed.update_query_dict({"options": f"-csearch_path={schema},public"}).render_as_string(
        hide_password=False)


def _registry_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)


def registered(engine: Engine) -> list[Kecamatan]:
    """Every registered kecamatan, by name; empty when the database is no kabupaten's (a
    single office's, or SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        if not inspect(conn).has_table("kecamatan", schema=REGISTRY_SCHEMA):
            return []
        rows = conn.execute(select(REGISTRY).order_by(REGISTRY.c.nama_singkat)).mappings().all()
    return [_kecamatan(row) for row in rows]


def _kecamatan(row: Any) -> Kecamatan:
    hosts = tuple(h.strip().lower() for h in (row["host"] or "").split(",") if h.strip())
    return Kecamatan(row["nama_singkat"], row["nama"], row["kode"], hosts, row["alamat_publik"] or "")


def find(database_url: str, nama_singkat: str) -> Kecamatan:
    """The registered kecamatan of that name, or a TenancyError listing the known ones."""
    engine = _registry_engine(database_url)
    try:
        known = registered(engine)
    finally:
        engine.dispose()
    for kecamatan in known:
        if kecamatan.nama_singkat == nama_singkat:
            return kecamatan
    names = ", ".join(k.nama_singkat for k in known) or "belum ada"
    raise TenancyError(f"Kecamatan {nama_singkat!r} tidak terdaftar di basis data ini (terdaftar: {names}).")


def tenant_config(base: Mapping[str, Any], kecamatan: Kecamatan) -> dict[str, Any]:
    """The settings that make a Lemari app this kecamatan's, over the deployment's `base`."""
    home = tenant_home(base, kecamatan)
    by_path = base["PUBLIC_BASE_URL"].rstrip("/") + PATH_PREFIX + kecamatan.nama_singkat
    public = kecamatan.alamat_publik or (f"https://{kecamatan.hosts[0]}" if kecamatan.hosts else by_path)
    return {"HOME": str(home), "DATABASE_URL": tenant_url(base["DATABASE_URL"], kecamatan.schema),
            "TENANT": kecamatan.nama_singkat, "KECAMATAN_CODE": kecamatan.kode,
            "KECAMATAN": kecamatan.nama, "APP_NAME": f"Lemari — Kecamatan {kecamatan.nama}",
            "OFFICE_NAME": f"KECAMATAN {kecamatan.nama.upper()}", "OFFICE_PLACE": kecamatan.nama,
            "PUBLIC_BASE_URL": public,
            # one pool of PDF render workers per process for every kecamatan (their templates are
            # the same; kop, logo and signatories travel with each job, signing is in the app)
            "PDF_POOL_PER_PROCESS": True}


def tenant_app(base: Mapping[str, Any], kecamatan: Kecamatan, overrides: Mapping[str, Any] | None = None):
    """The kecamatan's Lemari app (`overrides`: what the caller's own app was given, e.g. by tests)."""
    from records.app import create_app

    return create_app({**dict(overrides or {}), **tenant_config(base, kecamatan)})


def app_for_command():
    """The app of a `lemari` command: the kecamatan named by TENANT, else the single office's."""
    from records.app import create_app
    from records.settings import load_config

    settings = load_config()
    if not settings["TENANT"]:
        return create_app()
    return tenant_app(settings, find(settings["SQLALCHEMY_DATABASE_URI"], settings["TENANT"]))


# --- adding a kecamatan ---------------------------------------------------------------------

def add_kecamatan(base: Mapping[str, Any], *, nama_singkat: str, nama: str, kode: str,
                  hosts: Iterable[str] = (), alamat_publik: str = "",
                  overrides: Mapping[str, Any] | None = None, prepare: Callable[[Any], None] | None = None,
                  finish: Callable[[Any], None] | None = None) -> Kecamatan:
    """Create the kecamatan's schema, migrate and seed it as `lemari init` does, then register
    it. `prepare(app)` runs before the seeds (the import fills the tables), `finish(app)` after
    them (the import's checks); either may refuse, and nothing is registered. Repeating a call
    that crashed finishes it."""
    kecamatan = Kecamatan(nama_singkat, nama.strip(), kode.strip(),
                          tuple(h.strip().lower() for h in hosts if h.strip()), alamat_publik.strip())
    engine = _registry_engine(base["SQLALCHEMY_DATABASE_URI"])
    try:
        _check_new(engine, kecamatan)
        _create_schema(engine, kecamatan.schema)
        app = tenant_app(base, kecamatan, overrides)
        try:
            if prepare is not None:
                prepare(app)
            _initialise(app)
            if finish is not None:
                finish(app)
        finally:
            close_app(app)
        with engine.begin() as conn:
            conn.execute(REGISTRY.insert().values(
                nama_singkat=kecamatan.nama_singkat, nama=kecamatan.nama, kode=kecamatan.kode,
                host=",".join(kecamatan.hosts), alamat_publik=kecamatan.alamat_publik,
                dibuat=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    finally:
        engine.dispose()
    return kecamatan


def check_new(base: Mapping[str, Any], kecamatan: Kecamatan) -> None:
    """`_check_new` on the deployment's database, before anything is written (the import)."""
    engine = _registry_engine(base["SQLALCHEMY_DATABASE_URI"])
    try:
        _check_new(engine, kecamatan)
    finally:
        engine.dispose()


def tenant_home(base: Mapping[str, Any], kecamatan: Kecamatan) -> Path:
    """The kecamatan's data folder on the shared volume."""
    return Path(base["HOME"]) / "kecamatan" / kecamatan.nama_singkat


def _check_new(engine: Engine, kecamatan: Kecamatan) -> None:
    """Refuse a name, code or host already taken, or a database that is a single office's."""
    if not NAME_RE.match(kecamatan.nama_singkat):
        raise TenancyError("Nama singkat kecamatan: 2–30 huruf kecil atau angka, diawali huruf "
                           f"(mis. kotabangun), bukan {kecamatan.nama_singkat!r}.")
    if not kecamatan.nama:
        raise TenancyError("Nama kecamatan wajib diisi.")
    if not KODE_RE.match(kecamatan.kode):
        raise TenancyError(f"Kode Kemendagri kecamatan berbentuk 64.02.08, bukan {kecamatan.kode!r}.")
    if engine.dialect.name != "postgresql":
        raise TenancyError("Beberapa kecamatan dalam satu pemasangan memerlukan PostgreSQL "
                           "(DATABASE_URL postgresql+psycopg://…); SQLite melayani satu kantor.")
    if inspect(engine).has_table("alembic_version", schema="public"):
        raise TenancyError("Basis data ini dipakai satu kantor (tabel Lemari di skema public). Buat "
                           "basis data baru untuk kabupaten, lalu pindahkan kantor ini ke sana dengan "
                           "`lemari tenant impor`.")
    for other in registered(engine):
        if other.nama_singkat == kecamatan.nama_singkat:
            raise TenancyError(f"Kecamatan {other.nama_singkat!r} sudah terdaftar.")
        if other.kode == kecamatan.kode:
            raise TenancyError(f"Kode {other.kode} sudah dipakai Kecamatan {other.nama}.")
        if taken := set(other.hosts) & set(kecamatan.hosts):
            raise TenancyError(f"Nama host {', '.join(sorted(taken))} sudah dipakai Kecamatan {other.nama}.")


def ready_schema(base: Mapping[str, Any], kecamatan: Kecamatan) -> tuple[Engine, str]:
    """An engine on the kecamatan's schema, once it is safe to use: what a restore cut short
    left is undone or finished first (said in the second value), and a schema that is missing
    is refused. Its connections would otherwise resolve names in public, where a migration
    would build a second set of tables. For commands that start (serve, migrasi), never per
    request: a restore may be loading meanwhile. The caller disposes the engine."""
    from records.services.backup import settle_restore

    engine = create_engine(tenant_url(base["SQLALCHEMY_DATABASE_URI"], kecamatan.schema))
    try:
        said = settle_restore(engine, kecamatan.schema)
        present = inspect(engine).has_schema(kecamatan.schema)
    except BaseException:
        engine.dispose()
        raise
    if not present:
        engine.dispose()
        raise TenancyError(f"Skema {kecamatan.schema} milik Kecamatan {kecamatan.nama} tidak ada di basis "
                           "data ini (terhapus di luar Lemari?). Pulihkan dari cadangannya: "
                           f"LEMARI_TENANT={kecamatan.nama_singkat} lemari restore <cadangan>.")
    return engine, said


def _create_schema(engine: Engine, schema: str) -> None:
    """The register, pg_trgm in public (search in every kecamatan finds it there) and the
    kecamatan's empty schema."""
    with engine.begin() as conn:
        # two kecamatan added at once would race on IF NOT EXISTS (PostgreSQL's catalog says
        # "duplicate key" to the second): one at a time
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRY_LOCK})
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{REGISTRY_SCHEMA}"'))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        _metadata.create_all(conn)
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))


def _initialise(app) -> None:
    """What `lemari init` does, in the kecamatan's app."""
    from records.extensions import db, lemari
    from records.services.setup import initialise

    with app.app_context():
        ext = lemari()
        initialise(session=db.session, engine=db.engine, sm=app.appbuilder.sm,
                   appbuilder=app.appbuilder, registry=ext.registry,
                   menu_permissions=ext.menu_permissions, pm=ext.pm)


def run_in(base: Mapping[str, Any], kecamatan: Kecamatan, action: Callable[[Any], Any],
           overrides: Mapping[str, Any] | None = None) -> Any:
    """`action(app)` inside the kecamatan's app context, the app built for it and closed after."""
    app = tenant_app(base, kecamatan, overrides)
    try:
        with app.app_context():
            return action(app)
    finally:
        close_app(app)


def close_app(app) -> None:
    """Stop the app's workers and close its pool (a command builds and drops many apps); the
    pool every kecamatan of the process shares stays (records.pg_pool.dispose_shared)."""
    from records.extensions import db
    from records.pg_pool import is_shared

    with app.app_context():
        app.extensions["lemari"].close()
        db.session.remove()
        if not is_shared(db.engine):
            db.engine.dispose()


# --- kabupaten-wide accounts ---------------------------------------------------------------

def peran_kabupaten(nama: str) -> PeranKabupaten:
    """The declared kabupaten role of that name, or a TenancyError listing them."""
    for peran in PERAN_KABUPATEN:
        if peran.nama.lower() == nama.strip().lower():
            return peran
    raise TenancyError(f"Peran kabupaten {nama!r} tidak dikenal; pilih salah satu: "
                       + ", ".join(p.nama for p in PERAN_KABUPATEN) + ".")


def grant_account(base: Mapping[str, Any], *, nama_pengguna: str, nama_lengkap: str, peran: str,
                  password: str, kecamatan: Iterable[str] = (),
                  overrides: Mapping[str, Any] | None = None) -> list[str]:
    """Create or update a kabupaten account in every kecamatan it reaches (all when
    `kecamatan` is empty): same name and password everywhere, the declared role, no forced
    password change; deactivated where it no longer reaches. The reach (kecamatan by name) is
    kept in lemari_kabupaten.akun_kabupaten and written first, so a run cut short is finished
    by running it again. Before anything is written, a kecamatan that uses the name for its own
    account refuses the whole grant. Returns the kecamatan reached."""
    from records.passwords import PasswordPolicyError, check_password

    role = peran_kabupaten(peran)
    try:
        check_password(password, username=nama_pengguna)
    except PasswordPolicyError as exc:
        raise TenancyError(str(exc)) from None
    engine = _registry_engine(base["SQLALCHEMY_DATABASE_URI"])
    try:
        known = {k.nama_singkat: k for k in registered(engine)}
        wanted = [name.strip() for name in kecamatan if name.strip()]
        if unknown := [name for name in wanted if name not in known]:
            raise TenancyError(f"Kecamatan tidak terdaftar: {', '.join(unknown)}.")
        reached = [known[name] for name in (wanted or known)]
        with engine.connect() as conn:
            before = conn.scalar(select(AKUN.c.kecamatan).where(AKUN.c.nama_pengguna == nama_pengguna))
        previous = {name for name in (before or "").split(",") if name}
        if taken := [k.nama for k in reached if k.nama_singkat not in previous
                     and run_in(base, k, lambda app: app.appbuilder.sm.find_user(username=nama_pengguna)
                                is not None, overrides)]:
            raise TenancyError(f"Kecamatan {', '.join(taken)} sudah memakai nama pengguna {nama_pengguna!r} "
                               "untuk akunnya sendiri; pilih nama lain untuk akun kabupaten.")
        with engine.begin() as conn:
            conn.execute(AKUN.delete().where(AKUN.c.nama_pengguna == nama_pengguna))
            conn.execute(AKUN.insert().values(
                nama_pengguna=nama_pengguna, peran=role.nama,
                kecamatan=",".join(sorted(previous | {k.nama_singkat for k in reached})),
                diubah=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        for target in reached:
            run_in(base, target, lambda app: _grant_here(app, username=nama_pengguna, full_name=nama_lengkap,
                                                         role=role, password=password), overrides)
        for name in sorted(previous - {k.nama_singkat for k in reached}):
            if name in known:
                run_in(base, known[name], lambda app: _revoke_here(app, nama_pengguna), overrides)
        with engine.begin() as conn:
            conn.execute(AKUN.update().where(AKUN.c.nama_pengguna == nama_pengguna).values(
                kecamatan=",".join(sorted(k.nama_singkat for k in reached))))
    finally:
        engine.dispose()
    return [k.nama_singkat for k in reached]


def _grant_here(app, *, username: str, full_name: str, role: PeranKabupaten, password: str) -> None:
    """The account in this kecamatan (created, or its role, password and activity set), audited."""
    from records.extensions import db
    from records.services.accounts import end_sessions, security_state
    from records.services.audit import record_event

    sm = app.appbuilder.sm
    user = sm.find_user(username=username)
    first, _, last = full_name.strip().partition(" ")
    if user is None:
        user = sm.add_user(username, first or username, last or first or username,
                           f"{username}@kabupaten.invalid", sm.find_role(role.peran_kecamatan), password)
        if not user:
            raise TenancyError(f"Akun {username} gagal dibuat.")
    else:
        user.roles = [sm.find_role(role.peran_kecamatan)]
        user.password = _hash(app, password)
        user.active = True
        end_sessions(db.session, user.id)
    security_state(db.session, user.id).must_change_password = False
    record_event(db.session, "kabupaten", "akun.kabupaten", object_type="akun", object_id=username,
                 detail={"peran": role.nama, "peran_kecamatan": role.peran_kecamatan})
    db.session.commit()


def _revoke_here(app, username: str) -> None:
    """The account no longer reaches this kecamatan: deactivated (kept, as every account is,
    for the records it signed), its sessions ended, audited."""
    from records.extensions import db
    from records.services.accounts import end_sessions
    from records.services.audit import record_event

    user = app.appbuilder.sm.find_user(username=username)
    if user is None or not user.active:
        return
    user.active = False
    end_sessions(db.session, user.id)
    record_event(db.session, "kabupaten", "akun.kabupaten.cabut", object_type="akun", object_id=username)
    db.session.commit()


def _hash(app, password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method=app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"))


# --- background jobs of every kecamatan -----------------------------------------------------

#: Advisory lock (with the schema's hash) held by the process that consumes a kecamatan's jobs.
JOBS_LOCK = 7460010
#: Advisory lock every job-consuming process holds in shared mode: how many share the work.
JOBS_MEMBERS = (7460012, 0)

_HOLDERS = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = :key AND objid = :sub AND objsubid = 2 AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())")


class KabupatenJobs:
    """The job consumers of every kecamatan, one per kecamatan in the whole deployment, spread
    over the processes that consume jobs: a process consumes a kecamatan's jobs (OCR, drain,
    fixity, backups, checkpoints) only while its lock connection holds that kecamatan's
    session advisory lock, so periodic jobs run once however many nodes and workers run this.
    Every TENANT_REFRESH_SECONDS each process counts the consuming processes (each holds a
    shared "member" lock), takes free kecamatan up to its fair share and lets go of what it
    holds beyond it, so the work spreads as nodes start and is taken over when one dies
    (PostgreSQL ends its session, and with it its locks). One connection per process holds
    every lock (not one per kecamatan), and a kecamatan added meanwhile is found the same way."""

    def __init__(self, base: Mapping[str, Any], workers: int, overrides: Mapping[str, Any] | None = None,
                 apps: Callable[[Kecamatan], Any] | None = None) -> None:
        self.base, self.workers, self.overrides = base, workers, dict(overrides or {})
        self.refresh_seconds = float(base.get("TENANT_REFRESH_SECONDS", 10))
        self._engine = _registry_engine(base["SQLALCHEMY_DATABASE_URI"])
        # the one connection holding this process's locks, outside any pool's limit
        self._locks = create_engine(base["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
        self._conn: Any = None
        self._app_of = apps or (lambda kecamatan: tenant_app(self.base, kecamatan, self.overrides))
        self._own_apps = apps is None  # built here, so closed here
        self._held: dict[str, tuple[Any, str]] = {}  # name -> (app, schema)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _lock_connection(self):
        """The lock connection, opened (and made a member) when there is none."""
        if self._conn is None:
            conn = self._locks.connect()
            conn.execute(text("SELECT pg_advisory_lock_shared(:key, :sub)"),
                         {"key": JOBS_MEMBERS[0], "sub": JOBS_MEMBERS[1]})
            conn.commit()  # session locks stay; no transaction stays open
            self._conn = conn
        return self._conn

    def _fair_share(self, conn, kecamatan: int) -> int:
        members = conn.scalar(_HOLDERS, {"key": JOBS_MEMBERS[0], "sub": JOBS_MEMBERS[1]}) or 1
        conn.commit()
        return -(-kecamatan // members)

    def take(self) -> list[str]:
        """Take free kecamatan up to this process's fair share and let go of those beyond it;
        returns those taken now."""
        from records.jobs import jobs_of

        everyone = registered(self._engine)
        conn = self._lock_connection()
        share = self._fair_share(conn, len(everyone))
        self._let_go(max(0, len(self._held) - share))
        taken = []
        for kecamatan in everyone:
            if len(self._held) >= share:
                break
            if kecamatan.nama_singkat in self._held:
                continue
            lock = {"key": JOBS_LOCK, "schema": kecamatan.schema}
            got = conn.scalar(text("SELECT pg_try_advisory_lock(:key, hashtext(:schema))"), lock)
            conn.commit()
            if not got:
                continue
            try:
                app = self._app_of(kecamatan)
                jobs_of(app).start(self.workers)
            except Exception:  # one kecamatan that cannot start holds back none of the others
                log.exception("jobs of kecamatan %s could not start", kecamatan.nama_singkat)
                self._unlock(kecamatan.schema)  # another process may take the kecamatan
                continue
            self._held[kecamatan.nama_singkat] = (app, kecamatan.schema)
            taken.append(kecamatan.nama_singkat)
        return taken

    def _let_go(self, count: int) -> None:
        """Stop consuming `count` kecamatan (the last taken), then release their locks."""
        from records.jobs import jobs_of

        for name in list(self._held)[len(self._held) - count:] if count else []:
            app, schema = self._held.pop(name)
            jobs_of(app).stop(graceful=True)  # a job running now finishes before the lock goes
            self._unlock(schema)
            if self._own_apps:
                close_app(app)
            log.info("kecamatan %s's jobs left to another process", name)

    def _unlock(self, schema: str) -> None:
        self._conn.scalar(text("SELECT pg_advisory_unlock(:key, hashtext(:schema))"),
                          {"key": JOBS_LOCK, "schema": schema})
        self._conn.commit()

    def let_go_of_lost(self) -> list[str]:
        """Stop consuming every kecamatan when the lock connection died (PostgreSQL restarted
        or the network broke: the locks are gone, and other processes may take them)."""
        from records.jobs import jobs_of

        if self._conn is None:
            return []
        try:
            self._conn.exec_driver_sql("SELECT 1")
            self._conn.commit()
            return []
        except SQLAlchemyError:
            self._conn.invalidate()
            self._conn = None
        lost = sorted(self._held)
        for app, _schema in self._held.values():
            jobs_of(app).stop()
            if self._own_apps:
                close_app(app)
        self._held.clear()
        log.warning("jobs locks of kecamatan %s lost; their consumers stopped", ", ".join(lost))
        return lost

    def held(self) -> list[str]:
        return sorted(self._held)

    def start(self) -> None:
        """Take kecamatan now and again every refresh_seconds, in a thread of its own."""
        def run() -> None:
            while not self._stop.wait(self.refresh_seconds):
                try:
                    self.let_go_of_lost()
                    self.take()
                except SQLAlchemyError as exc:  # the database is away: try again later
                    log.warning("taking kecamatan jobs failed: %r", exc)
                except Exception:  # the thread must live: a dead one would still count as a member
                    log.exception("taking kecamatan jobs failed")
        self.take()
        self._thread = threading.Thread(target=run, name="lemari-kabupaten-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop every consumer, then let the locks go (other processes take over)."""
        from records.jobs import jobs_of

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        for app, _schema in self._held.values():
            jobs_of(app).stop()
            if self._own_apps:
                close_app(app)
        self._held.clear()
        if self._conn is not None:
            self._conn.close()  # its session, and so every lock it held, ends
            self._conn = None
        self._engine.dispose()
        self._locks.dispose()


# --- serving every kecamatan ----------------------------------------------------------------

#: The kabupaten's own pages (no app behind them) carry the headers the app's pages carry.
PAGE_HEADERS = (("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
                ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "same-origin"))


class Kabupaten:
    """WSGI app of a kabupaten node: each request goes to its kecamatan's app, chosen by host
    name or by the path ``/k/<name>``; ``/`` lists the kecamatan. The register is read again
    every TENANT_REFRESH_SECONDS, so a kecamatan added meanwhile is served without a restart."""

    def __init__(self, base: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> None:
        self.base, self.overrides = base, dict(overrides or {})
        self.refresh_seconds = float(base.get("TENANT_REFRESH_SECONDS", 10))
        self._engine = _registry_engine(base["SQLALCHEMY_DATABASE_URI"])
        self._known: dict[str, Kecamatan] = {}
        self._read_at = float("-inf")
        self._apps: dict[str, Any] = {}
        self._register_lock = threading.Lock()  # one reader of the register at a time
        self._build_locks: dict[str, threading.Lock] = {}  # one build per kecamatan at a time
        self._locks_lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/health" and not self._by_host(environ):
            return self._health(start_response)  # the load balancer's check, before any routing
        try:
            kecamatan, prefix = self.route(environ)
        except SQLAlchemyError:  # no register read yet and the database away
            return self._portal(environ, start_response)
        if kecamatan is None:
            return self._portal(environ, start_response)
        app = self.app(kecamatan)
        if prefix:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            environ["PATH_INFO"] = environ["PATH_INFO"][len(prefix):]
        return app(environ, start_response)

    def kecamatan(self) -> dict[str, Kecamatan]:
        """The register, read at most every refresh_seconds; while the database cannot be read
        the last register read serves (the kecamatan's own requests then fail cleanly, 503),
        and it is tried again after refresh_seconds."""
        if time.monotonic() - self._read_at <= self.refresh_seconds:
            return self._known
        with self._register_lock:
            if time.monotonic() - self._read_at > self.refresh_seconds:
                try:
                    self._known = {k.nama_singkat: k for k in registered(self._engine)}
                except SQLAlchemyError as exc:
                    if not self._known:
                        raise
                    log.warning("the register of kecamatan could not be read: %r", exc)
                self._read_at = time.monotonic()
            return self._known

    def _by_host(self, environ) -> bool:
        """Whether the request's host name is a kecamatan's (from the register last read)."""
        host = (environ.get("HTTP_HOST") or "").split(":")[0].lower()
        return any(host in k.hosts for k in self._known.values())

    def route(self, environ) -> tuple[Kecamatan | None, str]:
        """The kecamatan a request is for and the path prefix that named it ('' by host)."""
        known = self.kecamatan()
        host = (environ.get("HTTP_HOST") or "").split(":")[0].lower()
        for kecamatan in known.values():
            if host and host in kecamatan.hosts:
                return kecamatan, ""
        path = environ.get("PATH_INFO", "")
        if path.startswith(PATH_PREFIX):
            name = path[len(PATH_PREFIX):].split("/", 1)[0]
            if name in known:
                return known[name], PATH_PREFIX + name
        return None, ""

    def app(self, kecamatan: Kecamatan):
        """The kecamatan's app, built on its first request; a build holds back only the
        requests of its own kecamatan."""
        found = self._apps.get(kecamatan.nama_singkat)
        if found is not None:
            return found
        with self._locks_lock:
            lock = self._build_locks.setdefault(kecamatan.nama_singkat, threading.Lock())
        with lock:
            found = self._apps.get(kecamatan.nama_singkat)
            if found is None:
                found = tenant_app(self.base, kecamatan, self.overrides)
                self._apps[kecamatan.nama_singkat] = found
        return found

    def apps(self) -> list:
        """The apps built so far (for a clean shutdown)."""
        return list(self._apps.values())

    def close(self) -> None:
        from records.pg_pool import dispose_shared
        from records.replica import close_watches

        for app in self.apps():
            close_app(app)
        self._apps.clear()
        self._engine.dispose()
        close_watches()
        dispose_shared()

    def _portal(self, environ, start_response):
        """The kabupaten's page: every kecamatan and its address; /health for the load balancer
        (200 while the register can be read); anything else is a 404."""
        if environ.get("PATH_INFO") == "/health":
            return self._health(start_response)
        try:
            known = self.kecamatan()
        except SQLAlchemyError:
            start_response("503 Service Unavailable", [("Content-Type", "text/html; charset=utf-8"),
                                                       ("Retry-After", "5"), *PAGE_HEADERS])
            return [_page("Layanan sedang tidak tersedia", "<p>Basis data belum dapat dihubungi; "
                          "coba lagi sebentar lagi.</p>")]
        if environ.get("PATH_INFO", "/") not in ("", "/"):
            body = _page("Halaman tidak ditemukan",
                         "<p>Alamat ini bukan milik kecamatan mana pun di pemasangan ini. "
                         '<a href="/">Lihat daftar kecamatan</a>.</p>')
            start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8"), *PAGE_HEADERS])
            return [body]
        items = "".join(
            f'<li><a href="{escape(_link(k, environ))}">Kecamatan {escape(k.nama)}</a> '
            f"<small>({escape(k.kode)})</small></li>" for k in known.values())
        body = _page("Lemari — kantor kecamatan",
                     f"<ul>{items}</ul>" if items else "<p>Belum ada kecamatan terdaftar.</p>")
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), *PAGE_HEADERS])
        return [body]


    def _health(self, start_response):
        """The node's health: the database answers and the register is readable."""
        try:
            count, ok = len(registered(self._engine)), True
        except SQLAlchemyError:
            count, ok = 0, False
        start_response("200 OK" if ok else "503 Service Unavailable",
                       [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
        return [json.dumps({"ok": ok, "kecamatan": count}).encode()]


def _link(kecamatan: Kecamatan, environ) -> str:
    script = environ.get("SCRIPT_NAME", "")
    return f"{script}{PATH_PREFIX}{kecamatan.nama_singkat}/"


def _page(title: str, content: str) -> bytes:
    return (f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body style="font-family: sans-serif; max-width: 40rem; margin: 2rem auto">'
            f"<h1>{escape(title)}</h1>{content}</body></html>").encode()
