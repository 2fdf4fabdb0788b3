"""Queue screens: the kiosk and TV display (public), the counters (login), queue settings.

Every handler parses the request, calls one `services.antrian` function and renders; the
counter buttons answer JSON to the page's script and a redirect to a plain form post.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from records.antrian import services as antrian
from records.antrian.models import AntrianLayanan, Loket, Tiket
from records.antrian.rules import PRIORITY_REASONS
from records.exceptions import RecordsError, ValidationError
from records.extensions import db, lemari
from records.models import Layanan
from records.services import kependudukan
from records.services.clock import clock
from records.services.public_guard import add_hit, check_rate
from records.services.setup import catalogue
from records.web_common import client, current_actor, tz

public = Blueprint("antrian_public", __name__)
WIDTHS = (58, 80)
#: Seconds each notice or poster stays beside the queue on the TV.
SLIDE_SECONDS = 12
#: The kiosk's paper width is the device's (set once by the Admin through the kiosk's start
#: address, /antrian/ambil?kertas=58); the browser keeps it in this cookie for a year.
PAPER_COOKIE = "lemari_kios_kertas"
PAPER_COOKIE_AGE = 366 * 24 * 3600
#: Longest a TV's request waits for news (`?tunggu=`), and how often a waiting request looks
#: at the database for a change made by another process (a call in this one wakes it at once).
LONG_POLL_MAX_SECONDS = 25
LONG_POLL_CHECK_SECONDS = 0.2
_NEWS = threading.Condition()


def announce() -> None:
    """Wake the TVs' waiting requests in this process: a call or a ticket was just committed."""
    with _NEWS:
        _NEWS.notify_all()


def settings() -> dict:
    return lemari().settings


def ensure_setup() -> None:
    antrian.ensure_setup(db.session, [spec["code"] for spec in catalogue()["layanan"]])


# ----- kiosk and display (no login) ----------------------------------------------------------

@public.route("/antrian/ambil")
def kiosk():
    """Big buttons, one per service. `?kertas=58` or `80` (the kiosk's start address, set once
    by the Admin) remembers this device's ticket paper width in a cookie."""
    ensure_setup()
    asked, error = request.args.get("kertas", ""), ""
    if asked and asked not in {str(w) for w in WIDTHS}:
        error = _("Lebar kertas tiket harus %(a)s atau %(b)s mm.", a=WIDTHS[0], b=WIDTHS[1])
    page = render_template("lemari/antrian_kiosk.html", error=error,
                           services=antrian.queue_services(db.session))
    response = make_response(page, 400 if error else 200)
    if asked and not error:
        response.set_cookie(PAPER_COOKIE, asked, max_age=PAPER_COOKIE_AGE, httponly=True, samesite="Lax")
    return response


def paper_width() -> int:
    """This kiosk's ticket width (its cookie), else the office's TICKET_WIDTH_MM."""
    kept = request.cookies.get(PAPER_COOKIE, "")
    return int(kept) if kept in {str(w) for w in WIDTHS} else int(settings()["TICKET_WIDTH_MM"])


@public.route("/antrian/ambil/<code>", methods=["GET", "POST"])
def kiosk_lane(code: str):
    """Regular or priority lane for the chosen service; POST takes the ticket."""
    service = db.session.get(AntrianLayanan, code)
    if service is None or not service.aktif:
        abort(404)
    error, status = "", 200
    if request.method == "POST":
        try:
            ticket = _kiosk_ticket(code, request.form.get("prioritas", ""))
            announce()
            return redirect(url_for("antrian_public.ticket_page", code=ticket.tracking_code, baru=1))
        except RecordsError as exc:
            db.session.rollback()
            error, status = str(exc), exc.http_status
    return render_template("lemari/antrian_kiosk_lane.html", service=service,
                           reasons=PRIORITY_REASONS, error=error), status


def _kiosk_ticket(code: str, reason: str) -> Tiket:
    now, _ = clock(tz())
    key = client()
    check_rate(db.session, "kiosk", key, limit=settings()["KIOSK_TICKETS_PER_MINUTE"],
               window=dt.timedelta(minutes=1), now=now, what="tiket")
    add_hit(db.session, "kiosk", key, now)
    return antrian.issue_ticket(code, reason=reason, actor=None, session=db.session, tz=tz(), now=now)


