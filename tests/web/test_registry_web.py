"""Registry screens as a clerk uses them: the import page and the add/edit forms, never a 500."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from records.extensions import db
from records.models import Penduduk
from records.nik import make_nik, make_no_kk

LOLENG, ULU = "64.02.08.2004", "64.02.08.2005"
BORN = dt.date(1990, 8, 17)
NEW_NIK = make_nik("64.02.08", BORN, "L", 9901)
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
HEADER = "nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,alamat,rt,rw,desa_code,agama," \
         "status_perkawinan,pekerjaan,no_kk,hubungan"
KK = make_no_kk("64.02.08", dt.date(2024, 1, 15), 9901)


def csv_file(*rows: str) -> bytes:
    return "\r\n".join([HEADER, *rows]).encode("utf-8")


def row(nik: str = NEW_NIK, nama: str = "BUDI SANTOSO", agama: str = "ISLAM") -> str:
    return (f"{nik},{nama},KOTA BANGUN,17-08-1990,LAKI-LAKI,JL. PESUT,1,2,{LOLENG},{agama},"
            f"BELUM KAWIN,PETANI/PEKEBUN,{KK},KEPALA KELUARGA")


def form(**changes) -> dict:
    """What the add form posts (field names read from GET /pendudukview/add)."""
    data = {"nik": NEW_NIK, "nama": "BUDI SANTOSO", "tempat_lahir": "KOTA BANGUN",
            "tanggal_lahir": BORN.isoformat(), "jenis_kelamin": "LAKI-LAKI",
            "golongan_darah": "O", "agama": "ISLAM", "status_perkawinan": "BELUM KAWIN",
            "pekerjaan": "PETANI/PEKEBUN", "pendidikan": "", "kewarganegaraan": "WNI",
            "alamat": "JL. PESUT", "rt": "001", "rw": "002", "desa": LOLENG, "keluarga": "",
            "hubungan": "", "nama_ayah": "", "nama_ibu": ""}
    return {**data, **changes}


def upload(client, data: bytes, name: str = "warga.csv"):
    return client.post("/penduduk-impor/", data={"berkas": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def stored(app, nik: str = NEW_NIK) -> Penduduk | None:
    """The resident with `nik`, detached but fully loaded (family included)."""
    with app.app_context():
        person = db.session.scalar(select(Penduduk).where(Penduduk.nik == nik))
        if person is not None:
            _ = person.keluarga  # load before the session closes
            db.session.expunge(person)
        return person


def total(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Penduduk.id)))


def test_add_form_field_names_match_what_the_tests_post(client, auth):
    auth.login("petugas")
    page = client.get("/pendudukview/add").get_data(as_text=True)
    names = set(re.findall(r'<(?:input|select)[^>]*\bname="([^"]+)"', page))
    assert set(form()) <= names
    assert f'value="{LOLENG}"' in page


def test_import_page_good_file_reports_success(app, client, auth):
    auth.login("petugas")
    response = upload(client, csv_file(row()))
    assert response.status_code == 200
    assert "1 penduduk berhasil diimpor." in response.get_data(as_text=True)
    assert stored(app).keluarga.no_kk == KK


def test_import_page_bad_file_shows_error_rows_and_saves_nothing(app, client, auth):
    auth.login("petugas")
    before = total(app)
    other = make_nik("64.02.08", BORN, "L", 9902)
    response = upload(client, csv_file(row(), row(nik=other[:15]), row(nik=other, nama="")))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    assert ("3", "NIK", "NIK harus 16 digit angka (ditemukan 15 digit)") in cells
    assert ("4", "Nama", "Nama wajib diisi.") in cells
    assert total(app) == before


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "warga.csv", "Berkas kosong."),
    (b"nama,hobi\r\nA,B", "warga.csv", "Kolom tidak dikenal pada baris 1: hobi"),
    (csv_file(row()).replace(b"BUDI", "JOSÉ".encode("cp1252")), "warga.csv", "bukan UTF-8 (baris 2)"),
    (csv_file(row()), "warga.xlsx", "bukan berkas Excel (.xlsx) yang sah"),
])
def test_import_page_refuses_bad_files_with_a_message(app, client, auth, data, name, message):
    auth.login("petugas")
    response = upload(client, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_import_page_without_file_is_400(client, auth):
    auth.login("petugas")
    assert client.post("/penduduk-impor/", data={}).status_code == 400


def test_html_in_a_name_is_stored_and_shown_escaped(app, client, auth):
    auth.login("petugas")
    assert upload(client, csv_file(row(nama=SCRIPT))).status_code == 200
    person = stored(app)
    assert person.nama == SCRIPT
    for url, query in ((f"/pendudukview/show/{person.id}", {}),
                       ("/pendudukview/list/", {"_flt_0_nama": "<script>"}),
                       (f"/keluargaview/show/{person.keluarga_id}", {})):
        page = client.get(url, query_string=query).get_data(as_text=True)
        assert SCRIPT not in page, url
        assert ESCAPED in page, url


def test_html_in_an_import_error_is_shown_escaped(app, client, auth):
    auth.login("petugas")
    response = upload(client, csv_file(row(agama=SCRIPT)))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert SCRIPT not in page and ESCAPED in page


def test_add_form_with_invalid_nik_rerenders_with_message_and_typed_values(app, client, auth):
    auth.login("petugas")
    before = total(app)
    response = client.post("/pendudukview/add", data=form(nik=NEW_NIK[:15], nama="SITI RAHMAH"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "NIK harus 16 digit angka (ditemukan 15 digit)" in page
    assert 'value="SITI RAHMAH"' in page and f'value="{NEW_NIK[:15]}"' in page
    assert total(app) == before


def test_add_form_with_duplicate_nik_rerenders_with_service_message(app, client, auth):
    with app.app_context():
        person = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG).limit(1))
        taken, born, sex = person.nik, person.tanggal_lahir.isoformat(), person.jenis_kelamin
    auth.login("petugas")
    before = total(app)
    response = client.post("/pendudukview/add", data=form(
        nik=taken, tanggal_lahir=born, jenis_kelamin=sex, nama="SITI RAHMAH"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"NIK {taken} sudah terdaftar untuk penduduk lain." in page
    assert 'value="SITI RAHMAH"' in page
    assert total(app) == before


@pytest.mark.parametrize("username", ["petugas", "operator_loleng"])
def test_valid_add_form_creates_the_resident(app, client, auth, username):
    auth.login(username)
    response = client.post("/pendudukview/add", data=form())
    assert response.status_code == 302
    person = stored(app)
    assert (person.nama, person.desa_code, person.rt, person.nama_ayah) == \
        ("BUDI SANTOSO", LOLENG, "001", "")


def test_birth_date_mismatch_saves_and_warns(app, client, auth):
    auth.login("petugas")
    response = client.post("/pendudukview/add", data=form(tanggal_lahir="1990-08-18"),
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Tanggal lahir berbeda dengan NIK (NIK tetap berlaku)" in response.get_data(as_text=True)
    assert stored(app).tanggal_lahir == dt.date(1990, 8, 18)


def test_operator_cannot_add_resident_to_another_desa(app, client, auth):
    auth.login("operator_loleng")
    before = total(app)
    response = client.post("/pendudukview/add", data=form(desa=ULU))
    assert response.status_code == 200  # the form again: Ulu is not among the choices offered
    assert 'value="BUDI SANTOSO"' in response.get_data(as_text=True)
    assert stored(app) is None and total(app) == before


def test_edit_to_duplicate_nik_rerenders_and_changes_nothing(app, client, auth):
    with app.app_context():
        first, second = db.session.scalars(
            select(Penduduk).where(Penduduk.desa_code == LOLENG).order_by(Penduduk.id).limit(2)).all()
        taken, own, pk = first.nik, second.nik, second.id
        data = form(nik=taken, nama=second.nama, tempat_lahir=second.tempat_lahir,
                    tanggal_lahir=first.tanggal_lahir.isoformat(), jenis_kelamin=first.jenis_kelamin,
                    keluarga=str(second.keluarga_id or ""), rt=second.rt, rw=second.rw)
    auth.login("petugas")
    response = client.post(f"/pendudukview/edit/{pk}", data=data)
    assert response.status_code == 200
    assert f"NIK {taken} sudah terdaftar untuk penduduk lain." in response.get_data(as_text=True)
    assert stored(app, own) is not None
