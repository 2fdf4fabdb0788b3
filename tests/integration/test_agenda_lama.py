"""Moving in (issue 22, item 3): old agenda books (surat masuk and surat keluar, Excel) come in
with their original numbers and dates, marked imported; search finds their lines; the buku
agenda of those years lists them; Lemari's registers are neither used nor renumbered; bad
input (merged cells, a missing date or number, an unknown layout, a number Lemari used)
refuses the whole file naming row and column; importing again updates instead of doubling."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from archive.desk import close_archive_desk
from conftest import build_app
from records.exceptions import ImportRejectedError, ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, IssuedNumber, NumberSequence, Record
from records.services.accounts import actor_for_username
from records.services.clock import clock
from records.services.numbering import allocate, continue_register
from records.services.setup import DEMO_PASSWORD
from records.surat_masuk import agenda_lama
from records.surat_masuk import services as sm
from records.surat_masuk.models import AgendaLama, SuratMasuk

MASUK_HEADER = ("No. Agenda", "Tanggal Diterima", "Pengirim", "Nomor Surat", "Tanggal Surat",
                "Perihal", "Sifat", "Kode Klasifikasi", "Keterangan")
MASUK_ROWS = (
    (101, "04-03-2019", "Dinas Kependudukan dan Pencatatan Sipil", "470/215/Disdukcapil/2019",
     "01-03-2019", "Undangan rapat koordinasi Gemilangjagad", "biasa", "470", ""),
    (102, dt.date(2019, 3, 6), "Bupati Kutai Kartanegara", "800/77/BKPSDM/2019",
     dt.date(2019, 3, 5), "Mutasi pegawai kecamatan", "rahasia", "800", "Map merah"),
    (103, "2019-03-07", "Kepala Desa Loleng", "140/12/DL/2019", "2019-03-07",
     "Laporan musyawarah desa", "", "", ""),
)
KELUAR_HEADER = ("No", "Nomor Surat", "Tanggal Surat", "Kepada", "Perihal", "Kode Klasifikasi")
KELUAR_ROWS = (
    (1, "470/0088/KB/III/2019", "05-03-2019", "Kepala Desa Loleng",
     "Jadwal perekaman Kelabuhirukpikuk", "470"),
    (2, "005/0091/KB/III/2019", "2019-03-08", "Para Kepala Desa", "Undangan rapat bulanan", "005"),
)


def xlsx(header, rows, *, title: str = "BUKU AGENDA", merge: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells("A1:F1")  # a merged title above the table is fine
    sheet.append(list(header))
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
    app = build_app(home)
    yield app
    close_archive_desk(app)
    app.extensions["lemari"].close()


def who(app, username="arsiparis"):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def today(app):
    return clock(app.extensions["lemari"].settings["TIMEZONE"])[1]


def numbers_state(session):
    """Every issued number and sequence of the office (must not move with an import)."""
    return (session.scalar(select(func.count()).select_from(IssuedNumber)),
            sorted(session.execute(select(NumberSequence.register_id, NumberSequence.year,
                                          NumberSequence.last)).all()))


def test_books_come_in_marked_findable_listed_and_again_is_an_update(app, tmp_path):
    masuk, keluar = tmp_path / "agenda-masuk-2019.xlsx", tmp_path / "agenda-keluar-2019.xlsx"
    masuk.write_bytes(xlsx(MASUK_HEADER, MASUK_ROWS))
    keluar.write_bytes(xlsx(KELUAR_HEADER, KELUAR_ROWS))
    runner = app.test_cli_runner()
    with app.app_context():
        before = numbers_state(db.session)
    result = runner.invoke(args=["impor-agenda", str(masuk), "--jenis", "masuk", "--as", "arsiparis"])
    assert result.exit_code == 0, result.output
    assert "3 baris baru dicatat, 0 baris diperbarui" in result.output
    assert "baris 3: agenda 101/2019 dicatat" in result.output  # the sheet's own row number
    result = runner.invoke(args=["impor-agenda", str(keluar), "--jenis", "keluar", "--as", "arsiparis"])
    assert result.exit_code == 0, result.output
    assert "2 baris baru dicatat" in result.output
    with app.app_context():
        assert numbers_state(db.session) == before  # no register used, none renumbered
        letters = {s.nomor_agenda: s for s in db.session.scalars(
            select(SuratMasuk).where(SuratMasuk.tahun == 2019))}
        assert sorted(letters) == [101, 102, 103]
        first = letters[101]
        assert (first.tanggal_terima, first.tanggal_surat) == (dt.date(2019, 3, 4), dt.date(2019, 3, 1))
        assert first.nomor_surat == "470/215/Disdukcapil/2019" and first.state == sm.FILED
        assert letters[102].sifat == "rahasia" and letters[103].sifat == "biasa"
        lines = db.session.scalars(select(AgendaLama).order_by(AgendaLama.id)).all()
        assert [(x.jenis, x.berkas) for x in lines][-1] == ("keluar", "agenda-keluar-2019.xlsx")
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "surat_masuk.impor_agenda").order_by(AuditEvent.id.desc()))
        assert event is not None and event.actor == "arsiparis"
        # the buku agenda of 2019 lists both books, each line marked imported
        rows = sm.agenda_masuk(dt.date(2019, 1, 1), dt.date(2019, 12, 31), actor=who(app, "camat"),
                               session=db.session, registry=lemari().registry)
        assert [r.nomor_agenda for r in rows] == ["101/2019", "102/2019", "103/2019"]
        assert {r.status for r in rows} == {sm.IMPORTED_MARK}
        hidden = sm.agenda_masuk(dt.date(2019, 1, 1), dt.date(2019, 12, 31),
                                 actor=who(app, "arsiparis"), session=db.session,
                                 registry=lemari().registry)
        assert hidden[1].perihal == sm.HIDDEN  # the rahasia line stays the Camat's
        out = sm.agenda_keluar(dt.date(2019, 1, 1), dt.date(2019, 12, 31), actor=who(app, "camat"),
                               session=db.session, registry=lemari().registry)
        assert [(r["nomor"], r["register"]) for r in out] == [
            ("470/0088/KB/III/2019", sm.IMPORTED_MARK), ("005/0091/KB/III/2019", sm.IMPORTED_MARK)]
        book = load_workbook(io.BytesIO(sm.agenda_xlsx(
            dt.date(2019, 1, 1), dt.date(2019, 12, 31), actor=who(app, "camat"), session=db.session,
            registry=lemari().registry)))
        assert book["Surat Keluar"]["A2"].value == "470/0088/KB/III/2019"
        lemari().search().drain()
    # search finds a line of each book by its words, the rahasia one only for its reader
    for word, number in (("Gemilangjagad", "470/215/Disdukcapil/2019"),
                         ("Kelabuhirukpikuk", "470/0088/KB/III/2019")):
        found = runner.invoke(args=["search", word, "--as", "arsiparis", "--json"])
        assert found.exit_code == 0, found.output
        hits = json.loads(found.output)["hits"]
        assert hits, (word, found.output)
        with app.app_context():
            record = db.session.get(Record, int(hits[0]["id"].split(":")[1]))
            assert record.number == number and agenda_lama.MARK in record.data["sumber"]
    secret = runner.invoke(args=["search", "Mutasi pegawai", "--as", "arsiparis", "--json"])
    assert not [h for h in json.loads(secret.output)["hits"] if "Mutasi" in h.get("title", "")]
    # the same book again (one line corrected) updates instead of adding
    fixed = (MASUK_ROWS[0][:5] + ("Undangan rapat koordinasi KTP-el",) + MASUK_ROWS[0][6:],) + MASUK_ROWS[1:]
    masuk.write_bytes(xlsx(MASUK_HEADER, fixed))
    again = runner.invoke(args=["impor-agenda", str(masuk), "--jenis", "masuk", "--as", "arsiparis"])
    assert again.exit_code == 0, again.output
    assert "0 baris baru dicatat, 3 baris diperbarui" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SuratMasuk).where(
            SuratMasuk.tahun == 2019)) == 3
        assert db.session.scalar(select(func.count()).select_from(AgendaLama)) == 5
        letter = db.session.scalar(select(SuratMasuk).where(SuratMasuk.nomor_agenda == 101,
                                                            SuratMasuk.tahun == 2019))
        assert letter.perihal == "Undangan rapat koordinasi KTP-el"


def test_bad_books_are_refused_whole_naming_row_and_column(app):
    with app.app_context():
        arsiparis, registry, day = who(app), lemari().registry, today(app)

        def attempt(data, jenis="masuk"):
            with pytest.raises(ImportRejectedError) as caught:
                rows = agenda_lama.read_agenda(data, "agenda.xlsx", jenis)
                agenda_lama.import_agenda(rows, jenis, actor=arsiparis, session=db.session,
                                          registry=registry, source="agenda.xlsx", today=day)
            db.session.rollback()
            return caught.value

        bad = MASUK_ROWS + (
            ("", "2019-03-08", "Camat X", "1/2/3", "2019-03-08", "Tanpa nomor agenda", "", "", ""),
            (105, "", "Camat X", "1/2/4", "2019-03-08", "Tanpa tanggal terima", "", "", ""),
            (106, "2019-03-09", "Camat X", "1/2/5", "kemarin", "Tanggal aneh", "", "", ""),
            (101, "2019-03-10", "Camat Y", "1/2/6", "2019-03-10", "Nomor ganda", "", "", ""),
        )
        error = attempt(xlsx(MASUK_HEADER, bad))
        rows = {(row, column): message for row, column, message in error.rows}
        assert rows[(6, "No. Agenda")] == "No. Agenda wajib diisi."
        assert rows[(7, "Tanggal Diterima")] == "Tanggal Diterima wajib diisi."
        assert "'kemarin' tidak dikenal" in rows[(8, "Tanggal Surat")]
        assert rows[(9, "No. Agenda")] == "Sama dengan baris 3 (tahun 2019)."
        assert "tidak ada yang disimpan" in str(error)
        merged = attempt(xlsx(MASUK_HEADER, MASUK_ROWS, merge="C3:C4"))
        assert "sel gabungan" in str(merged) and merged.rows[0][:2] == (3, "C3:C4")
        unknown = attempt(xlsx(("Tanggal", "Isi"), (("2019-01-01", "x"),)))
        assert "Susunan kolom tidak dikenal" in str(unknown) and "unduh templatnya" in str(unknown)
        wrong_book = attempt(xlsx(KELUAR_HEADER, KELUAR_ROWS))
        assert "tampaknya buku agenda surat keluar" in str(wrong_book)
        missing = attempt(xlsx(("No. Agenda", "Pengirim", "Nomor Surat", "Perihal"),
                               ((1, "A", "1/1", "B"),)))
        assert "Kolom wajib tidak ada pada baris 2: Tanggal Diterima, Tanggal Surat" in str(missing)
        # a line of this year before the agenda register is continued from the paper book
        year = day.year
        this_year = ((1, day.isoformat(), "Dinas X", "1/X", day.isoformat(), "Surat", "", "", ""),)
        error = attempt(xlsx(MASUK_HEADER, this_year))
        assert "lanjutkan dulu register Buku Agenda Surat Masuk" in error.rows[0][2]
        assert db.session.scalar(select(func.count()).select_from(AgendaLama)) == 0
        # continued at 1: the line is a paper number; Lemari's next letter gets 2
        sm.seed(db.session)
        used = db.session.scalar(select(func.max(SuratMasuk.nomor_agenda)).where(
            SuratMasuk.tahun == year)) or 0
        if used:  # the demo office registered letters this year: they keep their numbers
            line = ((used, day.isoformat(), "Dinas X", "1/X", day.isoformat(), "Surat", "", "", ""),)
            error = attempt(xlsx(MASUK_HEADER, line))
            assert "sudah dipakai surat yang dicatat di Lemari" in error.rows[0][2]
            return
        continue_register(db.session, "agenda_surat_masuk", 1, actor=who(app, "admin"), year=year)
        rows = agenda_lama.read_agenda(xlsx(MASUK_HEADER, this_year), "a.xlsx", "masuk")
        agenda_lama.import_agenda(rows, "masuk", actor=arsiparis, session=db.session,
                                  registry=registry, source="a.xlsx", today=day)
        made = sm.register_letter({"pengirim": "Dinas Y", "nomor_surat": "2/Y", "perihal": "Baru",
                                   "tanggal_surat": day.isoformat()}, actor=who(app, "petugas"),
                                  session=db.session, registry=registry, today=day)
        assert made.nomor_agenda == 2


def test_an_outgoing_number_lemari_issued_is_refused_and_the_template_reads_back(app):
    with app.app_context():
        issued = allocate(db.session, "surat_keluar", kode="470", on=today(app),
                          actor=who(app, "admin")).number
        db.session.commit()
        rows = agenda_lama.read_agenda(xlsx(KELUAR_HEADER, ((1, issued, "2019-03-05", "Desa",
                                                             "Sama", ""),)), "k.xlsx", "keluar")
        with pytest.raises(ImportRejectedError) as caught:
            agenda_lama.import_agenda(rows, "keluar", actor=who(app), session=db.session,
                                      registry=lemari().registry, source="k.xlsx", today=today(app))
        assert caught.value.rows[0][:2] == (3, "Nomor Surat")
        assert "sudah diterbitkan oleh Lemari" in caught.value.rows[0][2]
        with pytest.raises(ValidationError, match="Jenis buku agenda"):
            agenda_lama.template_xlsx("lain")
        for jenis in ("masuk", "keluar"):
            data = agenda_lama.template_xlsx(jenis)
            sheet = load_workbook(io.BytesIO(data)).active
            assert [c.value for c in sheet[1]] == [label for _, label, _ in agenda_lama.COLUMNS[jenis]]
            # the template as downloaded is itself importable (its example line passes the checks)
            parsed = agenda_lama.read_agenda(data, f"templat-{jenis}.xlsx", jenis)
            assert len(parsed) == 1 and parsed[0]["_baris"] == 2
        # a petugas may not import
        with pytest.raises(Exception, match="surat_masuk.impor"):
            agenda_lama.import_agenda(parsed, "keluar", actor=who(app, "petugas"), session=db.session,
                                      registry=lemari().registry, source="t.xlsx", today=today(app))


def test_web_page_template_and_checklist(app):
    client = app.test_client()
    reply = client.post("/login/", data={"username": "arsiparis", "password": DEMO_PASSWORD})
    assert reply.status_code in (200, 302)
    page = client.get("/surat-masuk/impor-agenda")
    assert page.status_code == 200
    assert "Impor buku agenda lama" in page.get_data(as_text=True)
    template = client.get("/surat-masuk/impor-agenda/templat-keluar.xlsx")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.data)).active["A1"].value == "Nomor Surat"
    bad = client.post("/surat-masuk/impor-agenda", data={
        "jenis": "masuk", "berkas": (io.BytesIO(xlsx(MASUK_HEADER, MASUK_ROWS, merge="C3:C4")),
                                     "a.xlsx")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "sel gabungan" in bad.get_data(as_text=True)
    good = client.post("/surat-masuk/impor-agenda", data={
        "jenis": "masuk", "berkas": (io.BytesIO(xlsx(MASUK_HEADER, MASUK_ROWS)), "a.xlsx")},
        content_type="multipart/form-data")
    assert good.status_code == 200, good.get_data(as_text=True)
    text = good.get_data(as_text=True)
    assert "agenda 101/2019" in text and "dicatat" in text
    listing = client.get("/surat-masuk/?tahun=2019").get_data(as_text=True)
    assert "Diimpor dari buku agenda" in listing
    client.get("/logout/")
    client.post("/login/", data={"username": "admin", "password": DEMO_PASSWORD})
    checklist = client.get("/pindah/").get_data(as_text=True)
    assert "Buku agenda lama (surat masuk dan keluar) diimpor" in checklist
    assert "surat masuk 2019: 3 baris" in checklist
    client.get("/logout/")
    client.post("/login/", data={"username": "petugas", "password": DEMO_PASSWORD})
    assert client.get("/surat-masuk/impor-agenda").status_code in (302, 403)
