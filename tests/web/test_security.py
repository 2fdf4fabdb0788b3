"""Access hardening through the real login form and REST login: lockout, rate limits, audit,
forced password change, password policy, security headers, cookies, JWT-only API."""

from __future__ import annotations

import contextlib
import os
import re

import pytest
from sqlalchemy import select

from conftest import build_app
from records.extensions import db
from records.models import AccountSecurity, AuditEvent
from records.passwords import DEMO_PASSWORD, PasswordPolicyError, check_password

GOOD_PASSWORD = "Pelayanan2026Loket"


def login(client, username, password=DEMO_PASSWORD):
    return client.post("/login/", data={"username": username, "password": password})


def api_login(client, username, password=DEMO_PASSWORD):
    return client.post("/api/v1/security/login",
                       json={"username": username, "password": password, "provider": "db"})


def audit_actions(app, actor=None):
    with app.app_context():
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        if actor:
            query = query.where(AuditEvent.actor == actor)
        return list(db.session.scalars(query))


def flash_text(client) -> str:
    return client.get("/login/").get_data(as_text=True)


def test_wrong_password_and_unknown_user_read_the_same(client, app):
    wrong = login(client, "petugas", "salah-sekali-123")
    wrong_page = flash_text(client)
    unknown = login(client, "tidak_ada_orangnya", "salah-sekali-123")
    unknown_page = flash_text(client)
    assert wrong.status_code == unknown.status_code == 302
    assert wrong.location == unknown.location

    def message(page):
        return re.findall(r'class="alert[^"]*"[^>]*>.*?</div>', page, re.S)

    assert message(wrong_page) and [m.replace("\n", "") for m in message(wrong_page)] == \
        [m.replace("\n", "") for m in message(unknown_page)]
    assert "login.failure" in audit_actions(app, "petugas")
    assert "login.failure" in audit_actions(app, "anonim")


def test_successful_login_is_audited(client, app):
    assert login(client, "camat").status_code == 302
    assert audit_actions(app, "camat")[-1] == "login.success"


def test_five_failures_lock_the_account_even_for_the_right_password(client, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "sekcam", "bukan-sandinya-1")
    assert login(client, "sekcam").status_code == 302
    assert client.get("/").status_code == 302  # still not logged in
    actions = audit_actions(app, "sekcam")
    assert "login.locked" in actions and actions[-1] == "login.refused_locked"
    assert api_login(client, "sekcam").status_code == 401


def test_a_success_resets_the_failure_count(client, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "humas", "bukan-sandinya-1")
    login(client, "humas")
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="humas")
        assert db.session.get(AccountSecurity, user.id).failed_logins == 0


def redis_reachable() -> str | None:
    """None when Redis answers on 127.0.0.1:6379, else why (a failure on CI=true)."""
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis tidak dapat dihubungi: {exc}"
    return None


@pytest.fixture(params=["memory", "redis"])
def limiter_storage(request):
    if request.param == "memory":
        return "memory://"
    reason = redis_reachable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return "redis://127.0.0.1:6379/15"


def test_login_posts_are_rate_limited_per_address(tmp_path, demo_home, limiter_storage):
    import shutil
    import uuid

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, LOGIN_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI=limiter_storage,
                    RATELIMIT_KEY_PREFIX=f"lemari-test-{uuid.uuid4().hex}")
    client = app.test_client()
    statuses = [login(client, f"orang{i}", "x-1234567890").status_code for i in range(4)]
    assert statuses[:3] == [302, 302, 302] and statuses[3] == 429
    assert "Terlalu banyak" in login(client, "orang9", "x").get_data(as_text=True)
    assert api_login(client, "orang10", "x").status_code == 429
    app.extensions["lemari"].close()


def must_change(app, username, value=True):
    with app.app_context():
        from records.services.accounts import security_state

        user = app.appbuilder.sm.find_user(username=username)
        security_state(db.session, user.id).must_change_password = value
        db.session.commit()