@public.route("/antrian/tiket/<code>")
def ticket_page(code: str):
    """The ticket on screen: number, people ahead, print buttons."""
    ticket = antrian.ticket_by_code(code, session=db.session)
    sheet = antrian.ticket_sheet(ticket, session=db.session, tz=tz(),
                                 base_url=settings()["PUBLIC_BASE_URL"].rstrip("/"))
    return render_template("lemari/antrian_ticket.html", sheet=sheet, width=paper_width(),
                           fresh=bool(request.args.get("baru")))


@public.route("/antrian/tiket/<code>/cetak")
def ticket_pdf(code: str):
    """The thermal-printer PDF at the device's width (?lebar=58 or 80 overrides it)."""
    width = request.args.get("lebar", type=int) or paper_width()
    if width not in WIDTHS:
        abort(400)
    ticket = antrian.ticket_by_code(code, session=db.session)
    desk = lemari().desk()
    sheet = antrian.ticket_sheet(ticket, session=db.session, tz=tz(), base_url=desk.base_url)
    metadata = desk.metadata_factory(title=f"Tiket antrian {sheet['label']}", author=desk.office["name"],
                                     subject=sheet["layanan"], document_type="tiket_antrian",
                                     office=desk.office["name"])
    # The template sets its own thermal page size; `paper` only names office paper sizes.
    rendered = desk.renderer.render("tiket_antrian/document.html",
                                    {"ticket": sheet, "width": width, "office": desk.office},
                                    paper="A4", metadata=metadata)
    return send_file(io.BytesIO(rendered.pdf), mimetype="application/pdf",
                     download_name=f"tiket-{sheet['label']}.pdf")


@public.route("/antrian/layar")
def display():
    """The waiting-room TV; its script polls /antrian/layar/data."""
    ensure_setup()
    return render_template("lemari/antrian_display.html", poll_ms=settings()["DISPLAY_POLL_MS"],
                           state=antrian.display_state(db.session, tz()), items=screen_slides(),
                           slide_seconds=SLIDE_SECONDS)


def screen_slides() -> list[dict]:
    """The slides other plugins give the TV (notices and posters in force today)."""
    _, today = clock(tz())
    found: list[dict] = []
    for source in lemari().registry.screen_slides:
        found.extend(source(session=db.session, today=today))
    return found


@public.route("/antrian/layar/data")
def display_data():
    """JSON for the display; 304 when nothing changed since the client's version (ETag).
    With `?tunggu=N` (long poll) an unchanged display waits up to N seconds for news, so a
    call reaches the TV within milliseconds instead of a poll interval."""
    version, read_at = _wait_for_news(request.args.get("tunggu", 0, type=int) or 0)
    if request.if_none_match.contains(version):
        return "", 304, {"ETag": f'"{version}"', "Cache-Control": "no-cache"}
    since = request.args.get("sejak", 0, type=int) or 0
    state = _shared_state(version, read_at, since)
    response = jsonify(state)
    response.headers["ETag"] = f'"{state["version"]}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


#: The display's data, shared by every TV this process serves: a call wakes them all at once
#: and each would read the same rows (issue 17: the TVs' reads were a quarter of the front
#: office's CPU under load). A state read after a TV saw its version answers that TV; it is
#: kept briefly, so a counter renamed in the settings (which moves no version) shows within
#: seconds on a freshly loaded TV.
_SHARED: dict[tuple, dict] = {}  # (database URL, time zone) -> {"at", "state", "lock"}
_SHARED_LOCK = threading.Lock()
SHARED_STATE_SECONDS = 2.0
#: Shortest time between two reads of the display's data in one process. In a burst (the
#: benchmark's 150× pace: twenty calls and tickets a second) the TVs get the newest state a
#: quarter of a second late instead of the front office reading it twenty times a second;
#: at an office's pace, a call minutes after the last is read at once.
DISPLAY_MIN_INTERVAL = 0.25


