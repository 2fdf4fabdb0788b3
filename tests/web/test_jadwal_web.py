"""Appointments through the browser: the clerk's booking page, the public booking page with
its guards, the slip and its PDF read back (NIK masked), check-in at the kiosk, the TV's list
by code, and the done-when journey: a lansia books by phone through the clerk, arrives, and is
called at the time ahead of the walk-ins who came earlier. Never a 500."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import func, select

from records.antrian.models import JadwalLayanan, Janji, Tiket
from records.extensions import db
from records.models import Penduduk
from records.nik import mask_nik
from records.services.clock import frozen
from records.services.public_guard import form_token

MONDAY, TUESDAY = dt.date(2026, 12, 7), dt.date(2026, 12, 8)


def wita(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute)) - dt.timedelta(hours=8)


def slots(app) -> tuple[int, int, str, str]:
    """The reserved 08.00–09.00 and a regular 09.00–12.00 slot of KTP-el; two residents."""
    with app.app_context():
        special = JadwalLayanan(
            layanan_code="ktp_el",
            jam_mulai=dt.time(8),
            jam_selesai=dt.time(9),
            kuota=2,
            khusus=True,
            hari="0,1,2,3,4",
            tenggang_menit=30,
            aktif=True,
        )
        regular = JadwalLayanan(
            layanan_code="ktp_el",
            jam_mulai=dt.time(9),
            jam_selesai=dt.time(12),
            kuota=5,
            khusus=False,
            hari="0,1,2,3,4",
            tenggang_menit=30,
            aktif=True,
        )
        db.session.add_all([special, regular])
        db.session.commit()
        first, second = db.session.scalars(select(Penduduk.nik).order_by(Penduduk.id).limit(2))
        return special.id, regular.id, first, second


def bookings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Janji.id))) or 0


def public_form(app, slot, number, day=TUESDAY, **overrides):
    with app.app_context():
        token = form_token(app.config["SECRET_KEY"], wita(MONDAY, 10) - dt.timedelta(seconds=30))
    return {
        "layanan": "ktp_el",
        "tanggal": day.isoformat(),
        "jadwal": str(slot),
        "nik": number,
        "nama": "Warga Uji",
        "telepon": "",
        "prioritas": "",
        "tanda": token,
        "situs": "",
        **overrides,
    }


def test_clerk_books_a_caller_and_the_slip_pdf_reads_back_masked(app, client, auth):
    special, regular, nik, _ = slots(app)
    with frozen(wita(MONDAY, 10)):
        auth.login("petugas")
        page = client.get(f"/antrian/janji/?layanan=ktp_el&tanggal={TUESDAY}").get_data(as_text=True)
        assert "08.00–09.00" in page and "khusus lansia" in page and "sisa 5 tempat" in page
        made = client.post(
            "/antrian/janji/buat",
            data={
                "layanan": "ktp_el",
                "tanggal": TUESDAY.isoformat(),
                "jadwal": str(special),
                "nik": nik,
                "prioritas": "lansia",
                "telepon": "0812",
            },
        )
        assert made.status_code == 302 and "/jadwal/slip/" in made.location
        code = made.location.rsplit("/", 1)[1]
        slip = client.get(made.location).get_data(as_text=True)
        assert code in slip and mask_nik(nik) in slip and nik not in slip
        again = client.post(
            "/antrian/janji/buat",
            data={"layanan": "ktp_el", "tanggal": TUESDAY.isoformat(), "jadwal": str(regular), "nik": nik},
        )
        assert again.status_code == 422 and "sudah memiliki janji" in again.get_data(as_text=True)
        assert code in again.get_data(as_text=True)  # the clerk, who sees the day's list, is told
        listed = client.get(f"/antrian/janji/?hari={TUESDAY}").get_data(as_text=True)
        assert code in listed and mask_nik(nik) in listed and nik not in listed
        pdf = client.get(f"/jadwal/slip/{code}/cetak?lebar=80")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).replace("\n", " ")
    for part in (code, "KTP-el", "8 Desember 2026", "08.00", "09.00", mask_nik(nik), "Lansia",
                 "3 karakter terakhir", code[-3:] + "."):
        assert part in text, part
    assert nik not in text
    assert bookings(app) == 1


def test_public_booking_page_guards_and_clear_refusals(app, client):
    _, regular, nik, other = slots(app)
    with frozen(wita(MONDAY, 10)):
        page = client.get(f"/jadwal?layanan=ktp_el&tanggal={TUESDAY}")
        assert page.status_code == 200 and 'name="situs"' in page.get_data(as_text=True)
        for overrides, message in (
            ({"situs": "http://spam"}, "Formulir tidak valid"),
            ({"tanda": "1.x"}, "Formulir tidak valid"),
            ({"nik": "12345"}, "16 digit"),
            ({"tanggal": "2026-12-12"}, "Kantor tutup"),
            ({"tanggal": "bukan-tanggal"}, "Tanggal janji tidak valid"),
            ({"nama": ""}, "Nama pemohon wajib diisi"),
        ):
            refused = client.post("/jadwal", data=public_form(app, regular, nik, **overrides))
            assert refused.status_code == 422, overrides
            assert message in refused.get_data(as_text=True), message
        assert bookings(app) == 0
        made = client.post("/jadwal", data=public_form(app, regular, nik))
        assert made.status_code == 302
        code = made.location.split("/jadwal/slip/")[1].split("?")[0]
        slip = client.get(made.location).get_data(as_text=True)
        assert mask_nik(nik) in slip and nik not in slip
        # The slip tells how the TV will show the booking: the code's last 3 characters.
        assert "3 karakter terakhir" in slip and "…" + code[-3:] in slip
        # Whoever knows the NIK learns that it has a booking, never the booking's code.
        again = client.post("/jadwal", data=public_form(app, regular, nik))
        text = again.get_data(as_text=True)
        assert again.status_code == 422 and "sudah memiliki janji" in text and "bukti janji" in text
        assert code not in text and code[3:] not in text
        app.extensions["lemari"].settings["JANJI_PER_HOUR"] = 1
        flood = client.post("/jadwal", data=public_form(app, regular, other))
        assert flood.status_code == 429 and "Terlalu banyak janji layanan" in flood.get_data(as_text=True)
    assert bookings(app) == 1


def test_kiosk_offers_booking_and_check_in(app, client):
    _, regular, nik, _ = slots(app)
    client.get("/antrian/ambil")  # the kiosk's first page sets the queue up
    page = client.get("/antrian/ambil/ktp_el").get_data(as_text=True)
    assert "/antrian/hadir" in page and "/jadwal?kios=1&amp;layanan=ktp_el" in page
    with frozen(wita(MONDAY, 10)):
        today = client.post("/jadwal?kios=1", data=public_form(app, regular, nik, day=MONDAY))
        assert today.status_code == 422 and "hari berikutnya" in today.get_data(as_text=True)
        made = client.post("/jadwal?kios=1", data=public_form(app, regular, nik))
        code = made.location.split("/jadwal/slip/")[1].split("?")[0]
        early = client.post("/antrian/hadir", data={"kode": code})
        assert early.status_code == 409 and "bukan hari ini" in early.get_data(as_text=True)
        assert client.post("/antrian/hadir", data={"kode": "KB-22222222"}).status_code == 404
    with frozen(wita(TUESDAY, 8, 45)):
        data = client.get("/antrian/layar/data")
        board = data.get_json()["janji"]
        # The TV (its JSON and its page) shows the code's last 3 characters, never the code:
        # anyone in the waiting room could type it here and check the booking in.
        assert board == [{"kode": "…" + code[-3:], "jam": "09.00", "status": "terjadwal"}]
        assert code not in data.get_data(as_text=True) and code[3:] not in data.get_data(as_text=True)
        page = client.get("/antrian/layar").get_data(as_text=True)
        assert "…" + code[-3:] in page and code not in page and code[3:] not in page
        arrived = client.post("/antrian/hadir", data={"kode": code.lower()})
        assert arrived.status_code == 302 and code in arrived.location
        lacak = client.get(f"/lacak/{code}").get_data(as_text=True)
        assert "Warga Uji" not in lacak and nik not in lacak


def test_wrong_codes_at_the_kiosk_check_in_are_limited_per_address(app, client):
    """The TV shows each code's last 3 characters; guessing the other 5 at /antrian/hadir is
    held to JANJI_WRONG_CODES_PER_MINUTE per address, and while held even a right code waits
    (else the answer would tell the right guess apart). A minute later the right code works."""
    _, regular, nik, _ = slots(app)
    client.get("/antrian/ambil")
    with frozen(wita(MONDAY, 10)):
        made = client.post("/jadwal", data=public_form(app, regular, nik))
        code = made.location.split("/jadwal/slip/")[1].split("?")[0]
    app.extensions["lemari"].settings["JANJI_WRONG_CODES_PER_MINUTE"] = 2
    with frozen(wita(TUESDAY, 8, 45)):
        early = client.post("/antrian/hadir", data={"kode": "KB-22222" + code[-3:]})
        assert early.status_code == 404
        assert client.post("/antrian/hadir", data={"kode": "KB-33333" + code[-3:]}).status_code == 404
        held = client.post("/antrian/hadir", data={"kode": code})
        assert held.status_code == 429 and "Terlalu banyak kode janji salah" in held.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Janji.status).where(Janji.kode == code)) == "terjadwal"
    with frozen(wita(TUESDAY, 8, 47)):
        arrived = client.post("/antrian/hadir", data={"kode": code})
        assert arrived.status_code == 302 and code in arrived.location


def test_the_lansia_books_by_phone_arrives_and_is_called_at_the_time(app, client, auth):
    """Done when (issue 20): the clerk takes the call on Monday; on Tuesday two walk-ins take
    numbers before eight, the lansia checks in at the desk at 07.55 and is called at 08.00."""
    special, _, nik, _ = slots(app)
    auth.login("petugas")
    with frozen(wita(MONDAY, 10)):
        made = client.post(
            "/antrian/janji/buat",
            data={
                "layanan": "ktp_el",
                "tanggal": TUESDAY.isoformat(),
                "jadwal": str(special),
                "nik": nik,
                "prioritas": "lansia",
            },
        )
        code = made.location.rsplit("/", 1)[1]
    for minute in (40, 45):
        with frozen(wita(TUESDAY, 7, minute)):
            assert client.post("/antrian/ambil/ktp_el", data={"prioritas": ""}).status_code == 302
    with frozen(wita(TUESDAY, 7, 50)):
        assert client.post("/antrian/ambil/ktp_el", data={"prioritas": "disabilitas"}).status_code == 302
    with frozen(wita(TUESDAY, 7, 55)):
        arrived = client.post(f"/antrian/janji/{code}/hadir")
        assert arrived.status_code == 302 and code in arrived.location
        # Checked in, the booking is on the TV by its last 3 characters only (was: the code).
        tv = client.get("/antrian/layar").get_data(as_text=True)
        assert "…" + code[-3:] + " ✓" in tv and code not in tv and code[3:] not in tv
    with frozen(wita(TUESDAY, 7, 58)):  # before the time the walk-in in the priority lane goes
        first = client.post("/antrian/loket/1/panggil", headers={"Accept": "application/json"}).get_json()
    with frozen(wita(TUESDAY, 8, 0)):
        called = client.post("/antrian/loket/1/panggil", headers={"Accept": "application/json"}).get_json()
        display = client.get("/antrian/layar/data").get_json()
    with app.app_context():
        ticket = db.session.scalar(select(Tiket).where(Tiket.tracking_code == code))
        walk_in = db.session.scalar(select(Tiket).where(Tiket.alasan_prioritas == "disabilitas"))
        assert ticket.prioritas and ticket.alasan_prioritas == "lansia"
        assert first["tiket"] == walk_in.label
        assert called["tiket"] == ticket.label and "Memanggil" in called["message"]
    assert display["panggilan"][-1]["tiket"] == ticket.label


def test_pages_for_who_may_see_them(app, client, auth):
    slots(app)
    auth.login("operator_loleng")
    assert client.get("/antrian/janji/").status_code == 200
    auth.logout()
    auth.login("auditor")
    assert client.get("/antrian/janji/").status_code in (302, 403)
    auth.logout()
    auth.login("camat")
    assert "08:00:00" in client.get("/jadwallayananview/list/").get_data(as_text=True)


def test_camat_sets_a_slot_as_data_and_a_bad_one_is_refused(app, client, auth):
    auth.login("camat")
    assert client.get("/jadwallayananview/add").status_code == 200
    form = {"layanan": "ktp_el", "jam_mulai": "08:00", "jam_selesai": "09:00", "kuota": "4",
            "khusus": "y", "hari": "0,1,2,3,4", "tenggang_menit": "30", "aktif": "y"}
    bad = client.post("/jadwallayananview/add", data={**form, "jam_selesai": "07:00"},
                      follow_redirects=True)
    assert "Jam selesai harus sesudah jam mulai" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(JadwalLayanan.id))) == 0
    client.post("/jadwallayananview/add", data=form)
    with app.app_context():
        slot = db.session.scalar(select(JadwalLayanan))
        assert (slot.jam_mulai, slot.kuota, slot.khusus) == (dt.time(8), 4, True)
