"""Role × route matrix: each role reaches exactly its pages; everything else answers 403.

Menus are checked on the rendered navbar, routes by opening them directly, so hiding a link is
never mistaken for refusing access. Routes naming a record use one issued letter of Desa Loleng
(with its receipt), prepared once per module; public verification pages answer everyone.
"""

import shutil

import pytest
from sqlalchemy import select

from records.extensions import db, lemari
from records.models import Penduduk, RecordFile

from conftest import build_app

LOLENG = "64.02.08.2004"

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
    "/dokumen/permohonan": {"admin", "camat", "sekcam", "petugas", "operator_loleng"},
    "/dokumen/permohonan/sk_domisili": {"admin", "camat", "sekcam", "petugas", "operator_loleng"},
    "/dokumen/{record}/berkas/{receipt}": {"admin", "camat", "sekcam", "petugas", "arsiparis",
                                           "auditor", "operator_loleng"},
    "/dokumen/{record}/berkas/{issued}": {"admin", "camat", "sekcam", "petugas", "arsiparis",
                                          "auditor", "operator_loleng"},
    "/cari/": {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor", "operator_loleng"},
    "/cari/?q=surat": {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor",
                       "operator_loleng"},
}

# POST route → roles that may use it (the print job of the issued letter: 200, a PDF)
POST_ROUTES = {
    "/dokumen/cetak": {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor",
                       "operator_loleng"},
}

# public pages: 200 for anonymous visitors and for every role
PUBLIC = ("/verify", "/verify/{code}", "/verify?kode={code}")

# menu link → roles that must see it in the navbar
MENUS = {
    "/dokumen/": ROUTES["/dokumen/"],
    "/pendudukview/list/": ROUTES["/pendudukview/list/"],
    "/keluargaview/list/": ROUTES["/keluargaview/list/"],
    "/penduduk-impor/": ROUTES["/penduduk-impor/"],
    "/wilayahview/list/": ROUTES["/wilayahview/list/"],
    "/auditview/list/": ROUTES["/auditview/list/"],
    "/users/list/": {"admin"},
    "/cari/": ROUTES["/cari/"],
}

MATRIX = [(role, route, 200 if role in allowed else 403)
          for route, allowed in ROUTES.items() for role in ROLES]
POST_MATRIX = [(role, route, 200 if role in allowed else 403)
               for route, allowed in POST_ROUTES.items() for role in ROLES]


@pytest.fixture(scope="module")
def issued_home(demo_home, tmp_path_factory):
    """The demo office plus one issued letter of Desa Loleng; the ids routes refer to."""
    from records.services.accounts import actor_for_username
    from records.services.issuing import advance
    from records.services.requests import take_request

    home = tmp_path_factory.mktemp("permissions") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home)
    try:
        with app.app_context():
            ext = lemari()

            def who(username):
                return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                          registry=ext.registry)

            person = db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code == LOLENG))
            record = take_request("sk_domisili", penduduk_id=person, received=[],
                                  values={"keperluan": "Uji hak akses"}, actor=who("petugas"),
                                  session=db.session, desk=ext.desk())
            for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                                   ("terbitkan", "petugas")):
                advance(record.id, name, actor=who(username), session=db.session,
                        registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
            files = {f.kind: f.id for f in db.session.scalars(
                select(RecordFile).where(RecordFile.record_id == record.id))}
            ids = {"record": record.id, "receipt": files["tanda_terima"],
                   "issued": files["terbit"], "code": record.verify_code}
    finally:
        app.extensions["lemari"].close()
    return home, ids


@pytest.fixture
def app(issued_home, tmp_path):
    """A fresh copy of the demo office with the issued letter, for one test."""
    home = tmp_path / "home"
    shutil.copytree(issued_home[0], home)
    app = build_app(home)
    yield app
    app.extensions["lemari"].close()


@pytest.fixture
def ids(issued_home):
    return issued_home[1]


@pytest.mark.parametrize(("role", "route", "status"), MATRIX)
def test_route_matrix(client, auth, ids, role, route, status):
    assert auth.login(role).status_code == 302
    assert client.get(route.format(**ids)).status_code == status


@pytest.mark.parametrize(("role", "route", "status"), POST_MATRIX)
def test_post_route_matrix(client, auth, ids, role, route, status):
    assert auth.login(role).status_code == 302
    response = client.post(route, data={"ids": [str(ids["record"])]})
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "application/pdf"


@pytest.mark.parametrize("role", (None, *ROLES))
@pytest.mark.parametrize("route", PUBLIC)
def test_public_verification_answers_everyone(client, auth, ids, role, route):
    if role:
        assert auth.login(role).status_code == 302
    response = client.get(route.format(**ids))
    assert response.status_code == 200
    if "{code}" in route:
        assert "SAH — dokumen tercatat dan berlaku" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_menu(client, auth, role):
    auth.login(role)
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    shown = {link for link in MENUS if f'href="{link}"' in page}
    assert shown == {link for link, roles in MENUS.items() if role in roles}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_anonymous_is_sent_to_login(client, ids, route):
    response = client.get(route.format(**ids))
    assert response.status_code == 302
    assert "/login/" in response.location


@pytest.mark.parametrize("route", sorted(POST_ROUTES))
def test_anonymous_post_is_sent_to_login(client, ids, route):
    response = client.post(route, data={"ids": [str(ids["record"])]})
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
