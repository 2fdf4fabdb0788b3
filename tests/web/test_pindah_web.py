"""The Admin's "Pindah ke Lemari" page and the moving-in uploads, as the Admin clicks them:
the checklist (core lines and the archive's, through the hook), continuing a register with
its berita acara, an OpenSID export and a daftar arsip uploaded; bad input is a 422 with the
row named, never a 500."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from archive.models import Arsip
from records.extensions import db
from records.models import NomorLanjutan, Penduduk

LOLENG = "64.02.08.2004"


def xlsx(header, *rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_checklist_shows_every_line_and_the_admin_continues_a_register(app, client, auth):
    auth.login("admin")
    page = client.get("/pindah/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for line in ("Pengaturan kantor disimpan", "dilanjutkan dari buku kertas",
                 "Penduduk tiap desa diimpor", "Daftar arsip lemari besi diimpor"):
        assert line in text, line
    bad = client.post("/pindah/lanjutkan", data={"register": "surat_keluar",
                                                 "nomor_terakhir": "tiga ratus"})
    assert bad.status_code == 422 and "Isi dengan angka" in bad.get_data(as_text=True)
    done = client.post("/pindah/lanjutkan", data={"register": "surat_keluar",
                                                  "nomor_terakhir": "300",
                                                  "teks": "470/300/KB/VI/2026",
                                                  "keterangan": "Buku agenda hal. 31"})
    assert done.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(NomorLanjutan))
        assert row.nomor_terakhir == 300
        row_id = row.id
    ba = client.get(f"/pindah/berita-acara/{row_id}").get_data(as_text=True)
    assert "BERITA ACARA PERALIHAN REGISTER NOMOR" in ba and "301" in ba and "470/300/KB/VI/2026" in ba
    assert "Selesai" in client.get("/pindah/").get_data(as_text=True)


def test_a_clerk_cannot_open_the_checklist(client, auth):
    auth.login("petugas")
    assert client.get("/pindah/").status_code == 403


def test_an_opensid_export_uploads_and_a_bad_one_names_its_row(app, client, auth):
    auth.login("admin")
    header = ("alamat", "dusun", "rw", "rt", "nama", "no_kk", "nik", "sex", "tempatlahir",
              "tanggallahir", "agama_id", "pendidikan_kk_id", "pekerjaan_id", "status_kawin",
              "kk_level", "warganegara_id", "nama_ayah", "nama_ibu", "golongan_darah_id")
    good = ("JL. POROS", "I", "1", "2", "WARGA PINDAHAN", "6402081203159901",
            "6402081708809901", "1", "KOTA BANGUN", "17-08-1980", "1", "5", "9", "1", "1", "1",
            "AYAH", "IBU", "13")
    response = client.post("/penduduk-impor/", data={
        "format": "opensid", "desa": LOLENG,
        "berkas": (io.BytesIO(xlsx(header, good)), "loleng.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "dibuat" in response.get_data(as_text=True)
    bad = list(good)
    bad[6], bad[10] = "6402081708809902", "99"
    refused = client.post("/penduduk-impor/", data={
        "format": "opensid", "desa": LOLENG,
        "berkas": (io.BytesIO(xlsx(header, bad)), "loleng.xlsx")},
        content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Kode agama &#39;99&#39; tidak dikenal" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Penduduk).where(
            Penduduk.nik == "6402081708809902")) == 0


def test_a_daftar_arsip_uploads_on_the_archive_page(app, client, auth):
    auth.login("arsiparis")
    header = ("No", "Kode Klasifikasi", "Uraian", "Kurun Waktu", "Lemari", "Rak", "Boks")
    data = xlsx(header, (1, "471.14", "Berkas KK Desa Loleng", "2014", "1", "2", "9"))
    response = client.post("/arsip/daftar-arsip", data={"berkas": (io.BytesIO(data), "d.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "Permendagri 83/2022" in response.get_data(as_text=True)
    bad = xlsx(header, (1, "999.9", "Kode asing", "2014", "1", "2", "9"))
    refused = client.post("/arsip/daftar-arsip", data={"berkas": (io.BytesIO(bad), "d.xlsx")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "999.9 tidak dikenal" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Arsip).where(
            Arsip.sumber == "kertas")) == 1
