"""The archive in the browser and over REST: upload with bad files, NIK masking, desa scope,
job progress, JRA form errors, the disposition procedure to its berita acara."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from archive.desk import close_archive_desk
from archive.models import Arsip, Penyusutan
from archive.scan_samples import broken_samples, image_bytes, text_pdf
from conftest import build_app
from records.extensions import db
from records.models import Penduduk

LOLENG, PELA = "64.02.08.2004", "64.02.08.2009"


@pytest.fixture
def app(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    yield app
    close_archive_desk(app)
    app.extensions["lemari"].close()


@pytest.fixture
def nik(app):
    with app.app_context():
        return db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == LOLENG))


def upload(client, files, **fields):
    data = {"berkas": [(io.BytesIO(body), name) for name, body in files], **fields}
    return client.post("/arsip/unggah", data=data, content_type="multipart/form-data")


def test_upload_archives_good_files_and_explains_bad_ones(client, auth, app, nik):
    auth.login("arsiparis")
    files = [("domisili.pdf", text_pdf(70)), ("pindaian.png", image_bytes(71, "PNG", lines=3)),
             *broken_samples().items(), ("../../etc/passwd.pdf", text_pdf(72))]
    response = upload(client, files, klasifikasi="400.12.2.1", desa="Loleng", nik=nik,
                      tanggal="2019-08-17", lemari="1", rak="2", boks="3", map="4")
    page = response.get_data(as_text=True)
    assert response.status_code == 422  # some files were refused: said on the page
    assert page.count("diimpor") >= 2 and "terenkripsi" in page and "bom dekompresi" in page
    assert "&#39;/&#39;" in page or "tidak boleh berisi" in page
    with app.app_context():
        rows = db.session.scalars(select(Arsip)).all()
        assert len(rows) == 2 and all(a.niks == [nik] for a in rows)
        assert {a.ocr_status for a in rows} == {"teks_asli", "selesai"}


def test_nik_is_masked_for_the_arsiparis_and_full_for_the_camat(client, auth, app, nik):
    auth.login("arsiparis")
    upload(client, [("a.pdf", text_pdf(73))], nik=nik, desa="Loleng")
    with app.app_context():
        record_id = db.session.scalar(select(Arsip.record_id))
    page = client.get(f"/arsip/{record_id}").get_data(as_text=True)
    assert nik not in page and nik[:6] + "●" * 6 + nik[12:] in page
    corrected = client.post(f"/arsip/{record_id}/ubah", data={"judul": "Dikoreksi", "desa": "Loleng",
                                                              "alasan": "Judul salah"})
    assert corrected.status_code == 302
    with app.app_context():
        arsip = db.session.get(Arsip, record_id)
        assert (arsip.record.title, arsip.niks, arsip.versi) == ("Dikoreksi", [nik], 2)
    auth.logout()
    auth.login("camat")
    assert nik in client.get(f"/arsip/{record_id}").get_data(as_text=True)


def test_operator_desa_sees_only_their_desa(client, auth, app):
    auth.login("arsiparis")
    upload(client, [("loleng.pdf", text_pdf(74))], desa="Loleng", judul="Arsip Loleng")
    upload(client, [("pela.pdf", text_pdf(75))], desa="Pela", judul="Arsip Pela")
    with app.app_context():
        ids = {a.record.desa_code: a.record_id for a in db.session.scalars(select(Arsip))}
    auth.logout()
    auth.login("operator_loleng")
    listing = client.get("/arsip/").get_data(as_text=True)
    assert "Arsip Loleng" in listing and "Arsip Pela" not in listing
    assert client.get(f"/arsip/{ids[LOLENG]}").status_code == 200
    assert client.get(f"/arsip/{ids[PELA]}").status_code == 404
    assert client.get(f"/arsip/{ids[PELA]}/berkas/1").status_code == 404


def test_job_progress_json(client, auth):
    auth.login("arsiparis")
    upload(client, [("scan.png", image_bytes(76, "PNG", lines=3))])
    status = client.get("/arsip/tugas/status.json").get_json()
    assert status["counts"]["selesai"] == 1 and status["persen"] == 100
    assert "scan" in client.get("/arsip/tugas").get_data(as_text=True)


def test_jra_form_shows_every_error_and_never_500s(client, auth):
    auth.login("arsiparis")
    response = client.post("/arsip/klasifikasi/permendagri-83-2022/jra/0",
                           data={"code": "9.9", "aktif_tahun": "abc", "inaktif_tahun": "-1",
                                 "keterangan": "dibakar", "dasar": "", "jenis_arsip": "x" * 400})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for text in ("tidak ada dalam skema", "Isi jumlah tahun", "Pilih Musnah", "Dasar hukum"):
        assert text in page
    assert client.post("/arsip/klasifikasi/permendagri-78-2012/jra/0",
                       data={"code": "471", "jenis_arsip": "x", "inaktif_tahun": "1",
                             "keterangan": "musnah", "dasar": "x"}).status_code == 422
    assert client.get("/arsip/klasifikasi/?skema=tidak-ada").status_code == 404


PANITIA = {"panitia-0-unsur": "ketua", "panitia-0-nama": "Hj. Noorhayati, S.AP.",
           "panitia-0-nip": "198003142006042011", "panitia-0-jabatan": "Kepala Subbagian Umum",
           "panitia-1-unsur": "unit_pengolah", "panitia-1-nama": "Ahmad Rifani, S.Sos.",
           "panitia-1-jabatan": "Kepala Seksi Pelayanan", "panitia-2-unsur": "arsiparis",
           "panitia-2-nama": "Siti Aisyah, A.Md.", "panitia-2-jabatan": "Arsiparis",
           "penilaian_panitia": "Tidak bernilai guna lagi.",
           "penilaian_tanggal": dt.date.today().isoformat()}


def test_disposition_through_the_browser_to_its_berita_acara(client, auth, app):
    auth.login("arsiparis")
    upload(client, [("lama.pdf", text_pdf(77))], klasifikasi="400.12.2.1", tanggal="2015-01-05",
           judul="Berkas KTP 2015")
    with app.app_context():
        record_id = db.session.scalar(select(Arsip.record_id))
    due = client.get("/arsip/penyusutan/").get_data(as_text=True)
    assert "Berkas KTP 2015" in due
    proposed = client.post("/arsip/penyusutan/usul", data={"ids": [str(record_id)]})
    assert proposed.status_code == 302
    with app.app_context():
        batch_id = db.session.scalar(select(Penyusutan.id))
    short = client.post(f"/arsip/penyusutan/{batch_id}/nilai",
                        data={"panitia-0-unsur": "ketua", "panitia-0-nama": "Hj. Noorhayati",
                              "panitia-0-nip": "198003142006042011", "panitia-0-jabatan": "Kasubbag"})
    page = short.get_data(as_text=True)
    assert short.status_code == 422 and "paling sedikit 3 anggota" in page
    assert 'value="Hj. Noorhayati"' in page  # the refused form comes back filled in
    assert client.post(f"/arsip/penyusutan/{batch_id}/nilai", data=PANITIA).status_code == 302
    auth.logout()
    auth.login("camat")
    assert "Setujui dan musnahkan" in client.get(f"/arsip/penyusutan/{batch_id}").get_data(as_text=True)
    refused = client.post(f"/arsip/penyusutan/{batch_id}/setujui",
                          data={"tempat": "Kantor Camat Kota Bangun", "metode": "Pencacahan"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "persetujuan tertulis Bupati Kutai Kartanegara" in page and "paling sedikit 2" in page
    with app.app_context():
        assert db.session.get(Penyusutan, batch_id).status == "diusulkan"
    client.post(f"/arsip/penyusutan/{batch_id}/setujui",
                data={"tempat": "Kantor Camat Kota Bangun", "metode": "Pencacahan",
                      "persetujuan_kepala_daerah": "000.5.6.2/412/Bag.Org",
                      "persetujuan_kepala_daerah_tanggal": "2026-11-20",
                      "saksi-0-nama": "Muhammad Yusuf, S.H.", "saksi-0-jabatan": "Kasi Trantib",
                      "saksi-1-nama": "Rina Marlina, S.E.", "saksi-1-jabatan": "Kasubbag Program"})
    page = client.get(f"/arsip/penyusutan/{batch_id}").get_data(as_text=True)
    assert "Dimusnahkan; berita acara nomor" in page
    with app.app_context():
        batch = db.session.get(Penyusutan, batch_id)
        link = f"/arsip/{batch.berita_acara_id}/berkas/{batch.berita_acara.files[0].id}"
    pdf = client.get(link)
    assert pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "BERITA ACARA PEMUSNAHAN ARSIP" in text and "Berkas KTP 2015" in text
    shown = client.get(f"/arsip/{record_id}").get_data(as_text=True)
    # the tombstone names what was destroyed, in words for the Camat; its hashes (the proof of
    # which bytes were destroyed) are in the Admin's "Detail teknis"
    assert "Dimusnahkan" in shown and "Pindaian asli" in shown and "SHA-256" not in shown
    with app.app_context():
        gone = [f["sha256"] for f in db.session.get(Penyusutan, batch_id).items[0].tombstone["files"]]
    auth.logout()
    auth.login("admin")
    proof = client.get(f"/arsip/{record_id}").get_data(as_text=True)
    assert "Dimusnahkan" in proof and all(f"SHA-256 {sha}" in proof for sha in gone) and gone


def _token(client, username):
    from records.services.setup import DEMO_PASSWORD

    reply = client.post("/api/v1/security/login", json={"username": username,
                                                        "password": DEMO_PASSWORD,
                                                        "provider": "db"})
    return {"Authorization": f"Bearer {reply.get_json()['access_token']}"}


def test_rest_api_upload_list_and_masking(client, app, nik):
    arsiparis = _token(client, "arsiparis")
    sent = client.post("/api/v1/arsip/pindaian", headers=arsiparis,
                       data={"berkas": (io.BytesIO(text_pdf(78)), "api.pdf"), "nik": nik,
                             "klasifikasi": "400.12.2.1"}, content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_json()
    record_id = sent.get_json()["result"]["record_id"]
    again = client.post("/api/v1/arsip/pindaian", headers=arsiparis,
                        data={"berkas": (io.BytesIO(text_pdf(78)), "lagi.pdf")},
                        content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["result"]["status"] == "duplikat"
    bad = client.post("/api/v1/arsip/pindaian", headers=arsiparis,
                      data={"berkas": (io.BytesIO(b""), "kosong.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "0 byte" in bad.get_json()["result"]["reason"]
    shown = client.get(f"/api/v1/arsip/{record_id}", headers=arsiparis).get_json()["result"]
    assert shown["nik"] == [nik[:6] + "●" * 6 + nik[12:]]
    camat = _token(client, "camat")
    assert client.get(f"/api/v1/arsip/{record_id}", headers=camat).get_json()["result"]["nik"] == [nik]
    assert client.post("/api/v1/arsip/pindaian", headers=camat,
                       data={"berkas": (io.BytesIO(text_pdf(79)), "x.pdf")},
                       content_type="multipart/form-data").status_code == 403
    humas = _token(client, "humas")
    assert client.get("/api/v1/arsip/", headers=humas).status_code == 403
    assert client.get("/api/v1/arsip/").status_code == 401


def test_rest_api_takes_many_files_and_a_sidecar_through_the_same_pipeline(client, app):
    """The REST upload with several files and the CSV sidecar answers one line per file named
    on either side: archived with its row's metadata, refused with the reason, or missing."""
    arsiparis = _token(client, "arsiparis")
    sidecar = (b"berkas,judul,klasifikasi,desa,tanggal\n"
               b"a.pdf,Notulen rapat 2016,000.1.5,Loleng,2016-03-01\n"
               b"hilang.pdf,Hilang,000.1.5,Loleng,2016-01-01\n")
    sent = client.post("/api/v1/arsip/pindaian", headers=arsiparis, data={
        "berkas": [(io.BytesIO(text_pdf(83)), "a.pdf"), (io.BytesIO(b""), "kosong.pdf")],
        "metadata": (io.BytesIO(sidecar), "metadata.csv")}, content_type="multipart/form-data")
    assert sent.status_code == 200, sent.get_json()
    lines = {r["berkas"]: r for r in sent.get_json()["result"]}
    assert set(lines) == {"a.pdf", "kosong.pdf", "hilang.pdf"}
    assert lines["a.pdf"]["status"] == "diimpor" and lines["kosong.pdf"]["status"] == "gagal"
    assert "0 byte" in lines["kosong.pdf"]["reason"] and lines["hilang.pdf"]["status"] == "gagal"
    with app.app_context():
        archived = db.session.get(Arsip, lines["a.pdf"]["record_id"])
        assert (archived.record.title, archived.klasifikasi) == ("Notulen rapat 2016", "000.1.5")