def _shared_state(version: str, read_at: float, since: int) -> dict:
    """The display's data at `version` or read after it was seen (`read_at`), with the calls
    after `since` (the state's last calls filtered here: the newest ones after `since` are the
    newest ones, filtered). One slot per office: a kabupaten process serves every kecamatan's
    TVs, each kecamatan's database URL names its own schema (records.tenancy; not the
    engine's URL, which every kecamatan of a process shares, records.pg_pool)."""
    with _SHARED_LOCK:
        slot = _SHARED.setdefault((current_app.config["SQLALCHEMY_DATABASE_URI"], tz()),
                                  {"at": float("-inf"), "state": None, "lock": threading.Lock()})
    with slot["lock"]:  # a second TV of the office waits for the first's read instead of repeating it
        now = time.monotonic()
        kept = slot["state"]
        current = kept is not None and (kept["version"] == version or slot["at"] >= read_at)
        if not current or now - slot["at"] > SHARED_STATE_SECONDS:
            time.sleep(max(0.0, slot["at"] + DISPLAY_MIN_INTERVAL - now))
            slot.update(at=time.monotonic(), state=antrian.display_state(db.session, tz()))
        state = slot["state"]
    return {**state, "panggilan": [call for call in state["panggilan"] if call["id"] > since]}


def _wait_for_news(seconds: int) -> tuple[str, float]:
    """The display's version, waiting up to `seconds` while it equals the client's, and when
    it was read. The read transaction ends before each wait (no connection held, and the next
    read sees commits)."""
    read_at = time.monotonic()
    version = antrian.display_version(db.session, tz())
    deadline = time.monotonic() + max(0, min(seconds, LONG_POLL_MAX_SECONDS))
    while request.if_none_match.contains(version) and time.monotonic() < deadline:
        db.session.rollback()
        with _NEWS:
            _NEWS.wait(min(LONG_POLL_CHECK_SECONDS, max(0.0, deadline - time.monotonic())))
        read_at = time.monotonic()
        version = antrian.display_version(db.session, tz())
    return version, read_at


# ----- counters (login) ----------------------------------------------------------------------

