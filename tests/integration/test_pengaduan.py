"""Complaints on a real database: deadlines in working days, who sees pungli/gratifikasi,
the answer workflow, public tracking, and the monthly report PDF read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from records.exceptions import InvalidTransitionError, NotFoundError, PermissionDeniedError, ValidationError
from records.extensions import db, lemari
from records.pengaduan import services as pengaduan
from records.services.accounts import actor_for_username
from records.services.public_guard import RateLimitedError, form_token

TZ = "Asia/Makassar"
FRIDAY = dt.datetime(2026, 12, 4, 1, 0)  # 09:00 WITA, Friday 4 December 2026


def who(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session, registry=lemari().registry)


def send(app, kategori="keluhan", now=FRIDAY, client="alamat-1", **values):
    token = form_token(app.config["SECRET_KEY"], now - dt.timedelta(minutes=1))
    return pengaduan.submit({"kategori": kategori, "judul": "Judul pengaduan", "isi": "Isi pengaduan warga",
                             **values}, client=client, token=token, honeypot="", session=db.session,
                            secret=app.config["SECRET_KEY"], tz=TZ, limit=5, now=now)


def test_deadline_counts_working_days_from_the_office_date(app):
    with app.app_context():
        question = send(app, "pertanyaan")  # Friday + 2 working days = Tuesday
        assert question.tanggal == dt.date(2026, 12, 4) and question.due_date == dt.date(2026, 12, 8)
        pungli = send(app, "pungli", client="alamat-2")  # + 14 working days, weekends skipped
        assert pungli.due_date == dt.date(2026, 12, 24)
        # + 5 working days: Natal skipped
        later = send(app, "keluhan", client="alamat-3", now=dt.datetime(2026, 12, 21, 1))
        assert later.due_date == dt.date(2026, 12, 29)
        assert pungli.tracking_code.startswith("PG-") and len(pungli.tracking_code) == 11


def test_pungli_is_visible_only_to_camat_and_auditor(app):
    with app.app_context():
        registry = lemari().registry
        ordinary, pungli = send(app, "keluhan"), send(app, "gratifikasi", client="b")
        for username, sees in (("camat", True), ("auditor", True), ("sekcam", False),
                               ("petugas", False), ("admin", False)):
            actor = who(app, username)
            listed = {c.id for c in pengaduan.list_complaints(actor=actor, session=db.session,
                                                              registry=registry)}
            assert ordinary.id in listed
            assert (pungli.id in listed) is sees, username
            if not sees:
                with pytest.raises(NotFoundError):
                    pengaduan.get_complaint(pungli.id, actor=actor, session=db.session, registry=registry)
        with pytest.raises(PermissionDeniedError):
            pengaduan.list_complaints(actor=who(app, "arsiparis"), session=db.session, registry=registry)


def test_answer_workflow_and_public_tracking(app):
    with app.app_context():
        registry, complaint = lemari().registry, send(app)
        code = complaint.tracking_code
        assert pengaduan.track(code, session=db.session, tz=TZ)["jawaban"] == ""
        with pytest.raises(ValidationError, match="Jawaban wajib diisi"):
            pengaduan.fire(complaint.id, "jawab", note=" ", actor=who(app, "petugas"), session=db.session,
                           registry=registry, tz=TZ)
        with pytest.raises(PermissionDeniedError):
            pengaduan.fire(complaint.id, "proses", note="", actor=who(app, "auditor"), session=db.session,
                           registry=registry, tz=TZ)
        pengaduan.fire(complaint.id, "proses", note="", actor=who(app, "petugas"), session=db.session,
                       registry=registry, tz=TZ, now=FRIDAY + dt.timedelta(hours=1))
        pengaduan.fire(complaint.id, "jawab", note="Sudah kami tindak lanjuti.", actor=who(app, "sekcam"),
                       session=db.session, registry=registry, tz=TZ, now=FRIDAY + dt.timedelta(days=3))
        with pytest.raises(InvalidTransitionError):
            pengaduan.fire(complaint.id, "proses", note="", actor=who(app, "sekcam"), session=db.session,
                           registry=registry, tz=TZ)
        public = pengaduan.track(code.lower(), session=db.session, tz=TZ)
        assert public["jawaban"] == "Sudah kami tindak lanjuti." and public["overdue"] is False
        assert "nama" not in public and "kontak" not in public and "isi" not in public
        assert [h.to_state for h in complaint.history] == ["diterima", "diproses", "dijawab"]


def test_unanswered_past_deadline_is_overdue(app):
    with app.app_context():
        complaint = send(app, "pertanyaan")
        assert pengaduan.is_overdue(complaint, dt.date(2026, 12, 8)) is False
        assert pengaduan.is_overdue(complaint, dt.date(2026, 12, 9)) is True


def test_rate_limit_counts_per_address_in_the_hour(app):
    with app.app_context():
        for i in range(5):
            send(app, now=FRIDAY + dt.timedelta(minutes=i))
        with pytest.raises(RateLimitedError):
            send(app, now=FRIDAY + dt.timedelta(minutes=10))
        send(app, now=FRIDAY + dt.timedelta(minutes=61))  # the hour has passed


def test_monthly_report_pdf_respects_visibility(app):
    with app.app_context():
        send(app, "keluhan", judul="Loket tutup siang")
        send(app, "pungli", client="b", judul="Diminta uang rokok")
        desk = lemari().desk()
        for username, sees in (("camat", True), ("sekcam", False)):
            data = pengaduan.report_pdf(2026, 12, actor=who(app, username), session=db.session, desk=desk,
                                        tz=TZ)
            pages = PdfReader(io.BytesIO(data)).pages
            text = " ".join(" ".join(page.extract_text() for page in pages).split())
            assert "LAPORAN BULANAN PENGADUAN MASYARAKAT" in text and "Loket tutup siang" in text
            assert ("Diminta uang rokok" in text) is sees, username
        with pytest.raises(ValidationError):
            pengaduan.report_pdf(2026, 13, actor=who(app, "camat"), session=db.session, desk=desk, tz=TZ)
