"""Lockout an outsider cannot turn against a clerk, and rate limits on the public look-ups
(issue: privacy and security, item 7).

The attack: five wrong passwords for a named account locked it for 15 minutes for everyone, so
anyone could keep a clerk (or, from one address, every clerk) out of the system. Now failures
count per account *and* address, with a wait that doubles; the clerk at the office PC still
gets in. `/lacak`, `/verify` and `/pengaduan/lacak` had no limit at all.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import select

from conftest import build_app
from records.extensions import db
from records.models import AuditEvent
from records.passwords import DEMO_PASSWORD

OUTSIDER = "203.0.113.7"      # an address outside the office network (TEST-NET-3)
OFFICE_PC = "192.168.1.20"    # the clerk's PC on the office LAN


def login(client, username, password=DEMO_PASSWORD, address=OFFICE_PC):
    return client.post("/login/", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def api_login(client, username, password=DEMO_PASSWORD, address=OFFICE_PC):
    return client.post("/api/v1/security/login", environ_base={"REMOTE_ADDR": address},
                       json={"username": username, "password": password, "provider": "db"})


def logged_in(client, address=OFFICE_PC) -> bool:
    return client.get("/", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_an_outsider_cannot_lock_a_clerk_out(app):
    attacker, clerk = app.test_client(), app.test_client()
    for _ in range(3 * app.config["LOGIN_MAX_FAILURES"]):
        login(attacker, "petugas", "tebakan-salah-1", address=OUTSIDER)
    assert login(clerk, "petugas").status_code == 302
    assert logged_in(clerk)
    assert "access_token" in api_login(clerk, "petugas").get_json()


def test_one_address_cannot_lock_every_account(app):
    attacker = app.test_client()
    staff = ("petugas", "camat", "sekcam", "humas", "arsiparis", "auditor")
    for username in staff:
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
            login(attacker, username, "tebakan-salah-1", address=OUTSIDER)
    for username in staff:
        clerk = app.test_client()
        assert login(clerk, username).status_code == 302, username
        assert logged_in(clerk), username


def test_the_guessing_address_is_held_back_even_with_the_right_password(app, client):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "camat", "tebakan-salah-1", address=OUTSIDER)
    login(client, "camat", address=OUTSIDER)           # the right one, from the same address
    assert not logged_in(client, OUTSIDER)
    assert api_login(client, "camat", address=OUTSIDER).status_code == 401
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)
                                          .where(AuditEvent.actor == "camat").order_by(AuditEvent.id)))
    assert "login.locked" in actions and actions[-1] == "login.refused_locked"


def lock_seconds(app, username) -> list[float]:
    """How long each throttled address of the account must wait, from its last failure."""
    from records.models import LoginThrottle

    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.user_id == user.id))
        return [(row.locked_until - row.last_failure).total_seconds() for row in rows if row.locked_until]


def test_each_failure_after_the_wait_doubles_the_next_wait(app, client, monkeypatch):
    import records.security as security

    now = [dt.datetime(2026, 12, 1, 8, 0)]
    monkeypatch.setattr(security, "_utcnow", lambda: now[0])
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "sekcam", "tebakan-salah-1", address=OUTSIDER)
    first = lock_seconds(app, "sekcam")
    assert len(first) == 1 and first[0] > 0
    waits = [first[0]]
    for _ in range(3):
        now[0] += dt.timedelta(seconds=waits[-1] + 1)  # the wait is over: one more guess
        login(client, "sekcam", "tebakan-salah-1", address=OUTSIDER)
        waits.append(lock_seconds(app, "sekcam")[0])
    assert waits == [waits[0] * 2 ** i for i in range(4)]
    assert max(waits) <= 60 * app.config["LOGIN_LOCK_MINUTES"]
    login(client, "sekcam", address=OFFICE_PC)          # the real user, from the office
    assert logged_in(client)


@pytest.fixture
def small_office(demo_home, tmp_path):
    """The demo office with a low account-wide ceiling and low look-up limits."""
    shutil.copytree(demo_home, tmp_path / "home")
    app = build_app(tmp_path / "home", LOGIN_ACCOUNT_MAX_FAILURES=8, LOOKUP_RATE_LIMIT="3 per minute")
    yield app
    app.extensions["lemari"].close()


def test_many_addresses_guessing_one_account_lock_it_only_outside_the_office(small_office):
    app = small_office
    attacker = app.test_client()
    for i in range(12):  # one guess from each of many outside addresses
        login(attacker, "arsiparis", "tebakan-salah-1", address=f"198.51.100.{i + 1}")
    outside = app.test_client()
    login(outside, "arsiparis", address="198.51.100.200")
    assert not logged_in(outside, "198.51.100.200")     # the account is shut to outsiders
    clerk = app.test_client()
    assert login(clerk, "arsiparis").status_code == 302
    assert logged_in(clerk)                               # and open at the office


LOOKUPS = ["/lacak?kode=KB-ABCD2345", "/lacak/KB-ABCD2345", "/verify?kode=ABCDEFGH",
           "/verify/ABCDEFGH", "/pengaduan/lacak?kode=PG-ABCD2345", "/pengaduan/lacak/PG-ABCD2345"]


@pytest.mark.parametrize("path", LOOKUPS)
def test_public_lookups_are_rate_limited_per_address(small_office, path):
    client = small_office.test_client()
    address = {"REMOTE_ADDR": "198.51.100.77"}
    statuses = [client.get(path, environ_base=address).status_code for _ in range(3)]
    assert 429 not in statuses
    refused = client.get(path, environ_base=address)
    assert refused.status_code == 429
    assert "Terlalu banyak" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    other = client.get(path, environ_base={"REMOTE_ADDR": "198.51.100.78"})
    assert other.status_code != 429  # another address is not held back


def test_the_lookups_share_one_limit(small_office):
    client = small_office.test_client()
    address = {"REMOTE_ADDR": "198.51.100.79"}
    for path in LOOKUPS[::2]:
        assert client.get(path, environ_base=address).status_code != 429
    assert client.get(LOOKUPS[1], environ_base=address).status_code == 429


def test_a_logged_in_clerk_over_the_limit_gets_the_page_not_a_500(small_office):
    app = small_office
    client = app.test_client()
    assert login(client, "petugas", address="127.0.0.1").status_code == 302
    for _ in range(3):
        client.get(LOOKUPS[0])
    refused = client.get(LOOKUPS[0])
    assert refused.status_code == 429 and "Terlalu banyak" in refused.get_data(as_text=True)
