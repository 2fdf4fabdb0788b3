"""Every staff and public screen, rendered in the Indonesian UI, speaks to people (issue 14, part 8).

The URL map is walked (core, features and Flask-AppBuilder's own screens alike): every GET route
that answers HTML is opened by the Admin (who holds every permission), routes a demo role reaches
are opened again as that role, and public pages anonymously. Routes with arguments are filled
from a demo office that has one letter of each kind of data (an issued letter, a letter waiting
for a signature, a queue ticket, a complaint, an incoming letter, a gratification declaration,
a notice). A route with arguments this test cannot fill must be named in UNFILLED with the
reason, so a new screen is never silently left out.

What people see is read with lxml: text nodes and the attributes a user reads (title,
placeholder, alt, aria-label, button values), without scripts, styles, hidden elements and the
Admin's "Detail teknis" folds. A page fails on
- an untranslated string: a text equal to one of Flask-AppBuilder's English msgids (its
  catalogs list them all) or to one of Lemari's English translations, or holding one of the
  English words of FAB's screens ("List", "Search", "Record", "Actions", ...);
- a raw code: a snake_case identifier (`sk_domisili`, `poster_layanan`), or a desa's code
  (`64.02.08.2004`) without the desa's name beside it;
- a UTC time: the word "UTC", or the wall-clock time in UTC of the instant every timestamp of
  the office is set to (17.58 UTC, shown in the office as 01.58 WITA the next day).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import flask_appbuilder
import lxml.html
import pytest
from babel.messages.pofile import read_po
from flask_appbuilder.const import PERMISSION_PREFIX
from sqlalchemy import inspect, select, text

from conftest import build_app, prepare_template
from records.extensions import db, lemari
from records.models import Penduduk, RecordFile, Wilayah

pytestmark = pytest.mark.slow

PASSWORD = "Demo#KotaBangun2026"
ROLES = ("camat", "sekcam", "petugas", "arsiparis", "humas", "auditor", "operator_loleng")
LOLENG = "64.02.08.2004"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "records" / "translations"

#: Every stored timestamp of the test office is set to this instant (naive UTC, as stored).
STAMP = dt.datetime(2026, 12, 1, 17, 58, 31)
UTC_CLOCK = re.compile(r"(?<![\d.:])17[.:]58(?![\d])")

#: Routes never opened, and why.
SKIPPED_PREFIXES = ("/api/", "/static/", "/swagger/", "/logout/", "/lang/", "/back")
SKIPPED_METHODS = ("action", "action_post", "delete", "download")  # FAB's destructive or file routes
#: FAB's security internals (permission and view-menu names are FAB's own identifiers); the
#: Admin manages access through roles (/roles/), which are checked.
INTERNAL = ("PermissionModelView", "PermissionViewModelView", "ViewMenuModelView")

#: Routes with arguments not filled from the demo office, and why.
UNFILLED = {
    "PenyusutanView.batch": "a disposal batch needs a retention period run out (test_pemusnahan.py)",
    "PindahView.berita_acara": "a move-in report needs an old archive imported (test_pindah_register.py)",
    "SuratMasukView.scan": "an incoming letter's scan (tests/integration/test_surat_masuk.py)",
    "ArsipView.download": "a file download, not a screen",
    "RecordsView.download": "a file download, not a screen",
    "info.item_file": "a file download, not a screen",
    "PublikasiView.file": "a file download, not a screen",
    "antrian_public.ticket_pdf": "a PDF, not a screen",
    "info.layanan_chart": "an SVG chart, not a screen",
    "SuratMasukView.lembar": "a PDF, not a screen",
    "jadwal_public.slip_pdf": "a PDF, not a screen",
    "PindahView.berita_acara_pdf": "a PDF, not a screen",
    "SuratMasukView.templat_agenda": "a spreadsheet, not a screen",
    "SuratMasukView.agenda": "a spreadsheet or PDF, not a screen",
    "GroupView.edit": "no group in the demo office",
    "GroupView.show": "no group in the demo office",
}

#: English words of Flask-AppBuilder's screens that are no Indonesian words.
ENGLISH_WORDS = {"List", "Search", "Add", "Edit", "Record", "Records", "Actions", "Delete",
                 "Permission", "Permissions", "Show", "Save", "Refresh", "Select", "Created",
                 "Changed", "Security", "Previous", "Next", "Page", "Home", "Language", "Logout",
                 "Login", "User", "Users", "Roles", "Back", "Remove", "Yes",
                 "Confirmation", "Cancel", "Are", "you", "sure", "the", "of", "and", "with",
                 "Toggle", "navigation", "Sort", "Ascending", "Descending", "Download",
                 "Submit", "Close", "Reset", "Password", "Profile", "View"}
#: Words the same in both languages (a text equal to a FAB msgid may still be Indonesian).
SAME_IN_BOTH = {"Email", "Status", "Detail", "Total", "Filter", "Login", "Info", "Data", "Telepon"}
VISIBLE_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")
HIDDEN_TAGS = {"script", "style", "noscript", "template", "head"}
#: Elements that mark an identifier a person types or matches (CSV headers, number-format
#: tokens, the code of a service the Admin configures): codes inside them are meant.
CODE_TAGS = {"code", "kbd", "samp"}
#: Flask-AppBuilder's names of permissions ("can read on Record", "menu access on Security"),
#: shown on the Admin's role pages only; the roles themselves are described in words
#: (docs/roles.md, the home page). Translating FAB's permission strings is not done yet.
FAB_PERMISSION = re.compile(r"^\[?(can [a-z ]+ on |menu access on )")
SNAKE = re.compile(r"(?<![\w@./:=-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/]|\.[a-z])")
DESA_CODE = re.compile(r"\b\d{2}\.\d{2}\.\d{2}\.\d{4}\b")


# ----- the office ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def office(demo_home, tmp_path_factory):
    """(app, facts): the demo office with one item of each kind, every timestamp at STAMP."""
    home = tmp_path_factory.mktemp("words") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        facts = _fill_office(app)
        _stamp_every_time(db.engine)
    prepare_template(app)
    yield app, facts
    app.extensions["lemari"].close()


def _fill_office(app) -> dict:
    """One of each: an issued and handed-over letter, a letter waiting for the Camat, a queue
    ticket, a complaint, an incoming letter, a gratification declaration, a draft notice."""
    from records.antrian import services as antrian
    from records.gratifikasi import services as gratifikasi
    from records.pengaduan import services as pengaduan
    from records.publikasi.desk import publish_desk
    from records.publikasi.services.publishing import create_publikasi
    from records.services.accounts import actor_for_username
    from records.services.issuing import advance
    from records.services.public_guard import form_token
    from records.services.requests import take_request
    from records.services.setup import catalogue
    from records.surat_masuk import services as surat_masuk

    ext = lemari()
    tz = ext.settings.get("TIMEZONE", "Asia/Makassar")

    def who(username):
        return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                                  registry=ext.registry)

    people = list(db.session.scalars(select(Penduduk.id).where(Penduduk.desa_code == LOLENG).limit(2)))
    received = ["Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"]
    issued = take_request("sk_domisili", penduduk_id=people[0], received=received,
                          values={"keperluan": "Melamar pekerjaan"}, actor=who("petugas"),
                          session=db.session, desk=ext.desk())
    for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                           ("terbitkan", "petugas"), ("serahkan", "petugas")):
        advance(issued.id, name, actor=who(username), session=db.session,
                registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
    waiting = take_request("sk_domisili", penduduk_id=people[1], received=received,
                           values={"keperluan": "Persyaratan beasiswa"}, actor=who("petugas"),
                           session=db.session, desk=ext.desk())
    advance(waiting.id, "verifikasi", actor=who("petugas"), session=db.session,
            registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
    files = {f.kind: f.id for f in db.session.scalars(
        select(RecordFile).where(RecordFile.record_id == issued.id))}

    antrian.ensure_setup(db.session, [s["code"] for s in catalogue()["layanan"]])
    ticket = antrian.issue_ticket("ktp_el", actor=None, session=db.session, tz=tz)
    secret = app.config["SECRET_KEY"]
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    complaint = pengaduan.submit({"kategori": "keluhan", "judul": "Antrian lama", "isi": "Menunggu dua jam."},
                                 client="warga", token=form_token(secret, past), honeypot="",
                                 session=db.session, secret=secret, tz=tz, limit=5)
    today = ext.desk().today()
    letter = surat_masuk.register_letter(
        {"pengirim": "Dinas Kependudukan", "nomor_surat": "470/12/Disdukcapil", "perihal": "Rapat KTP-el",
         "sifat": "biasa", "tanggal_surat": today.isoformat()},
        actor=who("petugas"), session=db.session, registry=ext.registry, today=today)
    declaration = gratifikasi.declare(
        {"uraian": "Amplop berisi uang", "pemberi": "Pak Darto", "hubungan": "pemohon KTP-el",
         "nilai": "Rp 1.500.000", "tanggal": today.isoformat(), "tempat": "Loket 2",
         "sikap": "ditolak", "layanan": "ktp_el"},
        actor=who("petugas"), session=db.session, registry=ext.registry, tz=tz)
    notice = create_publikasi(
        {"jenis": "pengumuman", "judul": "Perekaman KTP-el hari Sabtu", "isi": "Bawa KK asli.",
         "berlaku_mulai": today.isoformat()}, actor=who("humas"), session=db.session,
        registry=ext.registry, desk=publish_desk(ext))
    slot, booking = _booking(who("petugas"), tz, today)
    ext.search().drain()
    return {"slot": slot, "booking": booking,
            "record": issued.id, "waiting": waiting.id, "penduduk": people[0],
            "verify_code": issued.verify_code, "tracking": issued.tracking_code,
            "files": files, "ticket": ticket.id, "ticket_code": ticket.tracking_code,
            "complaint": complaint.id, "complaint_code": complaint.tracking_code,
            "surat": letter.id, "gratifikasi": declaration.id, "publikasi": notice.id}


def _booking(clerk, tz: str, today: dt.date) -> tuple[int, str]:
    """A KTP-el slot and one booking on the next day the office is open (the clerk's phone
    booking): (the slot's id, the booking's code)."""
    from records.antrian import jadwal
    from records.antrian.models import JadwalLayanan
    from records.exceptions import ValidationError

    slot = JadwalLayanan(layanan_code="ktp_el", jam_mulai=dt.time(9), jam_selesai=dt.time(12),
                         kuota=5, khusus=False, hari="0,1,2,3,4,5,6", tenggang_menit=30, aktif=True)
    db.session.add(slot)
    db.session.commit()
    nik = db.session.scalar(select(Penduduk.nik).where(Penduduk.desa_code == LOLENG))
    for ahead in range(1, 15):  # the next day that is no holiday
        try:
            booking = jadwal.book(slot.id, today + dt.timedelta(days=ahead), nik=nik, actor=clerk,
                                  source=jadwal.CLERK, session=db.session, tz=tz)
        except ValidationError:
            continue
        return slot.id, booking.kode
    raise AssertionError("no day in the next two weeks took a booking")


def _stamp_every_time(engine) -> None:
    """Every date-and-time column of the office's own tables (not FAB's users, not the audit
    chain, whose hashes cover its times) at STAMP: a screen showing UTC then shows 17.58."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in inspector.get_table_names():
            if table.startswith(("ab_", "audit", "alembic")):
                continue
            for column in inspector.get_columns(table):
                if type(column["type"]).__name__.upper() in ("DATETIME", "TIMESTAMP"):
                    conn.execute(text(f'UPDATE "{table}" SET "{column["name"]}" = :at '
                                      f'WHERE "{column["name"]}" IS NOT NULL'), {"at": STAMP})


