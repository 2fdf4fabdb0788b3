"""The example third-party plugin adds a document type through the `lemari` entry point alone."""

from __future__ import annotations

import datetime as dt
import io
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select

import lemari_surat_kehilangan
from records.extensions import db, lemari
from records.models import Penduduk, WorkflowStep
from records.pdf import PdfMetadata, PdfRenderer
from records.services import records
from records.services.accounts import actor_for_username

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates_pdf"
PLUGIN_TEMPLATES = Path(lemari_surat_kehilangan.__file__).parent / "templates_pdf"
DOCTYPE = "surat_pengantar_kehilangan"
DATA = {"barang_hilang": "Dompet berisi KTP-el dan SIM C", "tanggal_kejadian": "2026-03-03",
        "lokasi_kejadian": "Pasar Kota Bangun", "tujuan": "Kepala Polsek Kota Bangun"}


def test_discovered_through_the_installed_entry_point(app):
    [entry] = [ep for ep in entry_points(group="lemari") if ep.value == "lemari_surat_kehilangan"]
    with app.app_context():
        assert lemari().pm.get_plugin(entry.name) is lemari_surat_kehilangan
        doctype = lemari().registry.document_types[DOCTYPE]
    assert doctype.workflow == "issuance" and doctype.template == "surat_kehilangan/document.html"


def test_core_never_names_the_plugin():
    """Adding the type touched no core file: no core source names the package or the type."""
    names = ("lemari_surat_kehilangan", DOCTYPE, "surat_kehilangan/")
    for path in (ROOT / "records").rglob("*"):
        if path.suffix in {".py", ".html", ".cfg", ".json"}:
            text = path.read_text(encoding="utf-8")
            assert not any(name in text for name in names), path


def test_template_dir_comes_from_the_hook(app):
    with app.app_context():
        dirs = [Path(d) for found in lemari().pm.hook.register_template_dirs() for d in found]
    assert PLUGIN_TEMPLATES in dirs
    assert (PLUGIN_TEMPLATES / "surat_kehilangan" / "document.html").is_file()


def actor(username):
    return actor_for_username(username, sm=current_app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def test_record_moves_through_the_standard_workflow(app):
    with app.app_context():
        penduduk = db.session.scalars(select(Penduduk).order_by(Penduduk.id)).first()
        registry = lemari().registry
        record = records.create_record(DOCTYPE, DATA, penduduk_id=penduduk.id,
                                       actor=actor("petugas"), session=db.session,
                                       registry=registry)
        for name, username in (("verifikasi", "petugas"), ("tandatangani", "camat"),
                               ("terbitkan", "petugas"), ("serahkan", "petugas")):
            records.fire_transition(record.id, name, actor=actor(username), session=db.session,
                                    registry=registry, pm=lemari().pm)
        steps = db.session.scalars(select(WorkflowStep.to_state).where(
            WorkflowStep.subject == "record", WorkflowStep.subject_id == record.id)
            .order_by(WorkflowStep.id)).all()
        # the declared fields, plus the klasifikasi the letter is numbered with (the type's default)
        assert record.data == {**DATA, "klasifikasi": registry.document_types[DOCTYPE].klasifikasi}
    assert steps == ["diajukan", "diverifikasi", "ditandatangani", "terbit", "diserahkan"]


def test_form_offers_the_declared_choices(client, auth):
    auth.login("petugas")
    text = client.get(f"/dokumen/baru/{DOCTYPE}").get_data(as_text=True)
    assert "Kepala Polsek Kota Bangun" in text and 'type="date"' in text


def letter_context() -> dict:
    return {
        "office": {"address": "Jl. Pesut No. 1, Kota Bangun, Kutai Kartanegara 75561"},
        "nomor": "300.1/0007/Kec.KB/2026", "place": "Kota Bangun",
        "issued_on": dt.date(2026, 3, 4), "data": DATA,
        "holder": {"nama": "RUSDIANSYAH", "nik": "6402081708050001", "tempat_lahir": "Kota Bangun",
                   "tanggal_lahir": dt.date(2005, 8, 17), "jenis_kelamin": "Laki-laki",
                   "pekerjaan": "Pelajar/Mahasiswa", "alamat": "RT 002, Desa Loleng"},
        "signer": {"jabatan": "Camat Kota Bangun", "nama": "H. MUHAMMAD RIDWAN, S.Sos.",
                   "nip": "197501012000031002"},
    }


@pytest.fixture(scope="module")
def letter_text() -> str:
    renderer = PdfRenderer([TEMPLATES, PLUGIN_TEMPLATES])
    metadata = PdfMetadata(title="Surat Pengantar Laporan Kehilangan",
                           author="Kecamatan Kota Bangun", subject="Kehilangan RUSDIANSYAH",
                           keywords=("kehilangan",),
                           created=dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC),
                           document_number="300.1/0007/Kec.KB/2026", document_type=DOCTYPE,
                           issue_date=dt.date(2026, 3, 4), office="Kecamatan Kota Bangun")
    result = renderer.render("surat_kehilangan/document.html", letter_context(), metadata=metadata)
    reader = PdfReader(io.BytesIO(result.pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.mark.parametrize("expected", [
    "PEMERINTAH KABUPATEN KUTAI KARTANEGARA", "KECAMATAN KOTA BANGUN",
    "SURAT PENGANTAR LAPORAN KEHILANGAN", "Nomor: 300.1/0007/Kec.KB/2026", "RUSDIANSYAH",
    "Dompet berisi KTP-el dan SIM C", "3 Maret 2026", "Pasar Kota Bangun",
    "Kepala Polsek Kota Bangun", "Kota Bangun, 4 Maret 2026", "CAMAT KOTA BANGUN,",
    "NIP 19750101 200003 1 002",
])
def test_letter_renders_on_the_office_layout(letter_text, expected):
    assert expected in letter_text
