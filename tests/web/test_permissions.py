"""Role × route matrix: each role reaches exactly its pages; everything else answers 403.

Menus are checked on the rendered navbar, routes by opening them directly, so hiding a link is
never mistaken for refusing access.
"""

import pytest

ROLES = ("admin", "camat", "sekcam", "petugas", "arsiparis", "humas", "auditor", "operator_loleng")

# route → roles (demo usernames) that may open it; every other role must get 403
ROUTES = {
    "/dokumen/": {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor", "operator_loleng"},
    "/dokumen/baru": {"admin", "camat", "sekcam", "petugas", "operator_loleng"},
    "/pendudukview/list/": {"admin", "camat", "sekcam", "petugas", "auditor", "operator_loleng"},
    "/pendudukview/add": {"admin", "petugas", "operator_loleng"},
    "/keluargaview/list/": {"admin", "camat", "sekcam", "petugas", "auditor", "operator_loleng"},
    "/penduduk-impor/": {"admin", "petugas", "operator_loleng"},
    "/wilayahview/list/": set(ROLES),
    "/auditview/list/": {"admin", "auditor"},
    "/users/list/": {"admin"},
    "/roles/list/": {"admin"},
}

# menu link → roles that must see it in the navbar
MENUS = {
    "/dokumen/": ROUTES["/dokumen/"],
    "/pendudukview/list/": ROUTES["/pendudukview/list/"],
    "/keluargaview/list/": ROUTES["/keluargaview/list/"],
    "/penduduk-impor/": ROUTES["/penduduk-impor/"],
    "/wilayahview/list/": ROUTES["/wilayahview/list/"],
    "/auditview/list/": ROUTES["/auditview/list/"],
    "/users/list/": {"admin"},
}

MATRIX = [(role, route, 200 if role in allowed else 403)
          for route, allowed in ROUTES.items() for role in ROLES]


@pytest.mark.parametrize(("role", "route", "status"), MATRIX)
def test_route_matrix(client, auth, role, route, status):
    assert auth.login(role).status_code == 302
    assert client.get(route).status_code == status


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_menu(client, auth, role):
    auth.login(role)
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    shown = {link for link in MENUS if f'href="{link}"' in page}
    assert shown == {link for link, roles in MENUS.items() if role in roles}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_anonymous_is_sent_to_login(client, route):
    response = client.get(route)
    assert response.status_code == 302
    assert "/login/" in response.location


def test_every_demo_account_logs_in(app, client, auth):
    from records.demo_data import DESA
    from records.services.setup import OFFICE_ACCOUNTS, operator_username

    usernames = [u for u, _, _ in OFFICE_ACCOUNTS] + [operator_username(n) for _, n in DESA]
    assert len(usernames) == 7 + 11
    for username in usernames:
        response = auth.login(username)
        assert response.status_code == 302 and "/login" not in response.location, username
        assert client.get("/").status_code == 200
        auth.logout()


def test_wrong_password_is_refused(client, auth):
    response = auth.login("petugas", "salah")
    assert "/login/" in response.location
    assert client.get("/dokumen/").status_code == 302
