"""Personal numbers (UU 27/2022) through the real web pages, REST API and search.

1. A role without `penduduk.view_nik` can neither read nor infer a NIK or No. KK: a filter, a
   sort, a search operator or a count on those fields accepts only a complete number; the
   prefix walk that used to read any NIK in a few dozen requests is refused at its first step.
2. Free text holding numbers (archive OCR text and notes, audit details and the CSV export,
   letter previews, record data) is masked for them; the signed original is not handed to
   them; every view, preview and filtered list of personal data is audited.
7. An Operator Desa reads only their desa's entries of the number register, and a NIK or
   resident outside their desa is answered exactly like one that does not exist.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import prison
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from archive.models import Arsip
from archive.scan_samples import text_pdf
from records.extensions import db, lemari
from records.models import AuditEvent, IssuedNumber, Keluarga, Penduduk
from records.nik import make_nik, mask_nik
from records.pengaduan.models import Pengaduan
from records.services import numbering
from records.services.accounts import actor_for_username
from records.services.public_guard import form_token
from records.services.records import create_record
from records.services.setup import DEMO_PASSWORD

LOLENG, ULU = "64.02.08.2004", "64.02.08.2005"
MASK = "●"
# FAB's web filter indexes for a text column: sw, ew, ct, eq, nsw, new, nct, neq, in, not_in
WEB_SW, WEB_EQ = 0, 3


# --- helpers ------------------------------------------------------------------------------

def token(client, username) -> dict:
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def comparable(response, nik: str) -> tuple[int, str]:
    """Status and page with the typed number and per-response tokens taken out."""
    text = re.sub(r'(nonce|value)="[A-Za-z0-9_\-.+/=]{20,}"', "", page_text(response))
    return response.status_code, text.replace(nik, "<NIK>")


def unique_resident(app, desa=LOLENG) -> Penduduk:
    """A resident whose name nobody else carries (the attacker filters by name)."""
    with app.app_context():
        for person in db.session.scalars(select(Penduduk).where(Penduduk.desa_code == desa)
                                         .order_by(Penduduk.id)):
            same = db.session.scalars(select(Penduduk.id).where(Penduduk.nama == person.nama)).all()
            if len(same) == 1 and person.keluarga_id:
                _ = person.keluarga.no_kk
                db.session.expunge(person)
                return person
    raise AssertionError("no resident with a unique name")


def walk(prefix: str, probe) -> tuple[str | None, int]:
    """The prefix attack: extend the known digits one at a time while the probe finds the
    resident; (recovered number or None when refused, requests made)."""
    requests = 0
    while len(prefix) < 12:
        for digit in "0123456789":
            requests += 1
            status, found = probe(prefix + digit)
            if status != 200:
                return None, requests
            if found:
                prefix += digit
                break
        else:
            return None, requests
    return prefix, requests


def web_probe(client, person):
    masked = mask_nik(person.nik)

    def probe(prefix):
        response = client.get("/pendudukview/list/", query_string={
            f"_flt_{WEB_EQ}_nama": person.nama, f"_flt_{WEB_SW}_nik": prefix})
        return response.status_code, masked in page_text(response)
    return probe


def rest_list(client, headers, resource, filters, **extra):
    query = prison.dumps({"filters": filters, **extra})
    return client.get(f"/api/v1/{resource}/", query_string={"q": query}, headers=headers)


def rest_probe(client, headers, person):
    def probe(prefix):
        response = rest_list(client, headers, "penduduk", [
            {"col": "nama", "opr": "eq", "value": person.nama},
            {"col": "nik", "opr": "sw", "value": prefix}])
        return response.status_code, response.status_code == 200 and response.json["count"] > 0
    return probe


def last_events(app, n=5) -> list[AuditEvent]:
    with app.app_context():
        return list(reversed(db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(n)).all()))


# --- 1. no reading or inferring numbers -------------------------------------------------------

def test_the_prefix_walk_through_the_resident_list_is_refused_for_the_auditor(app, client, auth):
    person = unique_resident(app)
    auth.login("auditor")
    recovered, requests = walk(person.nik[:6], web_probe(client, person))
    assert recovered is None and requests == 1, (recovered, requests)
    refused = client.get("/pendudukview/list/", query_string={f"_flt_{WEB_SW}_nik": "640208"})
    assert refused.status_code == 400
    assert "NIK lengkap" in page_text(refused)


def test_the_prefix_walk_through_the_rest_api_is_refused_for_the_auditor(app, client):
    person = unique_resident(app)
    recovered, requests = walk(person.nik[:6], rest_probe(client, token(client, "auditor"), person))
    assert recovered is None and requests == 1, (recovered, requests)


def test_the_walk_still_works_for_a_role_that_sees_full_numbers(app, client, auth):
    """The guard is about the right, not the feature: a clerk keeps prefix filters."""
    person = unique_resident(app)
    recovered, _ = walk(person.nik[:6], rest_probe(client, token(client, "petugas"), person))
    assert recovered == person.nik[:12]
    auth.login("petugas")
    page = client.get("/pendudukview/list/", query_string={f"_flt_{WEB_SW}_nik": person.nik[:10]})
    assert page.status_code == 200 and person.nik in page_text(page)


@pytest.mark.parametrize(("resource", "column"), [("penduduk", "nik"), ("keluarga", "no_kk")])
@pytest.mark.parametrize(("opr", "value"), [
    ("sw", "640208"), ("nsw", "640208"), ("ew", "0001"), ("new", "0001"), ("ct", "1708"),
    ("nct", "1708"), ("neq", "{full}"), ("in", ["{full}"]), ("not_in", ["{full}"]),
    ("eq", "{partial}"), ("eq", "6402081708901"),
])
def test_every_rest_operator_on_a_number_is_refused_for_the_auditor(app, client, resource, column,
                                                                    opr, value):
    person = unique_resident(app)
    full = person.nik if column == "nik" else person.keluarga.no_kk

    def fill(v):
        return v.format(full=full, partial=full[:15])
    value = [fill(v) for v in value] if isinstance(value, list) else fill(value)
    response = rest_list(client, token(client, "auditor"), resource,
                         [{"col": column, "opr": opr, "value": value}])
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "lengkap" in response.json["message"]


@pytest.mark.parametrize(("resource", "column"), [("penduduk", "nik"), ("keluarga", "no_kk")])
def test_a_complete_number_still_finds_its_row_for_the_auditor(app, client, resource, column):
    person = unique_resident(app)
    full = person.nik if column == "nik" else person.keluarga.no_kk
    spaced = " ".join((full[:6], full[6:12], full[12:]))
    response = rest_list(client, token(client, "auditor"), resource,
                         [{"col": column, "opr": "eq", "value": spaced}])
    assert response.status_code == 200 and response.json["count"] == 1
    assert response.json["result"][0][column] == mask_nik(full)


def test_sorting_by_a_number_is_refused_for_the_auditor(app, client, auth):
    headers = token(client, "auditor")
    for resource, column in (("penduduk", "nik"), ("keluarga", "no_kk")):
        response = rest_list(client, headers, resource, [], order_column=column,
                             order_direction="asc")
        assert response.status_code == 400 and "diurutkan" in response.json["message"], resource
    auth.login("auditor")
    for view, column in (("PendudukView", "nik"), ("KeluargaView", "no_kk")):
        response = client.get(f"/{view.lower()}/list/", query_string={
            f"_oc_{view}": column, f"_od_{view}": "asc"})
        assert response.status_code == 400 and "diurutkan" in page_text(response), view
    auth.logout()
    auth.login("petugas")
    assert client.get("/pendudukview/list/", query_string={
        "_oc_PendudukView": "nik", "_od_PendudukView": "asc"}).status_code == 200


def test_web_family_list_refuses_partial_numbers_and_accepts_a_complete_one(app, client, auth):
    person = unique_resident(app)
    no_kk = person.keluarga.no_kk
    auth.login("auditor")
    refused = client.get("/keluargaview/list/", query_string={f"_flt_{WEB_SW}_no_kk": no_kk[:8]})
    assert refused.status_code == 400
    found = client.get("/keluargaview/list/", query_string={f"_flt_{WEB_EQ}_no_kk": no_kk})
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page_text(found), re.S)
    assert found.status_code == 200 and any(mask_nik(no_kk) in c for c in cells)
    assert not any(no_kk in c for c in cells)


@pytest.mark.parametrize("query", ["nik:640208", "kk:6402081501", "nik:64020817089000011"])
def test_search_refuses_partial_numbers_for_the_auditor(app, client, auth, query):
    auth.login("auditor")
    page = client.get("/cari/", query_string={"q": query})
    assert page.status_code == 400 and "lengkap" in page_text(page)
    response = client.get("/api/v1/cari/", query_string={"q": query},
                          headers=token(client, "auditor"))
    assert response.status_code == 400 and "lengkap" in response.json["message"]


def test_search_takes_a_complete_number_from_the_auditor(app, client, auth):
    person = unique_resident(app)
    auth.login("auditor")
    page = client.get("/cari/", query_string={"q": f"nik:{person.nik}"})
    shown = page_text(page).replace(f"nik:{person.nik}", "")  # the query typed, echoed back
    assert page.status_code == 200 and person.nik not in shown and mask_nik(person.nik) in shown


# --- 2. free text, files and the audit trail ----------------------------------------------------

def _archived(app, client, auth, person) -> int:
    """An archived scan whose note and OCR text quote the person's NIK and No. KK."""
    auth.login("arsiparis")
    note = f"Pengantar untuk NIK {person.nik}, KK {person.keluarga.no_kk}"
    response = client.post("/arsip/unggah", data={
        "berkas": [(io.BytesIO(text_pdf(81)), "pengantar.pdf")], "desa": "Loleng",
        "catatan": note}, content_type="multipart/form-data")
    assert response.status_code == 200, page_text(response)[-1500:]
    with app.app_context():
        arsip = db.session.scalar(select(Arsip).order_by(Arsip.record_id.desc()))
        spaced = " ".join(person.nik[i:i + 4] for i in range(0, 16, 4))
        arsip.teks = f"SURAT PENGANTAR\nNIK: {person.nik}\nNo. KK {person.keluarga.no_kk}\n{spaced}"
        db.session.commit()
        record_id = arsip.record_id
    auth.logout()
    return record_id


