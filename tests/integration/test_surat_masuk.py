"""Incoming letters end to end on a copy of the demo office (issue #18): the TU registers 20
letters from a folder of scans through the archive's ingest, the Camat disposes them, staff
forward, report and close, the buku agenda and the overdue list come out right, bad input is
refused whole, and a rahasia letter is invisible to everyone but the Camat and its recipient
through every path (web list, detail URL, REST, search, export, file download)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from archive.desk import archive_desk, close_archive_desk
from archive.scan_samples import image_bytes, text_pdf
from archive.services import archiving, bagexport
from conftest import build_app
from records.exceptions import NotFoundError, ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, IssuedNumber, Record, RecordFile, WorkflowStep
from records.services.accounts import actor_for_username
from records.services.clock import clock
from records.services.searching import SearchRequest, search_archive
from records.services.setup import DEMO_PASSWORD
from records.surat_masuk import services as sm
from records.surat_masuk.desk import scan_from_path
from records.surat_masuk.models import Disposisi, SuratMasuk

SECRET_WORD = "Zamrudkhatulistiwa"  # only in the rahasia letter's subject
OUTSIDERS = ("sekcam", "petugas", "arsiparis", "auditor", "admin")


@pytest.fixture
def app(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    yield app
    close_archive_desk(app)
    app.extensions["lemari"].close()


def actor(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def today(app):
    return clock(app.extensions["lemari"].settings["TIMEZONE"])[1]


def write_folder(folder, day: dt.date) -> list[dict]:
    """20 scans (18 born-digital PDFs, 2 PNG images) and their CSV; letter 7 is rahasia;
    plus a file that is not a document and a row dated in the future."""
    folder.mkdir()
    rows = []
    senders = ("Bupati Kutai Kartanegara", "Dinas Kesehatan", "Kepala Desa Loleng",
               "Polsek Kota Bangun", "Warga RT 03 Liang")
    for n in range(1, 21):
        name = f"surat-{n:02d}.png" if n in (5, 15) else f"surat-{n:02d}.pdf"
        (folder / name).write_bytes(image_bytes(n, "png", lines=6) if name.endswith(".png")
                                    else text_pdf(100 + n))
        rahasia = n == 7
        rows.append({"berkas": name, "pengirim": senders[n % 5], "nomor_surat": f"{n}/TEST/2026",
                     "tanggal_surat": (day - dt.timedelta(days=3)).isoformat(),
                     "perihal": f"{SECRET_WORD} laporan khusus" if rahasia else f"Perihal nomor {n}",
                     "sifat": "rahasia" if rahasia else ("segera" if n % 4 == 0 else "biasa"),
                     "klasifikasi": "000.1" if n % 2 else "", "lampiran": "1 berkas",
                     "tanggal_terima": day.isoformat()})
    (folder / "bukan-surat.pdf").write_bytes(b"ini bukan dokumen, hanya teks biasa\n" * 20)
    rows.append({**rows[0], "berkas": "bukan-surat.pdf", "nomor_surat": "99/X/2026"})
    (folder / "masa-depan.pdf").write_bytes(text_pdf(999))
    rows.append({**rows[1], "berkas": "masa-depan.pdf", "nomor_surat": "98/X/2026",
                 "tanggal_surat": (day + dt.timedelta(days=5)).isoformat()})
    with open(folder / "daftar.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def login(client, username):
    client.get("/logout/")
    reply = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
    assert reply.status_code in (200, 302)


def token(client, username):
    reply = client.post("/api/v1/security/login", json={"username": username,
                                                        "password": DEMO_PASSWORD,
                                                        "provider": "db"})
    return {"Authorization": f"Bearer {reply.get_json()['access_token']}"}


def register_folder(app, tmp_path):
    day = today(app)
    folder = tmp_path / "pindaian"
    write_folder(folder, day)
    result = app.test_cli_runner().invoke(args=["surat-masuk", "impor", str(folder),
                                                str(folder / "daftar.csv"), "--as", "petugas"])
    assert result.exit_code == 0, result.output
    return day, result.output


def test_twenty_letters_disposed_closed_reported_and_a_secret_kept(app, tmp_path):
    day, output = register_folder(app, tmp_path)
    assert "Selesai: 20 dicatat, 2 gagal." in output, output
    refused = {line.split("\t")[1]: line.split("\t")[2] for line in output.splitlines()
               if line.startswith("gagal")}
    assert "bukan-surat.pdf" in refused and "ditolak" in refused["bukan-surat.pdf"]
    assert "masa depan" in refused["masa-depan.pdf"]
    with app.app_context():
        letters = db.session.scalars(select(SuratMasuk).order_by(SuratMasuk.nomor_agenda)).all()
        assert [s.nomor_agenda for s in letters] == list(range(1, 21))  # gapless, failures took none
        assert all(s.record_id for s in letters) and {s.tahun for s in letters} == {day.year}
        numbers = db.session.scalars(select(IssuedNumber.sequence).where(
            IssuedNumber.kind == "agenda").order_by(IssuedNumber.sequence)).all()
        assert numbers == list(range(1, 21))
        # nothing half-saved for the two refusals: 20 scans, 20 letters
        assert db.session.scalar(select(func.count()).select_from(Record).where(
            Record.data["nama_berkas"].as_string().like("surat-%"))) == 20
        assert db.session.scalar(select(func.count()).select_from(Record).where(
            Record.data["nama_berkas"].as_string().in_(["bukan-surat.pdf", "masa-depan.pdf"]))) == 0
        secret = next(s for s in letters if s.sifat == "rahasia")
        secret_id, secret_record = secret.id, secret.record_id
        registry = lemari().registry
        camat, sekcam, petugas, humas = (actor(app, n) for n in ("camat", "sekcam", "petugas", "humas"))

        # a duplicate (same sender and number, other spacing and case) is flagged, then confirmed
        dup = {"pengirim": letters[0].pengirim.upper(), "nomor_surat": f" {letters[0].nomor_surat} ",
               "tanggal_surat": letters[0].tanggal_surat.isoformat(), "perihal": "Kiriman ulang"}
        with pytest.raises(sm.DuplicateLetterError) as caught:
            sm.register_letter(dup, actor=petugas, session=db.session, registry=registry, today=day)
        assert "sudah tercatat" in str(caught.value)
        db.session.rollback()
        again = sm.register_letter(dup, actor=petugas, session=db.session, registry=registry,
                                   today=day, confirm_duplicate=True)
        assert again.nomor_agenda == 21 and again.duplikat_dari == letters[0].id

        # bad input: nothing half-saved
        steps_before = db.session.scalar(select(func.count()).select_from(WorkflowStep))
        for bad, expected in (({"kepada": [], "batas_waktu": day}, "sedikitnya satu penerima"),
                              ({"kepada": ["sekcam"], "batas_waktu": day - dt.timedelta(days=1)},
                               "Batas waktu sudah lewat"),
                              ({"kepada": ["tidakada"], "batas_waktu": day}, "tidak dikenal")):
            with pytest.raises(ValidationError) as caught:
                sm.dispose(letters[0].id, instruksi=["tindak_lanjuti"], catatan="", actor=camat,
                           session=db.session, registry=registry, today=day, **bad)
            assert expected in str(caught.value)
            db.session.rollback()
        with pytest.raises(ValidationError, match="masa depan"):
            sm.register_letter({**dup, "nomor_surat": "baru/1",
                                "tanggal_surat": (day + dt.timedelta(days=1)).isoformat()},
                               actor=petugas, session=db.session, registry=registry, today=day)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Disposisi)) == 0
        assert db.session.scalar(select(func.count()).select_from(WorkflowStep)) == steps_before
        assert db.session.get(SuratMasuk, letters[0].id).state == "diterima"
        with pytest.raises(Exception, match="berwenang"):
            sm.dispose(letters[0].id, kepada=["petugas"], instruksi=["hadiri"], catatan="",
                       batas_waktu=day, actor=petugas, session=db.session, registry=registry,
                       today=day)
        db.session.rollback()

        # the Camat disposes all: 1-10 to sekcam (deadline passed by 'now'), 11-20 to unit Humas;
        # disposed ten days ago with deadlines five days ago for the first six
        earlier = day - dt.timedelta(days=10)
        for s in letters:
            if s.id == secret_id:
                sm.dispose(s.id, kepada=["humas"], instruksi=["pelajari", "laporkan"],
                           catatan="Segera laporkan", batas_waktu=day + dt.timedelta(days=7),
                           actor=camat, session=db.session, registry=registry, today=day)
                continue
            late = s.nomor_agenda <= 6
            sm.dispose(s.id, kepada=["sekcam"] if s.nomor_agenda <= 10 else ["unit:Humas"],
                       instruksi=["tindak_lanjuti"], catatan="",
                       batas_waktu=earlier + dt.timedelta(days=5) if late else day + dt.timedelta(days=5),
                       actor=camat, session=db.session, registry=registry,
                       today=earlier if late else day)
        assert {s.state for s in db.session.scalars(select(SuratMasuk).where(
            SuratMasuk.id.in_([s.id for s in letters])))} == {"didisposisi"}
        assert sm.worklist_count(actor=sekcam, session=db.session) == 9  # 1-10 without the secret
        assert sm.worklist_count(actor=humas, session=db.session) == 11  # unit Humas + the secret

        # sekcam forwards letter 1 to petugas, who reports with an attachment and closes;
        # sekcam then closes letters 1-4: 1-4 done, 5-6 stay overdue
        first = sm.worklist(actor=sekcam, session=db.session)[0]
        assert first.surat.nomor_agenda == 1
        sm.act(first.id, "baca", note="", actor=sekcam, session=db.session, registry=registry)
        child, = sm.dispose(first.surat_id, kepada=["petugas"], instruksi=["siapkan_jawaban"],
                            catatan="Siapkan konsep", batas_waktu=day + dt.timedelta(days=2),
                            actor=sekcam, session=db.session, registry=registry, today=day,
                            induk_id=first.id)
        attachment = tmp_path / "lampiran.pdf"
        attachment.write_bytes(text_pdf(555))
        sm.act(child.id, "laporkan", note="Konsep jawaban terlampir", actor=petugas,
               session=db.session, registry=registry,
               attachment=scan_from_path(attachment, "lampiran.pdf", actor=petugas, app=app,
                                         permission="surat_masuk.follow"))
        assert child.laporan[0].record_id is not None
        with pytest.raises(ValidationError, match="Alasan wajib"):
            sm.act(child.id, "selesaikan", note="", actor=petugas, session=db.session,
                   registry=registry)
        db.session.rollback()
        sm.act(child.id, "selesaikan", note="Selesai", actor=petugas, session=db.session,
               registry=registry)
        with pytest.raises(Exception, match="bukan untuk Anda"):
            sm.act(first.id, "selesaikan", note="x", actor=petugas, session=db.session,
                   registry=registry)
        db.session.rollback()
        for s in letters[:4]:
            mine = next(d for d in s.disposisi if d.kepada_user == "sekcam")
            sm.act(mine.id, "selesaikan", note="Sudah ditindaklanjuti", actor=sekcam,
                   session=db.session, registry=registry)
        assert [db.session.get(SuratMasuk, s.id).state for s in letters[:5]] == [
            "selesai"] * 4 + ["didisposisi"]
        history = [(h.transition, h.to_state) for h in db.session.get(SuratMasuk, letters[0].id).history]
        assert history == [("catat", "diterima"), ("disposisikan", "didisposisi"),
                           ("selesaikan", "selesai")]
        assert [h.transition for h in first.history] == ["buat", "baca", "teruskan", "selesaikan"]

        # the overdue list and the averages
        report = sm.disposition_report(actor=camat, session=db.session, registry=registry,
                                       today=day)
        assert sorted(d.surat.nomor_agenda for d in report["terlambat"]) == [5, 6]
        per = {e["kepada"]: e for e in report["per_penerima"]}
        assert per["sekcam"] == {"kepada": "sekcam", "terbuka": 5, "terlambat": 2, "selesai": 4}
        assert per["Humas"]["terbuka"] == 10 and per["humas"]["terbuka"] == 1
        assert per["petugas"]["selesai"] == 1 and report["rata_rata_hari"] is not None
        outsider_report = sm.disposition_report(actor=sekcam, session=db.session,
                                                registry=registry, today=day)
        assert "humas" not in {e["kepada"] for e in outsider_report["per_penerima"]}

        # the buku agenda: every number, the secret's content only for its readers
        book = sm.agenda_masuk(day, day, actor=sekcam, session=db.session, registry=registry)
        assert [r.nomor_agenda for r in book] == [f"{n}/{day.year}" for n in range(1, 22)]
        hidden = next(r for r in book if r.sifat == "Rahasia")
        assert hidden.perihal == "(rahasia)" and hidden.pengirim == "(rahasia)"
        shown = sm.agenda_masuk(day, day, actor=camat, session=db.session, registry=registry)
        assert SECRET_WORD in next(r for r in shown if r.sifat == "Rahasia").perihal
        workbook = load_workbook(io.BytesIO(sm.agenda_xlsx(day, day, actor=sekcam,
                                                           session=db.session, registry=registry)))
        cells = [str(c.value) for row in workbook["Surat Masuk"].iter_rows() for c in row]
        assert f"1/{day.year}" in cells and "Perihal nomor 2" in cells
        assert not any(SECRET_WORD in c for c in cells)
        assert workbook["Surat Masuk"].max_row == 22
        pdf = PdfReader(io.BytesIO(sm.agenda_pdf(day, day, actor=camat, session=db.session,
                                                 desk=lemari().desk())))
        text = " ".join(p.extract_text() for p in pdf.pages)
        assert "BUKU AGENDA SURAT MASUK" in text and "Perihal nomor 20" in text
        lembar = PdfReader(io.BytesIO(sm.lembar_disposisi_pdf(letters[0].id, actor=sekcam,
                                                              session=db.session,
                                                              desk=lemari().desk())))
        lembar_text = lembar.pages[0].extract_text()
        assert "LEMBAR DISPOSISI" in lembar_text and "Siapkan jawaban" in lembar_text

        # search: the secret's scan is found by its readers only
        lemari().search().drain()
        engine = lemari().search()

        def hits(username):
            return hits_of(app, username, SECRET_WORD, engine)
        assert secret_record in hits("camat")
        for name in ("sekcam", "petugas", "arsiparis", "auditor", "admin"):
            assert secret_record not in hits(name), name
        assert letters[1].record_id in hits_of(app, "arsiparis", "Perihal nomor 2", engine)

        # export: a BagIt selection by id leaves the secret out for outsiders
        for name in ("arsiparis",):
            chosen = bagexport.select_records(f"id:{secret_record},{letters[1].record_id}",
                                              actor=actor(app, name), session=db.session)
            assert [a.record_id for a in chosen] == [letters[1].record_id]
        with pytest.raises(NotFoundError):
            archiving.get_arsip(secret_record, actor=actor(app, "arsiparis"), session=db.session)
        secret_file = db.session.scalar(select(RecordFile.id).where(
            RecordFile.record_id == secret_record))
        blobs = archive_desk(app).blobs
        with pytest.raises(NotFoundError):
            archiving.read_archive_file(secret_record, secret_file, actor=actor(app, "arsiparis"),
                                        session=db.session, blobs=blobs)
        db.session.rollback()

    # every web and REST path, for each outsider and for the two readers
    client = app.test_client()
    for name in OUTSIDERS:
        login(client, name)
        page = client.get("/surat-masuk/")
        assert page.status_code == 200 and SECRET_WORD not in page.get_data(as_text=True), name
        assert client.get(f"/surat-masuk/{secret_id}").status_code == 404, name
        assert client.get(f"/surat-masuk/{secret_id}/lembar-disposisi.pdf").status_code == 404
        assert client.get(f"/dokumen/{secret_record}").status_code in (403, 404), name
        assert client.get(f"/dokumen/{secret_record}/berkas/{secret_file}").status_code in (403, 404)
        assert client.get(f"/arsip/{secret_record}").status_code in (403, 404), name
        assert client.get(f"/arsip/{secret_record}/berkas/{secret_file}").status_code in (403, 404)
        assert client.get(f"/surat-masuk/{secret_id}/berkas/{secret_record}").status_code == 404
        for listing in ("/dokumen/", "/arsip/"):
            assert SECRET_WORD not in client.get(listing).get_data(as_text=True)
        found = client.get(f"/cari/?q={SECRET_WORD}").get_data(as_text=True)
        assert f"/dokumen/{secret_record}" not in found and f"/arsip/{secret_record}" not in found
        headers = token(client, name)
        listed = client.get("/api/v1/surat-masuk/", headers=headers)
        if listed.status_code == 200:
            assert secret_id not in {s["id"] for s in listed.get_json()["result"]["items"]}
        assert client.get(f"/api/v1/surat-masuk/{secret_id}", headers=headers).status_code in (403, 404)
        assert client.get(f"/api/v1/arsip/{secret_record}", headers=headers).status_code in (403, 404)
    for name in ("camat", "humas"):
        login(client, name)
        page = client.get(f"/surat-masuk/{secret_id}")
        assert page.status_code == 200 and SECRET_WORD in page.get_data(as_text=True), name
        scan = client.get(f"/surat-masuk/{secret_id}/berkas/{secret_record}")
        assert scan.status_code == 200 and scan.data.startswith(b"%PDF"), name
        headers = token(client, name)
        got = client.get(f"/api/v1/surat-masuk/{secret_id}", headers=headers)
        assert got.status_code == 200 and got.get_json()["result"]["perihal"].startswith(SECRET_WORD)
    with app.app_context():
        viewed = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "surat_masuk.view"))
        assert viewed >= 4


def hits_of(app, username, text, engine):
    """Record ids the user finds with `text` (none when they may not search at all)."""
    who = actor(app, username)
    if not who.can("search.read"):
        return set()
    found = search_archive(SearchRequest(text=text), actor=who, session=db.session,
                           engine=engine, registry=lemari().registry)
    return {h["object_id"] for h in found["hits"]}


def test_web_register_dispose_and_rest(app, tmp_path):
    """The clerk's form (with a scan and without), the duplicate warning, the Camat's form,
    the worklist block and the REST API."""
    client = app.test_client()
    with app.app_context():
        day = today(app)
    login(client, "petugas")
    form = {"pengirim": "Dinas Pendidikan", "nomor_surat": "421/77/Disdik",
            "tanggal_surat": day.isoformat(), "perihal": "Undangan rapat guru", "sifat": "segera",
            "klasifikasi": "000.1", "lampiran": "", "tanggal_terima": day.isoformat()}
    sent = client.post("/surat-masuk/catat", content_type="multipart/form-data",
                       data={**form, "berkas": (io.BytesIO(text_pdf(7)), "undangan.pdf")})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    again = client.post("/surat-masuk/catat", data=form)
    assert again.status_code == 422 and "sudah tercatat" in again.get_data(as_text=True)
    not_a_scan = client.post("/surat-masuk/catat", data={
        **form, "nomor_surat": "1/lain", "berkas": (io.BytesIO(b"hanya teks" * 50), "x.pdf")},
        content_type="multipart/form-data")
    assert not_a_scan.status_code == 422 and "Pindaian surat ditolak" in not_a_scan.get_data(as_text=True)
    future = client.post("/surat-masuk/catat", data={
        **form, "nomor_surat": "2/lain", "tanggal_surat": (day + dt.timedelta(days=2)).isoformat()})
    assert future.status_code == 422 and "masa depan" in future.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SuratMasuk)) == 1
        surat_id = db.session.scalar(select(SuratMasuk.id))
    login(client, "camat")
    page = client.get(f"/surat-masuk/{surat_id}").get_data(as_text=True)
    assert "Kirim disposisi" in page
    nobody = client.post(f"/surat-masuk/{surat_id}/disposisi", data={
        "kepada_lain": "", "instruksi": ["hadiri"], "batas_waktu": day.isoformat()},
        follow_redirects=True)
    assert "sedikitnya satu penerima" in nobody.get_data(as_text=True)
    done = client.post(f"/surat-masuk/{surat_id}/disposisi", data={
        "kepada_lain": "sekcam", "instruksi": ["hadiri", "laporkan"],
        "batas_waktu": (day + dt.timedelta(days=1)).isoformat()}, follow_redirects=True)
    assert "Disposisi terkirim" in done.get_data(as_text=True)
    login(client, "sekcam")
    home = client.get("/surat-masuk/").get_data(as_text=True)
    assert "Disposisi untuk saya" in home and "Undangan rapat guru" in home
    start = client.get("/").get_data(as_text=True)  # the home page's worklist, through the hook
    assert 'id="worklist-disposisi_saya"' in start and "Undangan rapat guru" in start
    assert f"/surat-masuk/{surat_id}" in start
    headers = token(client, "sekcam")
    mine = client.get("/api/v1/surat-masuk/disposisi-saya", headers=headers).get_json()
    assert [d["instruksi"] for d in mine["result"]["items"]] == [["Hadiri", "Laporkan"]]
    disposisi_id = mine["result"]["items"][0]["id"]
    closed = client.post(f"/api/v1/surat-masuk/disposisi/{disposisi_id}/selesaikan",
                         headers=headers, json={"note": "Sudah hadir"})
    assert closed.status_code == 200 and closed.get_json()["result"]["status"] == "selesai"
    posted = client.post("/api/v1/surat-masuk/", headers=token(client, "petugas"),
                         json={**form, "nomor_surat": "9/API"})
    assert posted.status_code == 201 and posted.get_json()["result"]["nomor_agenda"] == 2
    dup = client.post("/api/v1/surat-masuk/", headers=token(client, "petugas"),
                      json={**form, "nomor_surat": "9/API"})
    assert dup.status_code == 409
    bad = client.post("/api/v1/surat-masuk/", headers=token(client, "petugas"), json={"pengirim": ""})
    assert bad.status_code == 422 and "pengirim" in bad.get_json()["errors"]
    cli = app.test_cli_runner().invoke(args=["surat-masuk", "daftar", "--as", "sekcam"])
    assert cli.exit_code == 0 and "Undangan rapat guru" in cli.output
    # the reply: a surat dinas draft linked both ways
    login(client, "sekcam")
    client.post(f"/surat-masuk/{surat_id}/balasan", data={"jenis": "surat_dinas"})
    with app.app_context():
        surat = db.session.get(SuratMasuk, surat_id)
        assert surat.balasan_record_id is not None
        assert surat.balasan.data["balasan_surat_masuk_id"] == surat_id
        assert sm.reply_of(db.session, surat.balasan_record_id).id == surat_id


def test_without_the_archive_letters_are_registered_without_a_scan(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, DISABLED_PLUGINS="archive.plugin")
    try:
        runner = app.test_cli_runner()
        base = ["surat-masuk", "catat", "--as", "petugas", "--pengirim", "Camat Tenggarong",
                "--tanggal", "2026-01-05", "--perihal", "Koordinasi", "--diterima", "2026-01-06"]
        done = runner.invoke(args=[*base, "--nomor", "1/2026"])
        assert done.exit_code == 0 and "Tercatat: agenda 1/2026" in done.output, done.output
        scan = tmp_path / "surat.pdf"
        scan.write_bytes(text_pdf(3))
        refused = runner.invoke(args=[*base, "--nomor", "2/2026", "--pindaian", str(scan)])
        assert refused.exit_code == 1 and "Fitur arsip tidak aktif" in refused.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(SuratMasuk)) == 1
        login(client := app.test_client(), "petugas")
        form = client.get("/surat-masuk/catat").get_data(as_text=True)
        assert 'name="berkas"' not in form
    finally:
        app.extensions["lemari"].close()


def test_a_letter_dated_today_in_the_office_is_not_in_the_future_on_a_utc_server(app):
    """07.45 WITA on 1 January is still 31 December in UTC: a scan dated the office's today
    was refused as "belum terjadi" (the archive compared with the server's date) until the
    archive took the office's time zone (found by this suite running after 16.00 UTC)."""
    from records.services.clock import frozen

    client = app.test_client()
    with frozen(dt.datetime(2030, 12, 31, 23, 45)):  # 2031-01-01 07.45 WITA
        login(client, "petugas")
        form = {"pengirim": "Dinas Sosial", "nomor_surat": "460/1/Dinsos",
                "tanggal_surat": "2031-01-01", "perihal": "Undangan awal tahun", "sifat": "biasa",
                "klasifikasi": "000.1", "lampiran": "", "tanggal_terima": "2031-01-01"}
        sent = client.post("/surat-masuk/catat", content_type="multipart/form-data",
                           data={**form, "berkas": (io.BytesIO(text_pdf(3)), "undangan.pdf")})
        assert sent.status_code == 302, "belum terjadi" in sent.get_data(as_text=True)
        with app.app_context():
            letter = db.session.scalar(select(SuratMasuk).where(SuratMasuk.nomor_surat == "460/1/Dinsos"))
            assert letter is not None and letter.record_id is not None
