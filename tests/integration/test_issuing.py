"""The whole issuance path on real parts: intake with receipt, workflow, number, WeasyPrint,
pyHanko signature, archive, audit, verification by code and by upload, revocation."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from records.exceptions import InvalidTransitionError, NotFoundError, ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, IssuedNumber, Penduduk, Record
from records.nik import mask_nik
from records.services.accounts import actor_for_username
from records.services.issuing import advance
from records.services.requests import take_request
from records.services.verifying import verify_code, verify_upload

LOLENG = "64.02.08.2004"


def actor(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def step(app, record_id, name, username, note=""):
    ext = lemari()
    return advance(record_id, name, note=note, actor=actor(app, username), session=db.session,
                   registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)


@pytest.fixture
def resident(app):
    with app.app_context():
        return db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG)).id


ALL_THREE = ["Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"]


def take(app, resident_id, received=tuple(ALL_THREE)):
    return take_request("sk_domisili", penduduk_id=resident_id, received=list(received),
                        values={"keperluan": "Melamar pekerjaan <script>x</script>"},
                        actor=actor(app, "petugas"), session=db.session, desk=lemari().desk())


def test_request_receipt_states_code_promised_date_and_free_service(app, resident):
    with app.app_context():
        record = take(app, resident, received=ALL_THREE[:2])
        receipt = record.files[0]
        assert receipt.kind == "tanda_terima"
        pdf = lemari().desk().blobs.read_bytes(receipt.sha256)
        text = text_of(pdf)
        person = db.session.get(Penduduk, resident)
        assert record.tracking_code in text
        assert "Biaya: Rp 0 (GRATIS)" in text
        assert person.nik not in text and mask_nik(person.nik)[:6] in text
        row = record.data["persyaratan"][2]
        assert (row["name"], row["received"], row["berlaku"]) == ("Fotokopi Kartu Keluarga", False, True)
        # the service time counts from the complete file (PermenPANRB 15/2014): none yet
        assert record.promised_date is None
        assert "dihitung sejak berkas lengkap" in " ".join(text.split())
        from records.services.requests import update_requirements
        done = update_requirements(record.id, received=ALL_THREE, actor=actor(app, "petugas"),
                                   session=db.session, registry=lemari().registry,
                                   today=lemari().desk().today())
        assert done.promised_date is not None and done.promised_date.weekday() < 5


def test_issue_numbers_signs_archives_and_verifies(app, resident):
    with app.app_context():
        record = take(app, resident)
        with pytest.raises(InvalidTransitionError):
            step(app, record.id, "tandatangani", "petugas")
        step(app, record.id, "verifikasi", "petugas")
        step(app, record.id, "tandatangani", "camat")
        assert step(app, record.id, "terbitkan", "petugas") == "terbit"
        record = db.session.get(Record, record.id)
        assert re.fullmatch(r"400\.12\.2\.1/0001/Kec\.KB/20\d\d", record.number)
        issued = [f for f in record.files if f.kind == "terbit"][0]
        pdf = lemari().desk().blobs.read_bytes(issued.sha256)
        text = text_of(pdf)
        assert record.number in text and record.verify_code in text
        assert "<script>x</script>" in text  # user text printed literally
        assert "Drs. H. Syahrani" in text  # the Camat who approved signs
        reader = PdfReader(io.BytesIO(pdf))
        assert reader.metadata.title.endswith(record.number)
        assert "/EmbeddedFile" not in pdf.decode("latin-1")

        # a second click never yields a second number
        step(app, record.id, "terbitkan", "petugas")
        assert db.session.scalar(select(func.count()).select_from(IssuedNumber)) == 1

        desk = lemari().desk()
        by_code = verify_code(record.verify_code.lower().replace("-", " "), session=db.session, desk=desk)
        assert by_code.status == "valid" and by_code.number == record.number
        assert by_code.holder and "*" in by_code.holder
        by_upload = verify_upload(pdf, session=db.session, desk=desk)
        assert by_upload.valid and by_upload.signature["status"] == "valid"
        # the page shows the date printed on the letter: the office's, not UTC's
        assert by_code.issued_on == reader.metadata["/IssueDate"] == \
            desk.local_time(record.issued_at).date().isoformat()

        tampered = pdf.replace(record.number.encode(), b"X" * len(record.number), 1) \
            if record.number.encode() in pdf else pdf[:-200] + b"0" * 200
        assert not verify_upload(tampered, session=db.session, desk=desk).valid
        assert verify_code("AAAA-BBBB-CCCC-DDDD", session=db.session, desk=desk).status == "unknown"

        step(app, record.id, "cabut", "camat", note="Data domisili keliru")
        assert verify_code(record.verify_code, session=db.session, desk=desk).status == "revoked"
        actions = set(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == str(record.id))))
        assert {"permohonan.terima", "record.verifikasi", "record.tandatangani",
                "record.issue", "record.cabut"} <= actions


def test_public_issue_date_is_the_office_date_even_late_in_the_utc_day(app, resident):
    """18:53 UTC on 1 December is 02:53 on 2 December in Kota Bangun (WITA)."""
    import datetime as dt

    with app.app_context():
        record = take(app, resident)
        for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                               ("terbitkan", "petugas")):
            step(app, record.id, name, username)
        record = db.session.get(Record, record.id)
        record.issued_at = dt.datetime(2026, 12, 1, 18, 53)
        db.session.commit()
        shown = verify_code(record.verify_code, session=db.session, desk=lemari().desk())
        assert shown.issued_on == "2026-12-02"


def test_issue_by_operator_of_another_desa_is_refused(app, resident):
    with app.app_context():
        record = take(app, resident)
        with pytest.raises(NotFoundError):
            step(app, record.id, "verifikasi", "operator_pela")


def test_issue_without_official_data_is_refused_and_consumes_no_number(app, resident):
    from records.models import MasaJabatan, Pejabat

    with app.app_context():
        record = take(app, resident)
        step(app, record.id, "verifikasi", "petugas")
        step(app, record.id, "tandatangani", "sekcam")
        db.session.delete(db.session.scalar(select(Pejabat).where(Pejabat.username == "sekcam")))
        for period in db.session.scalars(select(MasaJabatan).where(MasaJabatan.username == "sekcam")):
            db.session.delete(period)  # neither signature data nor a roster period is left
        db.session.commit()
        with pytest.raises(InvalidTransitionError):
            step(app, record.id, "terbitkan", "petugas")
        assert db.session.scalar(select(func.count()).select_from(IssuedNumber)) == 0
        assert db.session.get(Record, record.id).state == "ditandatangani"


@pytest.mark.parametrize(("source", "line"), [
    ("{% extends '_base/page.html' %}\n{% block content %}\n{% if %}\n{% endblock %}", 3),
    ("{% extends '_base/page.html' %}\n{% block content %}\n<p>{{ data.nope.deeper }}</p>\n"
     "{% endblock %}", 3),
])
def test_template_error_names_template_and_line_and_issues_nothing(app, resident, tmp_path,
                                                                 source, line):
    """An admin's broken template: the clerk reads which file and line, no number is used,
    and once the template is fixed the same record gets number 0001."""
    import dataclasses

    from records.exceptions import DocumentProductionError
    from records.pdf import PdfRenderer
    from records.services.issuing import issue

    with app.app_context():
        record = take(app, resident)
        step(app, record.id, "verifikasi", "petugas")
        step(app, record.id, "tandatangani", "camat")
        desk = lemari().desk()
        template = lemari().registry.document_types[record.doctype].template
        (tmp_path / template).parent.mkdir(parents=True)
        (tmp_path / template).write_text(source, encoding="utf-8")
        broken = dataclasses.replace(desk, renderer=PdfRenderer([tmp_path, *desk.renderer.template_dirs]))
        with pytest.raises(DocumentProductionError) as caught:
            issue(record.id, actor=actor(app, "petugas"), session=db.session, desk=broken)
        assert f"Templat {template}, baris {line}" in str(caught.value)
        assert "belum diterbitkan" in str(caught.value)
        assert db.session.scalar(select(func.count()).select_from(IssuedNumber)) == 0
        assert db.session.get(Record, record.id).state == "ditandatangani"
        assert not [f for f in db.session.get(Record, record.id).files if f.kind == "terbit"]

        assert step(app, record.id, "terbitkan", "petugas") == "terbit"
        assert re.fullmatch(r"400\.12\.2\.1/0001/Kec\.KB/20\d\d", db.session.get(Record, record.id).number)


@pytest.mark.parametrize("name", ["<script>alert(1)</script>",
                                  "<img src=file:///etc/passwd>",
                                  "<link rel=attachment href=file:///etc/passwd>"])
def test_hostile_resident_name_prints_as_text_and_embeds_nothing(app, resident, name):
    """Markup in a registry name reaches the issued, signed letter as literal text: no script,
    no image fetched, no file attached."""
    with app.app_context():
        db.session.get(Penduduk, resident).nama = name
        db.session.commit()
        record = take(app, resident)
        for step_name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                                    ("terbitkan", "petugas")):
            step(app, record.id, step_name, username)
        record = db.session.get(Record, record.id)
        issued = [f for f in record.files if f.kind == "terbit"][0]
        pdf = lemari().desk().blobs.read_bytes(issued.sha256)
        reader = PdfReader(io.BytesIO(pdf))
        assert name in "".join(text_of(pdf).split("\n"))
        assert not reader.attachments and b"/EmbeddedFile" not in pdf
        assert b"root:x:0:0" not in pdf and len(reader.pages[0].images) == 1  # the QR code only


def test_reserved_number_is_recorded_as_manual_and_the_sequence_stays_gapless(app, resident):
    """A letter typed outside Lemari takes the next number of the same register; the next issued
    letter follows it, and a revoked letter's number is never given out again."""
    from records.services.numbering import reserve_number

    with app.app_context():
        petugas = actor(app, "petugas")
        for bad in ({"kode": "abc", "note": "Undangan rapat"}, {"kode": "400.12.2.1", "note": "  "}):
            with pytest.raises(ValidationError):
                reserve_number(db.session, "surat_keluar", actor=petugas, **bad)
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(IssuedNumber)) == 0

        manual = reserve_number(db.session, "surat_keluar", kode="400.12.2.1",
                                note="Undangan rapat koordinasi, diketik manual", actor=petugas)
        assert (manual.kind, manual.sequence, manual.record_id) == ("manual", 1, None)
        assert manual.note == "Undangan rapat koordinasi, diketik manual"

        record = take(app, resident)
        for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                               ("terbitkan", "petugas")):
            step(app, record.id, name, username)
        first = db.session.get(Record, record.id).number
        assert re.fullmatch(r"400\.12\.2\.1/0002/Kec\.KB/20\d\d", first)
        step(app, record.id, "cabut", "camat", note="Salah ketik alamat")

        again = take(app, resident)
        for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                               ("terbitkan", "petugas")):
            step(app, again.id, name, username)
        assert db.session.get(Record, again.id).number.split("/")[1] == "0003"
        sequences = sorted(db.session.scalars(select(IssuedNumber.sequence)))
        assert sequences == [1, 2, 3]
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert "nomor.reserve" in actions


