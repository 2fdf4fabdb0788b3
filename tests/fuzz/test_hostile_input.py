"""Property-based and corpus tests of hostile input through the real web adapters: uploads to
the public verification page, registry import files and search queries. The rule everywhere:
never a 5xx, and nothing in the database changes unless the input was valid."""

from __future__ import annotations

import io
import shutil
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from conftest import build_app
from records.extensions import db
from records.models import AuditEvent, Penduduk, Record

pytestmark = pytest.mark.slow
FUZZ = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def hostile_app(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile") / "home"
    shutil.copytree(demo_home, home)
    # one address posts ~50 uploads to /verify within a minute; the look-up limit has its own
    # tests (tests/web/test_login_throttle.py)
    app = build_app(home, LOGIN_RATE_LIMIT="1000 per minute", LOOKUP_RATE_LIMIT="1000 per minute")
    yield app
    app.extensions["lemari"].close()


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Penduduk)),
                db.session.scalar(select(func.count()).select_from(Record)))


def logged_in(app, username="petugas"):
    client = app.test_client()
    client.post("/login/", data={"username": username, "password": "Demo#KotaBangun2026"})
    return client


def minimal_pdf(body: bytes = b"BT /F1 12 Tf 72 720 Td (Surat) Tj ET") -> bytes:
    """A small valid PDF written by hand, so the corpus can break it in known places."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n")
    for number, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf())))
    writer.encrypt("rahasia")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bomb_pdf() -> bytes:
    """A content stream that inflates to 200 MB from a few hundred KB."""
    inflated = zlib.compress(b"0" * (200 * 1024 * 1024), 9)
    return minimal_pdf().replace(b"<< /Length", b"<< /Filter /FlateDecode /Length", 1) \
        .replace(b"BT /F1 12 Tf 72 720 Td (Surat) Tj ET", inflated, 1)


CORPUS = {
    "kosong": b"",
    "terpotong": minimal_pdf()[:150],
    "xref_rusak": minimal_pdf().replace(b"xref", b"xrff"),
    "jpeg_bernama_pdf": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200,
    "terenkripsi": encrypted_pdf(),
    "bom_dekompresi": bomb_pdf(),
    "rekursif": b"%PDF-1.7\n1 0 obj\n" + b"[" * 50000 + b"]" * 50000 + b"\nendobj\n%%EOF",
    "html": b"<html><script>alert(1)</script></html>",
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_verify_upload_of_a_broken_file_is_answered_not_crashed(hostile_app, name):
    before = counts(hostile_app)
    client = hostile_app.test_client()
    response = client.post("/verify", data={"berkas": (io.BytesIO(CORPUS[name]), f"{name}.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 400, 404, 413, 422), (name, response.status_code)
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert counts(hostile_app) == before


@FUZZ
@given(data=st.binary(max_size=4096), name=st.text(max_size=80))
def test_verify_upload_of_any_bytes_and_name_never_500s(hostile_app, data, name):
    response = hostile_app.test_client().post(
        "/verify", data={"berkas": (io.BytesIO(data), name or "x.pdf")},
        content_type="multipart/form-data")
    assert response.status_code < 500


CSV_HEADER = ("nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,alamat,desa_code,agama,"
              "status_perkawinan,pekerjaan\n")


@FUZZ
@given(body=st.one_of(st.binary(max_size=2048),
                      st.text(max_size=600).map(lambda t: (CSV_HEADER + t).encode("utf-8", "surrogatepass")
                                                if "\ud800" not in t else t.encode("utf-8", "ignore"))),
       filename=st.sampled_from(["data.csv", "data.xlsx", "data.txt", "../../etc/passwd.csv",
                                 "nama\x00.csv", "<img src=x>.csv"]))
def test_registry_import_of_garbage_changes_nothing(hostile_app, body, filename):
    before = counts(hostile_app)
    client = logged_in(hostile_app)
    response = client.post("/penduduk-impor/", data={"berkas": (io.BytesIO(body), filename)},
                           content_type="multipart/form-data")
    assert response.status_code < 500
    assert "<img src=x>" not in response.get_data(as_text=True)
    if counts(hostile_app)[0] != before[0]:  # only a fully valid file may add residents
        assert response.status_code in (200, 302)


@FUZZ
@given(query=st.text(max_size=300) | st.sampled_from([
    '"tanpa penutup', "AND", "OR OR", "*", "***", "nik:", "nomor:\"", "tahun:abcd",
    "kolomtidakada:x", "x" * 10_000, "desa:" + "a" * 500, "(((", "\\", "%00", "NOT"]))
def test_search_never_500s_on_any_query(hostile_app, query):
    client = logged_in(hostile_app)
    response = client.get("/cari/", query_string={"q": query})
    assert response.status_code in (200, 400, 422)


def test_search_with_non_utf8_bytes_in_the_url_is_answered(hostile_app):
    client = logged_in(hostile_app)
    response = client.get("/cari/?q=%ff%fe%C3%28")
    assert response.status_code in (200, 400, 422)


def test_hostile_input_leaves_the_audit_chain_intact(hostile_app):
    from records.services.audit import verify_chain

    with hostile_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) > 0
        assert verify_chain(db.session) is None
