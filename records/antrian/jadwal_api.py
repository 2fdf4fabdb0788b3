"""Appointments over REST (JWT): /api/v1/janji/. The same services as the clerk's page, so the
same permissions (`antrian.janji`, check-in `antrian.issue`), the same Operator Desa scope, the
same Indonesian refusals (422 with the field), NIK masked in every answer and every read audited.

A booking POST honours an `Idempotency-Key` header like the record-creating calls: a retry
returns the booking the first call made."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_appbuilder.api import expose, protect

from records.antrian import jadwal
from records.antrian.views import ensure_setup
from records.api.base import ServiceApi
from records.exceptions import NotFoundError, ValidationError
from records.extensions import db
from records.models import Layanan
from records.nik import mask_nik
from records.services.clock import clock
from records.web_common import current_actor, tz

BAD_DAY = "Tanggal tidak valid (format 2026-12-08)."


def janji_json(booking) -> dict:
    """A booking as REST shows it: the NIK masked, never whole."""
    return {
        "kode": booking.kode,
        "layanan": booking.layanan_code,
        "nama_layanan": booking.layanan.nama,
        "tanggal": booking.tanggal.isoformat(),
        "jam_mulai": f"{booking.jam_mulai:%H:%M}",
        "jam_selesai": f"{booking.jam_selesai:%H:%M}",
        "jadwal_id": booking.jadwal_id,
        "alasan": booking.alasan_prioritas,
        "nama": booking.nama,
        "nik": mask_nik(booking.nik),
        "telepon": booking.telepon,
        "desa_code": booking.desa_code,
        "sumber": booking.sumber,
        "status": booking.status,
        "keterangan": jadwal.STATUS.get(booking.status, ""),
        "tiket_id": booking.tiket_id,
    }


def slot_json(view: jadwal.SlotView) -> dict:
    row = view.jadwal
    return {
        "jadwal_id": row.id,
        "layanan": row.layanan_code,
        "jam_mulai": f"{row.jam_mulai:%H:%M}",
        "jam_selesai": f"{row.jam_selesai:%H:%M}",
        "kuota": row.kuota,
        "terisi": view.terisi,
        "sisa": view.sisa,
        "khusus": row.khusus,
        "tenggang_menit": row.tenggang_menit,
    }


def parse_day(text: object, *, default: dt.date | None = None) -> dt.date:
    """An ISO date from a query or body; a refusal the caller can read otherwise."""
    if (text is None or text == "") and default is not None:
        return default
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) and len(text) <= 10 else _bad_day()
    except ValueError:
        return _bad_day()


def _bad_day() -> dt.date:
    raise ValidationError(BAD_DAY, {"tanggal": BAD_DAY})


def slot_list(layanan_code: str, day: dt.date) -> dict:
    """The service's slots on `day` with the places left (all bookable services when no code);
    a closed day answers with its reason and no slots."""
    codes = [layanan_code] if layanan_code else [s.layanan_code for s in jadwal.bookable_services(db.session)]
    if layanan_code and db.session.get(Layanan, layanan_code) is None:
        raise NotFoundError(f"Layanan '{layanan_code}' tidak dikenal.")
    closed = jadwal.closed_reason(db.session, day)
    items = (
        []
        if closed
        else [slot_json(v) for code in codes for v in jadwal.slots_for(code, day, session=db.session)]
    )
    return {"tanggal": day.isoformat(), "buka": closed is None, "keterangan": closed or "", "items": items}


def _text(body: dict, key: str) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        message = f"Kolom {key} harus berupa teks."
        raise ValidationError(message, {key: message})
    return value


def _slot_id(body: dict) -> int:
    value = body.get("jadwal_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("Pilih jam layanan (jadwal_id).", {"jadwal_id": "Jam layanan wajib dipilih."})
    return value


def _today() -> dt.date:
    return clock(tz())[1]


class JanjiApi(ServiceApi):
    """/api/v1/janji/"""

    resource_name = "janji"
    class_permission_name = "Antrian"
    method_permission_name = {
        "slots": "janji",
        "get_list": "janji",
        "get": "janji",
        "post": "janji",
        "cancel": "janji",
        "check_in": "issue",
    }
    openapi_spec_tag = "Janji Layanan"

    @expose("/slot", methods=["GET"])
    @protect()
    def slots(self):
        """Slots of a service (or of every bookable service) on a day, with the places left.
        ---
        get:
          parameters:
          - {in: query, name: layanan, schema: {type: string}, description: "service code, e.g. ktp_el"}
          - {in: query, name: tanggal, schema: {type: string, format: date}, description: "default today"}
          responses:
            200: {description: "The slots; `buka` false with `keterangan` on a closed day"}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        layanan = (request.args.get("layanan", "") or "").strip()[:40]

        def action():
            ensure_setup()
            return slot_list(layanan, parse_day(request.args.get("tanggal"), default=_today()))

        return self._run(action)

    @expose("/", methods=["GET"])
    @protect()
    def get_list(self):
        """The bookings of a day (an Operator Desa: their desa's); NIK masked, the read audited.
        ---
        get:
          parameters:
          - {in: query, name: tanggal, schema: {type: string, format: date}, description: "default today"}
          responses:
            200: {description: The day's bookings by start time}
            422: {$ref: '#/components/responses/422'}
        """
        return self._run(
            lambda: {
                "items": [
                    janji_json(b)
                    for b in jadwal.bookings_on(
                        parse_day(request.args.get("tanggal"), default=_today()),
                        actor=current_actor(),
                        session=db.session,
                    )
                ]
            }
        )

    @expose("/<kode>", methods=["GET"])
    @protect()
    def get(self, kode):
        """One booking by its code (audited like opening its slip).
        ---
        get:
          parameters:
          - {in: path, name: kode, required: true, schema: {type: string}}
          responses:
            200: {description: The booking}
            404: {$ref: '#/components/responses/404'}
        """
        return self._run(
            lambda: janji_json(jadwal.view_booking(kode[:20], actor=current_actor(), session=db.session))
        )

    @expose("/", methods=["POST"])
    @protect()
    def post(self):
        """Book a place for a caller (clerk) or a resident of one's desa (Operator Desa).
        ---
        post:
          description: "An `Idempotency-Key` header (8-80 characters) makes a retry return the
            booking the first call made instead of a second one."
          parameters:
          - {in: header, name: Idempotency-Key, required: false, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [jadwal_id, tanggal, nik]
                  properties:
                    jadwal_id: {type: integer}
                    tanggal: {type: string, format: date}
                    nik: {type: string}
                    nama: {type: string}
                    telepon: {type: string}
                    alasan: {type: string, enum: ["", lansia, disabilitas, hamil]}
          responses:
            201: {description: Booked (or the first booking of this Idempotency-Key)}
            422: {$ref: '#/components/responses/422'}
        """
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        actor = current_actor()

        def action():
            ensure_setup()
            booking = jadwal.book(
                _slot_id(body),
                parse_day(body.get("tanggal")),
                nik=_text(body, "nik"),
                nama=_text(body, "nama"),
                telepon=_text(body, "telepon"),
                reason=_text(body, "alasan"),
                actor=actor,
                source=jadwal.DESA if actor.desa_scope is not None else jadwal.CLERK,
                session=db.session,
                tz=tz(),
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
            return janji_json(booking)

        return self._run(action, status=201)

    @expose("/<kode>/batal", methods=["POST"])
    @protect()
    def cancel(self, kode):
        """Cancel a booking still expected: the place and the NIK's day are free again.
        ---
        post:
          parameters:
          - {in: path, name: kode, required: true, schema: {type: string}}
          responses:
            200: {description: The cancelled booking}
            404: {$ref: '#/components/responses/404'}
            409: {description: The booking is no longer expected}
        """
        return self._run(
            lambda: janji_json(jadwal.cancel(kode[:20], actor=current_actor(), session=db.session, tz=tz()))
        )

    @expose("/<kode>/hadir", methods=["POST"])
    @protect()
    def check_in(self, kode):
        """The booked visitor has arrived (today): their queue ticket under the booking's code.
        ---
        post:
          parameters:
          - {in: path, name: kode, required: true, schema: {type: string}}
          responses:
            200: {description: The ticket}
            404: {$ref: '#/components/responses/404'}
            409: {description: Not today's, or no longer expected}
        """

        def action():
            ensure_setup()
            ticket = jadwal.check_in(kode[:20], actor=current_actor(), session=db.session, tz=tz())
            return {
                "kode": ticket.tracking_code,
                "tiket": ticket.label,
                "layanan": ticket.layanan_code,
                "prioritas": ticket.prioritas,
                "status": ticket.status,
            }

        return self._run(action)
