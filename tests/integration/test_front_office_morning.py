"""A morning at the Kota Bangun front office, end to end through the web, as people do it:
citizens take tickets at the kiosk (one elderly), the clerk calls them at Loket 1 and the TV
follows, each ticket becomes its request under the same code, letters are issued and handed
over, a citizen tracks theirs, a complaint is sent and answered, two surveys are filled in,
and the dashboard, the IKM page and the exports show exactly the numbers of that morning."""

from __future__ import annotations

import datetime as dt
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from records.antrian.models import Tiket
from records.extensions import db
from records.models import Layanan, Penduduk, Record
from records.services import persyaratan
from records.services.public_guard import form_token

LOLENG, PELA = "64.02.08.2004", "64.02.08.2009"
JSON = {"Accept": "application/json"}


def kiosk(client, code, reason=""):
    client.get(f"/antrian/ambil/{code}")
    response = client.post(f"/antrian/ambil/{code}", data={"prioritas": reason})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location.split("/antrian/tiket/")[1].split("?")[0]


def as_user(client, username):
    client.get("/logout/")
    login = client.post("/login/", data={"username": username, "password": "Demo#KotaBangun2026"})
    assert login.status_code == 302


def board(client, counter="Loket 1"):
    data = client.get("/antrian/layar/data").get_json()
    return next(b for b in data["loket"] if b["loket"] == counter), data


def nik_in(app, desa):
    with app.app_context():
        return db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == desa).limit(1))


def ticket_id(app, code):
    with app.app_context():
        return db.session.scalar(select(Tiket.id).where(Tiket.tracking_code == code))


