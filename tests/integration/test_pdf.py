"""Letters rendered end to end with WeasyPrint and read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from records.pdf import (
    AssetRefusedError,
    LocalAssetFetcher,
    PdfMetadata,
    PdfRenderer,
    TemplateRenderError,
    TemplateSecurityError,
    merge_pdfs,
    qr_data_uri,
)
from records.render_worker import RenderPool, RenderTimeoutError, RenderWorkerError

TEMPLATES = Path(__file__).resolve().parents[2] / "templates_pdf"
SAMPLE = "sample/document.html"
MM = 72 / 25.4
HOSTILE_NAME = "<script>alert(1)</script><img src=file:///etc/passwd><link rel=attachment href=file:///etc/passwd>"
NOMOR = "400.12.2.1/123/Kec.KB/2026"


def letter_context(**holder_overrides) -> dict:
    """A complete context for the sample SURAT KETERANGAN DOMISILI."""
    holder = {
        "nama": "SITI AMINAH",
        "nik": "6402085512900001",
        "tempat_lahir": "Kota Bangun",
        "tanggal_lahir": dt.date(1990, 12, 15),
        "jenis_kelamin": "Perempuan",
        "agama": "Islam",
        "status_perkawinan": "Kawin",
        "pekerjaan": "Wiraswasta",
        "kewarganegaraan": "WNI",
        "alamat": "RT 003, Desa Kota Bangun Ilir",
        "no_kk": "6402080101100002",
        **holder_overrides,
    }
    return {
        "office": {"address": "Jl. Pesut No. 1, Kota Bangun, Kutai Kartanegara 75561"},
        "nomor": NOMOR,
        "holder": holder,
        "desa": "Kota Bangun Ilir",
        "keperluan": "Persyaratan pembukaan rekening bank",
        "signer": {
            "prefix": "a.n.",
            "atas_nama": "Camat Kota Bangun",
            "jabatan": "Sekretaris Kecamatan",
            "nama": "AHMAD SUBANDI, S.Sos.",
            "pangkat": "Pembina",
            "golongan": "IV/a",
            "nip": "198609262015051001",
        },
        "place": "Kota Bangun",
        "issued_on": dt.date(2026, 11, 28),
        "verification": {"code": "KB7Q-2M4X-9TRA", "url": "https://lemari.example/v/KB7Q2M4X9TRA"},
    }


METADATA = PdfMetadata(
    title="Surat Keterangan Domisili",
    author="Kecamatan Kota Bangun",
    subject="Domisili SITI AMINAH",
    keywords=("domisili", "surat keterangan"),
    created=dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    document_number=NOMOR,
    document_type="SK-DOMISILI",
    issue_date=dt.date(2026, 11, 28),
    office="Kecamatan Kota Bangun",
)


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer([TEMPLATES])


@pytest.fixture()
def extra_templates(tmp_path: Path):
    """A plugin-style template folder searched before the shipped one."""
    def make(name: str, source: str) -> PdfRenderer:
        (tmp_path / name).write_text(source, encoding="utf-8")
        return PdfRenderer([tmp_path, TEMPLATES])
    return make


def reader_of(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def all_objects(reader: PdfReader) -> list:
    """Every dictionary and array reachable from the trailer, each once."""
    found, seen, stack = [], set(), [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            found.append(obj)
            stack.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return found


def all_keys(reader: PdfReader) -> set[str]:
    keys = set()
    for obj in all_objects(reader):
        keys.update(obj.keys())
        keys.update(str(value) for value in obj.values() if isinstance(value, str))
    return keys


def assert_nothing_embedded(pdf: bytes) -> None:
    reader = reader_of(pdf)
    keys = all_keys(reader)
    assert not reader.attachments
    assert not keys & {"/EmbeddedFile", "/EmbeddedFiles", "/JavaScript", "/JS", "/Launch"}
    assert b"root:x:0:0" not in pdf


@pytest.mark.parametrize(("paper", "width_mm", "height_mm"), [("F4", 215, 330), ("A4", 210, 297)])
def test_sample_letter_renders_one_page_on_paper(renderer, paper, width_mm, height_mm):
    result = renderer.render(SAMPLE, letter_context(), paper=paper, metadata=METADATA)
    reader = reader_of(result.pdf)
    page = reader.pages[0]
    text = page.extract_text()
    assert result.pages == len(reader.pages) == 1
    assert float(page.mediabox.width) == pytest.approx(width_mm * MM, abs=0.5)
    assert float(page.mediabox.height) == pytest.approx(height_mm * MM, abs=0.5)
    assert "SITI AMINAH" in text
    assert NOMOR in text
    assert "KECAMATAN KOTA BANGUN" in text
    assert "PEMERINTAH KABUPATEN KUTAI KARTANEGARA" in text
    assert "NIP 19860926 201505 1 001" in text
    assert "a.n. CAMAT KOTA BANGUN" in text
    assert "SEKRETARIS KECAMATAN," in text
    assert "Kota Bangun, 28 November 2026" in text


def test_f4_mediabox_in_points(renderer):
    result = renderer.render(SAMPLE, letter_context(), metadata=METADATA)
    box = reader_of(result.pdf).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((609.4, 935.4), abs=0.2)


def test_metadata_and_custom_keys(renderer):
    result = renderer.render(SAMPLE, letter_context(), metadata=METADATA)
    reader = reader_of(result.pdf)
    info = reader.metadata
    assert info.title == "Surat Keterangan Domisili"
    assert info.author == "Kecamatan Kota Bangun"
    assert info.subject == "Domisili SITI AMINAH"
    assert info["/Keywords"] == "domisili, surat keterangan"
    assert info["/DocumentNumber"] == NOMOR
    assert info["/DocumentType"] == "SK-DOMISILI"
    assert info["/IssueDate"] == "2026-11-28"
    assert info["/Office"] == "Kecamatan Kota Bangun"
    assert info["/CreationDate"].startswith("D:20261128093000+08")
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert f"<lemari:DocumentNumber>{NOMOR}</lemari:DocumentNumber>".encode() in xmp
    assert b"<pdfaSchema:prefix>lemari</pdfaSchema:prefix>" in xmp
    assert xmp.count(b"<rdf:RDF") == 1, "one rdf:RDF: XMP readers (pyHanko) read only the first"


def test_template_sha256_covers_parents(tmp_path):
    shutil.copytree(TEMPLATES, tmp_path / "t")
    renderer = PdfRenderer([tmp_path / "t"])
    before = renderer.template_sha256(SAMPLE)
    assert before == renderer.template_sha256(SAMPLE)
    macros = tmp_path / "t" / "_base" / "macros.html"
    macros.write_text(macros.read_text() + "\n", encoding="utf-8")
    assert renderer.template_sha256(SAMPLE) != before


def test_render_result_carries_template_fingerprint(renderer):
    result = renderer.render(SAMPLE, letter_context(), metadata=METADATA)
    assert result.template_name == SAMPLE
    assert result.template_sha256 == renderer.template_sha256(SAMPLE)
    assert len(result.template_sha256) == 64


def test_only_shipped_liberation_fonts_are_embedded(renderer):
    """Fonts are the shipped Liberation files: subset, embedded, never a host font."""
    result = renderer.render(SAMPLE, letter_context(), metadata=METADATA)
    descriptors = [obj for obj in all_objects(reader_of(result.pdf)) if obj.get("/Type") == "/FontDescriptor"]
    assert {"Lemari-Sans", "Lemari-Sans-Bold"} <= {str(d["/FontName"]).split("+")[-1] for d in descriptors}
    for descriptor in descriptors:
        assert str(descriptor["/FontName"]).split("+")[-1].startswith(("Lemari-Sans", "Lemari-Serif"))
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        assert program["name"].getDebugName(1).startswith("Liberation "), descriptor["/FontName"]


def test_hostile_holder_name_is_printed_as_text(renderer):
    result = renderer.render(SAMPLE, letter_context(nama=HOSTILE_NAME), metadata=METADATA)
    text = "".join(reader_of(result.pdf).pages[0].extract_text().split())
    assert "<script>alert(1)</script>" in text
    assert "<imgsrc=file:///etc/passwd>" in text
    assert_nothing_embedded(result.pdf)


def test_hostile_template_embeds_nothing(extra_templates, caplog):
    renderer = extra_templates("hostile.html", """{% extends "_base/page.html" %}
{% block head %}<link rel="attachment" href="file:///etc/passwd">
<link rel="stylesheet" href="file:///etc/passwd">{% endblock %}
{% block content %}
<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/logo.png">
<img src="lemari-asset:/../../../../etc/passwd"><img src="../../../../etc/passwd">
<a rel="attachment" href="file:///etc/passwd">lampiran</a>
<a rel="attachment" href="http://127.0.0.1:9/x">lampiran</a>
<p style="background: url(file:///etc/passwd)">isi</p>
{% endblock %}""")
    context = {key: value for key, value in letter_context().items() if key != "verification"}
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        result = renderer.render("hostile.html", {**context, "title": "x"}, metadata=METADATA)
    assert_nothing_embedded(result.pdf)
    assert "refused URL outside the template folders: file:///etc/passwd" in caplog.text


def test_fetcher_serves_only_template_files(tmp_path):
    (tmp_path / "ok.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "escape.svg").symlink_to("/etc/passwd")
    fetcher = LocalAssetFetcher([tmp_path, TEMPLATES])
    assert fetcher.fetch("lemari-asset:/ok.svg").read().startswith(b"<svg")
    assert fetcher.fetch("lemari-asset:/_base/logo.svg").content_type == "image/svg+xml"
    assert fetcher.fetch("data:text/plain,halo").read() == b"halo"
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.com/logo.png",
        "ftp://example.com/x",
        "lemari-asset:/escape.svg",
        "lemari-asset:/../../../../etc/passwd",
        "lemari-asset:/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "lemari-asset:/_base",
    ):
        with pytest.raises(AssetRefusedError):
            fetcher.fetch(url)


def test_syntax_error_names_template_and_line(extra_templates):
    renderer = extra_templates("broken.html", "<p>satu</p>\n<p>dua</p>\n{% if %}\n")
    with pytest.raises(TemplateRenderError) as caught:
        renderer.render("broken.html", {}, metadata=METADATA)
    assert caught.value.template_name == "broken.html"
    assert caught.value.lineno == 3
    assert "Templat broken.html, baris 3" in str(caught.value)


def test_undefined_value_names_template_and_line(extra_templates):
    renderer = extra_templates("missing.html", "<p>satu</p>\n\n<p>{{ holder.nama }}</p>\n")
    with pytest.raises(TemplateRenderError) as caught:
        renderer.render("missing.html", {}, metadata=METADATA)
    assert (caught.value.template_name, caught.value.lineno) == ("missing.html", 3)
    assert "holder" in str(caught.value)


def test_sandbox_escape_is_refused(extra_templates):
    renderer = extra_templates("escape.html", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateSecurityError):
        renderer.render("escape.html", {}, metadata=METADATA)


def test_printed_qr_code_decodes_to_the_verification_url(renderer):
    """The QR image in the PDF, as a scanner sees it, carries the letter's /verify URL."""
    zxingcpp = pytest.importorskip("zxingcpp")
    context = letter_context()
    page = reader_of(renderer.render(SAMPLE, context, metadata=METADATA).pdf).pages[0]
    decoded = [code.text for image in page.images for code in zxingcpp.read_barcodes(image.image)]
    assert decoded == [context["verification"]["url"]]


