"""Issuing as the office does it, through the browser and the REST API on a real app.

A clerk takes a request (receipt PDF), the workflow runs through the web buttons, the Camat
signs, the clerk issues, and anyone verifies by code, by QR link and by upload; revocation,
batch print, desa scope, read-only roles, JWT API and hostile field values are covered too.
Everything is real: SQLite, WeasyPrint, pyHanko, the archive.
"""

from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from records.extensions import db
from records.models import IssuedNumber, Penduduk, Record, RecordFile
from records.nik import mask_nik
from records.services.setup import DEMO_PASSWORD
from records.verification import mask_name

LOLENG = "64.02.08.2004"
LAYANAN = "sk_domisili"
REQUIREMENTS = ["Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"]
PDF = "application/pdf"
SAH = "SAH — dokumen tercatat dan berlaku"


# --- helpers ------------------------------------------------------------------------------

def resident(app) -> dict:
    """A demo resident of Desa Loleng (id, NIK, name)."""
    with app.app_context():
        person = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG)
                                   .order_by(Penduduk.id))
        return {"id": person.id, "nik": person.nik, "nama": person.nama}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def record_row(app, record_id) -> dict:
    with app.app_context():
        record = db.session.get(Record, record_id)
        return {"state": record.state, "number": record.number,
                "verify_code": record.verify_code, "tracking_code": record.tracking_code,
                "promised_date": record.promised_date, "history": len(record.history),
                "files": {f.kind: f.id for f in record.files}}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    """Text without whitespace, so a value wrapped over two lines still matches."""
    return "".join(text.split())


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def action_names(text: str) -> set[str]:
    return set(re.findall(r'action="/dokumen/\d+/langkah/(\w+)"', text))


def login_as(client, username):
    client.get("/logout/")
    response = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "/login" not in response.location, username


def take_request(client, nik, keperluan="Melamar pekerjaan", received=REQUIREMENTS):
    return client.post(f"/dokumen/permohonan/{LAYANAN}",
                       data={"nik": nik, "persyaratan": list(received), "keperluan": keperluan,
                             "tetap_buat": "1"})  # some tests take two for one resident


def taken(client, nik, keperluan="Melamar pekerjaan") -> int:
    response = take_request(client, nik, keperluan)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(re.fullmatch(r".*/dokumen/(\d+)", response.location).group(1))


def step(client, record_id, name, note=""):
    return client.post(f"/dokumen/{record_id}/langkah/{name}", data={"note": note})


def issue_via_web(client, app, nik, keperluan="Melamar pekerjaan") -> int:
    """petugas takes and verifies, camat signs, petugas issues; the client ends as petugas."""
    login_as(client, "petugas")
    record_id = taken(client, nik, keperluan)
    assert step(client, record_id, "verifikasi").status_code == 302
    login_as(client, "camat")
    assert step(client, record_id, "tandatangani").status_code == 302
    login_as(client, "petugas")
    assert step(client, record_id, "terbitkan").status_code == 302
    assert record_row(app, record_id)["state"] == "terbit"
    return record_id


def download(client, app, record_id, kind) -> bytes:
    file_id = record_row(app, record_id)["files"][kind]
    response = client.get(f"/dokumen/{record_id}/berkas/{file_id}")
    assert response.status_code == 200
    assert response.mimetype == PDF
    return response.data


def upload(client, pdf: bytes):
    return client.post("/verify", data={"berkas": (io.BytesIO(pdf), "surat.pdf")},
                       content_type="multipart/form-data")


def tampered(pdf: bytes) -> bytes:
    """The same file with one byte inside the signed range changed."""
    middle = len(pdf) // 3
    changed = bytearray(pdf)
    changed[middle] = (changed[middle] + 1) % 256
    return bytes(changed)


def token(client, username) -> dict:
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


# --- 1. intake and receipt ----------------------------------------------------------------

