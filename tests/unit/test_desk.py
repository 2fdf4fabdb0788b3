"""How many render workers the desk starts."""

from __future__ import annotations

import os

from records.desk import MAX_AUTO_WORKERS, render_workers


def test_configured_worker_count_is_kept():
    assert render_workers(3) == 3


def test_zero_means_one_worker_per_core_within_the_cap():
    assert render_workers(0) == max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))
    assert 1 <= render_workers(0) <= MAX_AUTO_WORKERS