def test_classification_catalogue_has_both_schemes_and_every_product_code(app):
    """Permendagri 83/2022 (in force) and the legacy 78/2012 list are seeded; every product's
    code is in the current list, so a letter never carries a code the catalogue cannot name."""
    from records.models import Klasifikasi, KlasifikasiSkema
    from records.services.klasifikasi import CURRENT_SCHEME, LEGACY_SCHEME, seed_klasifikasi

    with app.app_context():
        rows = db.session.scalars(select(Klasifikasi)).all()
        by_scheme = {(r.skema_code, r.code): r for r in rows}
        assert "Kependudukan" in by_scheme[(CURRENT_SCHEME, "400.12")].title
        assert "Perizinan" in by_scheme[(CURRENT_SCHEME, "100.3.12")].title
        assert "Kearsipan" in by_scheme[(CURRENT_SCHEME, "000.5")].title
        assert (LEGACY_SCHEME, "471.13") in by_scheme
        assert db.session.get(KlasifikasiSkema, LEGACY_SCHEME).read_only is True
        for doctype in lemari().registry.document_types.values():
            if doctype.klasifikasi:  # a scanned original gets its code at ingest, per file
                assert (CURRENT_SCHEME, doctype.klasifikasi) in by_scheme, doctype.name
        assert seed_klasifikasi(db.session) == 0  # seeding again adds nothing


def test_reserving_with_a_code_outside_the_registers_scheme_is_refused(app):
    from records.services.numbering import reserve_number

    with app.app_context():
        petugas = actor(app, "petugas")
        with pytest.raises(ValidationError, match="tidak ada dalam daftar Permendagri 83/2022"):
            reserve_number(db.session, "surat_keluar", kode="471.13", note="KTP lama", actor=petugas)
        db.session.rollback()
        with pytest.raises(ValidationError, match="Permendagri 78/2012"):
            reserve_number(db.session, "surat_keluar_lama", kode="400.12.2.1", note="x", actor=petugas)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(IssuedNumber)) == 0
        legacy = reserve_number(db.session, "surat_keluar_lama", kode="471.13",
                                note="Surat lama diketik manual", actor=petugas)
        assert (legacy.scheme, legacy.klasifikasi) == ("permendagri-78-2012", "471.13")
