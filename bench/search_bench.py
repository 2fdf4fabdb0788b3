"""`lemari bench search --docs N`: how fast the search engines index and answer, against targets.

For each engine, on the synthetic Kota Bangun archive of ``bench.search_corpus``:

* index        docs/s of a full ``rebuild`` (the ``lemari reindex`` path), generation time
               excluded; target ≥ 1,500 docs/s;
* outbox       docs/s of ``add_or_update`` in batches of 200 (the outbox drain path);
* p50 / p95    ms per query class, each a full page as the app asks it (20 hits, total, five
               facets, did-you-mean when few hits, snippets), as the office (every desa):
               ``name`` (misspelled: a spelling variant and/or one typo), ``nik``, ``number``
               (nomor surat), ``keyword+desa`` (one word, desa filter), ``broad`` (common
               words). Targets: at 100k docs p95 ≤ 30 ms for name/NIK/number, ≤ 60 ms for
               keyword; at 1M p95 ≤ 150 ms;
* found        share of name/nik/number queries whose source document is on the first page;
* matched      share of them whose source document is among the matches at all (the pages
               after the first read untimed, up to ``MATCHED_PAGES`` pages of 100): recall.
               A misspelled name carried by 160 letters finds all 160, and which 20 of them
               the first page shows is a draw, so at 1M "found" measures the corpus, "matched"
               the engine;
* RSS          resident memory (current and peak) of the process that searches, measured in
               a fresh child that only opens the index and queries; target ≤ 400 MB at 1M.

Engines: ``sqlite`` (the embedded default: our FTS5 adapter in the records' database),
``whoosh`` (supported adapter), ``postgres`` (when a server answers at
``LEMARI_BENCH_PG_URL``, default the local one; a throw-away database is created and dropped)
and ``fts5``: SQLite FTS5 fed the same analysed terms, answering the same pages (top hits by
bm25, total, facets), as the reference measured in the same run. FTS5 has no typo tolerance,
so its ``name`` row matches spelling variants only. PostgreSQL's RSS is the client's; the
server's memory is its own.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENGINES = ("sqlite", "whoosh", "postgres", "fts5")
PG_ADMIN_URL = os.environ.get("LEMARI_BENCH_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PAGE_SIZE = 20
#: Pages of ``MAX_PAGE_SIZE`` read to tell whether a source is matched at all (5,000 matches,
#: where the adapters stop ranking).
MATCHED_PAGES = 50
OUTBOX_DOCS, OUTBOX_BATCH = 1_000, 200
WARMUP = 10

TARGETS = {
    100_000: {"name": 30.0, "nik": 30.0, "number": 30.0, "keyword+desa": 60.0},
    1_000_000: {"name": 150.0, "nik": 150.0, "number": 150.0, "keyword+desa": 150.0,
                "broad": 150.0},
}
INDEX_TARGET, RSS_TARGET_MB = 1_500.0, 400.0


# -- the parent: run each engine in child processes and collect a table ---------------------

def run(docs: int, engines: tuple[str, ...] = ENGINES, per_class: int = 200,
        log: Callable[[str], None] = print, workdir: str | None = None) -> dict:
    """Index and query docs documents with each engine; returns the JSON-ready results."""
    root = Path(tempfile.mkdtemp(prefix="lemari-search-bench-", dir=workdir))
    results = {"docs": docs, "per_class": per_class, "cores": os.cpu_count(),
               "python": sys.version.split()[0], "engines": {}}
    try:
        for engine in engines:
            target = _target(engine, root)
            if target is None:
                log(f"{engine}: skipped (no PostgreSQL at {PG_ADMIN_URL})")
                continue
            try:
                log(f"{engine}: indexing {docs} documents …")
                indexed = _child("index", engine, target, docs, per_class)
                log(f"{engine}: {indexed['docs_per_s']:.0f} docs/s; querying …")
                queried = _child("query", engine, target, docs, per_class)
                results["engines"][engine] = {**indexed, **queried}
            finally:
                _drop(engine, target)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


def _target(engine: str, root: Path) -> str | None:
    """Where the engine keeps its index: a folder, or a fresh PostgreSQL database URL."""
    if engine != "postgres":
        return str(root / engine)
    import sqlalchemy

    name = f"lemari_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except sqlalchemy.exc.SQLAlchemyError:
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop(engine: str, target: str) -> None:
    """Drop the throw-away database (folders go with the run's temporary root)."""
    if engine == "postgres":
        import sqlalchemy

        admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(
                f'DROP DATABASE IF EXISTS "{target.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def _child(phase: str, engine: str, target: str, docs: int, per_class: int) -> dict:
    """Run one phase in a fresh interpreter, so its memory is its own."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.search_bench", phase, engine, target, str(docs),
         str(per_class)], cwd=REPO, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    if done.returncode != 0:
        raise RuntimeError(f"{engine} {phase} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the children -------------------------------------------------------------------------------

def _open(engine: str, target: str):
    if engine == "whoosh":
        from search import WhooshSearchIndex

        return WhooshSearchIndex(target)
    if engine == "postgres":
        from search.pg_index import PgSearchIndex

        return PgSearchIndex(target)
    if engine == "sqlite":
        from search.sqlite_index import SqliteSearchIndex

        return SqliteSearchIndex(Path(target) / "lemari.db")
    return Fts5Reference(target)


class _Timed:
    """Wraps the generator and adds up the time spent generating, so it can be excluded."""

    def __init__(self, docs: int) -> None:
        self.docs, self.seconds, self.cpu_seconds = docs, 0.0, 0.0

    def __iter__(self) -> Iterator:
        from bench.search_corpus import document

        for i in range(self.docs):
            began, cpu = time.perf_counter(), time.process_time()
            doc = document(i, self.docs)
            self.seconds += time.perf_counter() - began
            self.cpu_seconds += time.process_time() - cpu
            yield doc


def index_phase(engine: str, target: str, docs: int) -> dict:
    """Full rebuild, then outbox-sized batches of updates."""
    from bench.search_corpus import document

    index = _open(engine, target)
    source = _Timed(docs)
    began, cpu = time.perf_counter(), _cpu_seconds()
    index.rebuild(iter(source))
    seconds = time.perf_counter() - began - source.seconds
    cpu = _cpu_seconds() - cpu - source.cpu_seconds  # this process and its (reaped) workers
    updates = [document(i, docs) for i in range(min(OUTBOX_DOCS, docs))]
    began = time.perf_counter()
    for start in range(0, len(updates), OUTBOX_BATCH):
        index.add_or_update(updates[start : start + OUTBOX_BATCH])
    outbox = time.perf_counter() - began
    return {"index_seconds": round(seconds, 1), "docs_per_s": round(docs / seconds, 1),
            "index_cpu_seconds": round(cpu, 1), "docs_per_cpu_s": round(docs / max(cpu, 1e-9), 1),
            "load_during_index": round(os.getloadavg()[0], 1),
            "generate_seconds": round(source.seconds, 1),
            "outbox_docs_per_s": round(len(updates) / outbox, 1),
            "index_peak_rss_mb": _memory()["peak_rss_mb"], "disk_mb": _disk_mb(engine, target)}


def query_phase(engine: str, target: str, docs: int, per_class: int) -> dict:
    """Open the index in this fresh process and time every query class."""
    from bench.search_corpus import queries

    began = time.perf_counter()
    index = _open(engine, target)
    index.health()
    opened = time.perf_counter() - began
    results = {"open_seconds": round(opened, 2), "classes": {}}
    for name, items in queries(docs, per_class).items():
        for text, filters, _ in items[:WARMUP]:
            _ask(engine, index, name, text, filters)
        times, found, matched, wanted = [], 0, 0, 0
        for text, filters, source in items:
            began = time.perf_counter()
            ids = _ask(engine, index, name, text, filters)
            times.append((time.perf_counter() - began) * 1000)
            if source:
                wanted += 1
                found += source in ids
                matched += source in ids or _matched_later(engine, index, name, text, filters, source)
        results["classes"][name] = {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(statistics.quantiles(times, n=20)[18], 2),
            "found": round(found / wanted, 3) if wanted else None,
            "matched": round(matched / wanted, 3) if wanted and engine != "fts5" else None}
    return {**results, **_memory(), "load_during_queries": round(os.getloadavg()[0], 1)}


def _ask(engine: str, index, kind: str, text: str, filters: dict) -> list[str]:
    """One page as the app asks it; the ids on it."""
    if engine == "fts5":
        return index.search(kind, text, filters)
    from search import Query

    page = index.search(Query(text=text, filters=filters, principals=frozenset({"office"}),
                              page_size=PAGE_SIZE))
    return [hit.id for hit in page.hits]


def _matched_later(engine: str, index, kind: str, text: str, filters: dict, source: str) -> bool:
    """Whether source is among the matches past the first page (untimed; not for fts5,
    whose reference answers one page only)."""
    if engine == "fts5":
        return False
    from search import Query
    from search.base import MAX_PAGE_SIZE

    for number in range(1, MATCHED_PAGES + 1):
        page = index.search(Query(text=text, filters=filters, principals=frozenset({"office"}),
                                  page=number, page_size=MAX_PAGE_SIZE))
        if any(hit.id == source for hit in page.hits):
            return True
        if len(page.hits) < MAX_PAGE_SIZE:
            return False
    return False


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have been waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _memory() -> dict:
    """Current and peak resident memory of this process, in MB; ``rss_anon_mb`` leaves out
    pages of memory-mapped index files, which the kernel can drop at any time."""
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    mb = lambda key: round(int(fields[key].split()[0]) / 1024, 1)  # noqa: E731
    return {"rss_mb": mb("VmRSS"), "peak_rss_mb": mb("VmHWM"), "rss_anon_mb": mb("RssAnon")}


def _disk_mb(engine: str, target: str) -> float:
    """Size of the index on disk (PostgreSQL: the database)."""
    if engine == "postgres":
        import sqlalchemy

        with sqlalchemy.create_engine(target).connect() as conn:
            size = conn.execute(sqlalchemy.text("SELECT pg_database_size(current_database())"))
            return round(size.scalar() / 2**20, 1)
    return round(sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file()) / 2**20, 1)


# -- the reference: SQLite FTS5 over the same analysed terms ------------------------------------

class Fts5Reference:
    """SQLite FTS5 answering the same pages: body as our stemmed terms, names as our name keys,
    identifiers in ordinary indexed columns, facets by GROUP BY over the matches."""

    FACETS = ("doctype", "desa", "year", "klasifikasi", "status")

    def __init__(self, path: str) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(Path(path) / "fts.db")
        self.db.execute("PRAGMA journal_mode = WAL")

    def health(self) -> dict:
        return {"ok": True}

    def rebuild(self, docs) -> int:
        from search import analysis
        from search.plan import body_text, filter_values

        db = self.db
        db.executescript("""
            DROP TABLE IF EXISTS doc; DROP TABLE IF EXISTS ident; DROP TABLE IF EXISTS fts;
            CREATE TABLE doc (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, nomor TEXT, doctype TEXT,
                desa TEXT, year TEXT, klasifikasi TEXT, status TEXT, date TEXT, principals TEXT,
                title TEXT, excerpt TEXT);
            CREATE TABLE ident (value TEXT, rowid INTEGER);
            CREATE VIRTUAL TABLE fts USING fts5(body, names, tokenize = 'unicode61');
        """)
        def first(values: dict, key: str) -> str:
            return next(iter(values.get(key, {""})))

        count = 0
        with db:
            for count, doc in enumerate(docs, 1):
                values = filter_values(doc)
                one = functools.partial(first, values)
                db.execute("INSERT INTO doc VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (
                    count, doc.id, one("nomor"), one("jenis"), one("desa"), one("tahun"),
                    one("klasifikasi"), one("status"), doc.date,
                    "," + ",".join(sorted(doc.principals)) + ",", doc.title, doc.text[:2000]))
                db.executemany("INSERT INTO ident VALUES (?, ?)",
                               [(v, count) for v in (*values.get("nik", ()), *values.get("kk", ()))])
                db.execute("INSERT INTO fts (rowid, body, names) VALUES (?, ?, ?)", (
                    count, " ".join(analysis.body_terms(body_text(doc))),
                    " ".join(analysis.name_keys(" ".join(doc.names)))))
        db.executescript("""
            CREATE INDEX ident_value ON ident (value); CREATE INDEX doc_nomor ON doc (nomor);
            CREATE INDEX doc_desa ON doc (desa); CREATE INDEX doc_date ON doc (date);
            INSERT INTO fts (fts) VALUES ('optimize');
        """)
        return count

    def add_or_update(self, docs) -> None:
        from search import analysis
        from search.plan import body_text

        with self.db:
            for doc in docs:
                (rowid,) = self.db.execute("SELECT rowid FROM doc WHERE id = ?", (doc.id,)).fetchone()
                self.db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
                self.db.execute("INSERT INTO fts (rowid, body, names) VALUES (?, ?, ?)", (
                    rowid, " ".join(analysis.body_terms(body_text(doc))),
                    " ".join(analysis.name_keys(" ".join(doc.names)))))

    def search(self, kind: str, text: str, filters: dict) -> list[str]:
        """Top page, total and facets for a query of the given class; the page's ids."""
        from search.analysis import body_terms, digits_key, exact_key, name_keys

        where, params, match = ["instr(d.principals, ',office,') > 0"], [], None
        if kind == "nik":
            where.append("d.rowid IN (SELECT rowid FROM ident WHERE value = ?)")
            params.append(digits_key(text))
        elif kind == "number":
            where.append("d.nomor = ?")
            params.append(exact_key(text))
        elif kind == "name":
            match = " AND ".join(f'names : "{k}"' for k in name_keys(text))
        else:
            match = " AND ".join(f'body : "{t}"' for t in body_terms(text))
        for key, value in filters.items():
            where.append(f"d.{'desa' if key == 'desa' else key} = ?")
            params.append(exact_key(value))
        source = "doc d"
        if match:
            source = "fts CROSS JOIN doc d ON d.rowid = fts.rowid"  # CROSS: the match drives
            where.append("fts MATCH ?")
            params.append(match)
        score = "bm25(fts)" if match else "0"
        db = self.db
        db.execute("DROP TABLE IF EXISTS temp.m")
        db.execute(f"CREATE TEMP TABLE m AS SELECT d.rowid AS r, {score} AS score, d.date, "
                   f"{', '.join('d.' + f for f in self.FACETS)} FROM {source} "
                   f"WHERE {' AND '.join(where)}", params)
        db.execute("SELECT count(*) FROM m").fetchone()
        for facet in self.FACETS:
            db.execute(f"SELECT {facet}, count(*) FROM m GROUP BY {facet}").fetchall()
        rows = db.execute(f"SELECT d.id, d.title, d.excerpt FROM m JOIN doc d ON d.rowid = m.r "
                          f"ORDER BY m.score, m.date DESC LIMIT {PAGE_SIZE}").fetchall()
        return [row[0] for row in rows]


# -- the table ----------------------------------------------------------------------------------

def format_table(results: dict) -> str:
    """Markdown tables: indexing and memory, then query latency per class."""
    docs = results["docs"]
    targets = TARGETS.get(docs, {})
    engines = results["engines"]
    lines = [f"Search benchmark: {docs:,} documents, {results['per_class']} queries per class, "
             f"{results['cores']} cores, Python {results['python']}", "",
             "| engine | index docs/s | docs per CPU-s | outbox docs/s | index MB | open s | "
             "search RSS MB (peak; anon) | load avg (index / queries) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row in engines.items():
        per_cpu = row.get("docs_per_cpu_s")
        lines.append(f"| {name} | {row['docs_per_s']:,.0f} | "
                     f"{f'{per_cpu:,.0f}' if per_cpu else '–'} | {row['outbox_docs_per_s']:,.0f} | "
                     f"{row['disk_mb']:,.0f} | {row['open_seconds']} | {row['rss_mb']:.0f} "
                     f"({row['peak_rss_mb']:.0f}; {row.get('rss_anon_mb', '–')}) | "
                     f"{row.get('load_during_index', '–')} / "
                     f"{row.get('load_during_queries', '–')} |")
    lines += ["", f"Targets: index ≥ {INDEX_TARGET:,.0f} docs/s; search RSS ≤ {RSS_TARGET_MB:.0f} "
              "MB at 1M.", "", "| class | " + " | ".join(
                  f"{n} p50 / p95 ms" for n in engines) + " | target p95 | found (first page) |"
              " matched (any page) |",
              "|---|" + "---:|" * (len(engines) + 3)]
    classes = next(iter(engines.values()))["classes"] if engines else {}
    for name in classes:
        cells = [f"{e['classes'][name]['p50_ms']:.1f} / {e['classes'][name]['p95_ms']:.1f}"
                 for e in engines.values()]
        found = ", ".join(f"{n} {e['classes'][name]['found']:.0%}" for n, e in engines.items()
                          if e["classes"][name]["found"] is not None)
        matched = ", ".join(f"{n} {e['classes'][name]['matched']:.0%}" for n, e in engines.items()
                            if e["classes"][name].get("matched") is not None)
        target = f"≤ {targets[name]:.0f}" if name in targets else "–"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {target} | {found or '–'} |"
                     f" {matched or '–'} |")
    return "\n".join(lines)


def _main(argv: list[str]) -> None:
    """Child entry point: ``python -m bench.search_bench index|query ENGINE TARGET DOCS N``."""
    phase, engine, target, docs, per_class = argv
    if phase == "index":
        result = index_phase(engine, target, int(docs))
    else:
        result = query_phase(engine, target, int(docs), int(per_class))
    print(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1:])
