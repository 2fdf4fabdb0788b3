"""Appointment screens: the public booking page (also the kiosk's "another day"), the slip
and its PDF, check-in at the kiosk, the clerks' and desa operators' booking page, and the
slot settings (Admin/Camat). Each handler parses, calls one `antrian.jadwal` function, renders.
"""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TimeField
from wtforms.validators import DataRequired

from records.antrian import jadwal
from records.antrian.models import JadwalLayanan
from records.antrian.rules import PRIORITY_REASONS
from records.antrian.views import MANAGE, ensure_setup, paper_width, settings
from records.exceptions import RecordsError, ValidationError
from records.extensions import db, lemari
from records.nik import mask_nik
from records.services.clock import clock
from records.services.public_guard import form_token
from records.web_common import ANONYMOUS, client, current_actor, public_page, tz

public = Blueprint("jadwal_public", __name__)
FIELDS = ("layanan", "tanggal", "jadwal", "nik", "nama", "telepon", "prioritas")


def _values() -> dict:
    source = request.form if request.method == "POST" else request.args
    return {key: (source.get(key, "") or "").strip()[:120] for key in FIELDS}


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _choices(values: dict) -> dict:
    """What the booking form offers for the chosen service and day (slots with places left)."""
    day = _day(values["tanggal"])
    slots = jadwal.slots_for(values["layanan"], day, session=db.session) if values["layanan"] and day else []
    return {
        "services": jadwal.bookable_services(db.session),
        "slots": slots,
        "day": day,
        "reasons": PRIORITY_REASONS,
    }


def _parse(values: dict) -> tuple[int, dt.date]:
    day = _day(values["tanggal"])
    if day is None:
        raise ValidationError("Tanggal janji tidak valid.", {"tanggal": "Tanggal janji tidak valid."})
    slot = int(values["jadwal"]) if values["jadwal"].isdigit() and len(values["jadwal"]) < 10 else 0
    return slot, day


# ----- public: book, slip, check in ------------------------------------------------------------


def _public_form(values: dict, errors: dict | None = None, status: int = 200):
    kiosk = bool(request.args.get("kios"))
    _, today = clock(tz())
    return public_page(
        "lemari/jadwal_form.html",
        status,
        values=values,
        errors=errors or {},
        kiosk=kiosk,
        today=today,
        horizon=jadwal.HORIZON_DAYS,
        token=form_token(current_app.config["SECRET_KEY"], clock(tz())[0]),
        **_choices(values),
    )


@public.route("/jadwal", methods=["GET", "POST"])
def book():
    """Book a place: choose service and day, then a slot, then NIK and name."""
    ensure_setup()
    values = _values()
    if request.method == "GET" or not values["jadwal"]:
        return _public_form(values)
    kiosk = bool(request.args.get("kios"))
    try:
        slot, day = _parse(values)
        booking = jadwal.book_public(
            slot,
            day,
            nik=values["nik"],
            nama=values["nama"],
            telepon=values["telepon"],
            reason=values["prioritas"],
            kiosk=kiosk,
            client=client(),
            token=request.form.get("tanda", ""),
            honeypot=request.form.get("situs", ""),
            secret=current_app.config["SECRET_KEY"],
            limit=settings()["JANJI_KIOSK_PER_HOUR" if kiosk else "JANJI_PER_HOUR"],
            session=db.session,
            tz=tz(),
        )
    except ValidationError as exc:
        db.session.rollback()
        return _public_form(values, exc.errors or {"": str(exc)}, 422)
    except RecordsError as exc:
        db.session.rollback()
        return _public_form(values, {"": str(exc)}, exc.http_status)
    return redirect(url_for("jadwal_public.slip_page", code=booking.kode, baru=1, kios=1 if kiosk else None))


def _reader() -> str:
    """Who opened a slip, for its audit entry: the signed-in user, else the public."""
    actor = current_actor()
    return "publik" if actor is ANONYMOUS else actor.username


@public.route("/jadwal/slip/<code>")
def slip_page(code: str):
    """The booking on screen (NIK masked), with the print button."""
    booking = jadwal.booking_by_code(code, session=db.session)
    jadwal.audit_slip(booking, actor=_reader(), session=db.session)
    sheet = jadwal.slip(booking, tz=tz(), base_url=settings()["PUBLIC_BASE_URL"].rstrip("/"))
    return public_page(
        "lemari/jadwal_slip.html",
        sheet=sheet,
        fresh=bool(request.args.get("baru")),
        kiosk=bool(request.args.get("kios")),
        width=paper_width(),
    )