def test_clerk_takes_request_and_downloads_receipt(app, client, auth):
    person = resident(app)
    auth.login("petugas")
    choose = client.get("/dokumen/permohonan")
    assert choose.status_code == 200
    assert "Surat Keterangan Domisili Penduduk" in body(choose)
    assert f'href="/dokumen/permohonan/{LAYANAN}"' in choose.get_data(as_text=True)
    form = client.get(f"/dokumen/permohonan/{LAYANAN}")
    assert form.status_code == 200 and "Fotokopi Kartu Keluarga" in body(form)

    response = take_request(client, person["nik"], "Melamar pekerjaan")
    assert response.status_code == 302
    record_id = int(re.fullmatch(r".*/dokumen/(\d+)", response.location).group(1))
    row = record_row(app, record_id)
    assert re.fullmatch(r"KB-[0-9A-Z]{8}", row["tracking_code"])
    assert row["state"] == "diajukan" and set(row["files"]) == {"tanda_terima"}

    shown = client.get(response.location)
    assert shown.status_code == 200
    text = body(shown)
    assert row["tracking_code"] in text
    assert row["promised_date"].strftime("%d-%m-%Y") in text
    receipt_link = f'/dokumen/{record_id}/berkas/{row["files"]["tanda_terima"]}'
    assert f'href="{receipt_link}"' in shown.get_data(as_text=True)

    receipt = client.get(receipt_link)
    assert receipt.status_code == 200 and receipt.mimetype == PDF
    receipt_text = text_of(receipt.data)
    assert row["tracking_code"] in receipt_text
    assert "Biaya: Rp 0 (GRATIS)" in receipt_text
    assert person["nik"] not in squeezed(receipt_text)
    assert mask_nik(person["nik"])[:6] in receipt_text


def test_invalid_nik_is_a_form_error_that_keeps_the_typed_values(app, client, auth):
    auth.login("petugas")
    before = count(app, Record)
    response = take_request(client, "6402081234", "Keperluan yang sudah diketik")
    assert response.status_code == 422
    text = body(response)
    assert 'value="6402081234"' in text
    assert "Keperluan yang sudah diketik" in text
    assert "16 digit" in text  # the Indonesian reason next to the field
    for item in REQUIREMENTS:  # ticked boxes stay ticked
        assert f'value="{item}" checked' in text
    assert count(app, Record) == before
    assert count(app, RecordFile) == 0


def test_operator_cannot_take_a_request_for_a_resident_of_another_desa(app, client, auth):
    auth.login("operator_pela")
    before = count(app, Record)
    response = take_request(client, resident(app)["nik"])
    assert response.status_code == 422
    assert "NIK tidak terdaftar di data penduduk." in body(response)
    assert count(app, Record) == before


def test_unknown_requirement_is_refused(app, client, auth):
    auth.login("petugas")
    response = take_request(client, resident(app)["nik"], received=["Surat sakti"])
    assert response.status_code == 422
    assert "Persyaratan tidak dikenal: Surat sakti" in body(response)
    assert count(app, Record) == 0 and count(app, RecordFile) == 0


# --- workflow, issue, verify, revoke --------------------------------------------------------