def test_qr_data_uri_is_svg():
    assert qr_data_uri("https://lemari.example/v/abc").startswith("data:image/svg+xml")


def test_merge_three_letters(renderer):
    letters = [renderer.render(SAMPLE, letter_context(), metadata=METADATA).pdf for _ in range(3)]
    calls = []
    merged = merge_pdfs(letters, progress=lambda done, total: calls.append((done, total)))
    assert len(reader_of(merged).pages) == 3
    assert calls == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.slow
def test_render_pool_isolates_and_times_out(tmp_path):
    (tmp_path / "forever.html").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    (tmp_path / "escape.html").write_text("{{ ''.__class__.__mro__ }}")
    with RenderPool([tmp_path, TEMPLATES], workers=1, timeout_s=3) as pool:
        result = pool.render(SAMPLE, letter_context(), metadata=METADATA)
        assert result.pages == 1 and result.pdf.startswith(b"%PDF-")
        [first_pid] = pool.pids()
        assert first_pid != os.getpid()

        with pytest.raises(RenderTimeoutError):
            pool.render("forever.html", {}, metadata=METADATA)
        [second_pid] = pool.pids()
        assert second_pid != first_pid

        with pytest.raises(TemplateSecurityError):
            pool.render("escape.html", {}, metadata=METADATA)
        assert pool.render(SAMPLE, letter_context(), metadata=METADATA).pages == 1
        assert pool.pids() == [second_pid]


@pytest.mark.slow
def test_render_pool_memory_ceiling_stops_a_runaway_render(tmp_path):
    """A template that allocates gigabytes fails in its worker, which is replaced."""
    (tmp_path / "huge.html").write_text("{{ 'x' * (3 * 1024 * 1024 * 1024) }}")
    with RenderPool([tmp_path, TEMPLATES], workers=1, memory_limit_bytes=1024 ** 3) as pool:
        pool.render(SAMPLE, letter_context(), metadata=METADATA)
        [first_pid] = pool.pids()
        with pytest.raises(RenderWorkerError, match="batas memori"):
            pool.render("huge.html", {}, metadata=METADATA)
        assert pool.render(SAMPLE, letter_context(), metadata=METADATA).pages == 1
        [second_pid] = pool.pids()
        assert second_pid != first_pid


@pytest.mark.slow
def test_render_pool_recycles_workers():
    with RenderPool([TEMPLATES], max_jobs_per_worker=1) as pool:
        pool.render(SAMPLE, letter_context(), metadata=METADATA)
        [first_pid] = pool.pids()
        pool.render(SAMPLE, letter_context(), metadata=METADATA)
        assert pool.pids() != [first_pid]
