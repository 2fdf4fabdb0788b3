"""`lemari issue` and `lemari verify` in-process (app.test_cli_runner) on the real test app:
real numbering, WeasyPrint, pyHanko and archive; exit codes as shell scripts see them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from records.extensions import db
from records.models import IssuedNumber, Penduduk, Record

LOLENG = "64.02.08.2004"
DOCTYPE = "sk_domisili_penduduk"


@pytest.fixture
def nik(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == LOLENG)
                                 .order_by(Penduduk.id))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def issue(runner, nik, *extra, username="camat"):
    return runner.invoke(args=["issue", DOCTYPE, "--nik", nik,
                               "--field", "keperluan=Melamar kerja", *extra, "--as", username])


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def issued_json(result) -> dict:
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output.strip().splitlines()[-1])


def test_issue_prints_number_code_and_archived_pdf(app, runner, nik):
    out = issued_json(issue(runner, nik))
    assert out["number"].startswith("400.12.2.1/") and out["verify_code"]
    path = Path(out["pdf"])
    assert path.is_file()
    pdf = path.read_bytes()
    text = text_of(pdf)
    assert out["number"] in text and out["verify_code"] in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title.endswith(out["number"])
    with app.app_context():
        record = db.session.scalar(select(Record).where(Record.number == out["number"]))
        assert record.state == "terbit" and record.verify_code == out["verify_code"]
        assert record.data["keperluan"] == "Melamar kerja"
        assert [h.actor for h in record.history][1:] == ["camat"] * 3
    assert count(app, IssuedNumber) == 1


def test_issue_on_a4(runner, nik):
    out = issued_json(issue(runner, nik, "--paper", "A4"))
    box = PdfReader(out["pdf"]).pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 210 and round(float(box.height) / 72 * 25.4) == 297


def test_verify_accepts_the_issued_pdf_and_rejects_a_changed_copy(runner, nik, tmp_path):
    out = issued_json(issue(runner, nik))
    good = runner.invoke(args=["verify", out["pdf"]])
    assert good.exit_code == 0, good.output
    report = json.loads(good.output)
    assert report["valid"] is True and report["status"] == "valid"
    assert report["number"] == out["number"]
    assert report["signature"]["status"] == "valid"
    assert nik not in good.output

    copy = tmp_path / "salinan.pdf"
    data = bytearray(Path(out["pdf"]).read_bytes())
    data[len(data) // 3] = (data[len(data) // 3] + 1) % 256
    copy.write_bytes(bytes(data))
    bad = runner.invoke(args=["verify", str(copy)])
    assert bad.exit_code == 1, bad.output
    assert json.loads(bad.output)["valid"] is False

    stranger = tmp_path / "bukan-pdf.pdf"
    stranger.write_bytes(b"%PDF-1.7\nbukan dokumen kantor\n")
    assert runner.invoke(args=["verify", str(stranger)]).exit_code == 1


def test_verify_reports_a_revoked_document(app, runner, nik):
    from records.extensions import lemari
    from records.services.accounts import actor_for_username
    from records.services.records import fire_transition

    out = issued_json(issue(runner, nik))
    with app.app_context():
        record_id = db.session.scalar(select(Record.id).where(Record.number == out["number"]))
        ext = lemari()
        camat = actor_for_username("camat", sm=app.appbuilder.sm, session=db.session,
                                   registry=ext.registry)
        fire_transition(record_id, "cabut", note="Data keliru", actor=camat, session=db.session,
                        registry=ext.registry, pm=ext.pm)
    revoked = runner.invoke(args=["verify", out["pdf"]])
    assert revoked.exit_code == 1
    assert json.loads(revoked.output)["status"] == "revoked"


def test_invalid_nik_exits_1_with_the_reason_and_issues_nothing(app, runner):
    before = count(app, Record)
    result = runner.invoke(args=["issue", DOCTYPE, "--nik", "6402081234", "--field",
                                 "keperluan=Melamar kerja", "--as", "camat"])
    assert result.exit_code == 1
    assert "NIK harus 16 digit angka" in result.output
    assert count(app, Record) == before and count(app, IssuedNumber) == 0


def test_unknown_nik_exits_1(app, runner):
    result = runner.invoke(args=["issue", DOCTYPE, "--nik", "6402084508900001", "--field",
                                 "keperluan=Melamar kerja", "--as", "camat"])
    assert result.exit_code == 1
    assert "tidak terdaftar" in result.output
    assert count(app, IssuedNumber) == 0


def test_unknown_user_exits_1(app, runner, nik):
    result = issue(runner, nik, username="tidak_ada")
    assert result.exit_code == 1
    assert "tidak_ada" in result.output and "tidak ditemukan" in result.output
    assert count(app, Record) == 0 and count(app, IssuedNumber) == 0


def test_missing_required_field_exits_1_and_consumes_no_number(app, runner, nik):
    result = runner.invoke(args=["issue", DOCTYPE, "--nik", nik, "--as", "camat"])
    assert result.exit_code == 1
    assert "keperluan" in result.output
    assert count(app, Record) == 0 and count(app, IssuedNumber) == 0


def test_a_clerk_cannot_issue_alone(app, runner, nik):
    """Refused before anything is written: no half-way record is left behind."""
    before = count(app, Record)
    result = issue(runner, nik, username="petugas")
    assert result.exit_code == 1
    assert "Gagal" in result.output and "tidak berwenang" in result.output
    assert count(app, IssuedNumber) == 0
    assert count(app, Record) == before


HOSTILE = ["<script>alert(1)</script>",
           "<img src=file:///etc/passwd>",
           "<link rel=attachment href=file:///etc/passwd>"]


def test_markup_in_fields_is_printed_literally_and_embeds_nothing(runner, nik):
    value = " ".join(HOSTILE)
    result = runner.invoke(args=["issue", DOCTYPE, "--nik", nik, "--field", f"keperluan={value}",
                                 "--as", "camat"])
    out = issued_json(result)
    pdf = Path(out["pdf"]).read_bytes()
    text = "".join(text_of(pdf).split())
    for item in HOSTILE:
        assert "".join(item.split()) in text
    raw = pdf.decode("latin-1")
    assert "/EmbeddedFile" not in raw and "/JavaScript" not in raw


def test_a_letter_issued_from_the_cli_is_findable_before_the_command_exits(app, nik):
    """Nobody runs `lemari index-drain`: the end of the command applies the outbox it wrote
    (the outbox keeps a row until the index holds its change)."""
    from records.models import SearchOutbox

    issued_json(issue(app.test_cli_runner(), nik))
    assert count(app, SearchOutbox) == 0