def test_workflow_issue_verify_and_revoke_through_the_web(app, client, auth):
    person = resident(app)
    auth.login("petugas")
    record_id = taken(client, person["nik"])
    assert step(client, record_id, "verifikasi", "Berkas lengkap").status_code == 302
    assert record_row(app, record_id)["state"] == "diverifikasi"

    # a clerk may not sign: refused with a flashed message, nothing changes
    before = record_row(app, record_id)
    refused = step(client, record_id, "tandatangani")
    assert refused.status_code == 302
    page = body(client.get(refused.location))
    assert "alert-danger" in page
    assert record_row(app, record_id) == before
    assert "tandatangani" not in action_names(page)

    login_as(client, "camat")
    assert step(client, record_id, "tandatangani", "Disetujui").status_code == 302
    assert record_row(app, record_id)["state"] == "ditandatangani"

    login_as(client, "petugas")
    issued = step(client, record_id, "terbitkan")
    assert issued.status_code == 302
    row = record_row(app, record_id)
    assert row["state"] == "terbit"
    assert re.fullmatch(r"400\.12\.2\.1/\d{4}/Kec\.KB/20\d\d", row["number"])
    page = body(client.get(issued.location))
    assert row["number"] in page and row["verify_code"] in page

    # a second click says so, and takes no number
    again = body(client.get(step(client, record_id, "terbitkan").location))
    assert f"sudah terbit dengan nomor {row['number']}" in html.unescape(again)
    assert count(app, IssuedNumber) == 1

    pdf = download(client, app, record_id, "terbit")
    assert row["number"] in text_of(pdf)

    public = app.test_client()  # anonymous visitor
    by_link = public.get(f"/verify/{row['verify_code']}")
    assert by_link.status_code == 200
    text = body(by_link)
    assert SAH in text and "TIDAK SAH" not in text
    assert mask_name(person["nama"]) in text
    assert person["nik"] not in text and mask_nik(person["nik"]) not in text
    assert person["nama"] not in text

    typed = public.get("/verify", query_string={"kode": row["verify_code"].lower()})
    assert typed.status_code == 200 and SAH in body(typed)

    good = upload(public, pdf)
    assert good.status_code == 200
    assert SAH in body(good) and row["number"] in body(good)

    bad = upload(public, tampered(pdf))
    assert bad.status_code == 200
    assert "TIDAK SAH" in body(bad)
    assert SAH not in body(bad)

    login_as(client, "camat")
    assert "cabut" in action_names(body(client.get(f"/dokumen/{record_id}")))
    assert step(client, record_id, "cabut").status_code == 302  # reason required
    assert record_row(app, record_id)["state"] == "terbit"
    assert step(client, record_id, "cabut", "Data domisili keliru").status_code == 302
    assert record_row(app, record_id)["state"] == "dicabut"
    revoked = body(public.get(f"/verify/{row['verify_code']}"))
    assert "DICABUT" in revoked and SAH not in revoked
    assert "DICABUT" in body(upload(public, pdf))
    assert count(app, IssuedNumber) == 1  # revocation never frees or reuses the number


def test_batch_print_merges_issued_documents_and_refuses_unissued(app, client):
    nik = resident(app)["nik"]
    first = issue_via_web(client, app, nik, "Melamar pekerjaan")
    second = issue_via_web(client, app, nik, "Membuka rekening bank")
    pages = sum(page_count(download(client, app, r, "terbit")) for r in (first, second))

    listing = client.get("/dokumen/").get_data(as_text=True)
    assert f'name="ids" value="{first}"' in listing and f'name="ids" value="{second}"' in listing

    merged = client.post("/dokumen/cetak", data={"ids": [str(first), str(second)]})
    assert merged.status_code == 200 and merged.mimetype == PDF
    assert page_count(merged.data) == pages
    merged_text = text_of(merged.data)
    assert record_row(app, first)["number"] in merged_text
    assert record_row(app, second)["number"] in merged_text

    pending = taken(client, nik)
    refused = client.post("/dokumen/cetak", data={"ids": [str(first), str(pending)]})
    assert refused.status_code == 422
    assert f"Dokumen #{pending} belum terbit" in body(refused)

    nothing = client.post("/dokumen/cetak", data={})
    assert nothing.status_code == 422
    assert "Pilih dokumen terbit" in body(nothing)


# --- scope and read-only roles ----------------------------------------------------------------

def test_operator_of_another_desa_cannot_see_or_download(app, client, auth):
    auth.login("petugas")
    record_id = taken(client, resident(app)["nik"])
    file_id = record_row(app, record_id)["files"]["tanda_terima"]
    login_as(client, "operator_pela")
    assert client.get(f"/dokumen/{record_id}").status_code == 404
    assert client.get(f"/dokumen/{record_id}/berkas/{file_id}").status_code == 404
    assert client.post("/dokumen/cetak", data={"ids": [str(record_id)]}).status_code == 404
    assert str(record_id) not in re.findall(r'/dokumen/(\d+)"', client.get("/dokumen/")
                                            .get_data(as_text=True))
    login_as(client, "operator_loleng")
    assert client.get(f"/dokumen/{record_id}").status_code == 200
    assert client.get(f"/dokumen/{record_id}/berkas/{file_id}").status_code == 200


def test_file_of_another_record_is_not_served_through_this_record(app, client, auth):
    auth.login("petugas")
    nik = resident(app)["nik"]
    first, second = taken(client, nik), taken(client, nik)
    other_file = record_row(app, second)["files"]["tanda_terima"]
    assert client.get(f"/dokumen/{first}/berkas/{other_file}").status_code == 404
    assert client.get(f"/dokumen/{first}/berkas/999999").status_code == 404


