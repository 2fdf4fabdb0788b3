"""`lemari bench pages` builds its own demo office with one issued letter. It broke silently
when issue 14 made requirements mandatory (the bench took a request with none ticked), so
the office it builds is checked here; the timing itself stays a benchmark, not a test."""

from __future__ import annotations

import sys
from pathlib import Path

from records.extensions import db
from records.models import Record

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench import pages_bench  # noqa: E402


def test_the_pages_bench_office_has_an_issued_letter(tmp_path):
    app, record_id = pages_bench._office(tmp_path / "kantor")
    with app.app_context():
        record = db.session.get(Record, record_id)
        assert record.state == "terbit" and record.number
