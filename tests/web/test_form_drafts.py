"""An expired session in the middle of a form keeps what was typed (issue 8, "Bad input"):
with CSRF on, as in the office, the refused POST acts on nothing, the clerk logs in again and
gets the same form filled back in, once. Cross-site posts and passwords are never kept."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from sqlalchemy import func, select

from conftest import build_app
from records.extensions import db
from records.models import Penduduk, Record
from records.services.setup import DEMO_PASSWORD

DOCTYPE = "sk_domisili_penduduk"
FORM = f"/dokumen/baru/{DOCTYPE}"
SAME_SITE = {"Origin": "http://localhost", "Referer": f"http://localhost{FORM}"}


@pytest.fixture
def office(demo_home, tmp_path):
    """The demo office with CSRF protection on, as it runs at the counter."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, WTF_CSRF_ENABLED=True)
    yield app, home
    app.extensions["lemari"].close()


def token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def log_in(client, username: str, path: str = "/login/"):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"username": username, "password": DEMO_PASSWORD,
                                   "csrf_token": token(page)})


def records(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Record))


def a_nik(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == "64.02.08.2004")
                                 .order_by(Penduduk.id))


def draft_in(page: str) -> dict | None:
    found = re.search(r'<script type="application/json" id="lemari-draft"[^>]*>(.*?)</script>',
                      page, re.S)
    return json.loads(found.group(1)) if found else None


def expire_session(client) -> None:
    """What the browser does when the idle timeout passes: the session cookie is gone."""
    client.delete_cookie("session")


def test_typed_fields_come_back_after_login_and_nothing_was_created(office):
    app, home = office
    client = app.test_client()
    assert log_in(client, "petugas").status_code == 302
    old_token = token(client.get(FORM).get_data(as_text=True))
    before, nik = records(app), a_nik(app)

    expire_session(client)
    typed = {"nik": nik, "keperluan": "Syarat <b>beasiswa</b> & KIP", "csrf_token": old_token}
    response = client.post(FORM, data=typed, headers=SAME_SITE)
    assert response.status_code == 302 and response.headers["Location"] == FORM
    assert records(app) == before

    gate = client.get(FORM)                       # the form needs a login first
    assert gate.status_code == 302 and "/login/" in gate.headers["Location"]
    login_url = gate.headers["Location"].removeprefix("http://localhost")
    login_page = client.get(login_url).get_data(as_text=True)
    assert "Isian formulir Anda disimpan" in login_page

    back = log_in(client, "petugas", login_url)
    assert back.status_code == 302 and back.headers["Location"].endswith(FORM)
    page = client.get(FORM).get_data(as_text=True)
    draft = draft_in(page)
    assert draft == {"nik": [nik], "keperluan": ["Syarat <b>beasiswa</b> & KIP"]}
    assert "<b>beasiswa" not in page             # JSON in the page is escaped, not markup
    assert 'src="/static/lemari/form_draft.js?v=' in page
    assert draft_in(client.get(FORM).get_data(as_text=True)) is None     # shown once
    assert list((home / "draf_formulir").glob("*.json")) == []
    assert records(app) == before


def test_a_cross_site_post_is_refused_and_nothing_is_kept(office):
    app, home = office
    client = app.test_client()
    log_in(client, "petugas")
    expire_session(client)
    response = client.post(FORM, data={"nik": a_nik(app), "keperluan": "x"},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 400
    assert "Formulir ini sudah kedaluwarsa atau tidak sah" in response.get_data(as_text=True)
    assert not list((home / "draf_formulir").glob("*.json"))


def test_a_live_session_with_a_bad_token_gets_a_clear_message(office):
    app, _ = office
    client = app.test_client()
    log_in(client, "petugas")
    before = records(app)
    response = client.post(FORM, data={"nik": a_nik(app), "keperluan": "x", "csrf_token": "palsu"},
                           headers=SAME_SITE)
    assert response.status_code == 302          # kept for the same form, never acted on
    assert records(app) == before


def test_passwords_and_tokens_are_never_kept(office):
    app, home = office
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    expire_session(client)
    response = client.post("/login/", data={"username": "petugas", "password": DEMO_PASSWORD,
                                            "csrf_token": token(page)},
                           headers={"Origin": "http://localhost",
                                    "Referer": "http://localhost/login/"})
    assert response.status_code == 302
    [saved] = (home / "draf_formulir").glob("*.json")
    kept = saved.read_text()
    assert "petugas" in kept and DEMO_PASSWORD not in kept and "csrf" not in kept
    assert draft_in(client.get("/login/").get_data(as_text=True)) == {"username": ["petugas"]}


def left_draft(app, home, client):
    """A clerk's session expires mid-form and the refused POST leaves one draft file."""
    log_in(client, "petugas")
    expire_session(client)
    client.post(FORM, data={"nik": a_nik(app), "keperluan": "ditinggal"}, headers=SAME_SITE)
    [saved] = (home / "draf_formulir").glob("*.json")
    return saved


def test_an_old_draft_is_not_shown(office):
    app, home = office
    client = app.test_client()
    saved = left_draft(app, home, client)
    stale = json.loads(saved.read_text())
    stale["saved"] -= 31 * 60
    saved.write_text(json.dumps(stale))
    log_in(client, "petugas")
    assert draft_in(client.get(FORM).get_data(as_text=True)) is None


def test_drafts_nobody_came_back_for_are_removed_at_start(office):
    app, home = office
    saved = left_draft(app, home, app.test_client())
    old = saved.stat().st_mtime - 31 * 60
    os.utime(saved, (old, old))
    build_app(home).extensions["lemari"].close()
    assert not saved.exists()
