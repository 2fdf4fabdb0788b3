"""Local roles: an Operator Desa reaches only their own desa — lists, direct URLs, API."""

import pytest
from sqlalchemy import select

from records.extensions import db
from records.models import Keluarga, Penduduk

LOLENG = "64.02.08.2004"


def _ids(app):
    with app.app_context():
        inside = db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code == LOLENG))
        outside = db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code != LOLENG))
        kk_outside = db.session.scalar(select(Keluarga.id).where(Keluarga.desa_code != LOLENG))
    return inside, outside, kk_outside


def _token(client, username):
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": "Demo#KotaBangun2026", "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_operator_list_shows_only_own_desa(app, client, auth):
    auth.login("operator_loleng")
    headers = _token(client, "operator_loleng")
    rows = client.get("/api/v1/penduduk/?q=(page_size:100)", headers=headers).json
    assert rows["count"] > 0
    assert {r["desa"]["code"] for r in rows["result"]} == {LOLENG}


def test_operator_direct_urls_outside_desa_are_not_found(app, client, auth):
    inside, outside, kk_outside = _ids(app)
    auth.login("operator_loleng")
    assert client.get(f"/pendudukview/show/{inside}").status_code == 200
    for url in (f"/pendudukview/show/{outside}", f"/pendudukview/edit/{outside}",
                f"/keluargaview/show/{kk_outside}"):
        assert client.get(url).status_code == 404, url


def test_operator_api_outside_desa_is_not_found(app, client):
    inside, outside, _ = _ids(app)
    headers = _token(client, "operator_loleng")
    assert client.get(f"/api/v1/penduduk/{inside}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/penduduk/{outside}", headers=headers).status_code == 404
    response = client.put(f"/api/v1/penduduk/{outside}", json={"nama": "X"}, headers=headers)
    assert response.status_code == 404


def test_office_wide_role_sees_every_desa(app, client):
    headers = _token(client, "petugas")
    rows = client.get("/api/v1/penduduk/?q=(page_size:100)", headers=headers).json
    assert len({r["desa"]["code"] for r in rows["result"]}) > 1


@pytest.mark.parametrize(("username", "masked"), [("petugas", False), ("auditor", True)])
def test_nik_masked_without_full_nik_right(app, client, auth, username, masked):
    inside, _, _ = _ids(app)
    with app.app_context():
        nik = db.session.get(Penduduk, inside).nik
    headers = _token(client, username)
    got = client.get(f"/api/v1/penduduk/{inside}", headers=headers).json["result"]["nik"]
    assert (got != nik) is masked and got.startswith(nik[:6])
    auth.login(username)
    page = client.get(f"/pendudukview/show/{inside}").get_data(as_text=True)
    assert (nik not in page) is masked


def test_api_refuses_browser_session(app, client, auth):
    auth.login("petugas")
    assert client.get("/api/v1/penduduk/").status_code == 401
