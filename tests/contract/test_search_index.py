"""The SearchIndex contract: every adapter must pass these, the in-memory one included."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from search import (
    IndexBusyError,
    IndexCorruptError,
    IndexDoc,
    MemorySearchIndex,
    Query,
    QueryError,
    SearchError,
    SearchIndex,
    WhooshSearchIndex,
)
from search.pg_index import PgSearchIndex
from search.sqlite_index import SqliteSearchIndex
from search.versions import POINTER

OFFICE = frozenset({"office"})
DESA_A, DESA_B = "64.02.08.2004", "64.02.08.2005"


def make_doc(doc_id: str, **overrides) -> IndexDoc:
    """A letter visible to the office and its own desa, with overridable fields."""
    desa = overrides.get("desa_code", DESA_A)
    values = {
        "doctype": "surat_keterangan_domisili", "title": "Surat Keterangan Domisili",
        "text": "Menerangkan bahwa yang bersangkutan berdomisili di RT 03.",
        "desa_code": desa, "year": 2024, "klasifikasi": "470", "status": "selesai",
        "date": "2024-01-15", "principals": frozenset({"office", f"desa:{desa}"}),
    }
    return IndexDoc(id=doc_id, **{**values, **overrides})


CORPUS = (
    make_doc(
        "pindah-1", doctype="surat_keterangan_pindah", title="Surat Keterangan Pindah",
        text="Yang bertanda tangan di bawah ini menerangkan bahwa penduduk tersebut pindah ke "
             "Samarinda. <script>alert(1)</script>",
        names=("MUHAMMAD NUR",), nik=("6402081234560001",), no_kk=("6402080000000001",),
        nomor="474/012/DS-SB/2024", klasifikasi="474", date="2024-03-01",
    ),
    make_doc(
        "domisili-2", names=("SITI AMINAH",), nik=("6402081234560010",),
        nomor="470/001/DS-LK/2023", desa_code=DESA_B, year=2023, status="draft",
        date="2023-06-10",
    ),
    make_doc(
        "usaha-3", doctype="surat_keterangan_usaha", title="Surat Keterangan Usaha",
        text="Menerangkan bahwa RAHMAWATI memiliki usaha warung makan.",
        names=("RAHMAWATI",), nik=("6402085508900003",), nomor="503/007/DS-SB/2024",
        klasifikasi="503", date="2024-05-20",
    ),
    make_doc(
        "lahir-4", doctype="surat_keterangan_kelahiran", title="Surat Keterangan Kelahiran",
        text="Telah lahir seorang anak laki-laki dari ibu SUPRIYATI.",
        names=("SUPRIYATI", "BAYU SAPUTRA"), nik=("6402084101950004",), desa_code=DESA_B,
        year=2022, klasifikasi="474", date="2022-11-02",
    ),
)


@pytest.fixture(params=["memory", "whoosh", "sqlite",
                        pytest.param("postgres", marks=pytest.mark.postgres)])
def index(request, tmp_path) -> SearchIndex:
    """An empty index of each adapter (PostgreSQL in a throw-away database)."""
    if request.param == "memory":
        return MemorySearchIndex()
    if request.param == "whoosh":
        return WhooshSearchIndex(tmp_path / "ix")
    if request.param == "sqlite":
        found = SqliteSearchIndex(tmp_path / "lemari.db")
        request.addfinalizer(found.close)
        return found
    found = PgSearchIndex(request.getfixturevalue("pg_url"))
    request.addfinalizer(found.close)
    return found


@pytest.fixture
def filled(index) -> SearchIndex:
    """An index holding CORPUS."""
    index.add_or_update(CORPUS)
    return index


def ids(index: SearchIndex, text: str = "", principals=OFFICE, **kwargs) -> list[str]:
    """Ids of the first page of hits, in order."""
    return [h.id for h in index.search(Query(text=text, principals=principals, **kwargs)).hits]


def test_adapters_satisfy_the_protocol(index):
    assert isinstance(index, SearchIndex)


def test_indexed_document_is_found_by_a_body_word(filled):
    assert ids(filled, "warung") == ["usaha-3"]


def test_update_replaces_the_earlier_version(filled):
    filled.add_or_update([make_doc("usaha-3", text="Usaha bengkel motor.")])
    assert ids(filled, "warung") == []
    assert ids(filled, "bengkel") == ["usaha-3"]
    assert filled.health()["doc_count"] == len(CORPUS)


def test_delete_removes_the_document_and_ignores_unknown_ids(filled):
    filled.delete(["usaha-3", "no-such-id"])
    assert ids(filled, "warung") == []
    assert filled.health()["doc_count"] == len(CORPUS) - 1


@pytest.mark.parametrize("text", ["nik:6402081234560001", "6402081234560001", "kk:6402080000000001"])
def test_nik_and_kk_find_exactly_their_document(filled, text):
    assert ids(filled, text) == ["pindah-1"]


@pytest.mark.parametrize("text", ["nik:640208123456000", "640208123456000", "nik:64020812345600"])
def test_a_nik_never_matches_by_prefix(filled, text):
    # 640208123456000 is a prefix of both 6402081234560001 and 6402081234560010
    assert ids(filled, text) == []


@pytest.mark.parametrize("text", ["nomor:474/012/DS-SB/2024", "nomor:474/012/ds-sb/2024",
                                  '474/012/DS-SB/2024', 'nomor:"474 / 012 / DS-SB / 2024"'])
def test_nomor_finds_exactly_its_letter(filled, text):
    assert ids(filled, text) == ["pindah-1"]


def test_nomor_never_matches_a_part_of_a_number(filled):
    assert ids(filled, "nomor:474/012") == []


@pytest.mark.parametrize("text", ["Muhamad Nor", "MUHAMMAD NUR", "Mohammad Noor", "Moh. Nur",
                                  "M. Nur", "Mochammad Nur"])
def test_name_spelling_variants_find_muhammad_nur(filled, text):
    assert ids(filled, text) == ["pindah-1"]


@pytest.mark.parametrize("text", ["Sitti Aminah", "siti aminah", "Sity Aminah"])
def test_name_spelling_variants_find_siti_aminah(filled, text):
    assert ids(filled, text) == ["domisili-2"]


@pytest.mark.parametrize(("text", "expected"), [("Rahmawti", "usaha-3"), ("Rahnawati", "usaha-3"),
                                                ("Supriyadi", "lahir-4"),
                                                # the typo doubles a letter the key folds away
                                                ("Rahmaati", "usaha-3")])
def test_a_one_letter_typo_in_a_name_still_matches(filled, text, expected):
    assert ids(filled, text) == [expected]


def test_two_typos_in_a_name_do_not_match(filled):
    assert ids(filled, "Rahmwti") == []


@pytest.mark.parametrize("text", ["pindahan", "kepindahan", "perpindahan"])
def test_body_words_match_by_stem(filled, text):
    assert ids(filled, text) == ["pindah-1"]


def test_stopwords_in_the_query_are_ignored(filled):
    assert ids(filled, "yang dengan warung di dari") == ["usaha-3"]


def test_every_word_must_match(filled):
    assert ids(filled, "warung samarinda") == []


def test_phrase_matches_words_in_order_only(filled):
    assert ids(filled, '"pindah ke Samarinda"') == ["pindah-1"]
    assert ids(filled, '"Samarinda pindah"') == []


def test_snippet_escapes_the_text_and_marks_matches(filled):
    (hit,) = filled.search(Query(text="pindahan", principals=OFFICE)).hits
    assert "<mark>pindah</mark>" in hit.snippet
    assert "&lt;script&gt;" in hit.snippet and "<script>" not in hit.snippet


def test_hit_fields_carry_the_identifiers_as_given(filled):
    (hit,) = filled.search(Query(text="nik:6402081234560001", principals=OFFICE)).hits
    assert hit.title == "Surat Keterangan Pindah"
    assert hit.fields["nik"] == ("6402081234560001",)
    assert hit.fields["nomor"] == "474/012/DS-SB/2024"
    assert hit.fields["tahun"] == 2024


def test_facets_count_every_visible_match(filled):
    facets = filled.search(Query(text="surat", principals=OFFICE, page_size=1)).facets
    assert facets["desa"] == {DESA_A: 2, DESA_B: 2}
    assert facets["tahun"] == {"2024": 2, "2022": 1, "2023": 1}
    assert facets["klasifikasi"] == {"474": 2, "470": 1, "503": 1}
    assert facets["jenis"]["surat_keterangan_pindah"] == 1
    assert facets["status"] == {"selesai": 3, "draft": 1}


@pytest.mark.parametrize(("filters", "text", "expected"), [
    ({"desa": DESA_B}, "surat", {"domisili-2", "lahir-4"}),
    ({}, f"surat desa:{DESA_B}", {"domisili-2", "lahir-4"}),
    ({"tahun": "2024"}, "surat", {"pindah-1", "usaha-3"}),
    ({}, "tahun:2022", {"lahir-4"}),
    ({"jenis": "surat_keterangan_usaha"}, "", {"usaha-3"}),
    ({"status": "draft", "desa": DESA_B}, "", {"domisili-2"}),
    ({"klasifikasi": "474", "tahun": "2022"}, "", {"lahir-4"}),
])
def test_filters_narrow_the_results(filled, filters, text, expected):
    page = filled.search(Query(text=text, filters=filters, principals=OFFICE))
    assert {h.id for h in page.hits} == expected and page.total == len(expected)


def test_an_operator_desa_never_sees_another_desas_documents(filled):
    operator = frozenset({f"desa:{DESA_A}"})
    for text in ("surat", "", "Siti Aminah", "nik:6402081234560010", f"desa:{DESA_B}"):
        page = filled.search(Query(text=text, principals=operator))
        assert all(h.fields["desa"] == DESA_A for h in page.hits)
        assert DESA_B not in page.facets["desa"]
    assert ids(filled, "Siti Aminah", principals=operator) == []


def test_no_principals_sees_nothing(filled):
    page = filled.search(Query(text="surat"))
    assert page.hits == () and page.total == 0


def test_sort_by_date_puts_the_newest_first(filled):
    assert ids(filled, "surat", sort="date") == ["usaha-3", "pindah-1", "domisili-2", "lahir-4"]


def test_browsing_without_words_lists_newest_first(filled):
    assert ids(filled)[0] == "usaha-3"


def test_pages_are_disjoint_and_complete(index):
    index.add_or_update(make_doc(f"d{i:02}", date=f"2024-02-{i + 1:02}") for i in range(25))
    pages = [index.search(Query(text="domisili", principals=OFFICE, page=p, page_size=10))
             for p in (1, 2, 3)]
    seen = [h.id for page in pages for h in page.hits]
    assert [len(p.hits) for p in pages] == [10, 10, 5] and {p.total for p in pages} == {25}
    assert sorted(seen) == [f"d{i:02}" for i in range(25)]


def test_a_filtered_search_with_more_hits_than_a_page_ranks_and_counts_them_all(index):
    # more than one posting block (128) per term, so engines may try to skip blocks
    index.add_or_update(make_doc(f"d{i:03}", date=f"2024-03-{i % 28 + 1:02}T{i % 24:02}:00:00",
                                 desa_code=DESA_A if i % 3 else DESA_B,
                                 principals=frozenset({"office", f"desa:{DESA_A if i % 3 else DESA_B}"}))
                        for i in range(600))
    page = index.search(Query(text="domisili", filters={"desa": DESA_B}, principals=OFFICE,
                              page_size=5))
    newest = sorted((i for i in range(0, 600, 3)), key=lambda i: (i % 28, i % 24), reverse=True)
    assert page.total == 200 and [h.id for h in page.hits] == [f"d{i:03}" for i in newest[:5]]
    operator = frozenset({f"desa:{DESA_A}"})
    page = index.search(Query(text="domisili tahun:2024", principals=operator, page_size=5))
    assert page.total == 400 and len(page.hits) == 5


def test_page_size_is_capped_at_100(index):
    index.add_or_update(make_doc(f"d{i:03}") for i in range(120))
    page = index.search(Query(text="domisili", principals=OFFICE, page_size=500))
    assert len(page.hits) == 100 and page.total == 120


def test_did_you_mean_offers_a_visible_word(filled):
    page = filled.search(Query(text="surat domisli", principals=OFFICE))
    assert page.suggestion == "surat domisili"


def test_did_you_mean_leaves_known_words_alone(filled):
    assert filled.search(Query(text="pindahan", principals=OFFICE)).suggestion is None
    assert filled.search(Query(text="Muhamad Nor", principals=OFFICE)).suggestion is None


def test_did_you_mean_never_reveals_another_desas_words(filled):
    operator = frozenset({f"desa:{DESA_A}"})
    assert filled.search(Query(text="supriyatu", principals=operator)).suggestion is None
    assert filled.search(Query(text="supriyatu", principals=OFFICE)).suggestion == "supriyati"


def test_suggest_completes_from_visible_documents_only(filled):
    assert "samarinda" in filled.suggest("sam", principals=OFFICE)
    assert "supriyati" in filled.suggest("Supr", principals=OFFICE)
    assert filled.suggest("supr", principals=frozenset({f"desa:{DESA_A}"})) == []
    assert filled.suggest("s", principals=OFFICE) == []


def test_parser_notes_reach_the_page(filled):
    page = filled.search(Query(text="nama:rahmawati", principals=OFFICE))
    assert [h.id for h in page.hits] == ["usaha-3"]
    assert any("nama" in note for note in page.notes)


@pytest.mark.parametrize("query", [
    dict(text="*"), dict(text="nik:abc"), dict(filters={"kecamatan": "x"}), dict(page=0),
    dict(page=200, page_size=100), dict(sort="random"),
])
def test_bad_queries_raise_query_error(filled, query):
    with pytest.raises(QueryError):
        filled.search(Query(principals=OFFICE, **query))


def test_rebuild_replaces_everything_and_reports_progress(filled):
    seen = []
    count = filled.rebuild(iter([make_doc("baru-1", text="Surat pengantar nikah.")]), seen.append)
    assert count == 1 and seen[-1] == 1
    assert ids(filled, "nikah") == ["baru-1"]
    assert ids(filled, "warung") == []


def test_clear_removes_everything(filled):
    filled.clear()
    assert ids(filled) == [] and filled.health()["doc_count"] == 0


def test_health_reports_ok_and_count(filled):
    health = filled.health()
    assert health["ok"] is True and health["doc_count"] == len(CORPUS) and health["detail"]


# -- Whoosh only: torn files, interrupted rebuilds, locks -------------------------------------


def live_version(root: Path) -> Path:
    """The directory CURRENT points at."""
    return root / (root / POINTER).read_text().strip()


@pytest.fixture
def whoosh(tmp_path) -> WhooshSearchIndex:
    """A Whoosh index holding CORPUS in two segments."""
    index = WhooshSearchIndex(tmp_path / "ix")
    index.rebuild(CORPUS[:2])
    index.add_or_update(CORPUS[2:])
    return index


def test_an_index_whose_first_document_was_replaced_reopens_healthy(whoosh):
    """Updating a document deletes it in its old segment; the start-up probe must not take a
    segment whose first id has no live posting for a torn one."""
    first = min(doc.id for doc in CORPUS[:2])  # the first id term of the first segment
    whoosh.add_or_update([make_doc(first, text="Diperbarui setelah pindah.")])
    reopened = WhooshSearchIndex(whoosh.root)
    assert reopened.health()["ok"] is True
    assert [h.id for h in reopened.search(Query(text="diperbarui", principals=OFFICE)).hits] == [first]


@pytest.mark.parametrize("damage", ["truncate_segment", "garble_segment", "overwrite_toc",
                                    "remove_segment", "garble_pointer"])
def test_a_damaged_index_is_reported_and_rebuild_restores_it(whoosh, damage):
    version = live_version(whoosh.root)
    segment = max((p for p in version.glob("*_*.*") if p.suffix not in (".toc", ".json")),
                  key=lambda p: p.stat().st_size)  # the largest file of a segment
    if damage == "truncate_segment":
        segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    elif damage == "garble_segment":
        data = bytearray(segment.read_bytes())
        data[100:400] = bytes(300)
        segment.write_bytes(bytes(data))
    elif damage == "overwrite_toc":
        next(version.glob("*.toc")).write_bytes(b"\x00garbage" * 8)
    elif damage == "remove_segment":
        segment.unlink()
    else:
        (whoosh.root / POINTER).write_text("../../etc\n")

    reopened = WhooshSearchIndex(whoosh.root)
    health = reopened.health()
    assert health["ok"] is False and "rusak" in health["detail"]
    with pytest.raises(IndexCorruptError):
        reopened.search(Query(text="surat", principals=OFFICE))
    with pytest.raises(IndexCorruptError):
        reopened.add_or_update(CORPUS[:1])

    assert reopened.rebuild(CORPUS) == len(CORPUS)
    assert reopened.health()["ok"] is True
    assert ids(reopened, "warung") == ["usaha-3"]


def test_an_interrupted_rebuild_leaves_the_previous_index_searchable(whoosh):
    def failing_docs():
        yield make_doc("baru-1", text="Surat pengantar nikah.")
        yield make_doc("baru-2", text="Surat pengantar nikah.")
        raise RuntimeError("database connection lost")

    versions_before = sorted(p.name for p in whoosh.root.glob("v-*"))
    with pytest.raises(RuntimeError):
        whoosh.rebuild(failing_docs())

    assert ids(whoosh, "warung") == ["usaha-3"] and ids(whoosh, "nikah") == []
    assert ids(WhooshSearchIndex(whoosh.root), "warung") == ["usaha-3"]
    assert sorted(p.name for p in whoosh.root.glob("v-*")) == versions_before


KILLED_REBUILD = textwrap.dedent("""
    import sys, time
    from search import IndexDoc, WhooshSearchIndex

    def docs():
        for i in range(10_000):
            if i == 300:
                print("midway", flush=True)
                time.sleep(60)
            yield IndexDoc(id=f"n{i}", doctype="x", title="Surat pengantar nikah",
                           principals=frozenset({"office"}))

    WhooshSearchIndex(sys.argv[1]).rebuild(docs())