def test_record_actions_in_the_browser(client, auth, app):
    import zipfile

    auth.login("arsiparis")
    upload(client, [("sop.pdf", text_pdf(80))], klasifikasi="000.8.3.3", judul="SOP Pelayanan")
    upload(client, [("kep.pdf", text_pdf(81))], klasifikasi="100.3.3", tanggal="2001-02-03",
           judul="Keputusan Camat 2001")
    with app.app_context():
        ids = {a.record.title: a.record_id for a in db.session.scalars(select(Arsip))}
    sop = ids["SOP Pelayanan"]
    assert "tidak ada baris JRA" not in client.get(f"/arsip/{sop}").get_data(as_text=True)
    client.post(f"/arsip/{sop}/tutup", data={"tanggal": "2010-01-02"})  # selama berlaku → closed
    client.post(f"/arsip/{sop}/ganti", data={"berkas": (io.BytesIO(text_pdf(82, pages=2)), "sop2.pdf"),
                                             "alasan": "Revisi SOP"},
                content_type="multipart/form-data")
    client.post(f"/arsip/{sop}/tahan", data={"tahan": "1", "alasan": "Pemeriksaan Inspektorat"})
    with app.app_context():
        arsip = db.session.get(Arsip, sop)
        assert (arsip.ditutup_pada.isoformat(), arsip.retensi_sampai.isoformat()) == (
            "2010-01-02", "2015-01-02")
        assert (arsip.versi, arsip.halaman, arsip.legal_hold) == (2, 2, True)
    page = client.get(f"/arsip/{sop}").get_data(as_text=True)
    assert "Revisi SOP" in page and "Pemeriksaan Inspektorat" in page

    edited = client.post("/arsip/klasifikasi/permendagri-83-2022/jra/0",
                         data={"code": "000.1.5", "series": "", "jenis_arsip": "Notula rapat desa",
                               "aktif_tahun": "2", "inaktif_tahun": "3",
                               "keterangan": "dinilai_kembali", "dasar": "JRA Kukar (uji)"})
    assert edited.status_code == 302
    assert "Notula rapat desa" in client.get("/arsip/klasifikasi/").get_data(as_text=True)

    bag = client.post("/arsip/penyusutan/serah", data={"pilihan": "permanen", "serahkan": "1"})
    assert bag.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(bag.data)).namelist()
    assert "paket/bagit.txt" in names and any(n.endswith("metadata.json") for n in names)
    with app.app_context():
        kept = db.session.get(Arsip, ids["Keputusan Camat 2001"])
        assert kept.status == "diserahkan"
        assert db.session.get(Arsip, sop).status == "tersimpan"  # on hold: not transferred