# ----- the routes ---------------------------------------------------------------------------------

def _args(app, facts: dict, rule) -> dict | None:
    """The rule's arguments from the office's data; None when not known."""
    layanan = "sk_domisili"
    by_endpoint = {
        "antrian_public.kiosk_lane": {"code": "ktp_el"},
        "antrian_public.ticket_page": {"code": facts["ticket_code"]},
        "LoketView.counter": {"loket_id": 1},
        "LoketView.intake": {"ticket_id": facts["ticket"]},
        "RecordsView.show": {"record_id": facts["record"]},
        "RecordsView.applicant": {"penduduk_id": facts["penduduk"]},
        "JadwalLayananView.show": {"pk": facts["slot"]},
        "JadwalLayananView.edit": {"pk": facts["slot"]},
        "jadwal_public.slip_page": {"code": facts["booking"]},
        "RecordsView.preview": {"record_id": facts["waiting"]},
        "RecordsView.create": {"doctype": "sk_domisili_penduduk"},
        "RecordsView.intake_form": {"code": layanan},
        "ArsipView.show": {"record_id": facts["record"]},
        "GratifikasiView.show": {"declaration_id": facts["gratifikasi"]},
        "info.layanan_show": {"code": layanan},
        "info.layanan_version": {"code": layanan, "versi": 1},
        "info.notice": {"item_id": facts["publikasi"]},
        "lacak.link": {"code": facts["tracking"]},
        "PengaduanView.show": {"complaint_id": facts["complaint"]},
        "pengaduan_public.track_link": {"code": facts["complaint_code"]},
        "PublikasiView.show": {"item_id": facts["publikasi"]},
        "PublikasiView.edit": {"item_id": facts["publikasi"]},
        "PublikasiView.new": {"jenis": "pengumuman"},
        "StandarView.show": {"code": layanan},
        "StandarView.edit": {"code": layanan},
        "StandarView.version": {"code": layanan, "versi": 1},
        "SuratMasukView.show": {"surat_id": facts["surat"]},
        "survei_public.form": {"code": facts["tracking"]},
        "TemplatView.edit": {"key": "sk_domisili_penduduk"},
        "TemplatView.version": {"key": "sk_domisili_penduduk", "versi": 1},
        "PendudukView.subject_export": {"pk": facts["penduduk"]},
        "public.verify_link": {"code": facts["verify_code"]},
    }
    if rule.endpoint in by_endpoint:
        return by_endpoint[rule.endpoint]
    if rule.endpoint == "KlasifikasiView.edit_jra":
        row = db.session.execute(text("SELECT id, skema_code FROM arsip_jra ORDER BY id LIMIT 1")).one()
        return {"skema": row.skema_code, "jra_id": row.id}
    if set(rule.arguments) == {"pk"}:
        view = _view(app, rule.endpoint)
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if model is not None:
            first = db.session.scalar(select(model).limit(1))
            if first is not None:
                return {"pk": inspect(first).identity[0]}
    return None