class LoketView(BaseView):
    """A clerk's counter: call next, recall, serve, skip, transfer, take the request."""

    route_base = "/antrian/loket"
    default_view = "index"
    class_permission_name = "Antrian"
    method_permission_name = {"index": "call", "counter": "call", "call_next": "call",
                              "action": "call", "reinstate": "call", "intake": "call",
                              "issue": "issue"}

    @expose("/")
    @has_access
    def index(self):
        ensure_setup()
        return self.render_template("lemari/antrian_counters.html", counters=antrian.counters(db.session),
                                    services=antrian.queue_services(db.session),
                                    reasons=PRIORITY_REASONS,
                                    can_issue=current_actor().can("antrian.issue"))

    @expose("/<int:loket_id>")
    @has_access
    def counter(self, loket_id):
        view = antrian.counter_view(loket_id, actor=current_actor(), session=db.session, tz=tz())
        return self.render_template("lemari/antrian_counter.html", view=view, reasons=PRIORITY_REASONS)

    @expose("/<int:loket_id>/panggil", methods=["POST"])
    @has_access
    def call_next(self, loket_id):
        try:
            ticket = antrian.call_next(loket_id, actor=current_actor(), session=db.session, tz=tz())
        except RecordsError as exc:
            return _refused(exc, loket_id)
        message = (_("Memanggil %(tiket)s.", tiket=ticket.label) if ticket else
                   _("Antrian kosong: tidak ada warga yang menunggu untuk loket ini."))
        return _answer(loket_id, ticket, message, "success" if ticket else "info")

    @expose("/<int:loket_id>/aksi/<name>", methods=["POST"])
    @has_access
    def action(self, loket_id, name):
        options = {}
        if name == "alih":
            options = {"to_layanan": request.form.get("layanan", ""),
                       "to_loket": request.form.get("loket", type=int)}
        try:
            ticket = antrian.counter_action(loket_id, name, actor=current_actor(), session=db.session,
                                            tz=tz(), **options)
        except RecordsError as exc:
            return _refused(exc, loket_id)
        return _answer(loket_id, ticket, ACTION_MESSAGES.get(name, _l("Tersimpan.")), "success")

    @expose("/<int:loket_id>/kembali/<int:ticket_id>", methods=["POST"])
    @has_access
    def reinstate(self, loket_id, ticket_id):
        try:
            ticket = antrian.reinstate(ticket_id, actor=current_actor(), session=db.session, tz=tz())
        except RecordsError as exc:
            return _refused(exc, loket_id)
        return _answer(loket_id, ticket, _("%(tiket)s kembali ke antrian.", tiket=ticket.label), "success")

    @expose("/ambil", methods=["POST"])
    @has_access
    def issue(self):
        """A ticket for a citizen at the desk (or who cannot use the kiosk)."""
        ensure_setup()
        try:
            ticket = antrian.issue_ticket(request.form.get("layanan", ""),
                                          reason=request.form.get("prioritas", ""),
                                          actor=current_actor(), session=db.session, tz=tz())
        except RecordsError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("LoketView.index"))
        flash(_("Tiket %(tiket)s dibuat.", tiket=ticket.label), "success")
        return redirect(url_for("antrian_public.ticket_page", code=ticket.tracking_code))

    @expose("/tiket/<int:ticket_id>/permohonan", methods=["GET", "POST"])
    @has_access
    def intake(self, ticket_id):
        """The service request the ticket was for, under the ticket's tracking code."""
        ticket = db.session.get(Tiket, ticket_id) if ticket_id < 2**31 else None
        if ticket is None:
            abort(404)
        layanan = db.session.get(Layanan, ticket.layanan_code)
        spec = lemari().registry.document_types.get(layanan.doctype) or abort(404)
        values, errors = request.form.to_dict(), {}
        if request.method == "POST":
            record, errors = _take(ticket, spec, values, request.form.getlist("persyaratan"))
            if record is not None:
                flash(_("Permohonan diterima. Kode lacak: %(code)s", code=record.tracking_code), "success")
                return redirect(url_for("RecordsView.show", record_id=record.id))
        return self.render_template("lemari/intake_form.html", layanan=layanan, spec=spec,
                                    values=values, errors=errors, ticket=ticket,
                                    duplicates=getattr(errors, "duplicates", []),
                                    checked=request.form.getlist("persyaratan")), (422 if errors else 200)


ACTION_MESSAGES = {"ulang": _l("Dipanggil ulang."), "layani": _l("Sedang dilayani."),
                   "lewati": _l("Nomor dilewati."), "selesai": _l("Selesai dilayani."),
                   "alih": _l("Nomor dialihkan.")}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _answer(loket_id: int, ticket: Tiket | None, message, category: str):
    announce()
    if _wants_json():
        return jsonify(message=str(message), tiket=ticket.label if ticket else None,
                       status=ticket.status if ticket else None)
    flash(str(message), category)
    return redirect(url_for("LoketView.counter", loket_id=loket_id))


def _refused(exc: RecordsError, loket_id: int):
    """JSON with the refusal's status to the script; a flash on the counter page to a form.
    An unknown counter stays a 404 page."""
    db.session.rollback()
    if _wants_json():
        return jsonify(message=str(exc), tiket=None, status=None), exc.http_status
    if exc.http_status == 404:
        raise exc
    flash(str(exc), "danger")
    return redirect(url_for("LoketView.counter", loket_id=loket_id))


def _take(ticket: Tiket, spec, values: dict, received: list[str]):
    """Take the request; form errors come back as a dict (applicant and fields together)."""
    nik = values.get("nik", "").strip()
    try:
        penduduk_id = (kependudukan.find_penduduk_by_nik(nik, actor=current_actor(), session=db.session)
                       if nik else None)
        if penduduk_id is None and spec.needs_penduduk:
            raise ValidationError("NIK pemohon wajib diisi.", {"nik": "NIK pemohon wajib diisi."})
        return antrian.take_request_for_ticket(ticket.id, penduduk_id=penduduk_id, received=received,
                                               values=values, actor=current_actor(),
                                               session=db.session, desk=lemari().desk(),
                                               berlaku=request.form.getlist("kondisi"),
                                               duplicate_ok=bool(values.get("tetap_buat"))), {}
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.errors or {"": str(exc)}
    except RecordsError as exc:
        db.session.rollback()
        return None, {"": str(exc)}


