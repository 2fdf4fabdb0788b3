"""Kecamatan as tenants of one kabupaten deployment (issue 19), on a real PostgreSQL database.

Two kecamatan side by side behind one WSGI app (records.tenancy.Kabupaten): each sees only
itself, a login or a token of one is a stranger in the other on every route, a kabupaten account
reaches the kecamatan its role declares, and a single office moved in from SQLite keeps its
numbers, files and audit trail.
"""

from __future__ import annotations

import re
import shutil

import pytest
import sqlalchemy
from sqlalchemy import func, select
from werkzeug.test import Client

from conftest import TEST_PASSWORD_HASH, build_app, run_database_name, run_lemari
from records import tenancy
from records.demo_data import DESA, generate_population
from records.extensions import db
from records.models.issuance import IssuedNumber
from records.models.kependudukan import Penduduk
from records.services.accounts import ensure_user
from records.services.setup import DEMO_PASSWORD, load_demo
from records.settings import load_config
from records.tenancy import Kabupaten, TenancyError
from records.tenancy_import import import_office

pytestmark = pytest.mark.postgres

OVERRIDES = {"TESTING": True, "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "WARNING", "PDF_WORKERS": 1,
             "PDF_POOL_PER_PROCESS": True, "LOGIN_RATE_LIMIT": "1000 per minute", **TEST_PASSWORD_HASH}
KB, TG = "kotabangun", "tenggarong"
MISSING_ID = "999999"
KAB_PASSWORD = "Tenggarong#Kukar2026"  # the demo password is refused for new accounts


@pytest.fixture(scope="module")
def kabupaten(pg_server, tmp_path_factory):
    """A kabupaten database with Kota Bangun (the demo office, by path) and Tenggarong (one
    clerk, by host name too), and an Admin Kabupaten account in both."""
    name = run_database_name("kab")
    admin = sqlalchemy.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    home = tmp_path_factory.mktemp("kabupaten")
    (home / "config.py").write_text(f"DATABASE_URL = {url!r}\n", encoding="utf-8")  # for the CLI
    base = load_config({"HOME": str(home), "DATABASE_URL": url, **OVERRIDES})
    kb = tenancy.add_kecamatan(base, nama_singkat=KB, nama="Kota Bangun", kode="64.02.08",
                               overrides=OVERRIDES)
    tg = tenancy.add_kecamatan(base, nama_singkat=TG, nama="Tenggarong", kode="64.02.06",
                               hosts=["tenggarong.test"], overrides=OVERRIDES)
    with_app(base, kb, lambda app: load_demo(session=db.session, sm=app.appbuilder.sm,
                                             population=generate_population(), desa=DESA,
                                             force_password_change=False))
    with_app(base, tg, lambda app: ensure_user(app.appbuilder.sm, username="petugas.tg",
                                               role="Petugas Pelayanan", password=DEMO_PASSWORD,
                                               first_name="Petugas", session=db.session))
    tenancy.grant_account(base, nama_pengguna="admin.kab", nama_lengkap="Admin Kabupaten",
                          peran="Admin Kabupaten", password=KAB_PASSWORD, overrides=OVERRIDES)
    served = Kabupaten(base, OVERRIDES)
    yield base, served
    served.close()
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def with_app(base, kecamatan, action):
    app = tenancy.tenant_app(base, kecamatan, OVERRIDES)
    try:
        with app.app_context():
            return action(app)
    finally:
        tenancy.close_app(app)


def password_of(username: str) -> str:
    return KAB_PASSWORD if username in ("admin.kab", "inspektur") else DEMO_PASSWORD


def login(client, prefix: str, username: str, password: str = "", **headers):
    return client.post(f"{prefix}/login/", data={"username": username,
                                                 "password": password or password_of(username)},
                       headers=headers)


def logged_in(client, prefix: str, **headers) -> bool:
    """Whether the client's session opens the kecamatan's staff search page."""
    return client.get(f"{prefix}/cari/", headers=headers).status_code == 200


def test_the_portal_lists_every_kecamatan_and_an_unknown_address_is_a_404(kabupaten):
    _base, served = kabupaten
    client = Client(served)
    portal = client.get("/")
    page = portal.get_data(as_text=True)
    assert 'href="/k/kotabangun/"' in page and "Kecamatan Tenggarong" in page
    assert portal.headers["X-Frame-Options"] == "DENY" and "default-src 'none'" in portal.headers[
        "Content-Security-Policy"]
    missing = client.get("/k/loakulu/")
    assert missing.status_code == 404 and "bukan milik kecamatan" in missing.get_data(as_text=True)
    health = client.get("/health")  # the load balancer's check of a node
    assert health.status_code == 200 and health.get_json()["kecamatan"] >= 2