def _view(app, endpoint: str):
    name = endpoint.partition(".")[0]
    return next((v for v in app.appbuilder.baseviews if v.endpoint == name), None)


def _permission(app, endpoint: str) -> tuple[str, str] | None:
    """The (permission, view menu) FAB checks for the endpoint; None for a public page."""
    view, method = _view(app, endpoint), endpoint.partition(".")[2]
    func = getattr(view, method, None) if view is not None and method else None
    name = getattr(func, "_permission_name", None)
    if name is None:
        return None
    mapped = (view.method_permission_name or {}).get(func.__name__)
    return PERMISSION_PREFIX + (mapped or name), view.class_permission_name


def screens(app, facts: dict) -> tuple[list[tuple[str, tuple | None]], list[str]]:
    """[(url, permission or None)] of every screen, and the routes with unknown arguments."""
    from flask import url_for

    found, unknown = [], []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            method = rule.endpoint.rpartition(".")[2]
            if ("GET" not in rule.methods or rule.rule.startswith(SKIPPED_PREFIXES)
                    or method in SKIPPED_METHODS or rule.endpoint.partition(".")[0] in INTERNAL
                    or rule.endpoint in ("static", "appbuilder.static", "health", "public.favicon")
                    or rule.endpoint in UNFILLED):
                continue
            args = _args(app, facts, rule) if rule.arguments else {}
            if args is None:
                unknown.append(f"{rule.rule} ({rule.endpoint})")
                continue
            found.append((url_for(rule.endpoint, **args), _permission(app, rule.endpoint)))
    return found, unknown