""")


def test_a_rebuild_killed_with_sigkill_leaves_the_previous_index_searchable(whoosh):
    child = subprocess.Popen([sys.executable, "-c", KILLED_REBUILD, str(whoosh.root)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "midway"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    reopened = WhooshSearchIndex(whoosh.root)
    assert reopened.health()["ok"] is True
    assert ids(reopened, "warung") == ["usaha-3"] and ids(reopened, "nikah") == []
    assert reopened.rebuild(CORPUS) == len(CORPUS)  # the dead process's lock died with it
    assert len(list(whoosh.root.glob("v-*"))) == 2  # its half-built version was swept


def test_a_crashed_rebuilds_leftovers_are_ignored_then_swept(whoosh):
    leftover = whoosh.root / "v-crashed"
    (leftover / "half").mkdir(parents=True)
    assert WhooshSearchIndex(whoosh.root).health()["ok"] is True
    whoosh.rebuild(CORPUS)
    assert not leftover.exists()


def test_another_process_rebuild_is_followed(whoosh):
    other = WhooshSearchIndex(whoosh.root)
    other.rebuild([make_doc("baru-1", text="Surat pengantar nikah.")])
    assert ids(whoosh, "nikah") == ["baru-1"]
    assert ids(whoosh, "warung") == []


def test_the_pointer_and_root_are_private(whoosh):
    assert whoosh.root.stat().st_mode & 0o077 == 0
    assert (whoosh.root / POINTER).stat().st_mode & 0o077 == 0


def test_whoosh_a_thread_that_searched_before_a_merge_sees_each_document_once(tmp_path):
    """Whoosh's ``refresh()`` kept segments a merge had dropped: every letter twice, or a
    "missing column" once their files were deleted. The searcher is opened again instead."""
    index = WhooshSearchIndex(tmp_path / "ix")
    index.add_or_update([make_doc("d0000")])
    assert ids(index, "domisili") == ["d0000"]          # this thread now holds a searcher
    for i in range(1, 40):                              # enough commits for Whoosh to merge
        index.add_or_update([make_doc(f"d{i:04}")])
    page = index.search(Query(text="domisili", principals=OFFICE, page_size=100))
    assert page.total == 40 and sorted(h.id for h in page.hits) == [f"d{i:04}" for i in range(40)]


def test_whoosh_searches_during_commits_and_merges_never_fail(tmp_path):
    """Four threads search while one commits and deletes; every search answers, the index
    is never declared damaged, and no document shows twice."""
    index = WhooshSearchIndex(tmp_path / "ix")
    index.add_or_update([make_doc(f"d{i:04}", names=(f"BUDI {i}",)) for i in range(500)])
    stop, problems = time.monotonic() + 5, []

    def commit() -> None:
        n = 500
        while time.monotonic() < stop and not problems:
            index.add_or_update([make_doc(f"d{n:04}", text="Surat domisili di Loleng.")])
            index.delete([f"d{n - 250:04}"])
            n += 1

    def search() -> None:
        while time.monotonic() < stop and not problems:
            for text in ("domisili", "budi", "loleng"):
                try:
                    page = index.search(Query(text=text, principals=OFFICE, page_size=100))
                except SearchError as exc:
                    problems.append(repr(exc))
                    return
                found = [h.id for h in page.hits]
                if len(found) != len(set(found)):
                    problems.append(f"{text}: a document twice")

    threads = [threading.Thread(target=commit)] + [threading.Thread(target=search) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == [] and index.health()["ok"] is True


def test_whoosh_orders_a_very_broad_search_newest_first_and_says_so(tmp_path):
    from search.base import NOTE_NEWEST_FIRST, RELEVANCE_LIMIT

    index = WhooshSearchIndex(tmp_path / "ix")
    count = RELEVANCE_LIMIT + 1
    index.rebuild(make_doc(f"d{i:05}", year=2010 + i % 15,
                           date=f"{2010 + i % 15}-01-{1 + i % 28:02}") for i in range(count))
    page = index.search(Query(text="domisili", principals=OFFICE, page_size=5))
    assert page.total == count and NOTE_NEWEST_FIRST in page.notes
    assert [h.fields["date"] for h in page.hits] == ["2024-01-28"] * 5
    narrow = index.search(Query(text="domisili", filters={"tahun": "2024"}, principals=OFFICE))
    assert NOTE_NEWEST_FIRST not in narrow.notes  # few enough to rank by relevance


def test_a_held_writer_lock_raises_index_busy_after_retries(tmp_path):
    index = WhooshSearchIndex(tmp_path / "ix", lock_timeout=0.05)
    other_writer = WhooshSearchIndex(index.root)._writing()  # as another process would hold it
    other_writer.__enter__()
    try:
        with pytest.raises(IndexBusyError):
            index.add_or_update(CORPUS[:1])
    finally:
        other_writer.__exit__(None, None, None)
    index.add_or_update(CORPUS[:1])
    assert ids(index, "pindahan") == ["pindah-1"]


# -- PostgreSQL only: dropped tables, old schemas, interrupted rebuilds, locks, dead servers ----


@pytest.fixture
def pg(pg_url) -> PgSearchIndex:
    """A PostgreSQL index holding CORPUS."""
    index = PgSearchIndex(pg_url, lock_timeout_ms=200)
    index.rebuild(CORPUS)
    yield index
    index.close()


def pg_sql(url: str, statement: str, *params):
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.exec_driver_sql(statement, params).all() if params else \
                conn.exec_driver_sql(statement).all() if statement.lstrip().upper().startswith(
                    "SELECT") else conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("damage", ["DROP TABLE search_index_doc",
                                    "UPDATE search_index_meta SET value = '0' WHERE key = 'schema'",
                                    "ALTER TABLE search_index_doc DROP COLUMN tsv"])
def test_pg_damage_is_reported_and_rebuild_restores_it(pg, pg_url, damage):
    pg_sql(pg_url, damage)
    reopened = PgSearchIndex(pg_url)
    health = reopened.health()
    assert health["ok"] is False and "rusak" in health["detail"]
    with pytest.raises(IndexCorruptError):
        reopened.search(Query(text="surat", principals=OFFICE))
    assert reopened.rebuild(CORPUS) == len(CORPUS)
    assert reopened.health()["ok"] is True
    assert ids(reopened, "warung") == ["usaha-3"]
    reopened.close()


@pytest.mark.postgres
def test_pg_interrupted_rebuild_leaves_the_previous_index_and_no_leftovers(pg, pg_url):
    def failing_docs():
        yield make_doc("baru-1", text="Surat pengantar nikah.")
        raise RuntimeError("database connection lost")

    with pytest.raises(RuntimeError):
        pg.rebuild(failing_docs())
    assert ids(pg, "warung") == ["usaha-3"] and ids(pg, "nikah") == []
    tables = pg_sql(pg_url, "SELECT tablename FROM pg_tables WHERE tablename LIKE 'search_index%%'")
    assert sorted(t for (t,) in tables) == ["search_index_doc", "search_index_meta",
                                             "search_index_term"]


PG_KILLED_REBUILD = textwrap.dedent("""
    import sys, time
    from search import IndexDoc
    from search.pg_index import PgSearchIndex

    def docs():
        for i in range(10_000):
            if i == 2_500:
                print("midway", flush=True)
                time.sleep(60)
            yield IndexDoc(id=f"n{i}", doctype="x", title="Surat pengantar nikah",
                           principals=frozenset({"office"}))

    PgSearchIndex(sys.argv[1]).rebuild(docs())
