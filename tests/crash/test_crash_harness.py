"""The short crash harness of `make test`: a few SIGKILLs of a batch issuance and its indexer at
random instants, each followed by the full set of checks (bench/crash.py; the long run of
50+ kills is `python -m bench.crash --kills 50`, results in docs/reliability.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.crash import harness  # noqa: E402


@pytest.mark.slow
def test_kills_during_batch_issuance_lose_nothing(tmp_path):
    summary = harness(kills=4, rows=15, seed=2026, work=tmp_path)
    assert summary["problems"] == 0, summary
    assert sum(r["acknowledged"] for r in summary["rounds"]) > 0  # kills landed mid-batch


@pytest.mark.slow
@pytest.mark.postgres
def test_killing_one_of_two_issuing_nodes_on_postgresql_loses_and_duplicates_nothing(tmp_path, pg_url):
    """The kabupaten's case (issue 19): two issuing processes share PostgreSQL and the data
    folder; one is killed mid-issue, the other goes on past what the dead one held, then dies
    too. No acknowledged letter lost, no number given twice or skipped, every file intact,
    the doctor satisfied; the last round issues every row of both batches exactly once."""
    summary = harness(kills=3, rows=8, seed=19, work=tmp_path, database_url=pg_url, nodes=2)
    assert summary["problems"] == 0, summary
    assert sum(r["acknowledged"] for r in summary["rounds"]) > 0  # kills landed mid-batch
    assert summary["acknowledged_by_survivors_after_a_kill"] > 0  # the other node went on


@pytest.mark.slow
@pytest.mark.postgres
def test_killing_issuing_nodes_of_one_kecamatan_loses_nothing_and_spares_its_neighbour(tmp_path, pg_url):
    """The same on a kabupaten deployment (issue 19): two nodes issuing for one kecamatan (its
    schema, its folder under kecamatan/) are killed mid-issue; nothing acknowledged is lost, no
    number is duplicated, its doctor is satisfied, and the other kecamatan holds no record."""
    summary = harness(kills=2, rows=6, seed=64, work=tmp_path, database_url=pg_url, nodes=2,
                      tenant="kotabangun")
    assert summary["problems"] == 0, summary
    assert sum(r["acknowledged"] for r in summary["rounds"]) > 0
