"""/cari in the browser: scope, masking, audit, and hostile input that must never 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from records.extensions import db
from records.models import AuditEvent, Penduduk

LOLENG = "64.02.08.2004"

HOSTILE = [
    '"unbalanced quote', 'nama "tanpa penutup', "AND", "OR NOT", "+", "-", "&&", "*", "***??",
    "a" * 10_000, "kota " * 2_000, "foo:bar", "nik:abc", "tahun:20x", "nomor:", "desa:",
    "%ff%fe", "<script>alert(1)</script>", "\x00\x01", "jenis:<b>", ":", '""', "nik:" + "9" * 500,
]


@pytest.fixture
def app(office_app):
    """Every test here runs on SQLite FTS5 and on PostgreSQL full text."""
    return office_app


def raw(client, query_string: str):
    """GET /cari/ with an already-encoded query string (bytes as the browser sent them)."""
    return client.get("/cari/?" + query_string)


@pytest.fixture
def residents(app):
    with app.app_context():
        inside = db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG))
        outside = db.session.scalar(select(Penduduk).where(Penduduk.desa_code != LOLENG))
        return (inside.nik, inside.nama), (outside.nik, outside.nama)


def test_clerk_finds_a_resident_by_nik_with_full_number(client, auth, residents):
    (nik, nama), _ = residents
    auth.login("petugas")
    page = client.get(f"/cari/?q={nik}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert nama in text and nik in text


def test_auditor_sees_masked_nik(client, auth, residents):
    (nik, nama), _ = residents
    auth.login("auditor")
    hits = client.get(f"/cari/?q={nik}").get_data(as_text=True).split("lemari-hits")[1]
    assert nama in hits and nik not in hits and nik[:6] + "●" * 6 + nik[12:] in hits


def test_operator_loleng_sees_only_loleng(client, auth, residents):
    (nik, nama), (other_nik, other_nama) = residents
    auth.login("operator_loleng")
    assert nama in client.get(f"/cari/?q={nik}").get_data(as_text=True)
    page = client.get(f"/cari/?q={other_nik}")
    assert page.status_code == 200 and other_nama not in page.get_data(as_text=True)
    browse = client.get("/cari/?q=jl").get_data(as_text=True)
    assert "Pela" not in browse.split("lemari-facets")[1].split("</div>")[0]


def test_search_is_written_to_the_audit_log(app, client, auth, residents):
    (nik, _), _ = residents
    auth.login("petugas")
    client.get(f"/cari/?q={nik}")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "search")
                                  .order_by(AuditEvent.id.desc()))
        assert event.actor == "petugas" and event.detail["q"] == nik
        assert event.detail["total"] >= 1


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_answer_with_a_message_never_500(client, auth, query):
    auth.login("petugas")
    response = client.get("/cari/", query_string={"q": query})
    assert response.status_code in (200, 400), response.status_code
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    if response.status_code == 400:
        assert 'class="alert alert-warning"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query_string", [
    "q=%ff%fe", "q=%ff", "q=abc%c3%28", "q=x&page=99999999999999999999", "q=x&page=-3",
    "q=x&page=abc", "q=x&sort=drop+table", "q=x&tahun=20x", "q=x&desa=" + "d" * 500,
    "q=x&jenis=%ff", "page=2", "q=*",
])
def test_hostile_urls_never_500(client, auth, query_string):
    auth.login("petugas")
    response = raw(client, query_string)
    assert response.status_code in (200, 400), (query_string, response.status_code)


def test_undecodable_bytes_fall_back_with_a_note(client, auth):
    auth.login("petugas")
    response = raw(client, "q=%ff%fe")
    assert response.status_code == 200


def test_wildcard_only_is_refused_in_indonesian(client, auth):
    auth.login("petugas")
    response = client.get("/cari/?q=*")
    assert response.status_code == 400
    assert "tidak boleh hanya berisi" in response.get_data(as_text=True)


def test_slashless_url_redirects_and_menu_links_to_cari(client, auth):
    auth.login("petugas")
    assert client.get("/cari?q=x").status_code in (301, 308)
    assert 'href="/cari/"' in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_roles_without_search_read_are_refused(client, auth):
    auth.login("humas")
    assert client.get("/cari/?q=x").status_code == 403
    assert 'href="/cari/"' not in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_api_search_is_jwt_only_and_in_the_openapi_spec(client, auth, residents):
    (nik, nama), _ = residents
    token = client.post("/api/v1/security/login", json={
        "username": "petugas", "password": "Demo#KotaBangun2026", "provider": "db"}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    body = client.get(f"/api/v1/cari/?q={nik}", headers=headers).json
    assert body["total"] >= 1 and body["hits"][0]["names"] == [nama]
    assert client.get("/api/v1/cari/?q=*", headers=headers).status_code == 400
    assert client.get("/api/v1/cari/?q=%ff%fe", headers=headers).status_code in (200, 400)
    assert client.get("/api/v1/cari/", headers=headers).status_code == 400
    admin = client.post("/api/v1/security/login", json={
        "username": "admin", "password": "Demo#KotaBangun2026", "provider": "db"}).json
    spec = client.get("/api/v1/_openapi",
                      headers={"Authorization": f"Bearer {admin['access_token']}"})
    assert spec.status_code == 200 and "/cari/" in spec.get_data(as_text=True)


SEARCHERS = {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor", "operator_loleng"}


@pytest.mark.parametrize("role", sorted(SEARCHERS | {"humas"}))
def test_api_search_role_matrix(client, role):
    token = client.post("/api/v1/security/login", json={
        "username": role, "password": "Demo#KotaBangun2026", "provider": "db"}).json
    response = client.get("/api/v1/cari/?q=surat",
                          headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == (200 if role in SEARCHERS else 403)


def test_api_search_refuses_anonymous_and_browser_sessions(client, auth):
    assert client.get("/api/v1/cari/?q=surat").status_code == 401
    auth.login("petugas")
    assert client.get("/api/v1/cari/?q=surat").status_code == 401  # JWT only
