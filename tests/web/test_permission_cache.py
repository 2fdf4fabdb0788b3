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


def count_queries(app, fn) -> int:
    """Statements the app's engine runs while `fn` runs."""
    with app.app_context():
        engine = db.engine
    seen = []

    def note(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(seen)


def test_a_staff_page_asks_the_database_once_per_request_not_per_menu_item(app, client, auth):
    assert auth.login("camat").status_code == 302
    assert client.get("/").status_code == 200  # warm: the cache holds the camat's role
    queries = count_queries(app, lambda: client.get("/dokumen/"))
    assert queries <= 15, queries


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