def test_a_login_in_one_kecamatan_is_a_stranger_in_the_other(kabupaten):
    _base, served = kabupaten
    client = Client(served)
    assert login(client, f"/k/{KB}", "petugas").status_code == 302
    assert logged_in(client, f"/k/{KB}")
    assert not logged_in(client, f"/k/{TG}")
    # the same name and password mean nothing in a kecamatan that has no such account
    login(client, f"/k/{TG}", "petugas")
    assert not logged_in(client, f"/k/{TG}")
    assert logged_in(client, f"/k/{KB}")  # and the first login still holds


def test_a_session_cookie_carried_to_another_kecamatan_is_refused(kabupaten):
    _base, served = kabupaten
    client = Client(served)
    login(client, f"/k/{KB}", "petugas")
    cookie = client.get_cookie(f"lemari_{KB}")
    assert cookie is not None
    thief = Client(served)
    thief.set_cookie(f"lemari_{TG}", cookie.value)  # another kecamatan's secret key signs its cookies
    assert not logged_in(thief, f"/k/{TG}")


def test_a_host_name_picks_its_kecamatan_and_its_links_have_no_prefix(kabupaten):
    _base, served = kabupaten
    client = Client(served)
    host = {"Host": "tenggarong.test"}
    assert client.get("/", headers=host).headers["Location"] == "/login/"
    assert login(client, "", "petugas.tg", **host).status_code == 302
    assert logged_in(client, "", **host)
    visitor = Client(served)
    by_host = visitor.get("/login/", headers=host).get_data(as_text=True)
    assert 'href="/static/' in by_host and "/k/" not in by_host
    by_path = visitor.get(f"/k/{KB}/login/").get_data(as_text=True)
    assert f'href="/k/{KB}/static/' in by_path and 'href="/static/' not in by_path


def test_a_resident_of_one_kecamatan_is_found_only_there(kabupaten):
    base, served = kabupaten
    nama = "SITI TENANTUJI"
    nik = with_app(base, served.kecamatan()[KB], lambda app: _rename_first_resident(app, nama))
    client = Client(served)
    for prefix in (f"/k/{KB}", f"/k/{TG}"):
        login(client, prefix, "admin.kab")
    here = client.get(f"/k/{KB}/cari/?q=TENANTUJI").get_data(as_text=True)
    there = client.get(f"/k/{TG}/cari/?q=TENANTUJI").get_data(as_text=True)
    assert "TENANTUJI" in here.upper().replace("<MARK>", "").replace("</MARK>", "")
    assert "TENANTUJI" not in there.upper().replace("?Q=TENANTUJI", "").replace('VALUE="TENANTUJI"', "")
    in_tg = with_app(base, served.kecamatan()[TG], lambda _app: db.session.scalar(
        select(func.count()).select_from(Penduduk).where(Penduduk.nik == nik)))
    assert in_tg == 0


def _rename_first_resident(app, nama: str) -> str:
    """A resident with a name no other has, indexed; returns the NIK."""
    from records.indexing import drain_app
    resident = db.session.scalars(select(Penduduk).order_by(Penduduk.id)).first()
    nik, resident.nama = resident.nik, nama
    db.session.commit()  # the search outbox row is written with it (records.indexing)
    drain_app(app)
    return nik


def test_a_kabupaten_account_reaches_what_its_role_declares(kabupaten):
    base, served = kabupaten
    client = Client(served)
    for prefix in (f"/k/{KB}", f"/k/{TG}"):
        login(client, prefix, "admin.kab")
        assert client.get(f"{prefix}/users/list/").status_code == 200  # Admin in each kecamatan
    tenancy.grant_account(base, nama_pengguna="inspektur", nama_lengkap="Inspektur Pembantu",
                          peran="Inspektorat", password=KAB_PASSWORD, kecamatan=[KB], overrides=OVERRIDES)
    auditor = Client(served)
    login(auditor, f"/k/{KB}", "inspektur")
    assert logged_in(auditor, f"/k/{KB}")
    assert auditor.get(f"/k/{KB}/users/list/").status_code == 403  # Auditor, not Admin
    login(auditor, f"/k/{TG}", "inspektur")
    assert not logged_in(auditor, f"/k/{TG}")  # outside its reach: no account there