def take_request(client, app, code, nik):
    with app.app_context():  # the clerk ticks every requirement the citizen brought
        ticket = db.session.get(Tiket, ticket_id(app, code))
        names = persyaratan.names(db.session.get(Layanan, ticket.layanan_code).persyaratan)
    response = client.post(f"/antrian/loket/tiket/{ticket_id(app, code)}/permohonan",
                           data={"nik": nik, "keperluan": "Persyaratan administrasi",
                                 "persyaratan": names, "tetap_buat": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def step(client, record_id, name):
    response = client.post(f"/dokumen/{record_id}/langkah/{name}", data={"kertas": "A4"},
                           follow_redirects=True)
    assert "Status dokumen diperbarui" in response.get_data(as_text=True), name


def test_a_morning_at_the_front_office(app, client):
    # 07:45 — the TV and the kiosk are switched on; four citizens take tickets
    assert client.get("/antrian/layar").status_code == 200
    budi = kiosk(client, "sk_domisili")
    siti = kiosk(client, "sk_domisili")
    nenek = kiosk(client, "sk_domisili", reason="lansia")
    kiosk(client, "kk")
    _, data = board(client)
    waiting = {w["layanan"]: w["jumlah"] for w in data["menunggu"]}
    assert waiting["Surat Keterangan Domisili Penduduk"] == 3
    assert waiting["Kartu Keluarga (baru, perubahan, pecah KK)"] == 1

    # 08:00 — the clerk opens Loket 1: the elderly citizen is called first, and the TV shows it
    as_user(client, "petugas")
    assert client.get("/antrian/loket/1").status_code == 200
    assert client.post("/antrian/loket/1/panggil", headers=JSON).get_json()["tiket"] == "C-003"
    assert board(client)[0]["tiket"] == "C-003"
    nenek_record = take_request(client, app, nenek, nik_in(app, LOLENG))

    # Budi is called next but has stepped out: skipped; Siti is served; Budi returns
    assert client.post("/antrian/loket/1/panggil", headers=JSON).get_json()["tiket"] == "C-001"
    assert client.post("/antrian/loket/1/aksi/lewati", headers=JSON).get_json()["status"] == "dilewati"
    assert client.post("/antrian/loket/1/panggil", headers=JSON).get_json()["tiket"] == "C-002"
    siti_record = take_request(client, app, siti, nik_in(app, PELA))
    assert client.post(f"/antrian/loket/1/kembali/{ticket_id(app, budi)}", headers=JSON).status_code == 200
    assert client.post("/antrian/loket/1/panggil", headers=JSON).get_json()["tiket"] == "C-001"
    budi_record = take_request(client, app, budi, nik_in(app, LOLENG))
    # Andi's KK matter is sent on to Loket 2, where it is finished
    assert client.post("/antrian/loket/1/panggil", headers=JSON).get_json()["tiket"] == "B-001"
    assert client.post("/antrian/loket/1/aksi/alih", data={"loket": "2"}, headers=JSON).status_code == 200
    assert client.post("/antrian/loket/2/panggil", headers=JSON).get_json()["tiket"] == "B-001"
    assert client.post("/antrian/loket/2/aksi/selesai", headers=JSON).get_json()["status"] == "selesai"
    assert "Antrian kosong" in client.post("/antrian/loket/1/panggil", headers=JSON).get_json()["message"]

    # the tickets became requests under their own codes
    with app.app_context():
        tracked = db.session.scalars(select(Record).where(Record.tracking_code.is_not(None)))
        codes = {r.id: r.tracking_code for r in tracked}
    assert codes[nenek_record] == nenek and codes[siti_record] == siti and codes[budi_record] == budi

    # 10:30 — two letters are verified, signed by the Camat, issued and handed over
    for record_id in (nenek_record, siti_record):
        step(client, record_id, "verifikasi")
    as_user(client, "camat")
    for record_id in (nenek_record, siti_record):
        step(client, record_id, "tandatangani")
    as_user(client, "petugas")
    for record_id in (nenek_record, siti_record):
        step(client, record_id, "terbitkan")
        step(client, record_id, "serahkan")

    # Budi tracks his request from home: still in process, not overdue, no personal data
    client.get("/logout/")
    page = client.get(f"/lacak/{budi}").get_data(as_text=True)
    assert "Sedang diproses" in page and "TERLAMBAT" not in page
    handed = client.get(f"/lacak/{siti}").get_data(as_text=True)
    assert "Sudah diambil" in handed and "Isi survei kepuasan" in handed

    # Budi complains about the wait; the Sekcam answers; Budi reads the answer
    with app.app_context():
        token = form_token(app.config["SECRET_KEY"],
                           dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=2))
    sent = client.post("/pengaduan", data={"kategori": "keluhan", "layanan": "sk_domisili",
                                           "judul": "Dipanggil saat saya ke toilet",
                                           "isi": "Nomor saya dilewati ketika saya keluar sebentar.",
                                           "tanda": token, "situs": ""})
    complaint_code = re.search(r"PG-[0-9A-Z]{8}", sent.location).group(0)
    as_user(client, "sekcam")
    listing = client.get("/pengaduan/kelola/").get_data(as_text=True)
    complaint_id = int(re.search(r'/pengaduan/kelola/(\d+)"', listing).group(1))
    answer = "Mohon maaf. Nomor yang dilewati dapat dikembalikan ke antrian oleh petugas."
    client.post(f"/pengaduan/kelola/{complaint_id}/langkah/jawab", data={"note": answer})
    client.get("/logout/")
    tracked = client.get(f"/pengaduan/lacak/{complaint_code}").get_data(as_text=True)
    assert answer in tracked and "dijawab" in tracked

    # the two citizens who received their letter fill in the survey
    for code, score in ((nenek, "4"), (siti, "3")):
        assert client.get(f"/survei/{code}").status_code == 200
        done = client.post(f"/survei/{code}", data={f"u{i}": score for i in range(1, 10)})
        assert "Terima kasih" in done.get_data(as_text=True)
    assert client.get(f"/survei/{nenek}").status_code == 409  # once per request

    # the Camat's dashboard shows exactly this morning
    as_user(client, "camat")
    page = client.get("/dasbor/").get_data(as_text=True)
    assert "<svg" in page
    csv_rows = {tuple(line.split(";")[:2]): line.split(";")
                for line in client.get("/dasbor/ekspor.csv").data.decode("utf-8-sig").splitlines()[1:]}
    # Kelompok;Nama;Diterima;Selesai;Tepat waktu;Terlambat;Masih proses;Median hari kerja;Tiket;Median tunggu
    domisili = csv_rows[("Layanan", "Surat Keterangan Domisili Penduduk")]
    assert domisili[2:7] == ["3", "2", "2", "0", "1"] and domisili[7] == "0.0" and domisili[8] == "3"
    assert float(domisili[9]) < 5  # minutes from kiosk to first call, this test runs fast
    assert csv_rows[("Layanan", "Kartu Keluarga (baru, perubahan, pecah KK)")][2:9] == \
        ["0", "0", "0", "0", "0", "", "1"]
    assert csv_rows[("Desa", "Loleng")][2:9] == ["2", "1", "1", "0", "1", "0.0", "2"]
    assert csv_rows[("Desa", "Pela")][2:9] == ["1", "1", "1", "0", "0", "0.0", "1"]
    assert csv_rows[("Jumlah", "Jumlah")][2:9] == ["3", "2", "2", "0", "1", "0.0", "4"]

    # IKM of the month: (4 + 3) / 2 = 3.5 on every element → 3.5 × 25 = 87.5, mutu B
    results = client.get("/survei/hasil/").get_data(as_text=True)
    assert "3.500" in results and "87.50" in results and "B (Baik)" in results
    report = client.get("/dasbor/laporan")
    text = PdfReader(io.BytesIO(report.data)).pages[0].extract_text()
    assert "Surat Keterangan Domisili Penduduk" in text
