"""The document desk over HTML and the REST API: forms, workflow buttons, errors, OpenAPI."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from records.extensions import db, lemari
from records.models import Penduduk, Record, WorkflowStep
from records.services.setup import DEMO_PASSWORD

LOLENG = "64.02.08.2004"
DOCTYPE = "sk_domisili_penduduk"


def resident(app, inside=True) -> tuple[int, str]:
    where = Penduduk.desa_code == LOLENG if inside else Penduduk.desa_code != LOLENG
    with app.app_context():
        row = db.session.execute(select(Penduduk.id, Penduduk.nik).where(where)
                                 .order_by(Penduduk.id)).first()
    return row.id, row.nik


def count(app, model=Record) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def record_state(app, record_id) -> tuple[str, int]:
    with app.app_context():
        record = db.session.get(Record, record_id)
        return record.state, len(record.history)


def post_new(client, nik, **fields):
    return client.post(f"/dokumen/baru/{DOCTYPE}", data={"nik": nik, **fields})


def created(client, app, keperluan="Pembukaan rekening bank") -> int:
    response = post_new(client, resident(app)[1], keperluan=keperluan)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.fullmatch(r".*/dokumen/(\d+)", response.headers["Location"]).group(1))


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def step(client, record_id, name, note=""):
    return client.post(f"/dokumen/{record_id}/langkah/{name}", data={"note": note})


def action_urls(text) -> set[str]:
    return set(re.findall(r'action="/dokumen/\d+/langkah/(\w+)"', text))


# --- HTML --------------------------------------------------------------------------------

def test_new_lists_every_type_including_the_example_plugin(app, client, auth):
    auth.login("petugas")
    text = page(client, "/dokumen/baru")
    with app.app_context():
        types = list(lemari().registry.document_types.values())
    assert "Surat Pengantar Laporan Kehilangan" in text
    for doctype in types:
        listed = escape(doctype.title) in text and f"/dokumen/baru/{doctype.name}" in text
        # internal types are made by the system; legacy ones (IUMK) take no new draft
        assert listed is not (doctype.internal or doctype.legacy), doctype.name


def test_internal_types_cannot_be_created_by_hand(app, client, auth):
    auth.login("petugas")
    response = client.post("/dokumen/baru/tanda_terima_permohonan", data={"nik": "", "catatan": "x"})
    assert response.status_code == 422


def test_create_redirects_to_the_new_record(app, client, auth):
    auth.login("petugas")
    record_id = created(client, app)
    text = page(client, f"/dokumen/{record_id}")
    assert "Pembukaan rekening bank" in text and "Diajukan" in text
    with app.app_context():
        record = db.session.get(Record, record_id)
        assert (record.penduduk_id, record.created_by) == (resident(app)[0], "petugas")


def test_invalid_nik_rerenders_with_message_and_values(app, client, auth):
    auth.login("petugas")
    before = count(app)
    response = post_new(client, "6402081708050000", keperluan="Kredit usaha")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nomor urut NIK tidak boleh 0000" in text
    assert 'value="6402081708050000"' in text and "Kredit usaha</textarea>" in text
    assert count(app) == before


def test_missing_field_rerenders_with_every_message(app, client, auth):
    auth.login("petugas")
    before = count(app)
    nik = resident(app)[1]
    response = post_new(client, nik, keperluan="  ", masa_berlaku_bulan="enam")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Keperluan wajib diisi." in text
    assert "Masa berlaku (bulan): harus berupa angka bulat" in text
    assert f'value="{nik}"' in text and 'value="enam"' in text
    assert count(app) == before


def test_bad_nik_does_not_hide_field_errors(app, client, auth):
    auth.login("petugas")
    text = post_new(client, "", keperluan="").get_data(as_text=True)
    assert "NIK pemohon wajib diisi." in text and "Keperluan wajib diisi." in text


def test_unknown_and_out_of_scope_nik_get_the_same_answer(app, client, auth):
    """An operator must not learn that a NIK exists in another desa."""
    auth.login("operator_loleng")
    before = count(app)
    outside = post_new(client, resident(app, inside=False)[1], keperluan="x")
    unknown = post_new(client, "6402081708059999", keperluan="x")
    assert outside.status_code == unknown.status_code == 422
    for response in (outside, unknown):
        assert "NIK tidak terdaftar di data penduduk." in response.get_data(as_text=True)
    assert count(app) == before


def test_show_offers_only_the_roles_transitions(app, client, auth):
    auth.login("petugas")
    record_id = created(client, app)
    assert action_urls(page(client, f"/dokumen/{record_id}")) == {"verifikasi", "tolak"}
    step(client, record_id, "verifikasi")
    assert action_urls(page(client, f"/dokumen/{record_id}")) == {"tolak"}
    auth.logout()
    auth.login("camat")
    assert action_urls(page(client, f"/dokumen/{record_id}")) == {"tandatangani", "tolak"}
    auth.logout()
    auth.login("auditor")
    assert action_urls(page(client, f"/dokumen/{record_id}")) == set()


def test_disallowed_transition_flashes_reason_and_changes_nothing(app, client, auth):
    auth.login("petugas")
    record_id = created(client, app)
    step(client, record_id, "verifikasi")
    before = record_state(app, record_id)
    response = step(client, record_id, "tandatangani")
    assert response.status_code == 302
    text = page(client, f"/dokumen/{record_id}")
    assert escape("Peran Anda tidak berwenang melakukan 'Setujui dan tandatangani'.") in text
    assert record_state(app, record_id) == before == ("diverifikasi", 2)


def test_reject_without_reason_flashes_and_with_reason_moves(app, client, auth):
    auth.login("petugas")
    record_id = created(client, app)
    step(client, record_id, "tolak")
    assert "Alasan wajib diisi." in page(client, f"/dokumen/{record_id}")
    assert record_state(app, record_id) == ("diajukan", 1)
    step(client, record_id, "tolak", "Berkas tidak lengkap")
    text = page(client, f"/dokumen/{record_id}")
    assert record_state(app, record_id) == ("ditolak", 2) and "Berkas tidak lengkap" in text


def test_html_in_a_field_is_escaped(app, client, auth):
    auth.login("petugas")
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    text = page(client, f"/dokumen/{created(client, app, keperluan=hostile)}")
    assert hostile not in text
    assert escape(hostile) in text


def test_operator_cannot_open_another_desas_record(app, client, auth):
    auth.login("petugas")
    response = post_new(client, resident(app, inside=False)[1], keperluan="x")
    record_id = int(response.headers["Location"].rsplit("/", 1)[1])
    auth.logout()
    auth.login("operator_loleng")
    assert client.get(f"/dokumen/{record_id}").status_code == 404
    assert step(client, record_id, "serahkan").status_code == 404
    assert f"/dokumen/{record_id}\"" not in page(client, "/dokumen/")


def test_list_shows_state_labels(app, client, auth):
    auth.login("petugas")
    created(client, app)
    text = page(client, "/dokumen/")
    assert "Diajukan</span>" in text and "state=diverifikasi" not in text  # a workflow first
    text = page(client, "/dokumen/?alur=issuance")
    assert "Diajukan</span>" in text and "?alur=issuance&amp;state=diverifikasi" in text


def test_absurd_page_number_is_an_empty_page(app, client, auth):
    auth.login("petugas")
    assert "Belum ada dokumen." in page(client, f"/dokumen/?page={10**20}")


# --- REST API -----------------------------------------------------------------------------

def token(client, username) -> dict:
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def api_create(client, app, headers, **overrides):
    body = {"doctype": DOCTYPE, "penduduk_id": resident(app)[0],
            "data": {"keperluan": "Syarat beasiswa"}, **overrides}
    return client.post("/api/v1/dokumen/", json=body, headers=headers)


def test_api_create_then_transitions_by_role(app, client):
    petugas, camat = token(client, "petugas"), token(client, "camat")
    response = api_create(client, app, petugas)
    assert response.status_code == 201
    record = response.json["result"]
    assert (record["state"], record["doctype"]) == ("diajukan", DOCTYPE)
    url = f"/api/v1/dokumen/{record['id']}/transition"
    assert client.post(f"{url}/verifikasi", headers=petugas).json["result"] == {
        "state": "diverifikasi"}
    refused = client.post(f"{url}/tandatangani", headers=petugas)
    assert refused.status_code == 409 and "tidak berwenang" in refused.json["message"]
    signed = client.post(f"{url}/tandatangani", json={"note": "Setuju"}, headers=camat)
    assert signed.status_code == 200 and signed.json["result"] == {"state": "ditandatangani"}
    history = client.get(f"/api/v1/dokumen/{record['id']}", headers=camat).json["result"]["history"]
    assert [(h["transition"], h["actor"], h["note"]) for h in history][-1] == (
        "tandatangani", "camat", "Setuju")


def test_api_invalid_fields_are_422_with_messages(app, client):
    response = api_create(client, app, token(client, "petugas"),
                          data={"masa_berlaku_bulan": "enam"})
    assert response.status_code == 422
    assert response.json["errors"]["keperluan"] == "Keperluan wajib diisi."


@pytest.mark.parametrize("body", [
    b"{not json", b"[1, 2]", b'"teks"', b"null", b'{"doctype": 5}',
    b'{"doctype": "sk_domisili_penduduk", "data": "x"}',
    b'{"doctype": "sk_domisili_penduduk", "penduduk_id": "abc", "data": {}}',
    b'{"doctype": "sk_domisili_penduduk", "penduduk_id": true, "data": {}}',
])
def test_api_garbage_create_is_400(app, client, body):
    response = client.post("/api/v1/dokumen/", data=body, content_type="application/json",
                           headers=token(client, "petugas"))
    assert response.status_code == 400, response.get_data(as_text=True)


@pytest.mark.parametrize(("body", "status"), [
    (b"{not json", 400), (b"[1]", 400), (b'{"note": 5}', 400),
    (b'{"note": null}', 422), (b"{}", 422),
])
def test_api_garbage_transition_is_refused_cleanly(app, client, body, status):
    headers = token(client, "petugas")
    record_id = api_create(client, app, headers).json["result"]["id"]
    response = client.post(f"/api/v1/dokumen/{record_id}/transition/tolak", data=body,
                           content_type="application/json", headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert record_state(app, record_id) == ("diajukan", 1)


@pytest.mark.parametrize(("url", "body"), [
    ("/api/v1/dokumen/99999999999", None),
    ("/api/v1/dokumen/99999999999/transition/verifikasi", {}),
])
def test_api_unknown_ids_are_404(app, client, url, body):
    headers = token(client, "petugas")
    response = client.get(url, headers=headers) if body is None else client.post(
        url, json=body, headers=headers)
    assert response.status_code == 404


def test_api_absurd_page_number_is_empty(app, client):
    response = client.get(f"/api/v1/dokumen/?page={10**20}", headers=token(client, "petugas"))
    assert response.status_code == 200 and response.json["result"] == []


def test_api_unknown_type_and_resident_are_404(app, client):
    headers = token(client, "petugas")
    assert api_create(client, app, headers, doctype="tidak_ada").status_code == 404
    assert api_create(client, app, headers, penduduk_id=2**40).status_code == 404


def test_api_operator_scope(app, client):
    headers = token(client, "operator_loleng")
    outside = api_create(client, app, headers, penduduk_id=resident(app, inside=False)[0])
    assert outside.status_code == 404
    assert api_create(client, app, headers).status_code == 201
    listed = client.get("/api/v1/dokumen/", headers=headers).json
    assert listed["count"] >= 1 and {r["desa_code"] for r in listed["result"]} == {LOLENG}


def test_openapi_lists_the_dokumen_paths(app, client):
    response = client.get("/api/v1/_openapi", headers=token(client, "admin"))
    assert response.status_code == 200
    paths = response.json["paths"]
    for path in ("/", "/{record_id}", "/{record_id}/transition/{name}"):
        assert f"/api/v1/dokumen{path}" in paths, sorted(paths)
    assert set(paths["/api/v1/dokumen/"]) >= {"get", "post"}


def test_no_transition_row_written_on_refusal(app, client):
    before = count(app, WorkflowStep)
    headers = token(client, "petugas")
    record_id = api_create(client, app, headers).json["result"]["id"]
    client.post(f"/api/v1/dokumen/{record_id}/transition/cabut", json={"note": "x"},
                headers=headers)
    assert count(app, WorkflowStep) == before + 1