@pytest.mark.parametrize("username", ["auditor", "arsiparis"])
def test_archive_detail_masks_numbers_in_its_note_and_ocr_text(app, client, auth, username):
    person = unique_resident(app)
    record_id = _archived(app, client, auth, person)
    auth.login(username)
    text = page_text(client.get(f"/arsip/{record_id}"))
    digits = re.sub(r"[ .\-]", "", text)
    assert person.nik not in digits and person.keluarga.no_kk not in digits
    assert mask_nik(person.nik) in text and mask_nik(person.keluarga.no_kk) in text
    auth.logout()
    auth.login("camat")
    assert person.nik in page_text(client.get(f"/arsip/{record_id}"))


def test_archive_correction_by_the_arsiparis_keeps_the_numbers_of_the_note(app, client, auth):
    person = unique_resident(app)
    record_id = _archived(app, client, auth, person)
    auth.login("arsiparis")
    page = page_text(client.get(f"/arsip/{record_id}"))
    shown_note = re.search(r'name="catatan"[^>]*>([^<]*)<', page)[1]
    assert person.nik not in shown_note and mask_nik(person.nik) in shown_note
    response = client.post(f"/arsip/{record_id}/ubah", data={
        "judul": "Pengantar", "desa": "Loleng", "catatan": shown_note + " (diperiksa)",
        "alasan": "Catatan dilengkapi"})
    assert response.status_code == 302
    with app.app_context():
        note = db.session.get(Arsip, record_id).catatan
    assert person.nik in note and note.endswith("(diperiksa)") and MASK not in note