def test_the_archive_page_speaks_to_clerks_and_keeps_hashes_for_the_admin(client, auth, app):
    """Sizes in KB/MB and what the text status means, for everyone; SHA-256 and byte counts
    only in the Admin's "Detail teknis" fold; a library's exception name never as a reason."""
    auth.login("arsiparis")
    page = upload(client, [("notulen.pdf", text_pdf(84)),
                           ("potong.pdf", text_pdf(85, pages=2)[:300])],
                  klasifikasi="000.1.5").get_data(as_text=True)
    assert "rusak atau terpotong" in page and "Error" not in page and "Detail teknis" not in page
    with app.app_context():
        [arsip] = db.session.scalars(select(Arsip)).all()
        size = arsip.record.files[0].size
    clerk = client.get(f"/arsip/{arsip.record_id}").get_data(as_text=True)
    assert "SHA-256" not in clerk and "Detail teknis" not in clerk and f"{size} B" not in clerk
    assert " KB" in clerk and "teks sudah ada di berkas" in clerk and "teks_asli" not in clerk
    auth.logout()
    auth.login("admin")
    admin = client.get(f"/arsip/{arsip.record_id}").get_data(as_text=True)
    assert "Detail teknis" in admin and "SHA-256" in admin
    assert upload(client, [("potong2.pdf", text_pdf(86, pages=2)[:300])]).get_data(
        as_text=True).count("Detail teknis") == 1


