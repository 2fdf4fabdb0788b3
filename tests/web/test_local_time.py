"""Screens show times in the office's zone with its label (WITA), never raw UTC."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from records.extensions import db
from records.models import AuditEvent
from records.services.clock import format_local, zone_label


def test_format_local_is_the_office_wall_clock():
    stored = dt.datetime(2026, 12, 4, 13, 58)  # naive UTC, as the database keeps it
    assert format_local(stored, "Asia/Makassar") == "04-12-2026 21.58 WITA"
    assert format_local(stored, "Asia/Jakarta") == "04-12-2026 20.58 WIB"
    assert format_local(stored, "Asia/Jayapura", seconds=True) == "04-12-2026 22.58.00 WIT"
    assert format_local(None, "Asia/Makassar") == "—"
    assert zone_label("Europe/Amsterdam") == "Europe/Amsterdam"


def test_the_audit_list_shows_wita_and_no_utc(app, client, auth):
    assert auth.login("auditor").status_code == 302
    with app.app_context():
        newest = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        expected = format_local(newest.at, "Asia/Makassar", seconds=True)
    page = client.get("/auditview/list/").get_data(as_text=True)
    assert expected in page
    assert "UTC" not in page


def test_a_record_history_shows_wita(app, client, auth):
    assert auth.login("petugas").status_code == 302
    with app.app_context():
        from records.extensions import lemari
        from records.models import Penduduk
        from records.services.accounts import actor_for_username
        from records.services.records import create_record

        person = db.session.scalar(select(Penduduk).limit(1))
        who = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                 registry=lemari().registry)
        record = create_record("sk_domisili_penduduk", {"keperluan": "Uji waktu"},
                               penduduk_id=person.id, actor=who, session=db.session,
                               registry=lemari().registry)
        created = format_local(record.created_on, "Asia/Makassar")
        record_id = record.id
    page = client.get(f"/dokumen/{record_id}").get_data(as_text=True)
    assert created in page
    assert re.search(r"\d\d-\d\d-\d{4} \d\d\.\d\d\.\d\d WITA", page)  # the history rows
    assert "UTC" not in page
