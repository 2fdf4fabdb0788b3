"""A PostgreSQL search plans as if its pages were in memory (issue 17): with the server's
defaults the plan for a common word in one desa of 1M documents flipped with each ANALYZE
between a 720 ms walk of the date index and a 100 ms fetch through the GIN index
(docs/benchmarks.md). The plan itself needs that million; what is checked here is that every
search statement runs with the costs, and that nothing outside the search transaction does."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from search import Query
from search.base import IndexDoc

pytestmark = pytest.mark.postgres
OFFICE = frozenset({"office"})
COSTS = "SELECT current_setting('seq_page_cost'), current_setting('random_page_cost')"


def test_every_search_statement_plans_with_pages_at_the_read_cost(pg_url):
    from search.pg_index import READ_PAGE_COST, PgSearchIndex

    index = PgSearchIndex(pg_url)
    try:
        index.add_or_update([IndexDoc(id=f"r{n}", doctype="sk_domisili", title=f"Surat {n}",
                                      text="laporan banjir", desa_code="loleng", year=2024,
                                      date=f"2024-01-{n + 1:02d}", principals=OFFICE)
                             for n in range(5)])
        engine, seen = index._engine, []

        @event.listens_for(engine, "after_cursor_execute")
        def costs(conn, cursor, statement, *_):
            if "search_index_doc" in statement and not statement.startswith(COSTS):
                with conn.connection.dbapi_connection.cursor() as own:
                    own.execute(COSTS)
                    seen.append(own.fetchone())

        page = index.search(Query(text="banjir", filters={"desa": "loleng"}, principals=OFFICE))
        event.remove(engine, "after_cursor_execute", costs)
        assert page.total == 5
        assert seen and set(seen) == {(READ_PAGE_COST, READ_PAGE_COST)}
        with engine.connect() as conn:  # the server's own costs outside a search
            assert tuple(conn.exec_driver_sql(COSTS).one()) != (READ_PAGE_COST, READ_PAGE_COST)
    finally:
        index.close()
