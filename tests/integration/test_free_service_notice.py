"""The free-service notice: the receipt (tanda terima) and the service posters say the service is
free, that officers take no gifts, and print where to complain: the office's public complaint
form, built from its public base URL (never the loopback address the demo serves on). The
poster's complaint QR code is decoded back from the rendered page."""

from __future__ import annotations

import io
import shutil

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from conftest import build_app
from records.extensions import db, lemari
from records.models import Penduduk
from records.publikasi.desk import publish_desk
from records.publikasi.services import materials
from records.services.accounts import actor_for_username
from records.services.requests import take_request
from records.thumbnails import png_preview

PUBLIC = "https://kotabangun.kukarkab.go.id"


@pytest.fixture(scope="module")
def app(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("notice") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, PUBLIC_BASE_URL=PUBLIC + "/")
    with app.app_context():
        yield app
    app.extensions["lemari"].close()


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_receipt_says_free_no_gifts_and_prints_the_complaint_address(app):
    person = db.session.scalar(select(Penduduk.id).limit(1))
    actor = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                               registry=lemari().registry)
    record = take_request("sk_domisili", penduduk_id=person, received=[], values={"keperluan": "Bank"},
                          actor=actor, session=db.session, desk=lemari().desk())
    receipt = next(f for f in record.files if f.kind == "tanda_terima")
    pdf = lemari().desk().blobs.read_bytes(receipt.sha256)
    text = text_of(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "GRATIS" in text and "dilarang meminta atau menerima imbalan" in text
    assert f"{PUBLIC}/pengaduan" in text and "127.0.0.1" not in text


def test_the_service_poster_carries_the_notice_and_a_qr_to_the_complaint_form(app):
    desk = publish_desk(lemari())
    context = materials.build_context("poster_layanan", session=db.session, desk=desk,
                                      layanan_code="ktp_el", ukuran="A4")
    pdf = materials.render("poster_layanan", context, session=db.session, desk=desk).pdf
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = text_of(pdf)
    assert "TOLAK PUNGLI DAN GRATIFIKASI" in text and f"{PUBLIC}/pengaduan" in text
    assert "127.0.0.1" not in text
    png = png_preview(pdf, 2400)
    found = {r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}
    assert f"{PUBLIC}/pengaduan" in found and f"{PUBLIC}/info/layanan/ktp_el" in found