def test_narrowing_a_kabupaten_accounts_reach_deactivates_it_where_it_no_longer_reaches(kabupaten):
    base, served = kabupaten
    for reach in ([KB, TG], [TG]):
        tenancy.grant_account(base, nama_pengguna="dukcapil1", nama_lengkap="Petugas Dinas",
                              peran="Dinas Dukcapil", password=KAB_PASSWORD, kecamatan=reach,
                              overrides=OVERRIDES)
    client = Client(served)
    login(client, f"/k/{KB}", "dukcapil1", password=KAB_PASSWORD)
    login(client, f"/k/{TG}", "dukcapil1", password=KAB_PASSWORD)
    assert not logged_in(client, f"/k/{KB}") and logged_in(client, f"/k/{TG}")


def test_a_kabupaten_account_never_takes_over_an_account_a_kecamatan_made_later(kabupaten):
    base, served = kabupaten
    tenancy.grant_account(base, nama_pengguna="insp2", nama_lengkap="Inspektur Dua", peran="Inspektorat",
                          password=KAB_PASSWORD, kecamatan=[KB], overrides=OVERRIDES)
    with_app(base, served.kecamatan()[TG], lambda app: ensure_user(
        app.appbuilder.sm, username="insp2", role="Admin", password=DEMO_PASSWORD, first_name="Lokal",
        session=db.session))
    with pytest.raises(TenancyError, match="Kecamatan Tenggarong sudah memakai nama pengguna 'insp2'"):
        tenancy.grant_account(base, nama_pengguna="insp2", nama_lengkap="Inspektur Dua", peran="Inspektorat",
                              password=KAB_PASSWORD, kecamatan=[KB, TG], overrides=OVERRIDES)
    roles = with_app(base, served.kecamatan()[TG], lambda app: [
        r.name for r in app.appbuilder.sm.find_user(username="insp2").roles])
    assert roles == ["Admin"]  # the kecamatan's own account kept its role and password
    client = Client(served)
    login(client, f"/k/{TG}", "insp2", password=DEMO_PASSWORD)
    assert logged_in(client, f"/k/{TG}")


def test_a_kabupaten_account_never_takes_over_a_kecamatan_account(kabupaten):
    base, _served = kabupaten
    with pytest.raises(TenancyError, match="sudah memakai nama pengguna 'petugas.tg'"):
        tenancy.grant_account(base, nama_pengguna="petugas.tg", nama_lengkap="Siapa Saja",
                              peran="Inspektorat", password=KAB_PASSWORD, overrides=OVERRIDES)
    with pytest.raises(TenancyError, match="Peran kabupaten 'Bupati' tidak dikenal"):
        tenancy.grant_account(base, nama_pengguna="x.kab", nama_lengkap="X", peran="Bupati",
                              password=KAB_PASSWORD, overrides=OVERRIDES)


@pytest.mark.parametrize("fields, message", [
    ({"nama_singkat": "Loa Kulu"}, "Nama singkat kecamatan"),
    ({"kode": "640209"}, "berbentuk 64.02.08"),
    ({"kode": "64.02.08"}, "sudah dipakai Kecamatan Kota Bangun"),
    ({"nama_singkat": KB}, "sudah terdaftar"),
    ({"hosts": ["TENGGARONG.test"]}, "sudah dipakai Kecamatan Tenggarong"),
])
def test_adding_a_kecamatan_refuses_bad_input_and_registers_nothing(kabupaten, fields, message):
    base, served = kabupaten
    wanted = {"nama_singkat": "loakulu", "nama": "Loa Kulu", "kode": "64.02.09", **fields}
    with pytest.raises(TenancyError, match=message):
        tenancy.add_kecamatan(base, overrides=OVERRIDES, **wanted)
    assert sorted(k.nama_singkat for k in tenancy.registered(served._engine)) == [KB, TG]


def test_a_single_office_database_is_never_made_a_kabupaten(pg_url, tmp_path):
    app = build_app(tmp_path / "kantor", pg_url)
    with app.app_context():
        from records.services.setup import create_schema

        create_schema(db.engine)
    tenancy.close_app(app)
    base = load_config({"HOME": str(tmp_path / "kab"), "DATABASE_URL": pg_url, **OVERRIDES})
    with pytest.raises(TenancyError, match="dipakai satu kantor"):
        tenancy.add_kecamatan(base, nama_singkat="loakulu", nama="Loa Kulu", kode="64.02.09")
    sqlite = load_config({"HOME": str(tmp_path / "kab2"), **OVERRIDES})
    with pytest.raises(TenancyError, match="memerlukan PostgreSQL"):
        tenancy.add_kecamatan(sqlite, nama_singkat="loakulu", nama="Loa Kulu", kode="64.02.09")