def test_archive_list_and_api_mask_numbers_in_titles(app, client, auth):
    person = unique_resident(app)
    record_id = _archived(app, client, auth, person)
    with app.app_context():
        db.session.get(Arsip, record_id).record.title = f"KK {person.keluarga.no_kk}"
        db.session.commit()
    auth.login("auditor")
    assert person.keluarga.no_kk not in page_text(client.get("/arsip/"))
    shown = client.get(f"/api/v1/arsip/{record_id}", headers=token(client, "auditor")).json
    assert shown["result"]["title"] == f"KK {mask_nik(person.keluarga.no_kk)}"


def test_search_hits_and_the_record_list_mask_numbers_in_titles(app, client, auth):
    no_kk = unique_resident(app).keluarga.no_kk
    auth.login("arsiparis")
    assert client.post("/arsip/unggah", data={
        "berkas": [(io.BytesIO(text_pdf(82)), "kk.pdf")], "desa": "Loleng",
        "judul": f"Pindaian KK {no_kk}"}, content_type="multipart/form-data").status_code == 200
    auth.logout()
    auth.login("auditor")
    found = client.get("/api/v1/cari/", query_string={"q": "pindaian"},
                       headers=token(client, "auditor")).json
    titles = [hit["title"] for hit in found["hits"]]
    assert f"Pindaian KK {mask_nik(no_kk)}" in titles and no_kk not in str(found)
    assert no_kk not in page_text(client.get("/dokumen/"))