def test_an_account_that_must_change_its_password_reaches_only_the_form(client, app):
    must_change(app, "petugas")
    login(client, "petugas")
    for path in ("/", "/pendudukview/list/", "/dokumen/"):
        response = client.get(path)
        assert response.status_code == 302 and "/resetmypassword/form" in response.location
    form = client.get("/resetmypassword/form")
    assert form.status_code == 200
    weak = client.post("/resetmypassword/form",
                       data={"password": DEMO_PASSWORD, "conf_password": DEMO_PASSWORD})
    assert "Kata sandi demo tidak boleh dipakai" in weak.get_data(as_text=True)
    assert client.get("/").status_code == 302
    done = client.post("/resetmypassword/form",
                       data={"password": GOOD_PASSWORD, "conf_password": GOOD_PASSWORD})
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    assert "account.password_change" in audit_actions(app, "petugas")
    client.get("/logout/")
    assert login(client, "petugas", GOOD_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_no_api_token_before_the_password_is_changed(client, app):
    must_change(app, "auditor")
    assert api_login(client, "auditor").status_code == 401
    must_change(app, "auditor", False)
    assert "access_token" in api_login(client, "auditor").get_json()


def test_demo_cli_accounts_must_change_their_password(cli_demo_home, tmp_path):
    """`lemari init` and `lemari demo` run as the office runs them (conftest.cli_demo_home)."""
    import shutil

    made, demo_output = cli_demo_home
    assert "wajib mengganti kata sandi" in demo_output
    shutil.copytree(made, tmp_path / "home")
    app = build_app(tmp_path / "home")
    client = app.test_client()
    login(client, "admin")
    assert "/resetmypassword/form" in client.get("/").location
    app.extensions["lemari"].close()


def test_production_passwords_are_hashed_with_scrypt(tmp_path, demo_home):
    """The suite hashes with one PBKDF2 round (conftest.TEST_PASSWORD_HASH); an office's app,
    built without test overrides, stores scrypt hashes and checks logins against them."""
    import shutil

    from records.app import create_app

    shutil.copytree(demo_home, tmp_path / "home")
    app = create_app({"HOME": str(tmp_path / "home"), "TESTING": True, "LOG_LEVEL": "WARNING",
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        sm = app.appbuilder.sm
        sm.reset_password(sm.find_user(username="humas").id, GOOD_PASSWORD)
        assert sm.find_user(username="humas").password.startswith("scrypt:")
        assert app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"].startswith("scrypt:")
    client = app.test_client()
    assert "/login/" in login(client, "humas", "salah-sekali-123").location
    assert login(client, "humas", GOOD_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    app.extensions["lemari"].close()


def test_an_admin_reset_imposes_a_new_change(client, app):
    login(client, "admin")
    with app.app_context():
        user_id = app.appbuilder.sm.find_user(username="arsiparis").id
    response = client.post(f"/resetpassword/form?pk={user_id}",
                           data={"password": GOOD_PASSWORD, "conf_password": GOOD_PASSWORD})
    assert response.status_code == 302
    client.get("/logout/")
    login(client, "arsiparis", GOOD_PASSWORD)
    assert "/resetmypassword/form" in client.get("/").location
    assert "account.password_reset" in audit_actions(app, "admin")


@pytest.mark.parametrize("password, reason", [
    ("Pendek1", "minimal 10"), ("hanyahurufsaja", "huruf dan angka"),
    ("12345678901", "huruf dan angka"), (DEMO_PASSWORD, "demo"),
    ("Password123456", "mudah ditebak"), ("aaaaaaaa11", "mudah ditebak"),
])
def test_password_policy_refuses_weak_passwords(password, reason):
    with pytest.raises(PasswordPolicyError, match=reason):
        check_password(password)


def test_password_policy_refuses_the_username_and_accepts_a_passphrase():
    with pytest.raises(PasswordPolicyError, match="nama pengguna"):
        check_password("petugas2026Baru", username="petugas")
    check_password(GOOD_PASSWORD, username="petugas")


def test_pages_carry_a_nonce_csp_and_every_script_uses_the_nonce(client):
    login(client, "petugas")
    response = client.get("/pendudukview/list/")
    csp = response.headers["Content-Security-Policy"]
    scripts = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in scripts and "unsafe-eval" not in scripts
    nonce = re.search(r"'nonce-([^']+)'", scripts).group(1)
    page = response.get_data(as_text=True)
    tags = re.findall(r"<script\b[^>]*>", page)
    assert tags and all(f'nonce="{nonce}"' in tag or "src=" in tag for tag in tags)
    assert not re.search(r"\son[a-z]+\s*=", page)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Content-Security-Policy"] != csp  # a fresh nonce per page


def test_session_cookie_is_httponly_samesite_and_expires_when_idle(client, app):
    response = login(client, "petugas")
    cookie = next(v for k, v in response.headers.items()
                  if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.permanent_session_lifetime.total_seconds() == 60 * app.config["SESSION_IDLE_MINUTES"]


def test_https_public_address_makes_cookies_secure(tmp_path, demo_home):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, PUBLIC_BASE_URL="https://kotabangun.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["lemari"].close()


def test_the_rest_api_ignores_the_browser_session(client):
    login(client, "petugas")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/penduduk/").status_code == 401
    token = api_login(client, "petugas").get_json()["access_token"]
    assert client.get("/api/v1/penduduk/", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/dokumen/", "/api/v1/arsip/", "/api/v1/publikasi/"])
def test_every_service_api_ignores_the_browser_session(client, url):
    login(client, "admin")
    assert client.get(url).status_code == 401
    token = api_login(client, "admin").get_json()["access_token"]
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200


@contextlib.contextmanager
def committed_first(engine, table: str, row):
    """Another session commits `row` just before this session's first INSERT into `table`
    (after this one looked and found none: the race of two simultaneous first logins);
    fails if that INSERT never came."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    raced = []

    def other_first(conn, cursor, statement, *_):
        if statement.startswith(f"INSERT INTO {table}") and not raced:
            raced.append(True)
            with Session(engine) as other:
                other.add(row)
                other.commit()

    event.listen(engine, "before_cursor_execute", other_first)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", other_first)
    assert raced, f"no INSERT INTO {table}"


def _user_id(app, username: str) -> int:
    user = app.appbuilder.sm.user_model
    return db.session.scalar(select(user.id).where(user.username == username))


def test_two_first_logins_of_one_account_at_once_share_its_login_state(app):
    """Both found no login state row; the second INSERT failed on its key and the login
    answered 500 (seen under `lemari serve --workers 2`). The later one reads the row the
    other made."""
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from records.services.accounts import security_state

    with app.app_context():
        user_id = _user_id(app, "petugas")
        db.session.execute(delete(AccountSecurity).where(AccountSecurity.user_id == user_id))
        db.session.commit()
        other = AccountSecurity(user_id=user_id, failed_logins=3, must_change_password=False)
        with committed_first(db.engine, "lemari_account_security", other), Session(db.engine) as this:
            state = security_state(this, user_id)
            assert state.failed_logins == 3  # the other's row, not a 500
            state.failed_logins = 0
            this.commit()
        assert db.session.get(AccountSecurity, user_id, populate_existing=True).failed_logins == 0


def test_two_first_failures_from_one_address_at_once_share_its_throttle(app):
    """The same race for an address's first failed login: the later one counts on the row
    the other made instead of failing on the (account, address) key."""
    import datetime as dt

    from sqlalchemy.orm import Session

    from records.models import LoginThrottle
    from records.services.accounts import failure_throttle

    now = dt.datetime(2026, 12, 7, 6, 0)
    with app.app_context():
        user_id = _user_id(app, "petugas")
        other = LoginThrottle(user_id=user_id, source="alamat", failures=1, last_failure=now)
        with committed_first(db.engine, "lemari_login_throttle", other), Session(db.engine) as this:
            throttle = failure_throttle(this, user_id, "alamat", now)
            assert throttle.failures == 1  # the other's row, not a 500
            throttle.failures += 1
            this.commit()
        assert db.session.scalar(select(LoginThrottle.failures).where(
            LoginThrottle.user_id == user_id, LoginThrottle.source == "alamat")) == 2