def test_the_commands_list_kecamatan_refuse_bad_input_and_work_for_the_one_named(kabupaten):
    base, _served = kabupaten
    home = base["HOME"]
    listed = run_lemari(home, "tenant", "daftar")
    assert listed.returncode == 0, listed.stderr
    assert "kotabangun" in listed.stdout and "tenggarong.test" in listed.stdout
    bad = run_lemari(home, "tenant", "tambah", "loakulu", "--nama", "Loa Kulu", "--kode", "6402")
    assert bad.returncode == 1 and "berbentuk 64.02.08" in bad.stderr
    unknown = run_lemari(home, "audit", "verify", env={"LEMARI_TENANT": "loakulu"})
    assert unknown.returncode == 1 and "'loakulu' tidak terdaftar" in unknown.stderr
    verified = run_lemari(home, "audit", "verify", env={"LEMARI_TENANT": TG})
    assert verified.returncode == 0 and "Log audit utuh" in verified.stdout, verified.stderr
    whole = run_lemari(home, "tenant", "daftar", env={"LEMARI_TENANT": TG})
    assert whole.returncode != 0 and "tanpa LEMARI_TENANT" in whole.stderr
    for command in (("init",), ("doctor",), ("db", "upgrade")):  # would act on no kecamatan's tables
        refused = run_lemari(home, *command)
        assert refused.returncode == 1 and "LEMARI_TENANT=<nama>" in refused.stderr, command


def test_each_kecamatans_jobs_are_consumed_by_one_process_spread_and_taken_over(kabupaten):
    """Two job workers of the deployment (two nodes): the first takes every kecamatan's jobs;
    once the second is counted it takes what the first lets go beyond its fair share (periodic
    jobs still run once: no kecamatan is held twice); when the first stops, the second takes
    them all. Each process holds every lock on one connection."""
    from records.jobs import jobs_of
    from records.tenancy import KabupatenJobs

    base, served = kabupaten
    everyone = sorted(k.nama_singkat for k in tenancy.registered(served._engine))
    first = KabupatenJobs(base, 1, OVERRIDES)
    second = KabupatenJobs(base, 1, OVERRIDES)
    try:
        assert sorted(first.take()) == everyone
        assert all(jobs_of(app).consumer is not None for app, _schema in first._held.values())
        assert second.take() == []  # all held; the second is now counted
        first.take()  # ... so the first keeps its fair share only
        assert len(first.held()) == len(everyone) // 2
        assert len(second.take()) == len(everyone) - len(everyone) // 2
        assert sorted(first.held() + second.held()) == everyone
        assert first._conn.scalar(sqlalchemy.text(
            "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND classid = 7460010 AND database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())")) == 2  # one connection per process
        first.stop()
        second.take()
        assert second.held() == everyone
    finally:
        first.stop()
        second.stop()


def _standard(code: str):
    from records.publikasi.services.standards import current_standard

    found = current_standard(code, session=db.session)
    return found.waktu_hari, found.created_by, found.keputusan


def _edit_standard(app, username: str, code: str, days: int) -> None:
    """`username` (an Admin there) saves a new version of the service's standard."""
    from records.extensions import lemari
    from records.publikasi.services.standards import kabupaten_spec, save_standard
    from records.services.accounts import actor_for_username

    who = actor_for_username(username, sm=app.appbuilder.sm, session=db.session, registry=lemari().registry)
    values = {**kabupaten_spec(code, session=db.session)["values"], "waktu_hari": days,
              "keputusan": "Keputusan Camat Nomor 1 Tahun 2026", "catatan": "Uji"}
    save_standard(code, values, actor=who, session=db.session)