def test_a_complaint_quoting_a_nik_is_masked_for_the_auditor(app, client, auth):
    person = unique_resident(app)
    with app.app_context():
        sent = form_token(app.config["SECRET_KEY"],
                          dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=30))
    assert client.post("/pengaduan", data={
        "kategori": "keluhan", "layanan": "ktp_el", "judul": "KTP belum jadi",
        "isi": f"KTP dengan NIK {person.nik} belum jadi.", "nama": "", "kontak": "",
        "tanda": sent, "situs": ""}).status_code == 302
    with app.app_context():
        complaint_id = db.session.scalar(select(Pengaduan.id).order_by(Pengaduan.id.desc()))
    auth.login("auditor")
    page = page_text(client.get(f"/pengaduan/kelola/{complaint_id}"))
    assert person.nik not in page and mask_nik(person.nik) in page


def test_audit_export_and_detail_mask_numbers_for_the_auditor(app, client, auth):
    person = unique_resident(app)
    auth.login("petugas")
    assert client.get("/cari/", query_string={"q": f"nik:{person.nik}"}).status_code == 200
    assert client.get("/pendudukview/list/", query_string={
        f"_flt_{WEB_EQ}_nik": person.nik}).status_code == 200
    auth.logout()
    with app.app_context():
        search_event = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "search")
                                         .order_by(AuditEvent.id.desc()))
    auth.login("auditor")
    exported = client.get("/auditview/ekspor.csv")
    assert exported.status_code == 200
    body = exported.get_data(as_text=True)
    assert person.nik not in body and mask_nik(person.nik) in body
    rows = list(csv.DictReader(io.StringIO(body)))
    assert any(mask_nik(person.nik) in r["detail"] for r in rows if r["action"] == "penduduk.list")
    shown = page_text(client.get(f"/auditview/show/{search_event}"))
    assert person.nik not in shown and mask_nik(person.nik) in shown
    auth.logout()
    auth.login("admin")  # Admin holds the full-NIK right: the trail itself keeps the number
    assert person.nik in client.get("/auditview/ekspor.csv").get_data(as_text=True)


