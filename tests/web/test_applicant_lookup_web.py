"""Requests that cannot go wrong (issue 14, part 3): the clerk finds the applicant by name or
NIK with suggestions (NIK masked, desa-scoped, audited, bad queries refused in plain words),
confirms identity on the biodata and family panel, and the request is taken for the chosen
resident; the document list filters by one workflow's states at a time."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import func, select

from conftest import build_app
from records.extensions import db
from records.models import AuditEvent, Penduduk, Record
from records.nik import mask_nik
from records.services.accounts import actor_for_username
from records.services.issuing import advance
from records.services.requests import take_request

LOLENG, PELA = "64.02.08.2004", "64.02.08.2009"
ALL = ["Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"]


def login_as(client, username):
    client.get("/logout/")
    response = client.post("/login/", data={"username": username, "password": "Demo#KotaBangun2026"})
    assert response.status_code == 302 and "/login" not in response.location


def resident(app, desa: str, *, with_family: bool = True) -> Penduduk:
    with app.app_context():
        query = select(Penduduk).where(Penduduk.desa_code == desa)
        if with_family:
            query = query.where(Penduduk.keluarga_id.is_not(None))
        person = db.session.scalar(query.order_by(Penduduk.id))
        db.session.expunge(person)
        return person


def lookup_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "penduduk.cari")))


def test_suggestions_by_name_are_masked_scoped_and_audited(app, client):
    ours, theirs = resident(app, LOLENG), resident(app, PELA)
    login_as(client, "operator_loleng")
    answer = client.get("/dokumen/pemohon/cari", query_string={"q": ours.nama[:5]})
    assert answer.status_code == 200
    found = answer.get_json()["hasil"]
    assert ours.id in [s["id"] for s in found]
    assert all(s["desa"] == "Loleng" for s in found)  # by name, and only the operator's desa
    assert ours.nik not in answer.get_data(as_text=True)
    assert [s["nik"] for s in found if s["id"] == ours.id] == [mask_nik(ours.nik)]
    events = lookup_events(app)
    assert events and events[-1].actor == "operator_loleng"
    assert ours.id in events[-1].detail["ids"] and events[-1].detail["channel"] == "lookup"
    # another desa's resident: not found by name, nor by the whole NIK
    for query in (theirs.nama, theirs.nik):
        other = client.get("/dokumen/pemohon/cari", query_string={"q": query}).get_json()["hasil"]
        assert theirs.id not in [s["id"] for s in other]
    assert client.get(f"/dokumen/pemohon/{theirs.id}").status_code == 404


def test_the_petugas_finds_by_whole_nik_and_nik_start(app, client):
    person = resident(app, PELA)
    login_as(client, "petugas")
    for query in (person.nik, person.nik[:14], f"{person.nik[:6]} {person.nik[6:12]} {person.nik[12:15]}"):
        found = client.get("/dokumen/pemohon/cari", query_string={"q": query}).get_json()["hasil"]
        assert person.id in [s["id"] for s in found], query
        assert all(person.nik not in str(s) for s in found)  # masked even for the full-NIK role


@pytest.mark.parametrize("query", ["", "  ", "ab", "12", "%%", "6402"])
def test_bad_queries_are_refused_in_plain_words_and_reveal_nothing(app, client, query):
    login_as(client, "petugas")
    before = len(lookup_events(app))
    answer = client.get("/dokumen/pemohon/cari", query_string={"q": query})
    assert answer.status_code == 422
    data = answer.get_json()
    assert data["hasil"] == [] and ("sedikitnya" in data["pesan"])
    assert len(lookup_events(app)) == before


def test_a_wildcard_is_a_letter_not_a_pattern(app, client):
    login_as(client, "petugas")
    answer = client.get("/dokumen/pemohon/cari", query_string={"q": "a_%"})
    assert answer.status_code == 200 and answer.get_json()["hasil"] == []


def test_the_auditor_may_not_look_up_applicants(app, client):
    login_as(client, "auditor")
    assert client.get("/dokumen/pemohon/cari", query_string={"q": "siti"}).status_code == 403


def test_the_biodata_and_family_panel_is_shown_audited_and_the_request_taken(app, client):
    person = resident(app, LOLENG)
    login_as(client, "operator_loleng")
    panel = client.get(f"/dokumen/pemohon/{person.id}")
    assert panel.status_code == 200
    html = panel.get_json()["html"]
    assert person.nama in html and 'id="keluarga-pemohon"' in html
    with app.app_context():
        family = db.session.scalars(select(Penduduk.nama).where(
            Penduduk.keluarga_id == person.keluarga_id)).all()
        viewed = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "penduduk.view", AuditEvent.object_id == str(person.id)))
    assert len(family) >= 1 and all(name in html for name in family)
    assert viewed >= 1
    # without JavaScript: the search form and the chosen resident on the intake page itself
    page = client.get("/dokumen/permohonan/sk_domisili",
                      query_string={"cari": person.nama}).get_data(as_text=True)
    assert f"pemohon={person.id}" in page and "pemohon.js" in page
    page = client.get("/dokumen/permohonan/sk_domisili",
                      query_string={"pemohon": person.id}).get_data(as_text=True)
    assert 'id="pemohon-terpilih"' in page
    assert f'name="penduduk_id" id="penduduk_id" value="{person.id}"' in page
    token = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    taken = client.post("/dokumen/permohonan/sk_domisili", data={
        "penduduk_id": str(person.id), "nik": "", "persyaratan": ALL, "keperluan": "Uji cari pemohon",
        "idempotency_key": token, "tetap_buat": "1"})
    assert taken.status_code == 302, taken.get_data(as_text=True)[:3000]
    with app.app_context():
        record = db.session.get(Record, int(taken.location.rstrip("/").rsplit("/", 1)[1]))
        assert record.penduduk_id == person.id


def test_a_chosen_resident_outside_the_desa_is_refused_and_nothing_saved(app, client):
    theirs = resident(app, PELA)
    login_as(client, "operator_loleng")
    with app.app_context():
        before = db.session.scalar(select(func.count(Record.id)))
    for chosen in (str(theirs.id), "abc", "99999999999999"):
        refused = client.post("/dokumen/permohonan/sk_domisili", data={
            "penduduk_id": chosen, "persyaratan": ALL, "keperluan": "Uji"})
        assert refused.status_code == 422
        assert "Pemohon yang dipilih tidak ditemukan" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Record.id))) == before


def test_the_document_list_filters_by_one_workflow_then_its_states(app, client):
    with app.app_context():  # two requests: one waits, one is verified
        ext = app.extensions["lemari"]
        petugas = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                     registry=ext.registry)
        made = [take_request("sk_domisili", penduduk_id=resident(app, LOLENG).id, received=ALL,
                             values={"keperluan": "Uji saringan"}, actor=petugas,
                             session=db.session, desk=ext.desk(), duplicate_ok=True).id
                for _ in range(2)]
        advance(made[0], "verifikasi", actor=petugas, session=db.session, registry=ext.registry,
                pm=ext.pm, desk_factory=ext.desk)
    login_as(client, "petugas")
    page = client.get("/dokumen/").get_data(as_text=True)
    choices = re.search(r'<p id="filter-alur">(.*?)</p>', page, re.S).group(1)
    assert "Penerbitan dokumen" in choices and "Layanan KTP-el" in choices
    assert 'id="filter-status"' not in page  # no state buttons before a workflow is chosen
    page = client.get("/dokumen/", query_string={"alur": "issuance"}).get_data(as_text=True)
    states = re.search(r'<p id="filter-status">(.*?)</p>', page, re.S).group(1)
    assert "Disetujui / ditandatangani" in states and "Diajukan" in states
    assert "Siap diambil" not in states  # a KTP-el state is not offered under issuance
    with app.app_context():
        registry = app.extensions["lemari"].registry
        doctypes = [n for n, spec in registry.document_types.items() if spec.workflow == "issuance"]
        state, count = db.session.execute(
            select(Record.state, func.count(Record.id)).where(Record.doctype.in_(doctypes))
            .where(Record.state == "diverifikasi").group_by(Record.state)).one()
        label = registry.workflows["issuance"].states[state]
    page = client.get("/dokumen/", query_string={"alur": "issuance", "state": state}).get_data(as_text=True)
    assert f"{label} <span class=\"badge\">{count}</span>" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    shown = re.findall(r'<span class="lemari-state[^"]*">([^<]+)</span>', rows)
    assert shown and set(shown) == {label}
    # bad input: an unknown workflow or a state of another workflow, said in plain words
    unknown = client.get("/dokumen/", query_string={"alur": "tidak_ada"}, follow_redirects=True)
    assert unknown.status_code == 200 and "Alur dokumen itu tidak dikenal" in unknown.get_data(as_text=True)
    wrong = client.get("/dokumen/", query_string={"alur": "issuance", "state": "siap_diambil"})
    assert wrong.status_code == 200 and "Status itu tidak ada pada alur" in wrong.get_data(as_text=True)


def test_the_lookup_is_rate_limited_per_account_not_per_address(demo_home, tmp_path):
    """A script paging through the register is stopped; a colleague at the same address is not."""
    shutil.copytree(demo_home, tmp_path / "home")
    app = build_app(tmp_path / "home", APPLICANT_LOOKUP_RATE_LIMIT="3 per minute")
    try:
        clerk, colleague = app.test_client(), app.test_client()
        login_as(clerk, "petugas")
        login_as(colleague, "operator_loleng")
        statuses = [clerk.get("/dokumen/pemohon/cari", query_string={"q": "siti"}).status_code
                    for _ in range(4)]
        assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
        assert colleague.get("/dokumen/pemohon/cari", query_string={"q": "siti"}).status_code == 200
    finally:
        app.extensions["lemari"].close()
