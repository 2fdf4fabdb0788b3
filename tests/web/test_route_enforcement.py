"""Every route of the app, opened directly by every demo role and by an anonymous visitor.

`test_permissions.py` states which role should reach which page; this test makes sure no route
escapes the checks at all: it enumerates the URL map (core, plugins and Flask-AppBuilder's own
screens alike) and asserts that a user without the Flask-AppBuilder permission behind an
endpoint is refused, whatever the URL. A new route that forgets ``@has_access``/``@protect``
fails here unless it is listed as public below, with the reason it may be.
"""

from __future__ import annotations

import re
import shutil

import pytest
from flask_appbuilder.const import PERMISSION_PREFIX

from conftest import build_app

ROLES = ("admin", "camat", "sekcam", "petugas", "arsiparis", "humas", "auditor",
         "operator_loleng")

# Endpoints anyone may open, and why.
PUBLIC_ENDPOINTS = {
    "AuthDBView.login": "the login form",
    "AuthDBView.logout": "logging out",
    "LocaleView.index": "choosing the language",
    "UtilView.back": "FAB's back link",
    "health": "monitoring (no data)",
    "static": "shipped assets", "appbuilder.static": "shipped assets",
    "public.favicon": "the icon", "public.verify_form": "document verification",
    "public.verify_link": "the QR address of a document",
    "SecurityApi.login": "REST login", "SecurityApi.refresh": "REST token refresh (JWT)",
    "HomeView.index": "sends anonymous visitors to the login; shows a user only their roles",
}
# FAB's bulk actions check the permission of the named action inside the view.
GUARDED_INSIDE = ("action", "action_post")
# Blueprints whose every page is public by design (plugins add theirs here).
# (the /info pages, tracking, the kiosk, TV display and ticket pages, booking and its slip,
# complaints, the survey).
PUBLIC_BLUEPRINTS = {"public", "info", "lacak", "antrian_public", "jadwal_public", "pengaduan_public",
                     "survei_public"}
# What a refusal looks like: FAB's login redirect (anonymous), 401 (REST), 403, 404 (scope),
# 405 (method not served to this user).
REFUSED = {302, 401, 403, 404, 405}
# A REST call may be turned away for its missing arguments before its permission is checked;
# it still returns nothing.
REFUSED_API = REFUSED | {400}
MISSING_ID = "999999"


@pytest.fixture(scope="module")
def app(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("routes") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, LOGIN_RATE_LIMIT="1000 per minute")
    yield app
    app.extensions["lemari"].close()


def endpoint_permission(app, endpoint: str) -> tuple[str, str] | None:
    """The (permission, view menu) Flask-AppBuilder checks for an endpoint, as FAB derives
    it; None when the endpoint is not a FAB view method."""
    view_name, _, method = endpoint.partition(".")
    view = next((v for v in app.appbuilder.baseviews if v.endpoint == view_name), None)
    if view is None or not method:
        return None
    func = getattr(view, method, None)
    name = getattr(func, "_permission_name", None)
    if name is None:
        return None
    mapped = (view.method_permission_name or {}).get(func.__name__)  # as has_access/protect do
    return PERMISSION_PREFIX + (mapped or name), view.class_permission_name


def is_public(app, rule) -> bool:
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return True
    blueprint = rule.endpoint.split(".")[0] if "." in rule.endpoint else ""
    return blueprint in PUBLIC_BLUEPRINTS and endpoint_permission(app, rule.endpoint) is None


def url_of(rule) -> str | None:
    """The rule with every placeholder filled by an id that does not exist."""
    if "<path:" in rule.rule:
        return None
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", MISSING_ID, rule.rule)


def rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        url = url_of(rule)
        if url is not None and not is_public(app, rule):
            yield rule, url


def test_every_route_is_protected_or_declared_public(app):
    """Each non-public route maps to a FAB permission (so has_access/protect guards it)."""
    unguarded = [f"{r.rule} → {r.endpoint}" for r, _ in rules(app)
                 if endpoint_permission(app, r.endpoint) is None
                 and r.endpoint.rsplit(".", 1)[-1] not in GUARDED_INSIDE]
    assert unguarded == []


def held_pairs(app, username: str) -> set[tuple[str, str]] | None:
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        if any(role.name == sm.auth_role_admin for role in user.roles):
            return None  # Admin holds everything
        return set(sm.get_user_permissions(user))


def request(client, rule, url, headers=None):
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    return client.open(url, method=method, headers=headers or {})


@pytest.mark.parametrize("username", (None, *ROLES))
def test_no_route_answers_a_user_without_its_permission(app, username):
    client = app.test_client()
    headers, held = {}, set()
    if username:
        client.environ_base["REMOTE_ADDR"] = f"10.9.0.{ROLES.index(username) + 1}"
        client.post("/login/", data={"username": username, "password": "Demo#KotaBangun2026"})
        token = client.post("/api/v1/security/login", json={
            "username": username, "password": "Demo#KotaBangun2026", "provider": "db"}).get_json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        held = held_pairs(app, username)
    leaks, errors = [], []
    for rule, url in rules(app):
        permission = endpoint_permission(app, rule.endpoint)
        allowed = username is not None and (held is None or permission in held)
        if rule.endpoint.rsplit(".", 1)[-1] in GUARDED_INSIDE or (
                allowed and rule.endpoint.rsplit(".", 1)[-1] == "delete"):
            continue  # never fire destructive FAB actions, even on a missing id
        response = request(client, rule, url, headers if url.startswith("/api/") else None)
        if response.status_code >= 500:
            errors.append(f"{response.status_code} {rule.rule}")
        elif not allowed and response.status_code not in (
                REFUSED_API if url.startswith("/api/") else REFUSED):
            leaks.append(f"{response.status_code} {rule.rule} ({permission})")
        elif not allowed and response.status_code == 302 and username:
            assert "/login" in response.location or "/resetmypassword" in response.location, rule.rule
    assert errors == []
    assert leaks == []