def _pdf_text(data: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def _issued(client, person) -> tuple[int, dict]:
    """A letter for person, issued through the API (petugas, camat, petugas)."""
    petugas, camat = token(client, "petugas"), token(client, "camat")
    record = client.post("/api/v1/dokumen/", headers=petugas, json={
        "doctype": "sk_domisili_penduduk", "penduduk_id": person.id,
        "data": {"keperluan": "Syarat beasiswa"}}).json["result"]
    url = f"/api/v1/dokumen/{record['id']}/transition"
    assert client.post(f"{url}/verifikasi", headers=petugas).status_code == 200
    assert client.post(f"{url}/tandatangani", headers=camat).status_code == 200
    assert client.post(f"{url}/terbitkan", headers=petugas).status_code == 200
    files = client.get(f"/api/v1/dokumen/{record['id']}", headers=petugas).json["result"]["files"]
    return record["id"], {f["kind"]: f["id"] for f in files}


def test_letter_preview_is_masked_for_the_auditor_and_audited(app, client, auth):
    person = unique_resident(app)
    record_id, _ = _issued(client, person)
    auth.login("auditor")
    preview = client.get(f"/dokumen/{record_id}/pratinjau")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    text = _pdf_text(preview.data)
    assert person.nik not in text and person.nik[:6] in text and person.nik[12:] in text
    event = last_events(app, 1)[0]
    assert (event.actor, event.action, event.object_id) == ("auditor", "record.preview",
                                                            str(record_id))
    assert event.detail["full_nik"] is False
    auth.logout()
    auth.login("petugas")
    assert person.nik in _pdf_text(client.get(f"/dokumen/{record_id}/pratinjau").data)


def test_signed_original_is_not_handed_to_a_role_without_the_full_nik_right(app, client, auth):
    person = unique_resident(app)
    record_id, files = _issued(client, person)
    auth.login("auditor")
    refused = client.get(f"/dokumen/{record_id}/berkas/{files['terbit']}")
    assert refused.status_code == 403 and "pratinjau" in page_text(refused)
    assert client.post("/dokumen/cetak", data={"ids": [str(record_id)]}).status_code == 403
    api = client.get(f"/api/v1/dokumen/{record_id}/berkas/{files['terbit']}",
                     headers=token(client, "auditor"))
    assert api.status_code == 403 and "pratinjau" in api.json["message"]
    with app.app_context():
        archive_file = files["terbit"]
    archived = client.get(f"/arsip/{record_id}/berkas/{archive_file}")
    assert archived.status_code == 403
    auth.logout()
    auth.login("petugas")
    assert client.get(f"/dokumen/{record_id}/berkas/{files['terbit']}").status_code == 200


def test_record_page_and_api_mask_numbers_in_fields_and_notes_for_the_auditor(app, client, auth):
    person = unique_resident(app)
    petugas = token(client, "petugas")
    record = client.post("/api/v1/dokumen/", headers=petugas, json={
        "doctype": "sk_domisili_penduduk", "penduduk_id": person.id,
        "data": {"keperluan": f"Untuk anak NIK {person.nik}"}}).json["result"]
    client.post(f"/api/v1/dokumen/{record['id']}/transition/verifikasi", headers=petugas,
                json={"note": f"Dicek dengan KK {person.keluarga.no_kk}"})
    auth.login("auditor")
    page = page_text(client.get(f"/dokumen/{record['id']}"))
    assert person.nik not in page and person.keluarga.no_kk not in page
    assert mask_nik(person.nik) in page and mask_nik(person.keluarga.no_kk) in page
    shown = client.get(f"/api/v1/dokumen/{record['id']}", headers=token(client, "auditor")).json
    assert person.nik not in str(shown) and person.keluarga.no_kk not in str(shown)


def test_views_of_personal_data_are_audited(app, client, auth):
    person = unique_resident(app)
    record_id = _archived(app, client, auth, person)
    auth.login("auditor")
    assert client.get(f"/keluargaview/show/{person.keluarga_id}").status_code == 200
    family = last_events(app, 1)[0]
    assert (family.action, family.object_id, family.desa_code) == (
        "keluarga.view", str(person.keluarga_id), LOLENG)
    assert family.detail == {"channel": "web", "full_nik": False}
    assert client.get(f"/arsip/{record_id}").status_code == 200
    archive = last_events(app, 1)[0]
    assert (archive.action, archive.object_id) == ("arsip.view", str(record_id))
    assert client.get(f"/api/v1/arsip/{record_id}",
                      headers=token(client, "auditor")).status_code == 200
    assert [(e.action, e.detail.get("channel")) for e in last_events(app, 2)][-1] == (
        "arsip.view", "api")
    listed = client.get("/pendudukview/list/", query_string={f"_flt_{WEB_EQ}_nik": person.nik})
    assert listed.status_code == 200
    listing = last_events(app, 1)[0]
    assert listing.action == "penduduk.list" and person.nik in listing.detail["query"]
    assert listing.detail["channel"] == "web"


# --- 7. the desa scope of registers and error messages ----------------------------------------

def _numbered(app, desa: str) -> str:
    """A record of a resident of desa with a number consumed in the register."""
    with app.app_context():
        clerk = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                   registry=lemari().registry)
        person_id = db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code == desa))
        record = create_record("sk_domisili_penduduk", {"keperluan": "Uji register"},
                               penduduk_id=person_id, actor=clerk, session=db.session,
                               registry=lemari().registry)
        number = numbering.allocate(db.session, "surat_keluar", kode="400.12.2.1",
                                    on=dt.date.today(), actor=clerk, record_id=record.id)
        db.session.commit()
        return number.number


