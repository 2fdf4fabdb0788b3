"""Above COUNT_LIMIT matches the embedded engine stops counting (issue 17: "surat keterangan"
at 1M documents took 1.5 s to count and group 760,000 matches): the page says "more than",
and its total, facets and pages are over the matches indexed last, newest first."""

from __future__ import annotations

import datetime as dt

import pytest

from search import Query
from search.base import NOTE_COUNT_LIMIT, IndexDoc
from search.sqlite_index import SqliteSearchIndex

OFFICE = frozenset({"office"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def capped(request, tmp_path):
    """An index of each embedded and server engine that stops counting at 30 matches."""
    if request.param == "sqlite":
        index = SqliteSearchIndex(tmp_path / "lemari.db", count_limit=30)
    else:
        from search.pg_index import PgSearchIndex

        index = PgSearchIndex(request.getfixturevalue("pg_url"), count_limit=30)
    yield index
    index.close()


def doc(n: int, *, desa: str, word: str = "banjir") -> IndexDoc:
    """Letter n, dated n days into 2024: indexed in date order, so "the newest" and "the
    indexed last" (the two samples adapters may take) are the same documents."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=n)
    return IndexDoc(id=f"r{n}", doctype="sk_domisili", title=f"Surat {n}", text=f"laporan {word}",
                    desa_code=desa, year=2024, date=day.isoformat(), principals=OFFICE)


def test_counting_stops_at_the_limit_and_says_so(capped):
    index = capped
    index.rebuild([doc(n, desa="loleng") for n in range(40)]
                  + [doc(n, desa="liang") for n in range(40, 60)]
                  + [doc(n, desa="pela", word="kemarau") for n in range(60, 70)])
    page = index.search(Query(text="banjir", principals=OFFICE, page_size=10))
    assert page.more and page.total == 30 and NOTE_COUNT_LIMIT in page.notes
    # the 30 indexed last: r30..r59, so 10 from Loleng and all 20 from Liang
    assert dict(page.facets["desa"]) == {"liang": 20, "loleng": 10}
    pages = [index.search(Query(text="banjir", principals=OFFICE, page=n, page_size=10))
             for n in (1, 2, 3)]
    ids = [hit.id for p in pages for hit in p.hits]
    assert sorted(ids, key=lambda i: int(i[1:])) == [f"r{n}" for n in range(30, 60)]
    dates = [hit.fields["date"] for p in pages for hit in p.hits]
    assert dates == sorted(dates, reverse=True)  # newest first across the pages
    assert index.search(Query(text="banjir", principals=OFFICE, page=4, page_size=10)).hits == ()


def test_below_the_limit_the_count_is_exact(capped):
    index = capped
    index.rebuild([doc(n, desa="loleng") for n in range(30)]
                  + [doc(n, desa="pela", word="kemarau") for n in range(30, 40)])
    page = index.search(Query(text="banjir", principals=OFFICE))
    assert not page.more and page.total == 30 and NOTE_COUNT_LIMIT not in page.notes
    assert dict(page.facets["desa"]) == {"loleng": 30}
    narrowed = index.search(Query(text="banjir", filters={"desa": "loleng"}, principals=OFFICE))
    assert narrowed.total == 30 and not narrowed.more
    other = index.search(Query(text="kemarau", principals=frozenset({"desa:liang"})))
    assert other.total == 0 and not other.more  # the principal filter is inside the count