# ----- what people read ---------------------------------------------------------------------------

def _hidden(element) -> bool:
    if not isinstance(element.tag, str) or element.tag in HIDDEN_TAGS:
        return True
    if element.get("hidden") is not None or element.get("type") == "hidden":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    classes = (element.get("class") or "").split()
    return ("display:none" in style or "hidden" in classes or "lemari-technical" in classes)


def visible_texts(html: str) -> list[tuple[str, bool]]:
    """The texts a person reads on the page, whitespace collapsed (the <title> included), each
    with whether it sits in a code element."""
    root = lxml.html.document_fromstring(html)
    found = [(t, False) for t in root.xpath("//head/title/text()")]

    def walk(element, code: bool):
        if _hidden(element):
            return
        code = code or element.tag in CODE_TAGS
        found.append((element.text or "", code))
        for name in VISIBLE_ATTRIBUTES:
            found.append((element.get(name) or "", code))
        if element.tag == "input" and element.get("type") in ("submit", "button"):
            found.append((element.get("value") or "", code))
        for child in element:
            walk(child, code)
            if isinstance(child.tag, str):
                found.append((child.tail or "", code))

    body = root.find("body")
    if body is not None:
        walk(body, False)
    return [(t, code) for t, code in ((" ".join(s.split()), c) for s, c in found) if t]