@public.route("/jadwal/slip/<code>/cetak")
def slip_pdf(code: str):
    """The printable slip (thermal width: ?lebar=58 or 80, else the device's)."""
    width = request.args.get("lebar", type=int) or paper_width()
    if width not in (58, 80):
        abort(400)
    booking = jadwal.booking_by_code(code, session=db.session)
    jadwal.audit_slip(booking, actor=_reader(), session=db.session)
    desk = lemari().desk()
    sheet = jadwal.slip(booking, tz=tz(), base_url=desk.base_url)
    metadata = desk.metadata_factory(
        title=f"Janji layanan {sheet['kode']}",
        author=desk.office["name"],
        subject=sheet["layanan"],
        document_type="janji_layanan",
        office=desk.office["name"],
    )
    rendered = desk.renderer.render(
        "janji_antrian/document.html",
        {"janji": sheet, "width": width, "office": desk.office},
        paper="A4",
        metadata=metadata,
    )
    return send_file(
        io.BytesIO(rendered.pdf), mimetype="application/pdf", download_name=f"janji-{sheet['kode']}.pdf"
    )


@public.route("/antrian/hadir", methods=["GET", "POST"])
def kiosk_check_in():
    """At the kiosk: a booked visitor types the code from their slip and gets their ticket
    (wrong codes limited per address, `jadwal.check_in_public`)."""
    error, status, code = "", 200, (request.form.get("kode", "") or "").strip()[:20]
    ensure_setup()
    if request.method == "POST":
        try:
            ticket = jadwal.check_in_public(
                code,
                client=client(),
                limit=settings()["JANJI_WRONG_CODES_PER_MINUTE"],
                session=db.session,
                tz=tz(),
            )
            return redirect(url_for("antrian_public.ticket_page", code=ticket.tracking_code, baru=1))
        except RecordsError as exc:
            db.session.rollback()
            error, status = str(exc), exc.http_status
    return render_template("lemari/jadwal_hadir.html", error=error, code=code), status


# ----- staff: book for a caller, cancel, check in ----------------------------------------------


class JanjiView(BaseView):
    """Bookings of a day: clerks see all, an Operator Desa their desa's residents."""

    route_base = "/antrian/janji"
    default_view = "index"
    class_permission_name = "Antrian"
    method_permission_name = {"index": "janji", "create": "janji", "cancel": "janji", "check_in": "issue"}

    def _page(self, values: dict, errors: dict | None = None, status: int = 200):
        actor = current_actor()
        _, today = clock(tz())
        shown = _day(request.args.get("hari", "")) or _day(values["tanggal"]) or today
        rows = jadwal.bookings_on(shown, actor=actor, session=db.session)
        return self.render_template(
            "lemari/jadwal_staff.html",
            values=values,
            errors=errors or {},
            rows=rows,
            masked={j.id: mask_nik(j.nik) for j in rows},
            shown=shown,
            today=today,
            status_names=jadwal.STATUS,
            can_check_in=actor.can("antrian.issue"),
            scoped=actor.desa_scope is not None,
            **_choices(values),
        ), status

    @expose("/")
    @has_access
    def index(self):
        ensure_setup()
        return self._page(_values())

    @expose("/buat", methods=["POST"])
    @has_access
    def create(self):
        ensure_setup()
        values = _values()
        if not values["jadwal"]:
            return self._page(values)
        try:
            slot, day = _parse(values)
            booking = jadwal.book(
                slot,
                day,
                nik=values["nik"],
                nama=values["nama"],
                telepon=values["telepon"],
                reason=values["prioritas"],
                actor=current_actor(),
                session=db.session,
                tz=tz(),
                source=jadwal.DESA if current_actor().desa_scope is not None else jadwal.CLERK,
            )
        except ValidationError as exc:
            db.session.rollback()
            return self._page(values, exc.errors or {"": str(exc)}, 422)
        except RecordsError as exc:
            db.session.rollback()
            return self._page(values, {"": str(exc)}, exc.http_status)
        flash(_("Janji dibuat. Kode: %(kode)s", kode=booking.kode), "success")
        return redirect(url_for("jadwal_public.slip_page", code=booking.kode))

    @expose("/<code>/batal", methods=["POST"])
    @has_access
    def cancel(self, code):
        try:
            booking = jadwal.cancel(code, actor=current_actor(), session=db.session, tz=tz())
            flash(_("Janji %(kode)s dibatalkan.", kode=booking.kode), "success")
        except RecordsError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for("JanjiView.index", hari=request.form.get("hari", "")))

    @expose("/<code>/hadir", methods=["POST"])
    @has_access
    def check_in(self, code):
        ensure_setup()
        try:
            ticket = jadwal.check_in(code, actor=current_actor(), session=db.session, tz=tz())
        except RecordsError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("JanjiView.index"))
        flash(_("Tiket %(tiket)s dibuat dari janji %(kode)s.", tiket=ticket.label, kode=code), "success")
        return redirect(url_for("antrian_public.ticket_page", code=ticket.tracking_code))


