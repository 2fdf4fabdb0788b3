"""Public information as people use it: Humas drafts a notice and a poster in the browser, the
Camat approves, both appear on the public pages and the poster on the TV slideshow; the REST
API refuses a role that may not publish; the template editor shows a broken line and keeps the
last good version; public pages stay light, script-free and printable."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import AuthActions, build_app
from records.services.setup import DEMO_PASSWORD

TODAY = dt.date.today().isoformat()
PUBLIC_PAGES = ("/info/", "/info/layanan", "/info/layanan/ktp_el", "/info/pengumuman",
                "/info/poster", "/info/layar")


@pytest.fixture(scope="module")
def app(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("publikasi-web") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    yield app
    app.extensions["lemari"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return AuthActions(client)


def as_user(client, auth, username):
    auth.logout()
    assert auth.login(username).status_code == 302


def draft(client, jenis, **fields):
    response = client.post(f"/publikasi/baru/{jenis}", data={"berlaku_mulai": TODAY, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def step(client, item_id, name, note=""):
    return client.post(f"/publikasi/{item_id}/langkah/{name}", data={"note": note},
                       follow_redirects=True).get_data(as_text=True)


def test_humas_drafts_camat_approves_and_the_public_and_the_tv_see_it(client, auth):
    as_user(client, auth, "humas")
    notice = draft(client, "pengumuman", templat="pengumuman", judul="Perekaman KTP-el hari Sabtu",
                   isi="Perekaman KTP-el dibuka Sabtu pukul 08.00–12.00.\nBawa Kartu Keluarga.")
    poster = draft(client, "poster", templat="poster_layanan", layanan_code="kk", ukuran="A3",
                   judul="Cara mengurus KK")
    shown = client.get(f"/publikasi/{poster}").get_data(as_text=True)
    assert "Draf (privat)" in shown and f"/publikasi/{poster}/berkas/layar" in shown
    listed = client.get("/publikasi/").get_data(as_text=True)  # the material's name, not its code
    assert "Poster" in listed and "poster_layanan" not in listed
    assert client.get(f"/info/pengumuman/{notice}").status_code == 404  # a draft does not leak
    for item in (notice, poster):
        assert "Menunggu tinjauan" in step(client, item, "ajukan")

    as_user(client, auth, "camat")
    page = step(client, notice, "kembalikan")  # a comment is required
    assert "Alasan wajib diisi." in page and "Menunggu tinjauan" in page
    assert "Terbit" in step(client, notice, "setujui", "Silakan terbitkan.")
    assert "Terbit" in step(client, poster, "setujui")

    auth.logout()
    assert "Perekaman KTP-el hari Sabtu" in client.get("/info/pengumuman").get_data(as_text=True)
    notice_page = client.get(f"/info/pengumuman/{notice}").get_data(as_text=True)
    assert "Bawa Kartu Keluarga." in notice_page
    posters = client.get("/info/poster").get_data(as_text=True)
    assert f"/info/berkas/{poster}/png" in posters and f"/info/berkas/{poster}/pdf" in posters
    pdf = client.get(f"/info/berkas/{poster}/pdf")
    assert pdf.mimetype == "application/pdf" and len(PdfReader(io.BytesIO(pdf.data)).pages) == 1
    png = client.get(f"/info/berkas/{poster}/png")
    assert Image.open(io.BytesIO(png.data)).format == "PNG"
    cached = client.get(f"/info/berkas/{poster}/png", headers={"If-None-Match": png.headers["ETag"]})
    assert cached.status_code == 304
    tv = client.get("/info/layar").get_data(as_text=True)
    # the TV draws both from their text for a landscape screen, not the A3 print shrunk
    assert "Cara mengurus KK" in tv and "Perekaman KTP-el dibuka Sabtu" in tv and "/info/berkas/" not in tv
    assert 'src="/static/lemari/layar.js?v=' in tv and 'id="anti-pungli"' in tv
    assert f"/info/berkas/{poster}" in client.get("/info/layanan/kk").get_data(as_text=True)


def test_a_draft_is_not_public_for_anyone(client, auth):
    as_user(client, auth, "humas")
    item = draft(client, "pengumuman", templat="pengumuman", judul="Belum boleh", isi="Rahasia.")
    for username in (None, "camat", "humas", "admin"):
        auth.logout()
        if username:
            auth.login(username)
        for kind in ("pdf", "png", "layar"):
            assert client.get(f"/info/berkas/{item}/{kind}").status_code == 404
        assert client.get(f"/info/pengumuman/{item}").status_code == 404


def test_bad_input_is_refused_with_reasons_and_nothing_is_saved(client, auth):
    as_user(client, auth, "humas")
    before = client.get("/publikasi/").get_data(as_text=True).count("/publikasi/")
    response = client.post("/publikasi/baru/pengumuman", data={
        "templat": "pengumuman", "judul": "Tanggal terbalik", "isi": "x",
        "berlaku_mulai": "2026-05-10", "berlaku_sampai": "2026-05-01"})
    assert response.status_code == 422
    assert "Tanggal kedaluwarsa tidak boleh sebelum tanggal berlaku." in response.get_data(as_text=True)
    response = client.post("/publikasi/baru/poster", data={
        "templat": "poster_bebas", "judul": "Gambar palsu", "isi": "x", "berlaku_mulai": TODAY,
        "gambar": (io.BytesIO(b"MZ\x90\x00 not a picture"), "foto.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "bukan gambar PNG atau JPEG" in response.get_data(as_text=True)
    assert client.get("/publikasi/").get_data(as_text=True).count("/publikasi/") == before


def token(client, username) -> dict:
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_the_api_refuses_publishing_to_a_role_without_the_right(client):
    humas, camat, petugas = token(client, "humas"), token(client, "camat"), token(client, "petugas")
    body = {"jenis": "pengumuman", "judul": "Lewat API", "isi": "Isi.", "berlaku_mulai": TODAY}
    assert client.post("/api/v1/publikasi/", json=body, headers=petugas).status_code == 403
    assert client.post("/api/v1/publikasi/", json=body).status_code == 401
    bad = client.post("/api/v1/publikasi/", json={**body, "berlaku_sampai": "2000-01-01"}, headers=humas)
    assert bad.status_code == 422 and "berlaku_sampai" in bad.json["errors"]
    assert client.post("/api/v1/publikasi/", json={**body, "judul": 5}, headers=humas).status_code == 400
    created = client.post("/api/v1/publikasi/", json=body, headers=humas)
    assert created.status_code == 201 and created.json["result"]["state"] == "privat"
    url = f"/api/v1/publikasi/{created.json['result']['id']}"
    submitted = client.post(f"{url}/transition/ajukan", headers=humas)
    assert submitted.json["result"] == {"state": "menunggu_tinjauan"}
    refused = client.post(f"{url}/transition/setujui", headers=humas)
    assert refused.status_code == 409 and "tidak berwenang" in refused.json["message"]
    assert client.post(f"{url}/transition/setujui", headers=petugas).status_code == 403
    assert client.put(url, json={"judul": "Ubah saat ditinjau"}, headers=humas).status_code == 409
    approved = client.post(f"{url}/transition/setujui", json={"note": "ok"}, headers=camat)
    assert approved.status_code == 200 and approved.json["result"] == {"state": "terbit"}
    history = client.get(url, headers=camat).json["result"]["history"]
    assert [(h["transition"], h["actor"]) for h in history][-1] == ("setujui", "camat")
    spec = client.get("/api/v1/_openapi", headers=token(client, "admin")).json
    assert "/api/v1/publikasi/{item_id}/transition/{name}" in spec["paths"]


def test_template_editor_shows_the_broken_line_and_keeps_the_live_version(client, auth):
    as_user(client, auth, "humas")
    page = client.get("/templat/pengumuman").get_data(as_text=True)
    source = re.search(r'name="source"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    import html

    source = html.unescape(source)
    broken = source.replace("{% endfor %}", "{% endfor %}\n{% endif %}", 1)
    line = broken.splitlines().index("{% endif %}") + 1
    response = client.post("/templat/pengumuman", data={"source": broken, "aksi": "simpan"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and f"baris {line}" in text
    assert "versi sebelumnya tetap dipakai" in text
    assert "Versi berlaku: bawaan" in client.get("/templat/pengumuman").get_data(as_text=True)
    preview = client.post("/templat/pengumuman", data={"source": source, "aksi": "pratinjau"})
    assert preview.mimetype == "application/pdf"
    saved = client.post("/templat/pengumuman", data={"source": source, "catatan": "uji", "aksi": "simpan"})
    assert saved.status_code == 302
    assert "Versi berlaku: 1" in client.get("/templat/pengumuman").get_data(as_text=True)
    upload = client.post("/templat/aset",
                         data={"nama": "logo", "berkas": (io.BytesIO(b"GIF89a..."), "logo.gif")},
                         content_type="multipart/form-data")
    assert upload.status_code == 422 and "bukan gambar PNG atau JPEG" in upload.get_data(as_text=True)


def test_admin_edits_a_standard_as_a_new_version_and_the_old_one_stays_readable(client, auth):
    as_user(client, auth, "admin")
    form = client.get("/standar/skck/ubah").get_data(as_text=True)
    assert "petugas | " in form
    fields = dict(re.findall(r'<input class="form-control" id="(\w+)" name="\w+" value="([^"]*)"', form))
    areas = dict(re.findall(r'<textarea class="form-control" id="(\w+)"[^>]*>(.*?)</textarea>', form, re.S))
    import html

    values = {k: html.unescape(v) for k, v in {**fields, **areas}.items()}
    values.update(waktu_hari="2", catatan="Uji versi dari web")
    assert client.post("/standar/skck/ubah", data=values).status_code == 302
    assert "versi 2" in client.get("/standar/skck").get_data(as_text=True)
    auth.logout()
    public = client.get("/info/layanan/skck").get_data(as_text=True)
    assert "2 hari kerja" in public and "/info/layanan/skck/versi/1" in public
    assert "Ini versi lama" in client.get("/info/layanan/skck/versi/1").get_data(as_text=True)
    as_user(client, auth, "admin")
    refused = client.post("/standar/skck/ubah", data={**values, "prosedur": "alien | Terbang"})
    assert refused.status_code == 422 and "alien" in refused.get_data(as_text=True)
    assert client.get("/layananview/edit/skck").status_code in (403, 404)  # no edits around the versions


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_are_light_script_free_and_printable(client, url):
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.data) < 40_000
    assert "public, max-age=" in response.headers["Cache-Control"]
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert all('src="/static/lemari/' in s for s in scripts) and (bool(scripts) == (url == "/info/layar"))
    assert not re.search(r"\son\w+\s*=", html) and " style=" not in html
    assert "bootstrap" not in html and "jquery" not in html.lower()
    for link in ("/lacak", "/verify"):
        assert link in html or url == "/info/layar"


def test_public_css_has_print_rules_and_the_chart_is_svg(client):
    assert "@media print" in client.get("/static/lemari/info.css").get_data(as_text=True)
    chart = client.get("/info/layanan/ktp_el/bagan.svg")
    assert chart.mimetype == "image/svg+xml"
    root = ET.fromstring(chart.data)
    assert root.tag.endswith("svg") and "Dinas Dukcapil" in chart.get_data(as_text=True)
    assert client.get("/info/layanan/tidak_ada").status_code == 404
