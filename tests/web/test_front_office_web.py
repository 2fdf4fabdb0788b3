"""The front office through the browser's eyes: kiosk, TV display, thermal ticket PDF, public
tracking, the complaint form with its guards, the survey, and the dashboard's exports.
Bad input gets a clear Indonesian answer and writes nothing; never a 500."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from records.antrian.models import Tiket
from records.extensions import db, lemari
from records.models import Penduduk, Record
from records.pengaduan.models import Pengaduan
from records.services.public_guard import form_token

MM = 72 / 25.4


def kiosk_ticket(client, code="ktp_el", reason=""):
    assert client.get("/antrian/ambil").status_code == 200
    response = client.post(f"/antrian/ambil/{code}", data={"prioritas": reason})
    assert response.status_code == 302
    return response.location.split("/antrian/tiket/")[1].split("?")[0]


def test_kiosk_shows_big_buttons_without_login(client):
    page = client.get("/antrian/ambil").get_data(as_text=True)
    assert "Ambil Nomor Antrian" in page and "kiosk-button" in page
    assert "<script>" not in page and "style=" not in page and "onclick" not in page
    lane = client.get("/antrian/ambil/ktp_el").get_data(as_text=True)
    assert "Lansia (60 tahun ke atas)" in lane and "Antrian umum" in lane
    assert client.get("/antrian/ambil/tidak_ada").status_code == 404


def test_kiosk_ticket_page_and_bad_reason(client):
    code = kiosk_ticket(client, reason="disabilitas")
    page = client.get(f"/antrian/tiket/{code}").get_data(as_text=True)
    assert '<div class="ticket-number">A\u2011001</div>' in page and "PRIORITAS" in page and code in page
    bad = client.post("/antrian/ambil/ktp_el", data={"prioritas": "vip"})
    assert bad.status_code == 422 and "Alasan antrian prioritas tidak dikenal" in bad.get_data(as_text=True)
    assert client.get("/antrian/tiket/KB-TIDAKADA").status_code == 404


def test_kiosk_flood_from_one_address_is_slowed(app, client):
    app.extensions["lemari"].settings["KIOSK_TICKETS_PER_MINUTE"] = 3
    for _ in range(3):
        kiosk_ticket(client)
    refused = client.post("/antrian/ambil/ktp_el", data={"prioritas": ""})
    assert refused.status_code == 429 and "Terlalu banyak tiket" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Tiket.id))) == 3


@pytest.mark.parametrize("width", [58, 80])
def test_thermal_ticket_pdf(client, width):
    code = kiosk_ticket(client, reason="lansia")
    response = client.get(f"/antrian/tiket/{code}/cetak?lebar={width}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) == pytest.approx(width * MM, abs=0.5)
    text = page.extract_text().replace("\n", "")
    for part in ("A-001", code, "KTP-el", "PRIORITAS", "Di depan Anda", f"/lacak/{code}"):
        assert part in text, part
    assert reader.pages[0].images, "the QR code is printed"


def test_thermal_ticket_refuses_other_widths(client):
    code = kiosk_ticket(client)
    assert client.get(f"/antrian/tiket/{code}/cetak?lebar=100").status_code == 400


def test_display_updates_after_a_call_and_answers_304_when_idle(client, auth):
    page = client.get("/antrian/layar").get_data(as_text=True)
    assert "antrian_layar.js" in page and "<script>" not in page and "Loket 1" in page
    first = client.get("/antrian/layar/data")
    etag = first.headers["ETag"]
    assert client.get("/antrian/layar/data", headers={"If-None-Match": etag}).status_code == 304
    kiosk_ticket(client)
    auth.login("petugas")
    answer = client.post("/antrian/loket/1/panggil", headers={"Accept": "application/json"})
    assert answer.get_json()["tiket"] == "A-001"
    state = client.get("/antrian/layar/data", headers={"If-None-Match": etag})
    assert state.status_code == 200
    data = state.get_json()
    assert data["loket"][0] == {"loket": "Loket 1", "tiket": "A-001", "status": "dipanggil",
                                "layanan": "KTP-el (perekaman dan permohonan cetak)"}
    assert data["panggilan"][-1]["tiket"] == "A-001"


def test_tvs_that_saw_the_same_news_share_one_read_of_the_display(app, client, auth):
    """A call wakes every TV at once; the second asks only the version and gets the state the
    first one read (issue 17), with the call in it."""
    from sqlalchemy import event

    etag = client.get("/antrian/layar/data").headers["ETag"]
    kiosk_ticket(client)
    auth.login("petugas")
    assert client.post("/antrian/loket/1/panggil", headers={"Accept": "application/json"}).status_code == 200
    auth.logout()
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        first = client.get("/antrian/layar/data?sejak=0", headers={"If-None-Match": etag})
        by_first = len(statements)
        second = client.get("/antrian/layar/data?sejak=0", headers={"If-None-Match": etag})
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert first.get_json()["panggilan"][-1]["tiket"] == "A-001"
    assert second.get_json() == first.get_json() and second.headers["ETag"] == first.headers["ETag"]
    assert by_first > 1 and len(statements) - by_first == 1, statements[by_first:]


def test_a_call_committed_while_the_display_is_read_is_never_lost_behind_a_304(app, client, auth):
    """A counter calls between the display's reads (here: right after it read the last calls).
    The TV's answer either shows that call or carries a version that does not count it yet,
    so its next poll is answered with the call, not with 304."""
    import threading

    from sqlalchemy import event

    from records.antrian import services as antrian
    from records.services.accounts import actor_for_username

    kiosk_ticket(client)
    kiosk_ticket(client)
    auth.login("petugas")
    assert client.post("/antrian/loket/1/panggil", headers={"Accept": "application/json"}).status_code == 200
    auth.logout()
    etag = '"a-version-before-any-call"'

    def second_counter_calls():
        with app.app_context():
            actor = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                       registry=lemari().registry)
            antrian.call_next(2, actor=actor, session=db.session, tz="Asia/Makassar")
            db.session.remove()

    fired: list[bool] = []

    def between_reads(conn, cursor, statement, *args):
        if "FROM antrian_panggilan JOIN" in statement and not fired:
            fired.append(True)
            thread = threading.Thread(target=second_counter_calls)
            thread.start()
            thread.join(timeout=30)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", between_reads)
    try:
        answer = client.get("/antrian/layar/data?sejak=0", headers={"If-None-Match": etag})
    finally:
        event.remove(engine, "after_cursor_execute", between_reads)
    assert fired, "the display read no calls"
    shown = [call["tiket"] for call in answer.get_json()["panggilan"]]
    if "A-002" not in shown:
        again = client.get("/antrian/layar/data?sejak=0", headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 200, "the TV keeps a version that counts a call it never showed"
        shown = [call["tiket"] for call in again.get_json()["panggilan"]]
    assert "A-002" in shown


def test_counter_buttons_by_form_and_empty_queue_message(client, auth):
    auth.login("petugas")
    assert "Loket 1" in client.get("/antrian/loket/").get_data(as_text=True)
    empty = client.post("/antrian/loket/1/panggil", follow_redirects=True).get_data(as_text=True)
    assert "Antrian kosong" in empty
    refused = client.post("/antrian/loket/1/aksi/ulang", follow_redirects=True).get_data(as_text=True)
    assert "Tidak ada nomor yang sedang dipanggil" in refused
    assert client.post("/antrian/loket/99/panggil").status_code == 404
    json_refusal = client.post("/antrian/loket/1/aksi/lewati", headers={"Accept": "application/json"})
    assert json_refusal.status_code == 409 and "Tidak ada nomor" in json_refusal.get_json()["message"]


def test_clerk_issues_ticket_and_takes_the_request_under_its_code(app, client, auth):
    auth.login("petugas")
    issued = client.post("/antrian/loket/ambil", data={"layanan": "sk_domisili", "prioritas": "hamil"})
    code = issued.location.split("/antrian/tiket/")[1]
    client.post("/antrian/loket/1/panggil")
    with app.app_context():
        ticket = db.session.scalar(select(Tiket).where(Tiket.tracking_code == code))
        nik = db.session.scalar(select(Penduduk.nik).limit(1))
    form = client.get(f"/antrian/loket/tiket/{ticket.id}/permohonan").get_data(as_text=True)
    assert ticket.label in form and code in form
    missing = client.post(f"/antrian/loket/tiket/{ticket.id}/permohonan", data={"keperluan": "x"})
    assert missing.status_code == 422
    done = client.post(f"/antrian/loket/tiket/{ticket.id}/permohonan",
                       data={"nik": nik, "keperluan": "Syarat melamar kerja"})
    assert done.status_code == 302 and "/dokumen/" in done.location
    with app.app_context():
        record = db.session.scalar(select(Record).where(Record.tracking_code == code))
        assert record is not None and record.layanan_code == "sk_domisili"


def test_public_tracking_good_bad_unknown(app, client):
    code = kiosk_ticket(client)
    page = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "A-001" in page and "Menunggu dipanggil" in page
    lowered = client.get(f"/lacak?kode={code.lower().replace('-', ' ')}")
    assert lowered.status_code == 200 and code in lowered.get_data(as_text=True)
    bad = client.get("/lacak?kode=%3Cscript%3E")
    assert bad.status_code == 422 and "Format kode lacak tidak dikenali" in bad.get_data(as_text=True)
    assert "<script>" not in bad.get_data(as_text=True)
    unknown = client.get("/lacak/KB-22222222")
    assert unknown.status_code == 404 and "Kode lacak tidak ditemukan" in unknown.get_data(as_text=True)
    assert client.get("/lacak/" + "K" * 5000).status_code == 422


def test_tracking_a_request_shows_status_and_promise_but_no_personal_data(app, client):
    from records.services.accounts import actor_for_username
    from records.services.requests import take_request

    with app.app_context():
        ext = lemari()
        petugas = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                     registry=ext.registry)
        person = db.session.scalars(select(Penduduk).limit(1)).first()
        record = take_request("sk_domisili", penduduk_id=person.id, received=[
                "Surat pengantar dari desa", "Fotokopi KTP-el",
                                            "Fotokopi Kartu Keluarga"],
                              values={"keperluan": "Rahasia keperluan"}, actor=petugas,
                              session=db.session, desk=ext.desk())
        record.promised_date = dt.date(2020, 1, 2)  # long past: overdue
        db.session.commit()
        code, name, nik = record.tracking_code, person.nama, person.nik
    page = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Sedang diproses" in page and "02-01-2020" in page and "TERLAMBAT" in page
    assert "Diajukan" not in page  # plain words, not the workflow's state names
    for secret in (name, nik, "Rahasia keperluan"):
        assert secret not in page


def _complaint(app, **overrides):
    with app.app_context():
        token = form_token(app.config["SECRET_KEY"], dt.datetime.now(dt.UTC).replace(tzinfo=None)
                           - dt.timedelta(seconds=30))
    return {"kategori": "keluhan", "layanan": "ktp_el", "judul": "Antrian KTP lama",
            "isi": "Saya menunggu tiga jam tanpa kepastian.", "nama": "", "kontak": "",
            "tanda": token, "situs": "", **overrides}


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_complaint_is_accepted_and_tracked_without_login(app, client):
    response = client.post("/pengaduan", data=_complaint(app))
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    code = re.search(r"PG-[0-9A-Z]{8}", page).group(0)
    assert "Pengaduan diterima" in page and "Antrian KTP lama" in page
    again = client.get(f"/pengaduan/lacak?kode={code.lower()}").get_data(as_text=True)
    assert code in again
    assert client.get("/pengaduan/lacak/PG-22222222").status_code == 404
    assert client.get("/pengaduan/lacak?kode=zz").status_code == 422


@pytest.mark.parametrize(("overrides", "message"), [
    ({"situs": "http://spam.example"}, "Formulir tidak valid"),
    ({"tanda": "123.abc"}, "Formulir tidak valid"),
    ({"kategori": "rahasia"}, "Pilih jenis pengaduan"),
    ({"judul": ""}, "Judul 5 sampai 150 karakter"),
    ({"isi": "x" * (1024 * 1024)}, "Isi pengaduan terlalu panjang (1.048.576 karakter; maksimal 5.000)"),
])
def test_bad_complaints_are_refused_clearly_and_nothing_is_saved(app, client, overrides, message):
    response = client.post("/pengaduan", data=_complaint(app, **overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and len(page) < 200_000
    assert _count(app, Pengaduan) == 0


def test_a_form_sent_at_once_is_refused(app, client):
    with app.app_context():
        token = form_token(app.config["SECRET_KEY"], dt.datetime.now(dt.UTC).replace(tzinfo=None))
    response = client.post("/pengaduan", data=_complaint(app, tanda=token))
    assert response.status_code == 422 and "terlalu cepat" in response.get_data(as_text=True)


def test_complaint_flood_from_one_address_is_refused(app, client):
    for _ in range(5):
        assert client.post("/pengaduan", data=_complaint(app)).status_code == 302
    flood = client.post("/pengaduan", data=_complaint(app))
    assert flood.status_code == 429 and "Terlalu banyak pengaduan" in flood.get_data(as_text=True)
    assert _count(app, Pengaduan) == 5
    other = client.post("/pengaduan", data=_complaint(app), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302


def test_survey_needs_a_handed_over_request(client):
    assert client.get("/survei/KB-22222222").status_code == 404
    assert client.get("/survei/kacau").status_code == 422
    code = kiosk_ticket(client)  # a ticket is not a handed-over request
    assert client.get(f"/survei/{code}").status_code == 404


def test_dashboard_exports_csv_and_xlsx(client, auth):
    auth.login("camat")
    page = client.get("/dasbor/").get_data(as_text=True)
    assert "<svg" in page and "Dasbor Kinerja Pelayanan" in page
    csv_text = client.get("/dasbor/ekspor.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Kelompok;Nama;Diterima")
    book = load_workbook(io.BytesIO(client.get("/dasbor/ekspor.xlsx").data))
    assert book.sheetnames == ["Per layanan", "Per desa", "Jumlah"]
    assert client.get("/dasbor/?dari=kemarin").status_code == 400
    assert client.get("/dasbor/?dari=2026-12-31&sampai=2026-01-01").status_code == 400
    report = client.get("/dasbor/laporan?bulan=2026-12")
    assert report.mimetype == "application/pdf"
    assert "LAPORAN BULANAN KINERJA PELAYANAN" in PdfReader(io.BytesIO(report.data)).pages[0].extract_text()
    assert client.get("/dasbor/laporan?bulan=13-2026").status_code == 400


def test_queue_and_tracking_work_with_the_other_front_office_plugins_disabled(demo_home, tmp_path):
    import shutil

    from conftest import build_app

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, DISABLED_PLUGINS="records.pengaduan.plugin,records.survei.plugin,"
                                          "records.dashboard.plugin")
    try:
        client = app.test_client()
        code = kiosk_ticket(client)
        page = client.get(f"/lacak/{code}")
        assert page.status_code == 200
        assert "/pengaduan" not in page.get_data(as_text=True).split("Lacak Permohonan")[1]
        assert client.get("/pengaduan").status_code == 404
        assert client.get("/survei").status_code == 404
    finally:
        app.extensions["lemari"].close()
