"""Moving in (issue 22, item 1): a register continued from its paper book in mid-year.

An office with 300 letters numbered on paper this year records 300; its next letter issued by
Lemari is 301, gapless after it; the numbers up to 300 stay reserved as paper numbers and can be
linked to their scans; the switch-over is refused once Lemari has issued a number, or below a
number already reserved. Service tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from records.actor import Actor
from records.exceptions import ValidationError
from records.extensions import db
from records.models import AuditEvent, IssuedNumber, NomorLanjutan, Penduduk, Record
from records.services.numbering import allocate, continue_register, link_paper_number, reserve_number

YEAR = 2026
ON = dt.date(YEAR, 7, 1)
ADMIN = Actor(user_id=None, username="admin", roles=frozenset({"Admin"}),
              permissions=frozenset({"nomor.manage", "nomor.reserve"}))
CLERK = Actor(user_id=None, username="petugas", roles=frozenset(),
              permissions=frozenset({"nomor.reserve"}))


@pytest.fixture(params=["sqlite", "postgres"])
def office(request):
    return request.getfixturevalue("bare_app" if request.param == "sqlite" else "pg_bare_app")


def test_continued_at_300_the_next_number_is_301_and_gapless(office):
    with office.app_context():
        row = continue_register(db.session, "surat_keluar", 300, actor=ADMIN, year=YEAR,
                                last_text="470/300/KB/VI/2026", note="Buku agenda hal. 31")
        assert (row.nomor_terakhir, row.dicatat_oleh) == (300, "admin")
        numbers = []
        for _ in range(3):
            numbers.append(allocate(db.session, "surat_keluar", kode="470", on=ON, actor=ADMIN))
            db.session.commit()
        assert [n.sequence for n in numbers] == [301, 302, 303]
        assert numbers[0].number == "470/0301/Kec.KB/2026"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "nomor.lanjutkan"))
        assert event is not None and event.actor == "admin"
        # another year is untouched
        other = allocate(db.session, "surat_keluar", kode="470", on=dt.date(YEAR + 1, 1, 2),
                         actor=ADMIN)
        assert other.sequence == 1


def test_refused_once_lemari_issued_a_number_in_that_register(office):
    with office.app_context():
        allocate(db.session, "surat_keluar", kode="470", on=ON, actor=ADMIN)
        db.session.commit()
        with pytest.raises(ValidationError, match="sudah menerbitkan nomor"):
            continue_register(db.session, "surat_keluar", 300, actor=ADMIN, year=YEAR)
        assert db.session.scalar(select(NomorLanjutan)) is None
        # another register of the same year may still be continued
        continue_register(db.session, "keputusan", 12, actor=ADMIN, year=YEAR)


def test_a_last_paper_number_below_a_reserved_one_is_refused(office):
    with office.app_context():
        for _ in range(5):
            reserve_number(db.session, "surat_keluar", kode="000.1.5", note="Undangan ketik manual",
                           actor=ADMIN, on=ON)
        with pytest.raises(ValidationError, match=r"\(3\) lebih kecil dari nomor urut 5"):
            continue_register(db.session, "surat_keluar", 3, actor=ADMIN, year=YEAR)
        assert db.session.scalar(select(NomorLanjutan)) is None
        continue_register(db.session, "surat_keluar", 40, actor=ADMIN, year=YEAR)
        assert allocate(db.session, "surat_keluar", kode="470", on=ON, actor=ADMIN).sequence == 41


def test_only_the_admin_continues_and_the_number_must_be_positive(office):
    with office.app_context():
        from records.exceptions import PermissionDeniedError

        with pytest.raises(PermissionDeniedError):
            continue_register(db.session, "surat_keluar", 300, actor=CLERK, year=YEAR)
        with pytest.raises(ValidationError, match="harus angka"):
            continue_register(db.session, "surat_keluar", 0, actor=ADMIN, year=YEAR)


def test_a_paper_number_links_to_its_scan_once(office):
    with office.app_context():
        continue_register(db.session, "surat_keluar", 300, actor=ADMIN, year=YEAR)
        scan = Record(doctype="arsip_pindaian", state="arsip", title="Surat 470/120",
                      data={}, created_by="admin")
        db.session.add(scan)
        db.session.commit()
        linked = link_paper_number(db.session, "surat_keluar", 120, year=YEAR, record_id=scan.id,
                                   number_text="470/120/KB/III/2026", kode="470", actor=ADMIN)
        assert (linked.kind, linked.number, linked.record_id) == ("kertas", "470/120/KB/III/2026",
                                                                   scan.id)
        with pytest.raises(ValidationError, match="sudah tertaut"):
            link_paper_number(db.session, "surat_keluar", 120, year=YEAR, record_id=scan.id,
                              number_text="", kode="470", actor=ADMIN)
        db.session.rollback()
        with pytest.raises(ValidationError, match="bukan nomor kertas"):
            link_paper_number(db.session, "surat_keluar", 301, year=YEAR, record_id=scan.id,
                              number_text="", kode="470", actor=ADMIN)
        # Lemari continues after the paper numbers, linked ones included
        assert allocate(db.session, "surat_keluar", kode="470", on=ON, actor=ADMIN).sequence == 301


def test_an_office_with_300_paper_letters_issues_its_next_letter_as_301(app):
    """The whole path: `lemari nomor lanjutkan` then `lemari issue` on the demo office."""
    runner = app.test_cli_runner()
    with app.app_context():
        nik = db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == "64.02.08.2004")
                                .order_by(Penduduk.id))
    result = runner.invoke(args=["nomor", "lanjutkan", "surat_keluar", "300", "--as", "admin",
                                 "--teks", "470/300/KB/VI/2026"])
    assert result.exit_code == 0, result.output
    assert "nomor berikutnya dari Lemari 301" in result.output
    issued = runner.invoke(args=["issue", "sk_domisili_penduduk", "--nik", nik, "--field",
                                 "keperluan=Melamar kerja", "--as", "camat"])
    assert issued.exit_code == 0, issued.output
    number = json.loads(issued.output.strip().splitlines()[-1])["number"]
    assert number.split("/")[1] == "0301", number
    again = runner.invoke(args=["nomor", "lanjutkan", "surat_keluar", "400", "--as", "admin"])
    assert again.exit_code == 1 and "sudah menerbitkan nomor" in again.output
    with app.app_context():
        assert db.session.scalar(select(IssuedNumber.sequence).where(
            IssuedNumber.number == number)) == 301


def test_the_berita_acara_of_a_switch_over_is_a_pdf_that_reads_back(demo_home, tmp_path):
    """The switch-over's berita acara comes out of the WeasyPrint pipeline (web and CLI) and
    says which register, the last paper number, the first from Lemari and who recorded it."""
    import io
    import shutil

    from pypdf import PdfReader

    from conftest import build_app
    from records.services.setup import DEMO_PASSWORD

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    try:
        runner = app.test_cli_runner()
        done = runner.invoke(args=["nomor", "lanjutkan", "surat_keluar", "300", "--teks",
                                   "470/300/KB/VI/2026", "--keterangan", "Buku register hal. 31",
                                   "--as", "admin"])
        assert done.exit_code == 0, done.output
        out = tmp_path / "ba.pdf"
        printed = runner.invoke(args=["nomor", "berita-acara", "surat_keluar", "--keluaran",
                                      str(out), "--as", "admin"])
        assert printed.exit_code == 0, printed.output
        text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(out).pages)
        for words in ("BERITA ACARA PERALIHAN REGISTER NOMOR NASKAH DINAS",
                      "Surat Keluar Kecamatan", "470/300/KB/VI/2026", "Buku register hal. 31",
                      "Nomor urut pertama dari Lemari : 301", "Dicatat oleh : admin"):
            assert words in text, (words, text)
        missing = runner.invoke(args=["nomor", "berita-acara", "keputusan", "--keluaran",
                                      str(tmp_path / "x.pdf"), "--as", "admin"])
        assert missing.exit_code == 1 and "belum dilanjutkan" in missing.output
        client = app.test_client()
        client.post("/login/", data={"username": "admin", "password": DEMO_PASSWORD})
        with app.app_context():
            row_id = db.session.scalar(select(NomorLanjutan.id))
            assert db.session.scalar(select(AuditEvent).where(
                AuditEvent.action == "nomor.berita_acara")) is not None
        reply = client.get(f"/pindah/berita-acara/{row_id}.pdf")
        assert reply.status_code == 200 and reply.mimetype == "application/pdf"
        assert "301" in PdfReader(io.BytesIO(reply.data)).pages[0].extract_text()
        assert f"/pindah/berita-acara/{row_id}.pdf" in client.get("/pindah/").get_data(as_text=True)
        client.get("/logout/")
        client.post("/login/", data={"username": "petugas", "password": DEMO_PASSWORD})
        assert client.get(f"/pindah/berita-acara/{row_id}.pdf").status_code in (302, 403)
    finally:
        app.extensions["lemari"].close()