""")


@pytest.mark.postgres
def test_pg_rebuild_killed_with_sigkill_leaves_the_previous_index(pg, pg_url):
    child = subprocess.Popen([sys.executable, "-c", PG_KILLED_REBUILD, pg_url],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "midway"
        with pytest.raises(IndexBusyError):  # the rebuild lock is held meanwhile
            pg.rebuild(CORPUS)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert ids(pg, "warung") == ["usaha-3"] and ids(pg, "nikah") == []
    deadline = time.monotonic() + 30  # the server notices the dead client and rolls back
    while True:
        try:
            assert pg.rebuild(CORPUS) == len(CORPUS)
            break
        except IndexBusyError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert pg.health()["doc_count"] == len(CORPUS)


@pytest.mark.postgres
def test_pg_a_held_write_lock_raises_index_busy(pg, pg_url):
    import sqlalchemy

    engine = sqlalchemy.create_engine(pg_url)
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(current_schema() || 'search_index'), 1)")
        with pytest.raises(IndexBusyError):
            pg.add_or_update(CORPUS[:1])
    engine.dispose()
    pg.add_or_update([make_doc("baru-1", text="Surat pengantar nikah.")])
    assert ids(pg, "nikah") == ["baru-1"]


@pytest.mark.postgres
def test_pg_stores_what_ocr_produces(pg):
    noisy = make_doc("scan-1", text="Surat\x00 pindaian \ud800 rusak " + "kata " * 60_000
                     + "penutup", names=("SITI\x00 AMINAH",))
    pg.add_or_update([noisy])
    assert ids(pg, "pindaian") == ["scan-1"] and ids(pg, "penutup") == ["scan-1"]
    assert "scan-1" in ids(pg, "Siti Aminah")


@pytest.mark.postgres
def test_pg_orders_a_very_broad_search_newest_first_and_ranks_a_narrow_one(pg):
    from search.base import COUNT_LIMIT, NOTE_COUNT_LIMIT, NOTE_NEWEST_FIRST, RELEVANCE_LIMIT

    count = RELEVANCE_LIMIT + 1
    pg.rebuild([*(make_doc(f"d{i:05}", year=2010 + i % 15, date=f"{2010 + i % 15}-01-{1 + i % 28:02}")
                  for i in range(count)),
                make_doc("named", names=("DOMISILI RAHMAN",), year=2011, date="2011-01-01")])
    page = pg.search(Query(text="domisili", principals=OFFICE, page_size=5))
    # counting stops where ranking does (search.base.COUNT_LIMIT), and the page says both
    assert page.more and page.total == COUNT_LIMIT and NOTE_COUNT_LIMIT in page.notes
    assert [h.fields["date"] for h in page.hits] == ["2024-01-28"] * 5
    assert {h.score for h in page.hits} == {0.0}
    # few enough to rank: the one whose name holds the word comes first although it is old
    narrow = pg.search(Query(text="domisili", filters={"tahun": "2011"}, principals=OFFICE))
    assert NOTE_NEWEST_FIRST not in narrow.notes and narrow.total < RELEVANCE_LIMIT
    assert narrow.hits[0].id == "named" and narrow.hits[0].score > narrow.hits[1].score


@pytest.mark.postgres
def test_pg_a_search_over_its_time_bound_is_cut_off_with_a_clear_message(pg_url):
    index = PgSearchIndex(pg_url)
    index.rebuild(make_doc(f"d{i:04}") for i in range(3_000))
    hurried = PgSearchIndex(pg_url, statement_timeout_ms=1)
    with pytest.raises(QueryError, match="terlalu lama"):
        for _ in range(20):  # one of them runs past a millisecond on any machine
            hurried.search(Query(text="domisili", principals=OFFICE))
    index.close()
    hurried.close()


def test_pg_needs_a_postgresql_url():
    with pytest.raises(SearchError, match="PostgreSQL"):
        PgSearchIndex("sqlite:///lemari.db")


def test_pg_unreachable_server_is_a_search_error_not_a_crash():
    index = PgSearchIndex("postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    health = index.health()
    assert health["ok"] is False and "tidak dapat dihubungi" in health["detail"]
    with pytest.raises(SearchError) as raised:
        index.search(Query(text="surat", principals=OFFICE))
    assert not isinstance(raised.value, IndexCorruptError)


def test_a_restricted_document_is_seen_by_its_readers_only_and_others_lose_nothing(index):
    """A rahasia letter's scan carries only its readers' principals (a user, a role); a reader
    searches with several principals most documents lack, added one document at a time (one
    segment each in Whoosh, later merged), and still sees every office document."""
    for i in range(20):
        secret = {"principals": frozenset({"baca:r:Camat", "baca:u:humas"})} if i == 6 else {}
        index.add_or_update([make_doc(f"d{i:02}", date=f"2024-02-{i + 1:02}", **secret)])
    outsider = frozenset({"office", "baca:u:sekcam", "baca:r:Sekcam"})
    reader = frozenset({"office", "warga:office", "baca:u:humas", "baca:r:Humas"})
    found = index.search(Query(text="domisili", principals=outsider, page_size=50))
    assert found.total == 19 and "d06" not in {h.id for h in found.hits}
    seen = index.search(Query(text="domisili", principals=reader, page_size=50))
    assert seen.total == 20 and "d06" in {h.id for h in seen.hits}
    assert ids(index, "domisili", principals=frozenset({"baca:u:sekcam", "baca:r:Sekcam"})) == []


# -- SQLite FTS5 only: the records' database, interrupted rebuilds, locks, damage --------------


@pytest.fixture
def fts(tmp_path) -> SqliteSearchIndex:
    """An FTS5 index holding CORPUS, in a database that also holds a records table."""
    database = tmp_path / "lemari.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE record (id INTEGER PRIMARY KEY, title TEXT)")
        db.execute("INSERT INTO record VALUES (1, 'Surat Keterangan Usaha')")
        db.execute("CREATE TABLE search_outbox (id INTEGER PRIMARY KEY)")  # the app's, not ours
    index = SqliteSearchIndex(database, busy_timeout=0.2)
    index.add_or_update(CORPUS)
    yield index
    index.close()


def sqlite_tables(index: SqliteSearchIndex) -> list[str]:
    """Ordinary and virtual tables of the index's database, FTS5 shadow tables left out."""
    with sqlite3.connect(index.path) as db:
        return sorted(name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT GLOB '*_fts_*'"))


def test_sqlite_index_lives_beside_the_records_and_leaves_them_alone(fts):
    assert sqlite_tables(fts) == ["record", "search_index_access", "search_index_combo",
                                  "search_index_doc", "search_index_fts", "search_index_meta",
                                  "search_index_term", "search_index_tok", "search_outbox"]
    fts.rebuild(CORPUS[:2])
    fts.clear()
    with sqlite3.connect(fts.path) as db:
        assert db.execute("SELECT title FROM record").fetchall() == [("Surat Keterangan Usaha",)]


def test_sqlite_interrupted_rebuild_leaves_the_previous_index_and_no_leftovers(fts):
    def failing_docs():
        yield make_doc("baru-1", text="Surat pengantar nikah.")
        raise RuntimeError("database connection lost")

    before = sqlite_tables(fts)
    with pytest.raises(RuntimeError):
        fts.rebuild(failing_docs())
    assert ids(fts, "warung") == ["usaha-3"] and ids(fts, "nikah") == []
    assert sqlite_tables(fts) == before


SQLITE_KILLED_REBUILD = textwrap.dedent("""
    import sys, time
    from search import IndexDoc
    from search.sqlite_index import SqliteSearchIndex

    def docs():
        for i in range(10_000):
            if i == 4_500:
                print("midway", flush=True)
                time.sleep(60)
            yield IndexDoc(id=f"n{i}", doctype="x", title="Surat pengantar nikah",
                           principals=frozenset({"office"}))

    SqliteSearchIndex(sys.argv[1]).rebuild(docs())
""")


def test_sqlite_rebuild_killed_with_sigkill_leaves_the_previous_index(fts):
    child = subprocess.Popen([sys.executable, "-c", SQLITE_KILLED_REBUILD, str(fts.path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "midway"  # two batches committed by now
        assert ids(fts, "warung") == ["usaha-3"] and ids(fts, "nikah") == []
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    reopened = SqliteSearchIndex(fts.path)
    health = reopened.health()
    assert health["ok"] is True and health["doc_count"] == len(CORPUS)
    assert ids(reopened, "warung") == ["usaha-3"] and ids(reopened, "nikah") == []
    assert reopened.rebuild(CORPUS[:1]) == 1  # the half-built tables are swept
    assert not [t for t in sqlite_tables(reopened) if "build" in t]
    reopened.close()


def test_sqlite_a_held_write_lock_raises_index_busy(fts):
    other = sqlite3.connect(fts.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as another process's write would hold it
    try:
        with pytest.raises(IndexBusyError):
            fts.add_or_update([make_doc("baru-1", text="Surat pengantar nikah.")])
        assert ids(fts, "warung") == ["usaha-3"]  # readers are not blocked (WAL)
    finally:
        other.rollback()
        other.close()
    fts.add_or_update([make_doc("baru-1", text="Surat pengantar nikah.")])
    assert ids(fts, "nikah") == ["baru-1"]


@pytest.mark.parametrize("damage", ["DROP TABLE search_index_fts",
                                    "DROP TABLE search_index_doc",
                                    "UPDATE search_index_meta SET value = '0' WHERE key = 'schema'"])
def test_sqlite_damage_is_reported_and_rebuild_restores_it(fts, damage):
    with sqlite3.connect(fts.path) as db:
        db.execute(damage)
    reopened = SqliteSearchIndex(fts.path)
    health = reopened.health()
    assert health["ok"] is False and "rusak" in health["detail"]
    with pytest.raises(IndexCorruptError):
        reopened.search(Query(text="surat", principals=OFFICE))
    assert reopened.rebuild(CORPUS) == len(CORPUS)
    assert reopened.health()["ok"] is True
    assert ids(reopened, "warung") == ["usaha-3"]
    reopened.close()


def test_sqlite_orders_a_very_broad_search_newest_first_and_says_so(tmp_path):
    from search.base import COUNT_LIMIT, NOTE_COUNT_LIMIT, NOTE_NEWEST_FIRST, RELEVANCE_LIMIT

    index = SqliteSearchIndex(tmp_path / "lemari.db")
    count = RELEVANCE_LIMIT + 1
    index.rebuild(make_doc(f"d{i:05}", year=2010 + i % 15,
                           date=f"{2010 + i % 15}-01-{1 + i % 28:02}") for i in range(count))
    page = index.search(Query(text="domisili", principals=OFFICE, page_size=5))
    # counting stops where ranking does (search.base.COUNT_LIMIT), and the page says both
    assert page.more and page.total == COUNT_LIMIT and NOTE_COUNT_LIMIT in page.notes
    assert [h.fields["date"] for h in page.hits] == ["2024-01-28"] * 5
    narrow = index.search(Query(text="domisili", filters={"tahun": "2024"}, principals=OFFICE))
    assert NOTE_NEWEST_FIRST not in narrow.notes and narrow.total < RELEVANCE_LIMIT
    index.close()


def test_sqlite_needs_a_sqlite_database():
    with pytest.raises(SearchError):
        SqliteSearchIndex("postgresql+psycopg://postgres@127.0.0.1/lemari")


def test_sqlite_writes_joined_to_a_callers_transaction_commit_and_roll_back_with_it(fts):
    caller = sqlite3.connect(fts.path)  # as the outbox drain's session holds it
    with fts.joined(caller) as joined:
        assert joined is True
        fts.add_or_update([make_doc("baru-1", text="Surat pengantar nikah.")])
        caller.execute("DELETE FROM search_outbox")
        assert ids(fts, "nikah") == []  # other connections see nothing before the commit
    caller.rollback()
    assert ids(fts, "nikah") == []
    with fts.joined(caller):
        fts.add_or_update([make_doc("baru-1", text="Surat pengantar nikah.")])
    caller.commit()
    assert ids(fts, "nikah") == ["baru-1"]
    caller.close()
    elsewhere = sqlite3.connect(":memory:")
    with fts.joined(elsewhere) as joined:
        assert joined is False
    elsewhere.close()