def test_upload_with_a_csv_sidecar_goes_through_the_folder_pipeline(client, auth, app, nik):
    """Many files plus the same CSV sidecar as `lemari import-scans`: each file takes its row's
    metadata, and a row naming a file that was not uploaded is reported, not dropped."""
    auth.login("arsiparis")
    sidecar = (b"berkas,judul,klasifikasi,desa,tanggal\n"
               b"a.pdf,Surat domisili lama,400.12.2.1,Loleng,2018-05-02\n"
               b"b.png,Catatan rapat desa,000.1.5,Pela,2017-01-09\n"
               b"tidak-ada.pdf,Hilang,400.12.2.1,Loleng,2018-01-01\n")
    data = {"berkas": [(io.BytesIO(text_pdf(80)), "a.pdf"),
                       (io.BytesIO(image_bytes(81, "PNG", lines=2)), "b.png")],
            "metadata": (io.BytesIO(sidecar), "metadata.csv")}
    response = client.post("/arsip/unggah", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "tidak-ada.pdf" in page and "tidak ada di folder" in page
    with app.app_context():
        rows = {a.record.title: a for a in db.session.scalars(select(Arsip))}
        assert rows["Surat domisili lama"].klasifikasi == "400.12.2.1"
        assert rows["Catatan rapat desa"].klasifikasi == "000.1.5"
        assert rows["Catatan rapat desa"].record.desa_code == PELA


def test_a_sidecar_that_is_not_utf8_refuses_the_upload_and_archives_nothing(client, auth, app):
    auth.login("arsiparis")
    data = {"berkas": [(io.BytesIO(text_pdf(82)), "a.pdf")],
            "metadata": (io.BytesIO("berkas,judul\na.pdf,Caf\xe9\n".encode("latin-1")), "m.csv")}
    response = client.post("/arsip/unggah", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "UTF-8" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Arsip)).all() == []
