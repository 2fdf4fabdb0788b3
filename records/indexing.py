"""From the database to the search index: document builders, the outbox applier, rebuilds.

The database is the source of truth; the index is a cache that can always be rebuilt from it.
Services write ``search_outbox`` rows in the transaction of the change (``models.outbox``);
``apply_outbox`` turns them into index writes built from the *current* database rows (so
replaying a row, or applying rows twice, is harmless) and only then deletes them. A crash at
any point leaves rows that the next drain applies again.

Drains and rebuilds of one installation hold one lock file, so two processes never write an
older state over a newer one, and writes never land in a version a rebuild is replacing: rows
committed during a rebuild wait in the outbox and are applied right after it.

Principals: every record carries ``office`` plus ``desa:<code>`` of its desa; every resident
``warga:office`` plus ``warga:desa:<code>`` (resident hits need ``penduduk.read`` as well).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from records.declarations import Registry
from records.locks import file_lock
from records.models import Penduduk, Record, SearchOutbox, Wilayah
from records.models.outbox import PENDUDUK, RECORD
from search import (
    MAX_PAGE_SIZE,
    MAX_RESULT_WINDOW,
    IndexCorruptError,
    IndexDoc,
    Query,
    SearchError,
    SearchIndex,
)

log = logging.getLogger(__name__)

# States whose records must never be found (destroyed per the retention schedule).
HIDDEN_STATES = frozenset({"dimusnahkan", "musnah"})
OFFICE, RESIDENTS = "office", "warga:office"
#: Prefix of a restricted record's readers in the index (never shared with office or desa).
READER = "baca:"
# Principals that together see every document: used only by maintenance (doctor), never users.
EVERYTHING = frozenset({OFFICE, RESIDENTS})
_STREAM = 500
_FIELD_TEXT_LIMIT = 2000


def doc_id(kind: str, object_id: int) -> str:
    """The index id of a database object: ``record:12``, ``penduduk:7``."""
    return f"{kind}:{object_id}"


def parse_doc_id(value: str) -> tuple[str, int]:
    """(kind, object id) of an index id."""
    kind, _, number = value.partition(":")
    return kind, int(number)


def record_principals(desa_code: str | None) -> frozenset[str]:
    """Office-wide readers see every record; a desa operator only their desa's."""
    return frozenset({OFFICE, f"desa:{desa_code}"} if desa_code else {OFFICE})


def restricted_principals(record: Record) -> frozenset[str]:
    """A restricted record's readers (`RecordReader`) as index principals, or empty."""
    return frozenset(READER + r.principal for r in record.readers)


def reader_principals(principals: frozenset[str]) -> frozenset[str]:
    """An actor's reader principals (`Actor.reader_principals`) as index principals."""
    return frozenset(READER + p for p in principals)


def resident_principals(desa_code: str | None) -> frozenset[str]:
    """Residents have their own principals, so record-only roles never see them."""
    return frozenset({RESIDENTS, f"warga:desa:{desa_code}"} if desa_code else {RESIDENTS})