def test_the_kabupatens_standards_reach_every_kecamatan_and_a_local_version_stays(kabupaten):
    base, served = kabupaten
    kb, tg = served.kecamatan()[KB], served.kecamatan()[TG]
    tenancy.run_in(base, kb, lambda app: _edit_standard(app, "admin", "sk_domisili", 2), OVERRIDES)
    handed = run_lemari(base["HOME"], "standar-kabupaten", "--dari", KB, "--layanan", "sk_domisili")
    assert handed.returncode == 0, handed.stderr
    assert f"{TG}: 1 diterapkan" in handed.stdout
    # the kecamatan's Camat must decree it: the model kecamatan's decree is not carried
    assert tenancy.run_in(base, tg, lambda _app: _standard("sk_domisili"), OVERRIDES) == (2, "kabupaten", "")

    tenancy.run_in(base, tg, lambda app: _edit_standard(app, "admin.kab", "sk_domisili", 3), OVERRIDES)
    tenancy.run_in(base, kb, lambda app: _edit_standard(app, "admin", "sk_domisili", 1), OVERRIDES)
    again = run_lemari(base["HOME"], "standar-kabupaten", "--dari", KB, "--layanan", "sk_domisili")
    assert f"{TG}: 0 diterapkan, 0 sudah sama, versi sendiri dipertahankan: sk_domisili" in again.stdout
    kept = tenancy.run_in(base, tg, lambda _app: _standard("sk_domisili"), OVERRIDES)
    assert kept[:2] == (3, "admin.kab")


# --- every route, across kecamatan --------------------------------------------------------

def _url(rule) -> str | None:
    if "<path:" in rule.rule:
        return None
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", MISSING_ID, rule.rule)


def _answer(client, prefix: str, rule, url: str, headers: dict) -> tuple:
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    response = client.open(prefix + url, method=method, headers=headers)
    if response.status_code == 422 and "Signature verification failed" in response.get_data(as_text=True):
        return 401, ""  # another kecamatan's secret key signed the token: refused as no token is
    location = response.headers.get("Location", "")
    return response.status_code, re.sub(r"next=[^&]*", "next=…", location)


@pytest.mark.parametrize("username", ("admin", "petugas", "operator_loleng", "admin.kab"))
def test_every_route_of_a_kecamatan_treats_another_kecamatans_login_as_a_stranger(kabupaten, username):
    """The route × role matrix across kecamatan: a session and a REST token of Kota Bangun (any
    role, the kabupaten admin's too) get from every Tenggarong route exactly what an anonymous
    visitor gets."""
    _base, served = kabupaten
    tg_app = served.app(served.kecamatan()[TG])
    stranger, anonymous = Client(served), Client(served)
    login(stranger, f"/k/{KB}", username)
    assert logged_in(stranger, f"/k/{KB}")
    token = stranger.post(f"/k/{KB}/api/v1/security/login", json={
        "username": username, "password": password_of(username), "provider": "db"}).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    differ, checked = [], 0
    for rule in sorted(tg_app.url_map.iter_rules(), key=lambda r: r.rule):
        url = _url(rule)
        if url is None or rule.endpoint.rsplit(".", 1)[-1] in ("action", "action_post", "delete") \
                or "logout" in rule.rule or "tunggu" in rule.rule:
            continue
        headers = bearer if url.startswith("/api/") else {}
        theirs = _answer(stranger, f"/k/{TG}", rule, url, headers)
        nobody = _answer(anonymous, f"/k/{TG}", rule, url, {})
        checked += 1
        if theirs != nobody:
            differ.append(f"{rule.rule}: {theirs} vs anonymous {nobody}")
    assert checked > 100
    assert differ == []
    assert logged_in(stranger, f"/k/{KB}")


# --- moving a single office in -------------------------------------------------------------

