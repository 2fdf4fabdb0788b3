"""Intake renders its receipt before its write transaction (issue 17): on SQLite the database's
one write lock is free while the receipt renders, so a counter's call-next does not wait
behind it; a refusal after the render leaves neither a record nor the archived file; `lemari
doctor` finds a request without its receipt."""

from __future__ import annotations

import dataclasses
import io
import sqlite3

from pypdf import PdfReader
from sqlalchemy import func, select

from records.doctor import check_requests_have_receipts
from records.extensions import db, lemari
from records.models import Penduduk, Record, RecordFile
from records.services.accounts import actor_for_username
from records.services.requests import take_request

LOLENG = "64.02.08.2004"
ALL_THREE = ["Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"]


class LockProbe:
    """The real renderer, which first tries to take SQLite's write lock from a connection of
    its own without waiting: what a counter's call-next would need at that moment."""

    def __init__(self, renderer, database: str) -> None:
        self.renderer, self.database, self.lock_free = renderer, database, []

    def render(self, template_name, context, **kwargs):
        probe = sqlite3.connect(self.database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            self.lock_free.append(True)
        except sqlite3.OperationalError:  # "database is locked": a writer holds it
            self.lock_free.append(False)
        finally:
            probe.close()
        return self.renderer.render(template_name, context, **kwargs)

    def __getattr__(self, name):
        return getattr(self.renderer, name)


def petugas(app):
    return actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def resident_id() -> int:
    return db.session.scalar(select(Penduduk.id).where(Penduduk.desa_code == LOLENG))


def test_the_receipt_renders_while_the_write_lock_is_free(app):
    with app.app_context():
        desk = lemari().desk()
        probe = LockProbe(desk.renderer, db.engine.url.database)
        record = take_request("sk_domisili", penduduk_id=resident_id(), received=ALL_THREE,
                              values={"keperluan": "Melamar pekerjaan"}, actor=petugas(app),
                              session=db.session, desk=dataclasses.replace(desk, renderer=probe),
                              idempotency_key="uji-kunci-0001")
        assert probe.lock_free == [True]
        receipt = next(f for f in record.files if f.kind == "tanda_terima")
        text = "".join(p.extract_text() for p in
                       PdfReader(io.BytesIO(desk.blobs.read_bytes(receipt.sha256))).pages)
        assert record.tracking_code in text
        again = take_request("sk_domisili", penduduk_id=resident_id(), received=ALL_THREE,
                             values={"keperluan": "Melamar pekerjaan"}, actor=petugas(app),
                             session=db.session, desk=dataclasses.replace(desk, renderer=probe),
                             idempotency_key="uji-kunci-0001")
        assert again.id == record.id and len(probe.lock_free) == 1  # a resubmission renders nothing


def test_a_refusal_after_the_render_leaves_no_record_and_no_file(app):
    with app.app_context():
        desk = lemari().desk()
        blobs_before = {ref.sha256 for ref in desk.blobs.iter_refs()}
        records_before = db.session.scalar(select(func.count(Record.id)))

        def fails(record):
            raise RuntimeError("the caller's rows could not be written")

        try:
            take_request("sk_domisili", penduduk_id=resident_id(), received=ALL_THREE,
                         values={"keperluan": "Melamar pekerjaan"}, actor=petugas(app),
                         session=db.session, desk=desk, before_commit=fails)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the caller's failure must reach the caller")
        assert db.session.scalar(select(func.count(Record.id))) == records_before
        assert {ref.sha256 for ref in desk.blobs.iter_refs()} == blobs_before


def test_doctor_names_a_request_without_its_receipt(app):
    with app.app_context():
        assert check_requests_have_receipts(db.session).ok
        record = take_request("sk_domisili", penduduk_id=resident_id(), received=ALL_THREE,
                              values={"keperluan": "Melamar pekerjaan"}, actor=petugas(app),
                              session=db.session, desk=lemari().desk())
        db.session.execute(RecordFile.__table__.delete().where(RecordFile.record_id == record.id))
        db.session.commit()
        check = check_requests_have_receipts(db.session)
        assert not check.ok and f"dokumen #{record.id}" in check.details
