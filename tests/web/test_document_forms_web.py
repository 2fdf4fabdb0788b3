"""The drafting form of issue 15 over HTML: the klasifikasi chosen per letter, a non-resident
applicant typed from the KTP-el, refusals in Indonesian with nothing saved, the NIK masked on
the record page for roles without the full-NIK right, and no new IUMK."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from records.extensions import db
from records.models import Penduduk, Record
from records.nik import make_nik, mask_nik

LOLENG = "64.02.08.2004"
NIK = make_nik("64.02.05", dt.date(1995, 10, 4), "P", 2)
NONPERMANEN = {"keperluan": "Melamar pekerjaan", "pemohon_nonpermanen": "1", "np_nik": NIK,
               "np_nama": "Nurul Hidayah", "np_tempat_lahir": "Tenggarong",
               "np_tanggal_lahir": "1995-10-04", "np_jenis_kelamin": "PEREMPUAN",
               "np_alamat_asal": "Jl. Diponegoro 5, Tenggarong", "np_alamat": "Jl. Pesut 3",
               "np_desa": LOLENG}


def records(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Record))


def test_form_offers_the_klasifikasi_with_the_types_default_and_the_list(client, auth):
    auth.login("camat")
    text = client.get("/dokumen/baru/surat_undangan").get_data(as_text=True)
    assert 'name="klasifikasi"' in text and 'value="000.1.5"' in text
    assert '<option value="400.14.9">' in text  # the Permendagri 83/2022 list to choose from


def test_unknown_klasifikasi_is_a_form_error_and_nothing_is_saved(app, client, auth):
    auth.login("camat")
    before = records(app)
    response = client.post("/dokumen/baru/surat_dinas", data={
        "sifat": "Biasa", "hal": "x", "tujuan": "y", "tempat_tujuan": "z", "isi": "w",
        "klasifikasi": "999.9"})
    assert response.status_code == 422
    assert "Kode klasifikasi 999.9 tidak ada dalam daftar" in response.get_data(as_text=True)
    assert records(app) == before


def test_non_resident_domisili_over_the_form_is_masked_for_the_auditor(app, client, auth):
    auth.login("petugas")
    form = client.get("/dokumen/baru/sk_domisili_penduduk").get_data(as_text=True)
    assert 'name="pemohon_nonpermanen"' in form and "Loleng" in form
    response = client.post("/dokumen/baru/sk_domisili_penduduk", data=NONPERMANEN)
    assert response.status_code == 302, response.get_data(as_text=True)
    record_id = int(re.fullmatch(r".*/dokumen/(\d+)", response.headers["Location"]).group(1))
    page = client.get(f"/dokumen/{record_id}").get_data(as_text=True)
    assert NIK in page and "penduduk nonpermanen" in page
    auth.logout()
    auth.login("auditor")
    page = client.get(f"/dokumen/{record_id}").get_data(as_text=True)
    assert NIK not in page and mask_nik(NIK) in page


def test_non_resident_with_a_bad_nik_is_refused_in_indonesian(app, client, auth):
    auth.login("petugas")
    before = records(app)
    response = client.post("/dokumen/baru/sk_domisili_penduduk",
                           data={**NONPERMANEN, "np_nik": "1234567890123456"})
    assert response.status_code == 422
    assert "NIK tidak valid" in response.get_data(as_text=True)
    assert records(app) == before


def test_iumk_cannot_be_drafted_over_the_form(app, client, auth):
    auth.login("petugas")
    assert "/dokumen/baru/iumk" not in client.get("/dokumen/baru").get_data(as_text=True)
    before = records(app)
    with app.app_context():
        nik = db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == LOLENG))
    response = client.post("/dokumen/baru/iumk", data={
        "nik": nik, "nama_usaha": "Kios", "kegiatan_usaha": "Dagang", "sarana_usaha": "Kios",
        "alamat_usaha": "Pasar", "jumlah_modal": "1000000"})
    assert response.status_code == 422
    assert "tidak lagi diterbitkan" in response.get_data(as_text=True)
    assert records(app) == before