def test_auditor_reads_but_has_no_action_buttons(app, client):
    record_id = issue_via_web(client, app, resident(app)["nik"])
    login_as(client, "auditor")
    page = client.get(f"/dokumen/{record_id}")
    assert page.status_code == 200
    text = body(page)
    assert record_row(app, record_id)["number"] in text
    assert action_names(text) == set()
    assert "/langkah/" not in text
    # the signed letter carries the full NIK and cannot be masked: the Auditor (no
    # penduduk.view_nik) reads the masked preview instead of downloading it
    issued = record_row(app, record_id)["files"]["terbit"]
    assert f"/dokumen/{record_id}/berkas/{issued}" not in text
    assert client.get(f"/dokumen/{record_id}/berkas/{issued}").status_code == 403
    assert client.get(f"/dokumen/{record_id}/pratinjau").data[:5] == b"%PDF-"
    before = record_row(app, record_id)
    response = step(client, record_id, "cabut", "Auditor mencoba mencabut")
    assert response.status_code in (302, 403)
    assert record_row(app, record_id) == before


# --- 2. REST API with JWT -----------------------------------------------------------------

def test_api_issue_after_signing_yields_one_number(app, client):
    petugas, camat = token(client, "petugas"), token(client, "camat")
    created = client.post("/api/v1/dokumen/", headers=petugas, json={
        "doctype": "sk_domisili_penduduk", "penduduk_id": resident(app)["id"],
        "data": {"keperluan": "Syarat beasiswa"}})
    assert created.status_code == 201, created.get_data(as_text=True)
    record_id = created.json["result"]["id"]
    url = f"/api/v1/dokumen/{record_id}/transition/"
    assert client.post(url + "verifikasi", headers=petugas).json["result"]["state"] == "diverifikasi"
    assert client.post(url + "tandatangani", headers=petugas).status_code == 409
    assert client.post(url + "tandatangani", headers=camat,
                       json={"note": "Setuju"}).json["result"]["state"] == "ditandatangani"

    issued = client.post(url + "terbitkan", headers=petugas)
    assert issued.status_code == 200, issued.get_data(as_text=True)
    assert issued.json["result"]["state"] == "terbit"

    shown = client.get(f"/api/v1/dokumen/{record_id}", headers=petugas)
    assert shown.status_code == 200
    result = shown.json["result"]
    assert result["state"] == "terbit"
    assert re.fullmatch(r"400\.12\.2\.1/\d{4}/Kec\.KB/20\d\d", result["number"])
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", result["verify_code"])
    assert count(app, IssuedNumber) == 1

    again = client.post(url + "terbitkan", headers=petugas)
    assert again.status_code in (200, 409)
    assert count(app, IssuedNumber) == 1
    after = client.get(f"/api/v1/dokumen/{record_id}", headers=petugas).json["result"]
    assert (after["number"], after["verify_code"]) == (result["number"], result["verify_code"])
    assert sum(1 for h in after["history"] if h["transition"] == "terbitkan") == 1