class DesaNames:
    """Desa code → name, read once per code; the index shows and filters by the name
    (``desa:loleng``), while principals keep the code."""

    def __init__(self, session: Session) -> None:
        self.session, self.names = session, {}

    def __call__(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self.names:
            self.names[code] = self.session.scalar(
                select(Wilayah.name).where(Wilayah.code == code)) or code
        return self.names[code]


def _digits(value: object) -> str:
    """An identifier as the index keeps it: digits only (comma-free by construction)."""
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def record_doc(record: Record, registry: Registry, desa_name: DesaNames) -> IndexDoc | None:
    """The index document of a record, or None when it must not be findable at all."""
    if record.state in HIDDEN_STATES:
        return None
    spec = registry.document_types.get(record.doctype)
    holder = record.penduduk
    when = record.issued_at or record.created_on
    return IndexDoc(
        id=doc_id(RECORD, record.id), doctype=record.doctype, title=record.title,
        text=_record_text(record, spec, registry), names=_record_names(record),
        nik=_record_niks(record, spec, registry), no_kk=_kk(holder), nomor=record.number or "",
        desa_code=desa_name(record.desa_code), year=when.year if when else None,
        klasifikasi=(record.data or {}).get("klasifikasi") or (spec.klasifikasi if spec else ""),
        status=record.state,
        date=when.isoformat(timespec="seconds") if when else "",
        principals=(restricted_principals(record) or record_principals(record.desa_code)))


# 16-digit runs (NIK, No. KK) in free text are masked in the body (snippets print it).
_SIXTEEN_DIGITS = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{6}([0-9]{4})(?![0-9])")


def mask_sixteen_digits(text: str) -> str:
    """Free text for an index body: every 16-digit run (NIK, No. KK) masked, as snippets show it."""
    return _SIXTEEN_DIGITS.sub(r"\1●●●●●●\2", text)


@dataclass(frozen=True)
class IndexFields:
    """What a feature adds to a record's search document (hook `register_index_fields`):
    text for the body (mask any NIK in it: snippets print the body) and identifiers."""

    text: str = ""
    niks: tuple[str, ...] = ()


def _extras(record: Record, registry: Registry) -> list[IndexFields]:
    """The features' additions to this record's document, in plugin order."""
    return [extra for fn in registry.index_fields if (extra := fn(record)) is not None]


def _record_names(record: Record) -> tuple[str, ...]:
    """The applicant's name: the resident's, or the non-resident's typed from their KTP-el."""
    if record.penduduk:
        return (record.penduduk.nama,)
    luar = (record.data or {}).get("pemohon_nonpermanen") or {}
    return (luar["nama"],) if luar.get("nama") else ()


def _record_text(record: Record, spec, registry: Registry) -> str:
    """Searchable body: type, numbers and the declared fields as "label: value" lines (NIK
    fields are indexed as exact identifiers instead, so snippets never print them)."""
    lines = [spec.title if spec else record.doctype, record.number or "",
             record.tracking_code or ""]
    data = record.data or {}
    for field in (spec.fields if spec else ()):
        value = data.get(field.name)
        if field.kind != "nik" and value not in (None, ""):
            # a typed list (berita acara) carries NIKs: masked here, indexed as identifiers
            text = mask_sixteen_digits(str(value)[:_FIELD_TEXT_LIMIT])
            lines.append(f"{field.label}: {text}")
    lines += [extra.text for extra in _extras(record, registry)]
    return "\n".join(line for line in lines if line)


def _record_niks(record: Record, spec, registry: Registry) -> tuple[str, ...]:
    """The holder's NIK and any NIK the record's fields name (a spouse, a witness)."""
    found = [record.penduduk.nik] if record.penduduk else []
    found += [nik for extra in _extras(record, registry) for nik in extra.niks]
    data = record.data or {}
    found += [data.get(f.name) for f in (spec.fields if spec else ()) if f.kind == "nik"]
    found += [row.get("nik") for row in data.get("items") or () if isinstance(row, dict)]
    found.append((data.get("pemohon_nonpermanen") or {}).get("nik"))
    return tuple(dict.fromkeys(d for d in map(_digits, found) if d))


def _kk(person: Penduduk | None) -> tuple[str, ...]:
    """The No. KK of a resident's family, if any."""
    number = _digits(person.keluarga.no_kk) if person and person.keluarga else ""
    return (number,) if number else ()


def penduduk_doc(person: Penduduk, desa_name: DesaNames) -> IndexDoc:
    """The index document of a resident: name, NIK, No. KK, address and desa."""
    desa = desa_name(person.desa_code)
    text = f"{person.alamat} RT {person.rt} RW {person.rw}, {desa}\n{person.pekerjaan}"
    return IndexDoc(
        id=doc_id(PENDUDUK, person.id), doctype="penduduk", title=person.nama, text=text,
        names=(person.nama,), nik=tuple(filter(None, [_digits(person.nik)])),
        no_kk=_kk(person), desa_code=desa, principals=resident_principals(person.desa_code))


def _records_query():
    return select(Record).options(joinedload(Record.penduduk).joinedload(Penduduk.keluarga),
                                  selectinload(Record.readers))


def _residents_query():
    return select(Penduduk).options(joinedload(Penduduk.keluarga))


def all_docs(session: Session, registry: Registry) -> Iterator[IndexDoc]:
    """Every findable record and resident, streamed in id order (bounded memory)."""
    names = DesaNames(session)
    stream = {"yield_per": _STREAM}
    for record in session.scalars(_records_query().order_by(Record.id).execution_options(**stream)):
        doc = record_doc(record, registry, names)
        if doc is not None:
            yield doc
    for person in session.scalars(_residents_query().order_by(Penduduk.id)
                                  .execution_options(**stream)):
        yield penduduk_doc(person, names)


def database_ids(session: Session) -> set[str]:
    """Index ids the database says should exist (for drift checks)."""
    records = session.scalars(select(Record.id).where(Record.state.not_in(HIDDEN_STATES)))
    residents = session.scalars(select(Penduduk.id))
    return {doc_id(RECORD, i) for i in records} | {doc_id(PENDUDUK, i) for i in residents}


def count_docs(session: Session) -> int:
    """How many documents a rebuild will write (the progress bar's length)."""
    records = session.scalar(select(func.count()).select_from(Record)
                             .where(Record.state.not_in(HIDDEN_STATES)))
    return records + session.scalar(select(func.count()).select_from(Penduduk))


def pending_count(session: Session) -> int:
    """Outbox rows not yet applied."""
    return session.scalar(select(func.count()).select_from(SearchOutbox))


def apply_outbox(session: Session, index: SearchIndex, registry: Registry, batch: int = 200, *,
                 deadline: float | None = None) -> int:
    """Apply outbox rows in id order, batch by batch, until none are left or the monotonic
    deadline passes; returns how many rows were applied. The index is written before the rows
    are deleted, so a crash in between only repeats work."""
    applied = 0
    while deadline is None or time.monotonic() < deadline:
        rows = session.scalars(select(SearchOutbox).order_by(SearchOutbox.id).limit(batch)).all()
        if not rows:
            break
        with _one_transaction(session, index):
            _apply_rows(session, index, registry, rows)
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
            session.commit()
        applied += len(rows)
    return applied


@contextmanager
def _one_transaction(session: Session, index: SearchIndex) -> Iterator[None]:
    """An index kept in the session's own SQLite database (FTS5) writes through the session's
    connection, so the index write and the deletion of the applied rows are one commit."""
    joined = getattr(index, "joined", None)
    if not callable(joined) or session.get_bind().dialect.name != "sqlite":
        yield
        return
    raw = session.connection().connection.driver_connection
    with joined(raw):
        yield


def _apply_rows(session: Session, index: SearchIndex, registry: Registry, rows) -> None:
    """Write what the database now says about the rows' objects: a document where the object
    exists and is findable, a delete where it is gone. A changed resident also refreshes their
    records, which show the resident's name, NIK and No. KK."""
    residents = {r.object_id for r in rows if r.kind == PENDUDUK}
    records = {r.object_id for r in rows if r.kind == RECORD}
    if residents:
        records |= set(session.scalars(select(Record.id).where(Record.penduduk_id.in_(residents))))
    docs = list(_docs_for(session, registry, records, residents))
    wanted = {doc_id(RECORD, i) for i in records} | {doc_id(PENDUDUK, i) for i in residents}
    gone = wanted - {d.id for d in docs}
    if gone:
        index.delete(sorted(gone))
    if docs:
        index.add_or_update(docs)


def _docs_for(session: Session, registry: Registry, record_ids: set[int],
              resident_ids: set[int]) -> Iterator[IndexDoc]:
    """Current documents of the given objects (missing or hidden ones yield nothing)."""
    names = DesaNames(session)
    if record_ids:
        for record in session.scalars(_records_query().where(Record.id.in_(record_ids))).unique():
            doc = record_doc(record, registry, names)
            if doc is not None:
                yield doc
    if resident_ids:
        for person in session.scalars(_residents_query().where(Penduduk.id.in_(resident_ids))).unique():
            yield penduduk_doc(person, names)


def index_ids(index: SearchIndex) -> tuple[set[str], bool]:
    """Ids held by the index and whether that list is complete. Uses the adapter's ``ids()``
    when it has one; otherwise pages through a browse of everything, which the port caps at
    ``MAX_RESULT_WINDOW`` hits."""
    listing = getattr(index, "ids", None)
    if callable(listing):
        return set(listing()), True
    found: set[str] = set()
    pages = MAX_RESULT_WINDOW // MAX_PAGE_SIZE
    for page in range(1, pages + 1):
        result = index.search(Query(principals=EVERYTHING, sort="date", page=page,
                                    page_size=MAX_PAGE_SIZE))
        found |= {hit.id for hit in result.hits}
        if page * MAX_PAGE_SIZE >= result.total:
            return found, True
    return found, False


# --- backends ---------------------------------------------------------------------------------

def _whoosh(settings: dict) -> SearchIndex:
    from search import WhooshSearchIndex

    return WhooshSearchIndex(index_dir(settings))


def _postgres(settings: dict) -> SearchIndex:
    """The shared-server backend: PostgreSQL full text in the app's own database (so the
    index and the records share one server and one backup); same contract as Whoosh."""
    from records.pg_pool import engine_for, shares_pool
    from records.replica import read_replica
    from search.pg_index import PgSearchIndex

    url = settings["SQLALCHEMY_DATABASE_URI"]
    # a kecamatan's index reads through the process's pool for every kecamatan (records.pg_pool),
    # and its searches on the read replica while it is fresh (records.replica)
    return PgSearchIndex(url, engine=engine_for(url, settings) if shares_pool(url) else None,
                         replica=read_replica(settings))


def _sqlite(settings: dict) -> SearchIndex:
    """The embedded default: SQLite FTS5 tables in the app's own SQLite database, so index
    and records share one file, one journal and one backup (docs/decisions.md)."""
    from search.sqlite_index import SqliteSearchIndex

    return SqliteSearchIndex(settings["SQLALCHEMY_DATABASE_URI"])


# The core's adapters; a plugin offers more through `register_search_backends`.
BACKENDS: dict[str, Callable[[dict], SearchIndex]] = {
    "sqlite": _sqlite, "postgres": _postgres, "whoosh": _whoosh}


def default_backend(settings: dict) -> str:
    """SEARCH_BACKEND, or when empty the full text of the app's own database: FTS5 on SQLite,
    PostgreSQL full text on PostgreSQL."""
    chosen = settings.get("SEARCH_BACKEND")
    if chosen:
        return chosen
    url = str(settings.get("SQLALCHEMY_DATABASE_URI") or "")
    return "postgres" if url.startswith("postgres") else "sqlite"


def index_dir(settings: dict) -> Path:
    """SEARCH_INDEX_DIR, or <HOME>/index when empty."""
    return Path(settings.get("SEARCH_INDEX_DIR") or Path(settings["HOME"]) / "index")


def make_index(settings: dict, offered: Mapping[str, Callable[[dict], SearchIndex]] | None = None
               ) -> SearchIndex:
    """The configured backend (SEARCH_BACKEND), among the core's and the plugins' offers."""
    name = default_backend(settings)
    backends = {**BACKENDS, **(offered or {})}
    try:
        factory = backends[name]
    except KeyError:
        raise ValueError(f"SEARCH_BACKEND '{name}' tidak dikenal; pilih: "
                         + ", ".join(sorted(backends))) from None
    return factory(settings)


# --- the engine the app holds -----------------------------------------------------------------

class SearchEngine:
    """One installation's index with its database: search with self-repair, drain, rebuild.

    Every maintenance step takes the drain lock (a file in HOME, so every process of the
    installation shares it); the web hook only tries it, the CLI waits for it.
    """

    def __init__(self, index: SearchIndex, registry: Registry, sessions: sessionmaker,
                 lock_path: Path) -> None:
        self.index, self.registry, self.sessions, self.lock_path = index, registry, sessions, lock_path

    def search(self, query: Query):
        """Run a query; a damaged index is rebuilt from the database and the query retried."""
        return self._repairing(lambda: self.index.search(query))

    def suggest(self, prefix: str, limit: int = 10, *, principals: frozenset[str]) -> list[str]:
        """Completions, with the same self-repair as search."""
        return self._repairing(lambda: self.index.suggest(prefix, limit, principals=principals))

    def _repairing(self, call):
        try:
            return call()
        except IndexCorruptError as exc:
            log.warning("search index damaged (%s); rebuilding from the database", exc)
            self.rebuild()
            return call()

    def ensure_healthy(self) -> str:
        """Rebuild when the index is damaged, or empty while the database is not (first start,
        or a deleted index folder); returns what was done, for the log. A rebuild that cannot
        run (a search server that does not answer) is logged and left to the self-repair of
        the next search: starting the app must not depend on the index."""
        health = self.index.health()
        try:
            if not health["ok"]:
                log.warning("search index damaged at start-up (%s); rebuilding", health["detail"])
                return f"rebuilt {self.rebuild()} (damaged)"
            if health["doc_count"] == 0:
                with self.sessions() as session:
                    if count_docs(session):
                        log.info("search index empty; building it from the database")
                        return f"rebuilt {self.rebuild()} (empty)"
        except SearchError as exc:
            log.error("search index could not be rebuilt at start-up: %s", exc)
            return f"failed ({exc})"
        return "ok"

    def close(self) -> None:
        """Release the index's resources (connections to SQLite or PostgreSQL); Whoosh has
        none."""
        closing = getattr(self.index, "close", None)
        if callable(closing):
            closing()

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Replace the index with every document in the database, then apply rows that were
        committed meanwhile; returns the number of documents written."""
        with self.lock(), self.sessions() as session:
            count = self.index.rebuild(all_docs(session, self.registry), progress)
            session.rollback()  # end the long read before applying newer rows
            apply_outbox(session, self.index, self.registry)
        return count

    def drain(self, *, budget: float | None = None, wait: bool = True, batch: int = 200) -> int:
        """Apply pending outbox rows (all of them, or what fits in budget seconds). With
        wait=False, returns 0 at once when another process holds the lock: it will apply
        these rows too, or they wait for the next drain."""
        deadline = None if budget is None else time.monotonic() + budget
        with self.lock(wait=wait) as held:
            if not held:
                return 0
            with self.sessions() as session:
                return apply_outbox(session, self.index, self.registry, batch, deadline=deadline)

    @contextmanager
    def lock(self, *, wait: bool = True) -> Iterator[bool]:
        """The installation-wide drain lock (records.locks: released by the kernel if we are
        killed, not kept by a rebuild's worker processes)."""
        with file_lock(self.lock_path, wait=None if wait else 0) as held:
            yield held


def open_engine(settings: dict, registry: Registry, engine, *, check: bool = True) -> SearchEngine:
    """The engine for settings on the SQLAlchemy engine, checked and if need be rebuilt.
    Maintenance (doctor, reindex) passes check=False: it must see or replace the index as is."""
    found = SearchEngine(make_index(settings, registry.search_backends), registry, sessionmaker(bind=engine),
                         Path(settings["HOME"]) / "search.lock")
    if check:
        found.ensure_healthy()
    return found


def docs_of(ids: Iterable[str]) -> dict[str, set[int]]:
    """Index ids grouped by kind, for reports."""
    grouped: dict[str, set[int]] = {}
    for value in ids:
        kind, number = parse_doc_id(value)
        grouped.setdefault(kind, set()).add(number)
    return grouped


def drain_app(app, *, budget: float = 5.0) -> int:
    """Apply the outbox from outside a request (a finished job, a CLI command about to exit),
    so what they committed is findable at once; waits for a drain already running. Never
    raises: a failed drain is logged and its rows stay for the next one."""
    try:
        with app.app_context():
            return app.extensions["lemari"].search().drain(budget=budget, wait=True)
    except (SearchError, SQLAlchemyError, OSError) as exc:
        log.warning("search outbox drain failed; rows kept for later: %r", exc)
        return 0