# ----- settings (Admin, Camat) -----------------------------------------------------------------


class JadwalLayananView(ModelView):
    """Slots per service: hours, quota, weekdays, grace, and the reserved window."""

    datamodel = SQLAInterface(JadwalLayanan)
    class_permission_name = "Antrian"
    method_permission_name = {name: "jadwal" for name in MANAGE}
    base_permissions = ["can_jadwal"]
    list_title = _l("Jadwal Layanan")
    add_title, edit_title = _l("Tambah Jadwal Layanan"), _l("Ubah Jadwal Layanan")
    show_title = _l("Detail Jadwal Layanan")
    list_columns = [
        "layanan",
        "jam_mulai",
        "jam_selesai",
        "kuota",
        "khusus",
        "hari",
        "tenggang_menit",
        "aktif",
    ]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["layanan", "khusus", "aktif"]
    # Flask-AppBuilder has no converter for a time column: the form gets wtforms' own.
    add_form_extra_fields = edit_form_extra_fields = {
        "jam_mulai": TimeField(_l("Jam mulai"), validators=[DataRequired()]),
        "jam_selesai": TimeField(_l("Jam selesai"), validators=[DataRequired()]),
    }
    label_columns = {
        "layanan": _l("Layanan"),
        "jam_mulai": _l("Jam mulai"),
        "jam_selesai": _l("Jam selesai"),
        "kuota": _l("Kuota per hari"),
        "khusus": _l("Khusus lansia/disabilitas/ibu hamil"),
        "hari": _l("Hari (0 = Senin … 4 = Jumat)"),
        "tenggang_menit": _l("Tenggang (menit)"),
        "aktif": _l("Aktif"),
    }
    description_columns = {
        "khusus": _l("Jam khusus kelompok rentan (UU 25/2009 Pasal 29), mis. 08.00–09.00"),
        "tenggang_menit": _l("Janji yang belum hadir dilepas setelah jam mulai ditambah tenggang ini"),
    }

    def pre_add(self, item):
        _check_slot(item)

    def pre_update(self, item):
        _check_slot(item)


def _check_slot(item) -> None:
    if item.jam_mulai is None or item.jam_selesai is None or item.jam_mulai >= item.jam_selesai:
        raise ValueError(_("Jam selesai harus sesudah jam mulai."))
    if not (item.kuota or 0) > 0 or (item.kuota or 0) > 500:
        raise ValueError(_("Kuota harus 1–500."))
    if not 0 <= (item.tenggang_menit or 0) <= 240:
        raise ValueError(_("Tenggang harus 0–240 menit."))
    days = [d.strip() for d in (item.hari or "").split(",") if d.strip()]
    if not days or any(d not in {"0", "1", "2", "3", "4", "5", "6"} for d in days):
        raise ValueError(_("Hari: angka 0–6 dipisah koma (0 = Senin)."))
    item.hari = ",".join(sorted(set(days)))


def register(appbuilder) -> None:
    """Add the appointment pages and their menu entries."""
    from records.antrian.jadwal_api import JanjiApi

    menus = lemari().menu_permissions
    appbuilder.add_api(JanjiApi)
    appbuilder.add_view(JanjiView, "Janji Layanan", label=_l("Janji Layanan"), category="Layanan")
    appbuilder.add_view(JadwalLayananView, "Jadwal Layanan", label=_l("Jadwal Layanan"), category="Referensi")
    menus["Janji Layanan"] = frozenset({"antrian.janji"})
    menus["Jadwal Layanan"] = frozenset({"antrian.jadwal"})
    menus["Layanan"] = menus.get("Layanan", frozenset()) | {"antrian.janji"}
    menus["Referensi"] = menus.get("Referensi", frozenset()) | {"antrian.jadwal"}