# ----- settings (Admin) ----------------------------------------------------------------------

MANAGE = {name: "manage" for name in ("list", "show", "add", "edit", "delete", "download", "api",
                                      "api_read", "api_get", "api_readvalues", "info", "get",
                                      "get_list", "post", "put", "action", "action_post",
                                      "api_create", "api_update", "api_delete", "api_column_add",
                                      "api_column_edit")}


class AntrianLayananView(ModelView):
    """Which services the kiosk offers and the letter of their numbers."""

    datamodel = SQLAInterface(AntrianLayanan)
    class_permission_name = "Antrian"
    method_permission_name = MANAGE
    base_permissions = ["can_manage"]
    list_title = _l("Layanan Antrian")
    add_title, edit_title = _l("Tambah Layanan Antrian"), _l("Ubah Layanan Antrian")
    show_title = _l("Detail Layanan Antrian")
    list_columns = ["prefix", "layanan", "aktif", "urutan"]
    add_columns = edit_columns = show_columns = ["layanan", "prefix", "aktif", "urutan"]
    label_columns = {"prefix": _l("Huruf nomor"), "layanan": _l("Layanan"), "aktif": _l("Aktif"),
                     "urutan": _l("Urutan di kios")}

    def pre_add(self, item):
        _check_prefix(item)

    def pre_update(self, item):
        _check_prefix(item)


class LoketConfigView(ModelView):
    """Counters and the services each one calls."""

    datamodel = SQLAInterface(Loket)
    class_permission_name = "Antrian"
    method_permission_name = MANAGE
    base_permissions = ["can_manage"]
    list_title = _l("Loket")
    add_title, edit_title, show_title = _l("Tambah Loket"), _l("Ubah Loket"), _l("Detail Loket")
    list_columns = ["nama", "layanan", "aktif"]
    add_columns = edit_columns = show_columns = ["nama", "layanan", "aktif"]
    label_columns = {"nama": _l("Nama loket"), "layanan": _l("Kode layanan"), "aktif": _l("Aktif")}
    description_columns = {
        "layanan": _l("Kode layanan dipisah koma (mis. <code>ktp_el,kk</code>); kosong = semua layanan")}

    def pre_add(self, item):
        _check_counter(item)

    def pre_update(self, item):
        _check_counter(item)


def _check_prefix(item) -> None:
    prefix = (item.prefix or "").strip().upper()
    if not (1 <= len(prefix) <= 2 and prefix.isascii() and prefix.isalpha()):
        raise ValueError(_("Huruf nomor: 1–2 huruf A–Z."))
    item.prefix = prefix


def _check_counter(item) -> None:
    known = {code for (code,) in db.session.query(Layanan.code)}
    codes = [c.strip() for c in (item.layanan or "").split(",") if c.strip()]
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ValueError(_("Kode layanan tidak dikenal: %(codes)s", codes=", ".join(unknown)))
    item.layanan = ",".join(codes)


def register(appbuilder) -> None:
    """Add the queue's views, links and public pages to this app."""
    menus = lemari().menu_permissions
    appbuilder.add_view(LoketView, "Loket Antrian", label=_l("Loket Antrian"), category="Layanan")
    appbuilder.add_view(AntrianLayananView, "Layanan Antrian", label=_l("Layanan Antrian"),
                        category="Referensi")
    appbuilder.add_view(LoketConfigView, "Loket", label=_l("Loket"), category="Referensi")
    appbuilder.add_link("Layar Antrian", href="/antrian/layar", label=_l("Layar Antrian (TV)"),
                        category="Layanan")
    menus["Loket Antrian"] = menus["Layar Antrian"] = frozenset({"antrian.call"})
    menus["Layanan Antrian"] = menus["Loket"] = frozenset({"antrian.manage"})
    menus["Layanan"] = menus.get("Layanan", frozenset()) | {"antrian.call"}
    menus["Referensi"] = menus.get("Referensi", frozenset()) | {"antrian.manage"}
