"""Sessions and tokens end with what ended them (issue: privacy and security, item 3).

The attack: a session cookie, an access token or a 30-day refresh token copied (or left on a
shared counter PC) before a password change, a logout, a deactivation or a role change kept
working, and the refresh token kept minting new access tokens. Each test keeps such a copy,
does the change, and proves the copy is dead at once, while the session that made the change
carries on.
"""

from __future__ import annotations

from records.extensions import db
from records.passwords import DEMO_PASSWORD

NEW_PASSWORD = "Pelayanan2026Loket"


def login(client, username, password=DEMO_PASSWORD):
    return client.post("/login/", data={"username": username, "password": password})


def tokens(client, username, password=DEMO_PASSWORD) -> tuple[str, str]:
    """An access token and a refresh token from the REST login."""
    body = client.post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": True}).get_json()
    return body["access_token"], body["refresh_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def copied_session(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def logged_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def api_works(client, access: str) -> bool:
    """The token is taken (the role may still lack the right: 403 is not 401)."""
    return client.get("/api/v1/penduduk/", headers=bearer(access)).status_code in (200, 403)


def refresh_works(client, refresh: str) -> bool:
    return client.post("/api/v1/security/refresh", headers=bearer(refresh)).status_code == 200


def everything_works(app, client, username):
    """A logged-in browser, a copy of its cookie, and a pair of tokens: all alive."""
    assert login(client, username).status_code == 302
    copy = copied_session(app, client)
    access, refresh = tokens(client, username)
    assert logged_in(client) and logged_in(copy)
    assert api_works(client, access) and refresh_works(client, refresh)
    return copy, access, refresh


def assert_all_dead(client, copy, access, refresh):
    assert not logged_in(copy), "a copy of the session cookie still works"
    assert "/login/" in copy.get("/").location
    assert client.get("/api/v1/penduduk/", headers=bearer(access)).status_code == 401
    assert client.post("/api/v1/security/refresh", headers=bearer(refresh)).status_code == 401


def test_a_password_change_ends_every_other_session_and_token(app, client):
    copy, access, refresh = everything_works(app, client, "petugas")
    done = client.post("/resetmypassword/form",
                       data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert logged_in(client)  # the session that changed the password carries on
    assert_all_dead(client, copy, access, refresh)
    fresh, _ = tokens(client, "petugas", NEW_PASSWORD)
    assert api_works(client, fresh)


def test_a_refresh_token_minted_before_the_change_mints_nothing_after(app, client):
    assert login(client, "sekcam").status_code == 302
    access, refresh = tokens(client, "sekcam")
    minted = client.post("/api/v1/security/refresh", headers=bearer(refresh)).get_json()["access_token"]
    assert api_works(client, minted)
    client.post("/resetmypassword/form", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert client.post("/api/v1/security/refresh", headers=bearer(refresh)).status_code == 401
    assert client.get("/api/v1/penduduk/", headers=bearer(minted)).status_code == 401


def test_an_admin_reset_ends_the_users_sessions_and_tokens(app, client):
    clerk = app.test_client()
    copy, access, refresh = everything_works(app, clerk, "arsiparis")
    assert login(client, "admin").status_code == 302
    with app.app_context():
        user_id = app.appbuilder.sm.find_user(username="arsiparis").id
    assert client.post(f"/resetpassword/form?pk={user_id}",
                       data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}).status_code == 302
    assert logged_in(client)  # the Admin's own session is not touched
    assert not logged_in(clerk)
    assert_all_dead(clerk, copy, access, refresh)


def test_a_cookie_copied_before_logout_is_dead_after_it(app, client):
    copy, access, refresh = everything_works(app, client, "camat")
    client.get("/logout/")
    assert not logged_in(client)
    assert_all_dead(client, copy, access, refresh)


def set_active(app, username, active: bool) -> None:
    with app.app_context():
        app.appbuilder.sm.find_user(username=username).active = active
        db.session.commit()


def test_a_deactivation_ends_sessions_and_tokens_even_after_reactivation(app, client):
    copy, access, refresh = everything_works(app, client, "auditor")
    set_active(app, "auditor", False)
    assert not logged_in(copy)
    set_active(app, "auditor", True)  # back on: what was issued before stays dead
    assert_all_dead(client, copy, access, refresh)
    assert not logged_in(client)


def test_a_role_change_ends_sessions_and_tokens(app, client):
    copy, access, refresh = everything_works(app, client, "humas")
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username="humas")
        user.roles = [sm.find_role("Arsiparis")]
        db.session.commit()
    assert not logged_in(client)
    assert_all_dead(client, copy, access, refresh)
    assert login(client, "humas").status_code == 302 and logged_in(client)


def test_other_accounts_keep_their_sessions(app, client):
    other = app.test_client()
    assert login(other, "petugas").status_code == 302
    access, _ = tokens(other, "petugas")
    assert login(client, "camat").status_code == 302
    client.post("/resetmypassword/form", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    client.get("/logout/")
    assert logged_in(other) and api_works(other, access)