def _msgids(path: Path) -> dict[str, str]:
    with open(path, "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and isinstance(m.id, str)}


@pytest.fixture(scope="module")
def english():
    """Texts that are English on an Indonesian screen: FAB's msgids (all of them, from one of
    FAB's own catalogs) and Lemari's English translations, less words both languages share."""
    fab = set(_msgids(Path(flask_appbuilder.__file__).parent / "translations" / "de" / "LC_MESSAGES"
                      / "messages.po"))
    ours = _msgids(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    indonesian = set(ours) | set(_msgids(TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po").values())
    found = (fab | {v for k, v in ours.items() if v != k}) - indonesian - SAME_IN_BOTH
    return {t for t in found if "%" not in t and "{" not in t}


def findings(html: str, english: set[str], desa: dict[str, str], usernames: set[str]) -> list[str]:
    """What is wrong with the page's words, one line each."""
    found = []
    for piece, code_element in visible_texts(html):
        if FAB_PERMISSION.match(piece):
            continue
        if piece in english:
            found.append(f"untranslated: {piece!r}")
        words = set(re.findall(r"[A-Za-z]+", piece)) & ENGLISH_WORDS
        if words and piece not in english:
            found.append(f"English {sorted(words)}: {piece[:80]!r}")
        for code in () if code_element else SNAKE.findall(piece):
            if code not in usernames:
                found.append(f"raw code {code!r}: {piece[:80]!r}")
        for code in () if code_element else DESA_CODE.findall(piece):
            if code in desa and desa[code] not in piece:
                found.append(f"desa code {code} without {desa[code]!r}: {piece[:80]!r}")
        if re.search(r"\bUTC\b", piece) or UTC_CLOCK.search(piece):
            found.append(f"UTC time: {piece[:80]!r}")
    return found


def test_the_detector_sees_each_kind_of_mistake():
    """The checks below can fail: each planted mistake is found, the good page passes."""
    english = {"No records found", "List Users"}
    bad = ("<html><head><title>List Users</title></head><body><p>No records found</p>"
           "<a title='Add Record'>+</a><span>poster · poster_layanan</span><td>64.02.08.2004</td>"
           "<p>Waktu (UTC)</p><p>01-12-2026 17.58</p></body></html>")
    kinds = [f.split(":")[0].split(" [")[0] for f in findings(bad, english, {LOLENG: "Loleng"}, set())]
    assert set(kinds) == {"English", "desa code 64.02.08.2004 without 'Loleng'", "raw code 'poster_layanan'",
                          "UTC time", "untranslated"}, kinds
    good = ("<html><head><title>Daftar Pengguna</title></head><body><p>Data tidak ditemukan</p>"
            "<script>var sk_domisili = 1;</script><p hidden>List</p><details class='lemari-technical'>"
            "<code>PdfStreamError teks_asli</code></details><td>Loleng (64.02.08.2004)</td>"
            "<p>02-12-2026 01.58 WITA</p><a href='/x/sk_domisili'>Surat</a>"
            "<p>kec_kotabangun@example.go.id operator_loleng surat_domisili.pdf</p>"
            "<p>Kolom: <code>nik, tempat_lahir</code></p><td>can read on Record</td></body></html>")
    assert findings(good, english, {LOLENG: "Loleng"}, {"operator_loleng"}) == []


def _client(app, username: str | None, n: int):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.14.0.{n}"
    if username:
        answer = client.post("/login/", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 302 and "/login" not in answer.location, username
    return client


def _held(app, username: str) -> set | None:
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        if any(r.name == sm.auth_role_admin for r in user.roles):
            return None
        return set(sm.get_user_permissions(user))


def test_every_screen_speaks_indonesian_with_names_and_office_time(office, english):
    app, facts = office
    with app.app_context():
        desa = {w.code: w.name for w in db.session.scalars(select(Wilayah))}
        usernames = set(db.session.scalars(text("SELECT username FROM ab_user")))
        urls, unknown = screens(app, facts)
    assert unknown == [], "fill these routes' arguments in _args or name them in UNFILLED"
    assert len(urls) > 100  # the walk reaches the app's screens

    problems, errors, opened = [], [], 0
    visitors = [("admin", None), *((r, _held(app, r)) for r in ROLES), (None, set())]
    for n, (username, held) in enumerate(visitors, start=1):
        client = _client(app, username, n)
        for url, permission in urls:
            if username is None and permission is not None:
                continue  # staff pages: the anonymous visitor only reaches the login
            if username is not None and permission is None and username != "admin":
                continue  # public pages: read once as the Admin, once anonymously
            if held is not None and permission is not None and permission not in held:
                continue
            if username not in (None, "admin") and not _role_specific(url):
                continue
            answer = client.get(url)
            if answer.status_code >= 500:
                errors.append(f"{answer.status_code} {url} ({username})")
            if answer.status_code != 200 or answer.mimetype != "text/html":
                continue
            opened += 1
            problems += [f"{url} ({username or 'publik'}): {f}"
                         for f in findings(answer.get_data(as_text=True), english, desa, usernames)]
    assert errors == []
    assert opened > 150
    # the stamped times do reach the screens, in the office's zone
    record = _client(app, "admin", 99).get(f"/dokumen/{facts['record']}").get_data(as_text=True)
    assert "02-12-2026 01.58" in record and "WITA" in record
    assert sorted(set(problems)) == []


def _role_specific(url: str) -> bool:
    """Screens whose content depends on who looks (worklists, scope, menus): every role opens
    them; the rest are the same for every role and read once, by the Admin."""
    return not re.match(r"^/(users|roles|groups|[a-z]+view)/", url) or url.startswith("/pendudukview/")