def test_api_issues_on_a4_and_serves_the_signed_pdf(app, client):
    """The REST path a program follows: create, verify, sign, issue on A4, download, read back."""
    petugas, camat = token(client, "petugas"), token(client, "camat")
    holder = resident(app)
    record_id = client.post("/api/v1/dokumen/", headers=petugas, json={
        "doctype": "sk_domisili_penduduk", "penduduk_id": holder["id"],
        "data": {"keperluan": "Syarat beasiswa"}}).json["result"]["id"]
    url = f"/api/v1/dokumen/{record_id}/transition/"
    client.post(url + "verifikasi", headers=petugas)
    client.post(url + "tandatangani", headers=camat)
    bad = client.post(url + "terbitkan", headers=petugas, json={"paper": "Letter"})
    assert bad.status_code == 400 and "F4 atau A4" in bad.json["message"]
    assert count(app, IssuedNumber) == 0
    assert client.post(url + "terbitkan", headers=petugas,
                       json={"paper": "A4"}).json["result"]["state"] == "terbit"

    result = client.get(f"/api/v1/dokumen/{record_id}", headers=petugas).json["result"]
    [issued] = [f for f in result["files"] if f["kind"] == "terbit"]
    assert issued["signed"] is True
    response = client.get(issued["download"], headers=petugas)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    width, height = (float(v) * 25.4 / 72 for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (210, 297)
    assert result["number"] in squeezed(text_of(response.data))
    assert holder["nama"] in text_of(response.data)
    assert reader.metadata["/DocumentNumber"] == result["number"]

    assert client.get(issued["download"]).status_code == 401  # JWT only
    assert client.get(f"/api/v1/dokumen/{record_id}/berkas/999999",
                      headers=petugas).status_code == 404


def test_openapi_lists_issuing_and_download(app, client):
    paths = client.get("/api/v1/_openapi", headers=token(client, "admin")).json["paths"]
    transition = paths["/api/v1/dokumen/{record_id}/transition/{name}"]["post"]
    schema = transition["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["paper"]["enum"] == ["F4", "A4"]
    assert "get" in paths["/api/v1/dokumen/{record_id}/berkas/{file_id}"]


# --- 4. hostile field values ----------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>",
           "<img src=file:///etc/passwd>",
           "<link rel=attachment href=file:///etc/passwd>"]


@pytest.mark.parametrize("value", HOSTILE)
def test_markup_in_a_field_is_printed_as_text_and_embeds_nothing(app, client, value):
    record_id = issue_via_web(client, app, resident(app)["nik"], f"Keperluan {value}")
    shown = client.get(f"/dokumen/{record_id}").get_data(as_text=True)
    assert value not in shown  # escaped on the page too
    pdf = download(client, app, record_id, "terbit")
    assert squeezed(value) in squeezed(text_of(pdf))
    raw = pdf.decode("latin-1")
    assert "/EmbeddedFile" not in raw
    assert "/JavaScript" not in raw and "/JS " not in raw
    assert "root:" not in text_of(pdf)  # nothing of /etc/passwd was fetched
    receipt = download(client, app, record_id, "tanda_terima")
    assert "/EmbeddedFile" not in receipt.decode("latin-1")


# --- hostile input on the print job and double clicks ----------------------------------------

@pytest.mark.parametrize("raw", ["²", "٣", "99999999999999999999", "-1", "abc", ""])
def test_print_job_with_odd_ids_is_a_clear_error_not_500(app, client, auth, raw):
    auth.login("petugas")
    response = client.post("/dokumen/cetak", data={"ids": [raw]})
    assert response.status_code in (404, 422), response.status_code
    assert "Terjadi kesalahan pada server" not in body(response)


def test_two_simultaneous_issue_clicks_yield_one_number(app, client):
    """Two clerks (or one double click) press Terbitkan at the same moment."""
    import threading

    login_as(client, "petugas")
    record_id = taken(client, resident(app)["nik"])
    step(client, record_id, "verifikasi")
    login_as(client, "camat")
    step(client, record_id, "tandatangani")
    assert record_row(app, record_id)["state"] == "ditandatangani"

    clients = [app.test_client() for _ in range(2)]
    for each in clients:
        login_as(each, "petugas")
    barrier, statuses = threading.Barrier(len(clients)), []

    def click(each):
        barrier.wait()
        try:
            statuses.append(step(each, record_id, "terbitkan").status_code)
        except Exception as exc:  # TESTING propagates what production answers with a 500
            statuses.append(f"500 {type(exc).__name__}: {str(exc).splitlines()[0]}")

    threads = [threading.Thread(target=click, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    row = record_row(app, record_id)
    assert row["state"] == "terbit"
    assert count(app, IssuedNumber) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RecordFile).where(
            RecordFile.record_id == record_id, RecordFile.kind == "terbit")) == 1
        assert db.session.scalar(select(IssuedNumber.number)) == row["number"]
    assert statuses == [302, 302]  # no 500: the second click is told, not crashed


def test_the_reserve_form_offers_the_classification_codes(app, client, auth):
    auth.login("petugas")
    reserve = client.get("/nomor/ambil")
    assert 'list="kode-klasifikasi"' in body(reserve) and 'value="400.12.2.1"' in body(reserve)
