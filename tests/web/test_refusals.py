"""Every refusal is a 4xx page in Indonesian, never a bare 500 (issue: privacy and security,
item 6).

The attack (or accident): with CSRF protection on, as at the counter, a logged-in POST without
its token and an upload over MAX_CONTENT_LENGTH were refused before Flask-AppBuilder had named
the user, and the error page itself then failed, so the clerk saw a bare 500. A print template
with ``{% include 'x' ignore missing %}`` (valid Jinja) made the template fingerprint look for
'x' and answered 500 too. Tests run with exceptions propagated (TESTING), so a crash fails them.
"""

from __future__ import annotations

import io
import shutil

import pytest

from conftest import build_app
from records.passwords import DEMO_PASSWORD

#: One byte over the office's default request ceiling (64 MB).
OVER_LIMIT = 64 * 1024 * 1024 + 1
INDONESIAN = ("tidak", "Formulir", "terlalu", "Berkas", "Templat", "ditolak")


@pytest.fixture(scope="module")
def office(demo_home, tmp_path_factory):
    """The demo office with CSRF on, as it runs at the counter."""
    home = tmp_path_factory.mktemp("refusals") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, WTF_CSRF_ENABLED=True, PUBLISH_RENDER_TIMEOUT_SECONDS=10)
    yield app
    app.extensions["lemari"].close()


def token(client, path: str) -> str:
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def logged_in(app, username: str):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD,
                                            "csrf_token": token(client, "/login/")})
    assert response.status_code == 302
    return client


def assert_indonesian_refusal(response, status: int | None = None):
    assert 400 <= response.status_code < 500, response.status_code
    if status:
        assert response.status_code == status
    text = response.get_data(as_text=True)
    assert any(word in text for word in INDONESIAN), text[:500]


@pytest.mark.parametrize("path, data", [
    ("/dokumen/baru/sk_domisili_penduduk", {"nik": "6402081708050001", "keperluan": "x"}),
    ("/arsip/fixity/jalankan", {}),
    ("/resetmypassword/form", {"password": "Pelayanan2026Loket", "conf_password": "Pelayanan2026Loket"}),
])
@pytest.mark.parametrize("csrf", ["missing", "wrong"])
def test_a_logged_in_post_without_a_valid_token_is_a_400_page(office, path, data, csrf):
    client = logged_in(office, "admin")
    if csrf == "wrong":
        data = {**data, "csrf_token": "bukan-token"}
    response = client.post(path, data=data)
    assert_indonesian_refusal(response, 400)
    assert client.get("/").status_code == 200  # still logged in, nothing broke


@pytest.mark.parametrize("path, field, username", [
    ("/arsip/unggah", "berkas", "arsiparis"),
    ("/verify", "berkas", "petugas"),
    ("/penduduk-impor/", "berkas", "petugas"),
    ("/templat/aset", "berkas", "humas"),
])
def test_an_upload_over_the_request_ceiling_is_a_413_page(office, path, field, username):
    client = logged_in(office, username)
    body = {field: (io.BytesIO(b"\0" * OVER_LIMIT), "besar.pdf"),
            "csrf_token": token(client, "/resetmypassword/form")}
    response = client.post(path, data=body, content_type="multipart/form-data")
    assert_indonesian_refusal(response, 413)


def test_an_api_upload_over_the_ceiling_is_a_json_413(office):
    client = office.test_client()
    access = client.post("/api/v1/security/login", json={
        "username": "arsiparis", "password": DEMO_PASSWORD, "provider": "db"}).get_json()["access_token"]
    body = {"berkas": (io.BytesIO(b"\0" * OVER_LIMIT), "a.pdf")}
    response = client.post("/api/v1/arsip/pindaian", data=body,
                           headers={"Authorization": f"Bearer {access}"},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and response.is_json


PREVIEW = "/templat/pengumuman"
INCLUDES = {
    "include ignore missing": "{% include 'x' ignore missing %}",
    "include list ignore missing": "{% include ['x', 'y'] ignore missing %}",
    "include missing": "{% include 'x' %}",
    "import missing": "{% import 'x' as y %}{{ y.z }}",
    "from import missing": "{% from 'x' import y %}",
    "extends missing": "{% extends 'x' %}",
    "include of a folder": "{% include 'publikasi' ignore missing %}",
}


@pytest.mark.parametrize("aksi", ["pratinjau", "simpan"])
@pytest.mark.parametrize("case", list(INCLUDES))
def test_a_template_naming_a_missing_template_is_never_a_500(office, case, aksi):
    client = logged_in(office, "humas")
    source = f"<html><body><p>Pengumuman</p>{INCLUDES[case]}</body></html>"
    response = client.post(PREVIEW, data={"source": source, "aksi": aksi, "catatan": case,
                                          "csrf_token": token(client, PREVIEW)})
    assert response.status_code < 500, response.get_data(as_text=True)[:800]
    if response.status_code >= 400:
        assert_indonesian_refusal(response, 422)
    elif aksi == "pratinjau":
        assert response.mimetype == "application/pdf"


def test_the_error_page_itself_never_fails(office, monkeypatch):
    """Whatever goes wrong while drawing the error page, the answer is still a plain
    Indonesian page with the refusal's status."""
    import records.errors as errors

    def broken(*_args, **_kwargs):
        raise RuntimeError("template engine down")

    client = logged_in(office, "petugas")
    monkeypatch.setattr(errors, "render_template", broken)
    response = client.get("/dokumen/999999")
    assert response.status_code == 404
    assert "tidak ditemukan" in response.get_data(as_text=True)