def test_an_office_moved_in_from_sqlite_keeps_its_numbers_trail_files_and_logins(kabupaten, demo_home,
                                                                                 tmp_path):
    base, served = kabupaten
    source = tmp_path / "kantor"
    shutil.copytree(demo_home, source)
    office = build_app(source)
    runner = office.test_cli_runner()
    with office.app_context():
        nik = db.session.scalar(select(Penduduk.nik).order_by(Penduduk.id))
    issued = [runner.invoke(args=["issue", "sk_domisili_penduduk", "--nik", nik, "--field",
                                  "keperluan=Melamar kerja", "--as", "camat"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in issued), issued[-1].output
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    with office.app_context():
        numbers = sorted(db.session.scalars(select(IssuedNumber.number)))
        _as_an_office_grows_old(office)
    tenancy.close_app(office)

    # as the operator runs it: the kabupaten's data folder and config.py (its PostgreSQL)
    moved_in = run_lemari(base["HOME"], "tenant", "impor", str(source), "--nama-singkat", "loakulu",
                          "--nama", "Loa Kulu", "--kode", "64.02.09", timeout=900)
    assert moved_in.returncode == 0, moved_in.stderr
    assert re.search(r"Log audit utuh sebelum dan sesudah: \d+ entri, 1 titik periksa cocok", moved_in.stdout)
    assert "nomor terakhir surat_keluar/" in moved_in.stdout
    moved = tenancy.find(base["SQLALCHEMY_DATABASE_URI"], "loakulu")
    tenant = tenancy.tenant_app(base, moved, OVERRIDES)
    try:
        with tenant.app_context():
            assert sorted(db.session.scalars(select(IssuedNumber.number))) == numbers
            _accounts_and_rights_go_on(tenant)
        result = tenant.test_cli_runner().invoke(args=[
            "issue", "sk_domisili_penduduk", "--nik", nik, "--field", "keperluan=Melamar kerja",
            "--as", "camat"])
        assert result.exit_code == 0, result.output
        assert f"/{len(numbers) + 1:04d}/" in result.output  # numbering goes on after the last
        assert tenant.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    finally:
        tenancy.close_app(tenant)
    client = Client(served)
    served._read_at = float("-inf")  # read the register now, not in 10 s
    assert login(client, "/k/loakulu", "camat").status_code == 302
    assert logged_in(client, "/k/loakulu")


def _as_an_office_grows_old(office) -> None:
    """What years of use leave that a fresh demo office lacks: an account edited by one made
    after it (FAB's changed_by), and a shipped holiday the office removed (init's seeds put it
    back, an audited change the moved trail must allow)."""
    from records.models import HariLibur

    sm = office.appbuilder.sm
    users = sorted(sm.get_all_users(), key=lambda u: u.id)
    users[0].changed_by_fk = users[-1].id
    db.session.delete(db.session.scalars(select(HariLibur).order_by(HariLibur.tanggal)).first())
    db.session.commit()


def _accounts_and_rights_go_on(app) -> None:
    """After the move, new accounts and new rights get ids of their own (the sequences of
    Flask-AppBuilder's tables moved past the copied rows)."""
    sm = app.appbuilder.sm
    role = sm.add_role("Peran Baru Setelah Pindah")
    assert role is not None  # FAB logs a failed insert and returns None
    right = db.session.scalars(select(sm.permissionview_model)).first()
    sm.add_permission_role(role, right)
    db.session.refresh(role)
    assert right in role.permissions
    user = sm.add_user("baru.setelah.pindah", "Baru", "Pindah", "baru@pindah.invalid", role, KAB_PASSWORD)
    assert user and user.id > 1


def _office_with_letters(home, database_url: str = "") -> list[str]:
    """An office (the demo, with one letter issued and its audit checkpoint) backed up into
    home/cadangan; returns its issued numbers."""
    office = build_app(home, database_url)
    runner = office.test_cli_runner()
    with office.app_context():
        nik = db.session.scalar(select(Penduduk.nik).order_by(Penduduk.id))
    issued = runner.invoke(args=["issue", "sk_domisili_penduduk", "--nik", nik, "--field",
                                 "keperluan=Melamar kerja", "--as", "camat"])
    assert issued.exit_code == 0, issued.output
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    made = runner.invoke(args=["backup", str(home / "cadangan")])
    assert made.exit_code == 0, made.output
    with office.app_context():
        numbers = sorted(db.session.scalars(select(IssuedNumber.number)))
    tenancy.close_app(office)
    return numbers


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_office_moved_in_from_its_backup_keeps_its_numbers_and_trail(kabupaten, demo_home, tmp_path,
                                                                         request, engine):
    base, served = kabupaten
    home = tmp_path / "kantor"
    if engine == "sqlite":
        shutil.copytree(demo_home, home)
        numbers = _office_with_letters(home)
    else:
        from conftest import initialise_app

        url = request.getfixturevalue("pg_url")
        initialise_app(build_app(home, url))
        numbers = _office_with_letters(home, url)
    name = f"cadangan{engine[:2]}"
    kode = {"sqlite": "64.02.10", "postgresql": "64.02.11"}[engine]
    report = import_office(base, home / "cadangan", nama_singkat=name, nama=f"Dari {engine}", kode=kode,
                           overrides=OVERRIDES)
    assert report.audit_checkpoints == 1 and report.audit_entries > 0
    assert sum(report.numbers.values()) == len(numbers)
    moved = tenancy.find(base["SQLALCHEMY_DATABASE_URI"], name)
    moved_numbers = with_app(base, moved,
                             lambda _app: sorted(db.session.scalars(select(IssuedNumber.number))))
    assert moved_numbers == numbers
    served._read_at = float("-inf")
    client = Client(served)
    assert login(client, f"/k/{name}", "camat").status_code == 302
    assert logged_in(client, f"/k/{name}")
    leftovers = sqlalchemy.create_engine(base["SQLALCHEMY_DATABASE_URI"])
    with leftovers.connect() as conn:  # the temporary database of a PostgreSQL dump is gone
        assert conn.scalar(sqlalchemy.text(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'lemari_impor_%'")) == 0
    leftovers.dispose()


def _usernames(base, kecamatan) -> list[str]:
    from flask_appbuilder.security.sqla.models import User

    return tenancy.run_in(base, kecamatan, lambda _app: sorted(db.session.scalars(select(User.username))),
                          OVERRIDES)


def test_a_kecamatans_backup_holds_its_own_schema_only_and_goes_back_only_there(kabupaten, tmp_path):
    """`LEMARI_TENANT=<name> lemari backup` dumps that kecamatan's schema, never its
    neighbours' residents; its restore replaces that kecamatan only and is refused elsewhere."""
    import json
    import subprocess

    base, served = kabupaten
    kb, tg = served.kecamatan()[KB], served.kecamatan()[TG]
    dest = tmp_path / "cadangan-tg"
    made = run_lemari(base["HOME"], "backup", str(dest), env={"LEMARI_TENANT": TG})
    assert made.returncode == 0, made.stderr
    assert json.loads((dest / "lemari-backup.json").read_text())["schema"] == "kec_tenggarong"
    listing = subprocess.run(["pg_restore", "--list", str(dest / "database.pgdump")],
                             capture_output=True, text=True, check=True).stdout
    assert "kec_tenggarong" in listing and "kec_kotabangun" not in listing
    assert "penduduk" in listing  # the table, empty in Tenggarong: Kota Bangun's residents stay out

    kb_users, tg_users = _usernames(base, kb), _usernames(base, tg)
    tenancy.run_in(base, tg, lambda app: ensure_user(app.appbuilder.sm, username="petugas.baru",
                                                     role="Petugas Pelayanan", password=DEMO_PASSWORD,
                                                     first_name="Baru", session=db.session), OVERRIDES)
    assert "petugas.baru" in _usernames(base, tg)
    refused = run_lemari(base["HOME"], "restore", str(dest), "--yes", env={"LEMARI_TENANT": KB})
    assert refused.returncode != 0 and "bukan kec_kotabangun" in refused.stderr, refused.stderr
    assert _usernames(base, kb) == kb_users

    restored = run_lemari(base["HOME"], "restore", str(dest), "--yes", env={"LEMARI_TENANT": TG})
    assert restored.returncode == 0, restored.stderr
    assert _usernames(base, tg) == tg_users  # the account made after the backup is gone
    assert _usernames(base, kb) == kb_users  # and the neighbour is untouched
    client = Client(served)
    assert login(client, f"/k/{TG}", "petugas.tg").status_code == 302
    assert logged_in(client, f"/k/{TG}")

    # the same backup moves the kecamatan into another kabupaten deployment (here: this one)
    report = import_office(base, dest, nama_singkat="salinantg", nama="Salinan Tenggarong",
                           kode="64.02.12", overrides=OVERRIDES)
    assert report.audit_entries > 0
    moved = tenancy.find(base["SQLALCHEMY_DATABASE_URI"], "salinantg")
    assert "petugas.tg" in _usernames(base, moved) and "camat" not in _usernames(base, moved)


def test_a_kecamatans_encrypted_backups_hold_its_schema_pass_the_drill_and_restore_there(kabupaten, tmp_path):
    """The nightly encrypted backup of a kecamatan (its own passphrase and target) dumps its
    schema, names it, passes the restore drill on PostgreSQL, goes back into that kecamatan
    and is refused by another one even when asked to take another office's backup."""
    from records.models.backup import BackupRun

    passphrase = "lemari besi kantor tenggarong 2026"
    base, served = kabupaten
    kb, tg = served.kecamatan()[KB], served.kecamatan()[TG]
    share = tmp_path / "pc-arsip-tg"
    share.mkdir()

    def back_up(app):
        runner = app.test_cli_runner()
        env = {"LEMARI_BACKUP_PASSPHRASE": passphrase}
        assert runner.invoke(args=["backup", "passphrase"], env=env).exit_code == 0
        assert runner.invoke(args=["backup", "target", "add", "share", str(share)]).exit_code == 0
        made = runner.invoke(args=["backup", "run"])
        assert made.exit_code == 0 and "[OK]" in made.output, made.output
        drill = runner.invoke(args=["backup", "drill"], env=env)
        assert drill.exit_code == 0, drill.output
        return [run.status for run in db.session.scalars(select(BackupRun))]

    assert tenancy.run_in(base, tg, back_up, OVERRIDES)[-1] == "berhasil"
    phrase = tmp_path / "frasa"
    phrase.write_text(passphrase)
    refused = run_lemari(base["HOME"], "restore", str(share), "--yes", "--other-office",
                         "--passphrase-file", str(phrase), env={"LEMARI_TENANT": KB})
    assert refused.returncode != 0 and "bukan kec_kotabangun" in refused.stderr, refused.stderr
    kb_users, tg_users = _usernames(base, kb), _usernames(base, tg)
    restored = run_lemari(base["HOME"], "restore", str(share), "--yes", "--passphrase-file", str(phrase),
                          env={"LEMARI_TENANT": TG})
    assert restored.returncode == 0, restored.stderr
    assert _usernames(base, tg) == tg_users and _usernames(base, kb) == kb_users


def test_a_kecamatans_restore_that_fails_to_load_leaves_it_as_it_was(kabupaten, tmp_path):
    """The schema waits aside while the dump loads: a load that fails puts it back, and a
    restore interrupted after putting it aside is undone by the next run."""
    from sqlalchemy import text

    from records import pg_pool
    from records.services import backup

    base, served = kabupaten
    tg = served.kecamatan()[TG]
    users = _usernames(base, tg)
    url = tenancy.tenant_url(base["SQLALCHEMY_DATABASE_URI"], tg.schema)
    engine = pg_pool.engine_for(url)
    broken = tmp_path / "database.pgdump"
    broken.write_bytes(b"PGDMP" + b"\0" * 64)  # not a dump pg_restore can read
    with pytest.raises(backup.BackupError, match="pg_restore gagal"):
        backup._restore_postgres(broken, url, engine)
    assert _usernames(base, tg) == users

    aside = backup.ASIDE.format(tg.schema)
    with engine.begin() as conn:  # as a power cut right after the schema was put aside leaves it
        conn.execute(text(f'ALTER SCHEMA "{tg.schema}" RENAME TO "{aside}"'))
    with pytest.raises(backup.BackupError):
        backup._restore_postgres(broken, url, engine)
    assert _usernames(base, tg) == users
    with engine.connect() as conn:
        assert not conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :n"), {"n": aside})

    with engine.begin() as conn:  # as a power cut after a load had committed leaves it: the old copy aside
        conn.execute(text(f'CREATE SCHEMA "{aside}"'))
        conn.execute(text(f'CREATE TABLE "{aside}".ab_user (id int)'))
    with pytest.raises(backup.BackupError):
        backup._restore_postgres(broken, url, engine)
    assert _usernames(base, tg) == users  # the schema in place was kept; the old copy dropped
    with engine.connect() as conn:
        assert not conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :n"), {"n": aside})

    # the node restarted before anyone ran the restore again: serving and migrating settle it
    with engine.begin() as conn:
        conn.execute(text(f'ALTER SCHEMA "{tg.schema}" RENAME TO "{aside}"'))
    migrated = run_lemari(base["HOME"], "tenant", "migrasi")
    assert migrated.returncode == 0, migrated.stderr
    assert f"pemulihan {tg.schema} yang terputus dibatalkan" in migrated.stdout
    assert _usernames(base, tg) == users

    # a schema gone without a trace is refused, and no table is built in public instead
    with engine.begin() as conn:
        conn.execute(text(f'ALTER SCHEMA "{tg.schema}" RENAME TO "hilang_sementara"'))
    try:
        refused = run_lemari(base["HOME"], "tenant", "migrasi")
        assert refused.returncode != 0, refused.stdout
        assert f"Skema {tg.schema} milik Kecamatan Tenggarong tidak ada" in refused.stderr
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT to_regclass('public.alembic_version')")) is None
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'ALTER SCHEMA "hilang_sementara" RENAME TO "{tg.schema}"'))
    assert _usernames(base, tg) == users
