"""Role permissions are read once per role and process, and re-read everywhere after a change.

Flask-AppBuilder asked the database for every `has_access` and menu item (~38 queries a staff
page); records.security.PermissionCache answers from memory and an epoch counter in the database
tells every process when a role or permission changed.
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import event

from conftest import build_app
from records.extensions import db


def statements(app, fn) -> list[str]:
    """The SQL statements the app's engine runs while `fn` runs."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def count_queries(app, fn) -> int:
    """How many statements the app's engine runs while `fn` runs."""
    return len(statements(app, fn))


#: FAB's permission tables: a repeated page must not read them (the cache answers).
PERMISSION_TABLES = ("ab_permission", "ab_view_menu", "ab_permission_view")


def test_a_staff_page_asks_the_database_once_per_request_not_per_menu_item(app, client, auth):
    assert auth.login("camat").status_code == 302
    assert client.get("/").status_code == 200  # warm: the cache holds the camat's role
    queries = count_queries(app, lambda: client.get("/dokumen/"))
    assert queries <= 15, queries


@pytest.mark.parametrize(("username", "url", "most"), [
    # the Camat's home: one statement of the session's user and the rights epoch, then its
    # content: the counts of every worklist in one statement (the menu's badges and the page
    # share it), the lists' first items, backup targets and the UPS status; every other staff
    # page pays that one statement for the menu's badges
    ("camat", "/", 8), ("camat", "/dokumen/", 5), ("petugas", "/cari/?q=siti", 9),
    ("petugas", "/antrian/loket/", 8), ("admin", "/pendudukview/list/", 11),
    ("arsiparis", "/arsip/", 7)])
def test_a_repeated_page_reads_no_permission_table(app, client, auth, username, url, most):
    """Menu, buttons and the route's own check: the second request of a page reads neither
    FAB's permission tables nor the user's rights item by item."""
    assert auth.login(username).status_code == 302
    first = client.get(url)
    assert first.status_code == 200, url
    seen = statements(app, lambda: client.get(url))
    asked = [s for s in seen if any(table in s for table in PERMISSION_TABLES)]
    assert asked == []
    assert len(seen) <= most, "\n".join(seen)


USER_TABLES = ("ab_user", "ab_role", "ab_group", "lemari_session_epoch",
               "lemari_account_security", "lemari_cache_epoch")


def test_a_request_loads_its_user_and_epochs_in_one_statement(app, client, auth):
    """The user with its roles and groups, the account's epoch and password duty and the
    rights epoch: each round trip is a wait for a core on a busy PC (issue 17)."""
    assert auth.login("petugas").status_code == 302
    assert client.get("/antrian/loket/").status_code == 200
    seen = statements(app, lambda: client.get("/antrian/loket/"))
    about_the_user = [s for s in seen if any(f"FROM {table}" in s for table in USER_TABLES)]
    assert len(about_the_user) == 1, "\n".join(about_the_user)


def test_the_menu_is_the_roles_own_after_another_role_filled_the_cache(app, auth, client):
    """The menu is cached per set of held permissions: the Auditor's menu never reaches Humas."""
    auditor = app.test_client()
    auditor.post("/login/", data={"username": "auditor", "password": "Demo#KotaBangun2026"})
    assert "/auditview/list/" in auditor.get("/").get_data(as_text=True)
    assert auth.login("humas").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "/auditview/list/" not in page and "/pendudukview/list/" not in page


def test_the_menu_follows_a_grant_and_a_revoke_made_by_another_process(app, client, auth):
    assert auth.login("humas").status_code == 302
    assert "/auditview/list/" not in client.get("/").get_data(as_text=True)  # cached now
    other = build_app(app.config["HOME"])  # a second server process on the same database
    try:
        grant(other, "Humas", "menu_access", "Log Audit")
        grant(other, "Humas", "can_read", "Audit")
        assert "/auditview/list/" in client.get("/").get_data(as_text=True)
        assert client.get("/auditview/list/").status_code == 200
        revoke(other, "Humas", "menu_access", "Log Audit")
        revoke(other, "Humas", "can_read", "Audit")
        assert "/auditview/list/" not in client.get("/").get_data(as_text=True)
        assert client.get("/auditview/list/").status_code == 403
    finally:
        other.extensions["lemari"].close()


