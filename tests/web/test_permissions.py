"""Role × route matrix: each role reaches exactly its pages; everything else answers 403.

Menus are checked on the rendered navbar, routes by opening them directly, so hiding a link is
never mistaken for refusing access. Routes naming a record use one issued letter of Desa Loleng
(with its receipt), prepared once per module; public verification pages answer everyone.
"""

import shutil

import pytest
from sqlalchemy import select

from conftest import build_app, prepare_template
from records.extensions import db, lemari
from records.models import Penduduk, RecordFile

LOLENG = "64.02.08.2004"

ROLES = ("admin", "camat", "sekcam", "petugas", "arsiparis", "humas", "auditor", "operator_loleng")
ARCHIVE_READERS = {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor", "operator_loleng"}
RECORD_READERS = ARCHIVE_READERS
FULL_NIK_READERS = {"admin", "camat", "sekcam", "petugas", "operator_loleng"}

PUBLIKASI_READERS = {"admin", "camat", "sekcam", "humas"}
CONFIG_READERS = {"admin", "camat", "sekcam", "petugas", "auditor"}

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
    "/auditview/ekspor.csv": {"admin", "auditor"},
    "/pendudukview/show/{penduduk}": {"admin", "camat", "sekcam", "petugas", "auditor",
                                      "operator_loleng"},
    "/pendudukview/ekspor/{penduduk}": {"admin", "camat", "sekcam", "petugas", "operator_loleng"},
    "/users/list/": {"admin"},
    "/roles/list/": {"admin"},
    "/dokumen/permohonan": {"admin", "camat", "sekcam", "petugas", "operator_loleng"},
    "/dokumen/permohonan/sk_domisili": {"admin", "camat", "sekcam", "petugas", "operator_loleng"},
    # the receipt and the signed letter carry full NIK and No. KK that no mask can reach: only
    # roles with penduduk.view_nik download them (the others open the masked preview)
    "/dokumen/{record}/berkas/{receipt}": FULL_NIK_READERS,
    "/dokumen/{record}/berkas/{issued}": FULL_NIK_READERS,
    "/dokumen/{record}/pratinjau": RECORD_READERS,
    # public information (issue 6): drafts and review, print templates, versioned standards
    "/publikasi/": PUBLIKASI_READERS,
    "/publikasi/{pub}": PUBLIKASI_READERS,
    "/publikasi/{pub}/berkas/pdf": PUBLIKASI_READERS,
    "/publikasi/{pub}/berkas/png": PUBLIKASI_READERS,
    "/publikasi/baru/pengumuman": {"admin", "humas"},
    "/publikasi/baru/poster": {"admin", "humas"},
    "/publikasi/{pub}/ubah": {"admin", "humas"},
    "/templat/": {"admin", "humas"},
    "/templat/poster_layanan": {"admin", "humas"},
    "/templat/poster_layanan/versi/0": {"admin", "humas"},
    "/standar/": CONFIG_READERS,
    "/standar/ktp_el": CONFIG_READERS,
    "/standar/ktp_el/versi/1": CONFIG_READERS,
    "/standar/ktp_el/ubah": {"admin"},
    "/standar/baru": {"admin"},
    # the archive (issue 4)
    "/arsip/": ARCHIVE_READERS,
    "/arsip/{record}": ARCHIVE_READERS,
    "/arsip/{record}/berkas/{issued}": FULL_NIK_READERS,
    "/arsip/unggah": {"admin", "arsiparis"},
    "/arsip/tugas": ARCHIVE_READERS,
    "/arsip/tugas/status.json": ARCHIVE_READERS,
    "/arsip/klasifikasi/": ARCHIVE_READERS,
    "/arsip/klasifikasi/?skema=permendagri-78-2012": ARCHIVE_READERS,
    "/arsip/klasifikasi/permendagri-83-2022/jra/0": {"admin", "arsiparis"},
    "/arsip/penyusutan/": ARCHIVE_READERS,
    "/arsip/fixity": {"admin", "arsiparis", "auditor"},
    "/cari/": {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor", "operator_loleng"},
    "/cari/?q=surat": {"admin", "camat", "sekcam", "petugas", "arsiparis", "auditor",
                       "operator_loleng"},
}

# archive POST route → (roles that may use it, the status they get); everyone else gets 403
ARCHIVE_POSTS = {
    "/arsip/{record}/ubah": ({"admin", "arsiparis"}, 302),
    "/arsip/{record}/tahan": ({"admin", "camat", "arsiparis"}, 302),
    "/arsip/{record}/nilai": ({"admin", "arsiparis"}, 302),
    "/arsip/{record}/tutup": ({"admin", "arsiparis"}, 302),
    "/arsip/penyusutan/usul": ({"admin", "arsiparis"}, 302),
    "/arsip/penyusutan/serah": ({"admin", "arsiparis"}, 302),
    "/arsip/penyusutan/999/nilai": ({"admin", "arsiparis"}, 404),
    "/arsip/penyusutan/999/setujui": ({"admin", "camat"}, 404),
    "/arsip/penyusutan/999/tolak": ({"admin", "camat"}, 404),
    "/arsip/tugas/999/ulang": ({"admin", "arsiparis"}, 404),
    "/arsip/fixity/jalankan": ({"admin", "arsiparis", "auditor"}, 302),
}

# Front-office routes (issue 7): one test per route walks every role on one app copy.
FRONT_ROUTES = {
    "/antrian/loket/": {"admin", "petugas"},
    "/antrian/loket/1": {"admin", "petugas"},
    "/antrian/loket/tiket/{ticket}/permohonan": {"admin", "petugas"},
    "/antrianlayananview/list/": {"admin"},
    "/loketconfigview/list/": {"admin"},
    "/pengaduan/kelola/": {"admin", "camat", "sekcam", "petugas", "auditor"},
    "/pengaduan/kelola/{complaint}": {"admin", "camat", "sekcam", "petugas", "auditor"},
    "/pengaduan/kelola/{pungli}": {"camat", "auditor"},
    "/pengaduan/kelola/laporan?bulan=2026-12": {"admin", "camat", "sekcam", "auditor"},
    "/survei/hasil/": {"admin", "camat", "sekcam", "auditor", "humas"},
    "/dasbor/": {"admin", "camat", "sekcam", "auditor"},
    "/dasbor/ekspor.csv": {"admin", "camat", "sekcam", "auditor"},
    "/dasbor/ekspor.xlsx": {"admin", "camat", "sekcam", "auditor"},
    "/dasbor/laporan?bulan=2026-12": {"admin", "camat", "sekcam", "auditor"},
    "/surat-masuk/": {"admin", "camat", "sekcam", "petugas", "arsiparis", "humas", "auditor"},
    "/surat-masuk/disposisi-saya": {"admin", "camat", "sekcam", "petugas", "arsiparis", "humas"},
    "/surat-masuk/catat": {"admin", "sekcam", "petugas", "arsiparis"},
    "/surat-masuk/laporan": {"admin", "camat", "sekcam", "arsiparis", "auditor"},
    "/surat-masuk/agenda.xlsx": {"admin", "camat", "sekcam", "arsiparis", "auditor"},
    "/surat-masuk/instruksi": {"admin", "camat", "sekcam"},
}
# A sensitive complaint outside one's rights answers 404 (its existence is not revealed);
# Admin's blanket rights do not open pungli/gratifikasi complaints (docs/roles.md).
HIDDEN = {"/pengaduan/kelola/{pungli}": {"admin", "sekcam", "petugas"}}
FRONT_PUBLIC = ("/antrian/ambil", "/antrian/ambil/ktp_el", "/antrian/layar", "/antrian/layar/data",
                "/antrian/tiket/{ticket_code}", "/antrian/tiket/{ticket_code}/cetak?lebar=58",
                "/lacak", "/lacak/{tracking}", "/lacak?kode={tracking}", "/pengaduan",
                "/pengaduan/lacak", "/pengaduan/lacak/{complaint_code}", "/survei", "/survei/{tracking}")

# POST route → roles that may use it (the print job of the issued letter: 200, a PDF)
POST_ROUTES = {
    "/dokumen/cetak": FULL_NIK_READERS,
}
# POST routes of the counters (302 back to the counter when allowed)
COUNTER_POSTS = {"/antrian/loket/1/panggil": {"admin", "petugas"},
                 "/antrian/loket/1/aksi/ulang": {"admin", "petugas"},
                 "/antrian/loket/1/kembali/{ticket}": {"admin", "petugas"},
                 "/antrian/loket/ambil": {"admin", "petugas"},
                 "/pengaduan/kelola/{complaint}/langkah/proses": {"admin", "camat", "sekcam", "petugas"}}

# REST route (JWT) → roles that may use it; other roles get 404 (outside their scope) or 403,
# anonymous callers 401
API_ROUTES = {
    "/api/v1/dokumen/{record}": RECORD_READERS,
    "/api/v1/dokumen/{record}/berkas/{issued}": ROUTES["/dokumen/{record}/berkas/{issued}"],
}

# POST form route → roles that may use it: they get the page back (302, or 422 for the empty
# form sent here), every other role 403
POST_FORMS = {
    "/publikasi/{pub}/langkah/tarik_ajuan": PUBLIKASI_READERS,
    "/publikasi/baru/pengumuman": {"admin", "humas"},
    "/publikasi/{pub}/ubah": {"admin", "humas"},
    "/templat/poster_bebas": {"admin", "humas"},
    "/templat/poster_bebas/pulihkan/0": {"admin", "humas"},
    "/templat/aset": {"admin", "humas"},
    "/standar/ktp_el/ubah": {"admin"},
    "/standar/baru": {"admin"},
}

# public pages: 200 for anonymous visitors and for every role
PUBLIC = ("/verify", "/verify/{code}", "/verify?kode={code}", "/favicon.ico", "/info/", "/info/layanan",
          "/info/layanan/ktp_el", "/info/layanan/ktp_el/versi/1", "/info/layanan/ktp_el/bagan.svg",
          "/info/pengumuman", "/info/poster", "/info/layar")
# public addresses of a draft: 404 for everyone (its existence does not leak)
PUBLIC_HIDDEN = ("/info/pengumuman/{pub}", "/info/berkas/{pub}/pdf", "/info/berkas/{pub}/png")

# menu link → roles that must see it in the navbar
MENUS = {
    "/dokumen/": ROUTES["/dokumen/"],
    "/pendudukview/list/": ROUTES["/pendudukview/list/"],
    "/keluargaview/list/": ROUTES["/keluargaview/list/"],
    "/penduduk-impor/": ROUTES["/penduduk-impor/"],
    "/wilayahview/list/": ROUTES["/wilayahview/list/"],
    "/auditview/list/": ROUTES["/auditview/list/"],
    "/users/list/": {"admin"},
    "/publikasi/": PUBLIKASI_READERS,
    "/templat/": {"admin", "humas"},
    "/standar/": CONFIG_READERS,
    "/arsip/": ARCHIVE_READERS,
    "/arsip/unggah": {"admin", "arsiparis"},
    "/arsip/fixity": {"admin", "arsiparis", "auditor"},
    "/antrian/loket/": FRONT_ROUTES["/antrian/loket/"],
    "/pengaduan/kelola/": FRONT_ROUTES["/pengaduan/kelola/"],
    "/survei/hasil/": FRONT_ROUTES["/survei/hasil/"],
    "/dasbor/": FRONT_ROUTES["/dasbor/"],
    "/cari/": ROUTES["/cari/"],
    "/surat-masuk/": {"admin", "camat", "sekcam", "petugas", "arsiparis", "humas", "auditor"},
    "/surat-masuk/disposisi-saya": {"admin", "camat", "sekcam", "petugas", "arsiparis", "humas"},
}

MATRIX = [(role, route, 200 if role in allowed else 403)
          for route, allowed in ROUTES.items() for role in ROLES]
ARCHIVE_POST_MATRIX = [(role, route, allowed[1] if role in allowed[0] else 403)
                       for route, allowed in ARCHIVE_POSTS.items() for role in ROLES]
POST_MATRIX = [(role, route, 200 if role in allowed else 403)
               for route, allowed in POST_ROUTES.items() for role in ROLES]
POST_FORM_MATRIX = [(role, route, role in allowed)
                    for route, allowed in POST_FORMS.items() for role in ROLES]


@pytest.fixture(scope="module")
def issued_home(demo_home, tmp_path_factory):
    """The demo office plus one issued letter of Desa Loleng; the ids routes refer to."""
    from records.publikasi.desk import publish_desk
    from records.publikasi.services.publishing import create_publikasi
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
            record = take_request("sk_domisili", penduduk_id=person, received=[
                "Surat pengantar dari desa", "Fotokopi KTP-el",
                                            "Fotokopi Kartu Keluarga"],
                                  values={"keperluan": "Uji hak akses"}, actor=who("petugas"),
                                  session=db.session, desk=ext.desk())
            for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                                   ("terbitkan", "petugas")):
                advance(record.id, name, actor=who(username), session=db.session,
                        registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
            advance(record.id, "serahkan", actor=who("petugas"), session=db.session,
                    registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
            files = {f.kind: f.id for f in db.session.scalars(
                select(RecordFile).where(RecordFile.record_id == record.id))}
            draft = create_publikasi(
                {"jenis": "pengumuman", "judul": "Draf uji hak akses", "isi": "Belum terbit.",
                 "berlaku_mulai": "2026-01-01"}, actor=who("humas"), session=db.session,
                registry=ext.registry, desk=publish_desk(ext))
            ids = {"record": record.id, "receipt": files["tanda_terima"], "penduduk": person,
                   "issued": files["terbit"], "code": record.verify_code, "pub": draft.id,
                   "tracking": record.tracking_code, **_front_office(app)}
    finally:
        prepare_template(app)
    return home, ids


def _front_office(app) -> dict:
    """A skipped queue ticket, an ordinary and a pungli complaint: the ids front routes use."""
    import datetime as dt

    from records.antrian import services as antrian
    from records.pengaduan import services as pengaduan
    from records.services.public_guard import form_token
    from records.services.setup import catalogue

    antrian.ensure_setup(db.session, [s["code"] for s in catalogue()["layanan"]])
    ticket = antrian.issue_ticket("ktp_el", actor=None, session=db.session, tz="Asia/Makassar")
    secret, past = app.config["SECRET_KEY"], dt.datetime.now(dt.UTC).replace(tzinfo=None)
    codes = {}
    for name, kategori in (("complaint", "keluhan"), ("pungli", "pungli")):
        complaint = pengaduan.submit({"kategori": kategori, "judul": "Judul uji", "isi": "Isi pengaduan uji"},
                                     client=name, token=form_token(secret, past - dt.timedelta(minutes=1)),
                                     honeypot="", session=db.session, secret=secret,
                                     tz="Asia/Makassar", limit=5)
        codes[name], codes[f"{name}_code"] = complaint.id, complaint.tracking_code
    return {"ticket": ticket.id, "ticket_code": ticket.tracking_code,
            "complaint_code": codes["complaint_code"], "complaint": codes["complaint"],
            "pungli": codes["pungli"]}


@pytest.fixture
def app(offices, issued_home):
    """The demo office with the issued letter, restored for one test."""
    return offices.fresh(issued_home[0])


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


@pytest.mark.parametrize(("role", "route", "allowed"), POST_FORM_MATRIX)
def test_post_form_route_matrix(client, auth, ids, role, route, allowed):
    assert auth.login(role).status_code == 302
    status = client.post(route.format(**ids), data={"note": ""}).status_code
    assert status in ((302, 422) if allowed else (403,)), status


@pytest.mark.parametrize("role", (None, *ROLES))
@pytest.mark.parametrize("route", PUBLIC_HIDDEN)
def test_public_addresses_of_a_draft_answer_404_to_everyone(client, auth, ids, role, route):
    if role:
        assert auth.login(role).status_code == 302
    assert client.get(route.format(**ids)).status_code == 404


@pytest.mark.parametrize("role", (None, *ROLES))
@pytest.mark.parametrize("route", sorted(API_ROUTES))
def test_api_route_matrix(client, ids, role, route):
    from records.services.setup import DEMO_PASSWORD

    headers = {}
    if role:
        login = client.post("/api/v1/security/login", json={
            "username": role, "password": DEMO_PASSWORD, "provider": "db"})
        headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    status = client.get(route.format(**ids), headers=headers).status_code
    if role is None:
        assert status == 401
    elif role in API_ROUTES[route]:
        assert status == 200
    else:
        assert status in (403, 404)
@pytest.mark.parametrize(("role", "route", "status"), ARCHIVE_POST_MATRIX)
def test_archive_post_matrix(client, auth, ids, role, route, status):
    assert auth.login(role).status_code == 302
    assert client.post(route.format(**ids), data={"ids": [str(ids["record"])]}).status_code == status


@pytest.mark.parametrize("route", sorted(ARCHIVE_POSTS))
def test_anonymous_archive_post_is_sent_to_login(client, ids, route):
    response = client.post(route.format(**ids))
    assert response.status_code == 302 and "/login/" in response.location
def _walk_roles(client, auth, request, allowed_status: int, allowed, hidden=()) -> None:
    """Every role (and anonymous) against one route: allowed, 404 when hidden, else 403."""
    for role in (None, *ROLES):
        auth.logout()
        if role:
            assert auth.login(role).status_code == 302
        response = request()
        if role is None:
            assert response.status_code == 302 and "/login/" in response.location, "anonymous"
        else:
            expected = allowed_status if role in allowed else (404 if role in hidden else 403)
            assert response.status_code == expected, role


@pytest.mark.parametrize("route", sorted(FRONT_ROUTES))
def test_front_route_matrix(client, auth, ids, route):
    _walk_roles(client, auth, lambda: client.get(route.format(**ids)), 200, FRONT_ROUTES[route],
                HIDDEN.get(route, ()))


@pytest.mark.parametrize("route", sorted(COUNTER_POSTS))
def test_front_post_matrix(client, auth, ids, route):
    _walk_roles(client, auth, lambda: client.post(route.format(**ids),
                                                  data={"layanan": "ktp_el", "prioritas": ""}),
                302, COUNTER_POSTS[route])


@pytest.mark.parametrize("route", FRONT_PUBLIC)
def test_front_public_pages_answer_everyone(client, auth, ids, route):
    for role in (None, *ROLES):
        auth.logout()
        if role:
            assert auth.login(role).status_code == 302
        assert client.get(route.format(**ids)).status_code == 200, role


@pytest.mark.parametrize("role", (None, *ROLES))
@pytest.mark.parametrize("route", PUBLIC)
def test_public_verification_answers_everyone(client, auth, ids, role, route):
    if role:
        assert auth.login(role).status_code == 302
    response = client.get(route.format(**ids))
    assert response.status_code == 200
    if "{code}" in route and "favicon" not in route:
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


@pytest.mark.parametrize("route", sorted([*POST_ROUTES, *POST_FORMS]))
def test_anonymous_post_is_sent_to_login(client, ids, route):
    response = client.post(route.format(**ids), data={"ids": [str(ids["record"])]})
    assert response.status_code == 302
    assert "/login/" in response.location


def test_every_demo_account_logs_in(app, client, auth):
    from records.demo_data import DESA
    from records.services.setup import OFFICE_ACCOUNTS, operator_username

    usernames = [u for u, _, _ in OFFICE_ACCOUNTS] + [operator_username(n) for _, n in DESA]
    assert len(usernames) == 7 + 11
    for pc, username in enumerate(usernames, 10):
        client.environ_base["REMOTE_ADDR"] = f"192.168.1.{pc}"  # one office PC each (rate limit)
        response = auth.login(username)
        assert response.status_code == 302 and "/login" not in response.location, username
        assert client.get("/").status_code == 200
        auth.logout()


def test_wrong_password_is_refused(client, auth):
    response = auth.login("petugas", "salah")
    assert "/login/" in response.location
    assert client.get("/dokumen/").status_code == 302
