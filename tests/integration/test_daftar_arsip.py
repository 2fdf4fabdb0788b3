"""Moving in (issue 22, item 4): a daftar arsip spreadsheet becomes archive records without
scans; old Permendagri 78/2012 codes keep their code and map to 83/2022; search finds a berkas
by its old code; bad rows (unknown code, merged cells) refuse the whole file; the scan is
attached later; a second import adds nothing twice."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from archive.desk import archive_desk, close_archive_desk
from archive.models import Arsip
from archive.scan_samples import text_pdf
from archive.services import archiving
from archive.services.daftar_arsip import import_daftar_arsip, read_daftar
from conftest import build_app
from records.exceptions import ImportRejectedError
from records.extensions import db, lemari
from records.services.accounts import actor_for_username

HEADER = ("No", "Kode Klasifikasi", "Uraian Informasi Berkas", "Kurun Waktu", "Jumlah",
          "Keterangan", "Lemari", "Rak", "Boks")
ROWS = (
    (1, "471.13", "Berkas permohonan KTP Desa Loleng", "2012-2013", "2 berkas", "Asli", "2", "1", "14"),
    (2, 45, "Berita acara pemusnahan arsip 2009", "2010", "1 berkas", "", "1", "1", "3"),
    (3, "400.12.3.1", "Register kelahiran 2019", "Januari s.d. Desember 2019", "1 buku", "", "3",
     "2", "7"),
)


def xlsx(rows=ROWS, *, title=True, merge: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append(["DAFTAR ARSIP INAKTIF KECAMATAN KOTA BANGUN"])
        sheet.merge_cells("A1:I1")  # a merged title above the table is fine
        sheet.append([])
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def app(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    yield app
    close_archive_desk(app)
    app.extensions["lemari"].close()


def who(app, username="arsiparis"):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def test_a_daftar_arsip_imports_and_search_finds_a_berkas_by_its_old_code(app, tmp_path):
    path = tmp_path / "daftar-arsip.xlsx"
    path.write_bytes(xlsx())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-daftar-arsip", str(path), "--as", "arsiparis"])
    assert result.exit_code == 0, result.output
    assert "3 berkas dicatat" in result.output
    assert "471.13 (Permendagri 78/2012) → 400.12.2.1 (Permendagri 83/2022)" in result.output
    with app.app_context():
        rows = {a.klasifikasi: a for a in db.session.scalars(select(Arsip).where(
            Arsip.sumber == "kertas"))}
        ktp = rows["471.13"]
        assert ktp.skema_code == "permendagri-78-2012" and ktp.lokasi == "Lemari 2 / Rak 1 / Boks 14"
        assert ktp.tanggal_dokumen == dt.date(2013, 12, 31)
        assert ktp.jra_id is not None  # retention through the 83/2022 class it maps to
        assert "045" in rows  # Excel's 45 read back as 045
        assert rows["400.12.3.1"].skema_code == "permendagri-83-2022"
        assert ktp.record.title == "Berkas permohonan KTP Desa Loleng"
        lemari().search().drain()
        ktp_id = ktp.record_id
    for query in ("471.13", "klasifikasi:471.13"):
        found = runner.invoke(args=["search", query, "--as", "arsiparis", "--json"])
        assert found.exit_code == 0, found.output
        ids = [hit["id"] for hit in json.loads(found.output)["hits"]]
        assert ids and ids[0] == f"record:{ktp_id}", (query, found.output)
    again = runner.invoke(args=["import-daftar-arsip", str(path), "--as", "arsiparis"])
    assert again.exit_code == 0 and "0 berkas dicatat" in again.output, again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Arsip).where(
            Arsip.sumber == "kertas")) == 3


def test_unknown_codes_and_merged_cells_refuse_the_whole_file(app):
    bad = ROWS + ((4, "471.99", "Berkas tanpa kode sah", "2011", "", "", "", "", ""),
                  (5, "470", "Kurun tak jelas", "dulu", "", "", "", "", ""))
    with app.app_context():
        with pytest.raises(ImportRejectedError) as caught:
            import_daftar_arsip(read_daftar(xlsx(bad), "d.xlsx"), actor=who(app),
                                session=db.session, source="d.xlsx")
        rows = {(row, field): message for row, field, message in caught.value.rows}
        assert "471.99 tidak dikenal" in rows[(7, "Kode klasifikasi")]
        assert "Kode induk terdekat yang dikenal: 471" in rows[(7, "Kode klasifikasi")]
        assert "tidak dikenal" in rows[(8, "Kurun waktu")]
        with pytest.raises(ImportRejectedError, match=r"sel gabungan.*B4:B5"):
            read_daftar(xlsx(merge="B4:B5"), "d.xlsx")
        assert db.session.scalar(select(func.count()).select_from(Arsip).where(
            Arsip.sumber == "kertas")) == 0


def test_a_berkas_from_the_list_gets_its_scan_later(app, tmp_path):
    with app.app_context():
        report = import_daftar_arsip(read_daftar(xlsx(), "d.xlsx"), actor=who(app),
                                     session=db.session, source="d.xlsx")
        record_id = report.created[0][1]
        scan = tmp_path / "ktp.pdf"
        scan.write_bytes(text_pdf(4713))
        result = archiving.replace_file(record_id, scan, "ktp.pdf", "Pindaian dari boks 14",
                                        actor=who(app), session=db.session, desk=archive_desk(app))
        assert result.status == "diimpor", result.reason
        arsip = db.session.get(Arsip, record_id)
        assert (arsip.sumber, arsip.versi, arsip.klasifikasi) == ("pindaian", 2, "471.13")