def test_number_register_shows_an_operator_only_their_desa(app, client, auth):
    own, other = _numbered(app, LOLENG), _numbered(app, ULU)
    with app.app_context():
        other_id = db.session.scalar(select(IssuedNumber.id).where(IssuedNumber.number == other))
        own_id = db.session.scalar(select(IssuedNumber.id).where(IssuedNumber.number == own))
    auth.login("operator_loleng")
    listing = page_text(client.get("/nomor/list/"))
    assert own in listing and other not in listing
    assert client.get(f"/nomor/show/{own_id}").status_code == 200
    assert client.get(f"/nomor/show/{other_id}").status_code == 404
    auth.logout()
    auth.login("petugas")
    listing = page_text(client.get("/nomor/list/"))
    assert own in listing and other in listing


def test_a_resident_of_another_desa_reads_like_one_that_does_not_exist(app, client, auth):
    """Every door where an operator names a resident: the intake form by NIK, the REST API by
    id, and the resident list filtered by NIK."""
    with app.app_context():
        elsewhere = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == ULU))
        elsewhere_nik, elsewhere_id = elsewhere.nik, elsewhere.id
        taken = set(db.session.scalars(select(Penduduk.nik)))
    unknown_nik = next(n for s in range(9000, 9999)
                       if (n := make_nik("64.02.08", dt.date(1991, 5, 4), "L", s)) not in taken)
    auth.login("operator_loleng")

    def intake(nik):
        return comparable(client.post("/dokumen/permohonan/sk_domisili", data={
            "nik": nik, "persyaratan": [], "keperluan": "Uji"}), nik)

    assert intake(elsewhere_nik) == intake(unknown_nik)

    def listed(nik):
        return comparable(client.get("/pendudukview/list/",
                                     query_string={f"_flt_{WEB_EQ}_nik": nik}), nik)

    assert listed(elsewhere_nik) == listed(unknown_nik)

    headers = token(client, "operator_loleng")

    def api_create(penduduk_id):
        response = client.post("/api/v1/dokumen/", headers=headers, json={
            "doctype": "sk_domisili_penduduk", "penduduk_id": penduduk_id,
            "data": {"keperluan": "Uji"}})
        return response.status_code, response.json

    assert api_create(elsewhere_id) == api_create(10**9)
    with app.app_context():
        assert db.session.scalar(select(Keluarga.id).where(Keluarga.desa_code == ULU))


def test_rest_form_choices_offer_an_operator_only_their_desa(app, client):
    """`_info` lists the families and desa a new resident may be put in: an operator's own."""
    with app.app_context():
        own = db.session.scalar(select(func.count(Keluarga.id)).where(Keluarga.desa_code == LOLENG))
    info = client.get("/api/v1/penduduk/_info", query_string={"q": "(keys:!(add_columns))"},
                      headers=token(client, "operator_loleng"))
    assert info.status_code == 200
    fields = {f["name"]: f for f in info.json["add_columns"]}
    assert fields["keluarga"]["count"] == own
    assert [v["id"] for v in fields["desa"]["values"]] == [LOLENG]
