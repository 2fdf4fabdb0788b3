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


def test_the_pdf_bench_context_renders_both_its_templates():
    """`lemari bench pdf` renders with a context of its own; a variable the issuing service
    added (the countersigning officer) once made it fail at its first row."""
    from bench import pdf_bench
    from records.pdf import PdfRenderer

    renderer = PdfRenderer([pdf_bench.TEMPLATES])
    for template, biodata in ((pdf_bench.LETTER_TEMPLATE, False),
                              (pdf_bench.BIODATA_TEMPLATE, True)):
        html = renderer.render_html(template, {**pdf_bench.context(1, biodata=biodata),
                                               "paper": "F4"})
        assert "KB0001-BNCH" in html or "400.12.2.1/0001" in html


def test_the_pdf_bench_issues_a_letter_end_to_end():
    """The bench's own office takes, verifies, signs and issues (its requirements ticked)."""
    from bench import pdf_bench

    result = pdf_bench.bench_issue(1, log=lambda line: None)
    assert result  # a row of timings: it ran to the end without a refusal
