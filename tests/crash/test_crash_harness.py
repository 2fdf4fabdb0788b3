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