def test_a_deactivated_account_is_refused_although_its_roles_are_cached(app, client, auth):
    assert auth.login("auditor").status_code == 302
    assert client.get("/auditview/list/").status_code == 200
    with app.app_context():
        app.appbuilder.sm.find_user(username="auditor").active = False
        db.session.commit()
    assert client.get("/auditview/list/").status_code in (302, 403)


def revoke(app, role_name: str, permission: str, view: str) -> None:
    """What an Admin's edit of a role does: remove one permission, through the ORM."""
    with app.app_context():
        sm = app.appbuilder.sm
        role, pv = sm.find_role(role_name), sm.find_permission_view_menu(permission, view)
        assert role is not None and pv in role.permissions
        role.permissions.remove(pv)
        db.session.commit()


def grant(app, role_name: str, permission: str, view: str) -> None:
    with app.app_context():
        sm = app.appbuilder.sm
        role, pv = sm.find_role(role_name), sm.find_permission_view_menu(permission, view)
        assert role is not None and pv is not None
        role.permissions.append(pv)
        db.session.commit()


@pytest.mark.parametrize("where", ["same process", "another process"])
def test_a_revoked_permission_is_refused_at_the_next_request(app, client, auth, tmp_path, where):
    assert auth.login("auditor").status_code == 302
    assert client.get("/auditview/list/").status_code == 200  # cached: the auditor may read it
    if where == "same process":
        revoke(app, "Auditor", "can_read", "Audit")
    else:  # a second server process on the same database changes the role
        other = build_app(app.config["HOME"])
        revoke(other, "Auditor", "can_read", "Audit")
        other.extensions["lemari"].close()
    assert client.get("/auditview/list/").status_code == 403


def test_the_epoch_moves_only_when_roles_or_permissions_change(app):
    from records.security import _read_epoch

    with app.app_context():
        before = _read_epoch()
        app.appbuilder.sm.find_user(username="petugas").first_name = "Petugas Loket"
        db.session.commit()
        assert _read_epoch() == before  # an ordinary write leaves the cache alone
        grant(app, "Humas", "can_read", "Audit")
        assert _read_epoch() == before + 1


def test_a_granted_permission_is_seen_without_restart(app, client, auth):
    assert auth.login("humas").status_code == 302
    assert client.get("/auditview/list/").status_code == 403
    grant(app, "Humas", "can_read", "Audit")
    assert client.get("/auditview/list/").status_code == 200


def test_fresh_copy_of_a_home_is_independent(demo_home, tmp_path):
    """A second app on a copied folder starts from the database, never another app's cache."""
    shutil.copytree(demo_home, tmp_path / "home")
    other = build_app(tmp_path / "home")
    client = other.test_client()
    client.post("/login/", data={"username": "auditor", "password": "Demo#KotaBangun2026"})
    assert client.get("/auditview/list/").status_code == 200
    other.extensions["lemari"].close()


def test_an_admins_role_edit_on_the_roles_screen_is_seen_by_a_logged_in_user(app, client, auth):
    """The real admin path: FAB's role edit form adds `can_read on Audit` to Humas; the Humas
    session already cached its rights and menu, and its next request follows the edit."""
    assert auth.login("humas").status_code == 302
    assert client.get("/auditview/list/").status_code == 403
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("Humas")
        held = [str(pv.id) for pv in role.permissions]
        added = [str(sm.find_permission_view_menu(name, view).id)
                 for name, view in (("can_read", "Audit"), ("menu_access", "Log Audit"))]
        role_id = role.id
        db.session.remove()
    admin = app.test_client()
    assert admin.post("/login/", data={"username": "admin", "password": "Demo#KotaBangun2026"}
                      ).status_code == 302
    edited = admin.post(f"/roles/edit/{role_id}",
                        data={"name": "Humas", "permissions": held + added})
    assert edited.status_code == 302, edited.get_data(as_text=True)[:2000]
    assert client.get("/auditview/list/").status_code == 200
    assert "/auditview/list/" in client.get("/").get_data(as_text=True)
    assert admin.post(f"/roles/edit/{role_id}",
                      data={"name": "Humas", "permissions": held}).status_code == 302
    assert client.get("/auditview/list/").status_code == 403
    assert "/auditview/list/" not in client.get("/").get_data(as_text=True)
