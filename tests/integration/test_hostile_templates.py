"""An edited print template is hostile until proven otherwise. Each test saves (or tries) a
template through the real editing service — sandboxed Jinja, the restricted URL fetcher, the
render worker's time and memory limits — and proves it could not read a file, reach the
network, loop forever or run code, and that the last good version stayed live."""

from __future__ import annotations

import http.server
import io
import shutil
import threading
import time

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import build_app
from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.publikasi.desk import publish_desk
from records.publikasi.services import materials, templates
from records.services.accounts import actor_for_username

TIMEOUT = 4
KEY = "poster_bebas"
GOOD = """<!DOCTYPE html><html lang="id" class="poster-a4"><head><meta charset="utf-8">
<link rel="stylesheet" href="publikasi/style.css"></head><body>
<h1>{{ publikasi.judul }}</h1><p>VERSI-BAIK-7731</p>
{% for p in publikasi.paragraphs %}<p>{{ p }}</p>{% endfor %}
</body></html>"""


@pytest.fixture(scope="module")
def app(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile") / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, PUBLISH_RENDER_TIMEOUT_SECONDS=TIMEOUT)
    with app.app_context():
        yield app
    app.extensions["lemari"].close()


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    """A readable PNG and a text file outside every template folder, with a marker."""
    folder = tmp_path_factory.mktemp("outside")
    Image.new("RGB", (40, 40), (200, 0, 0)).save(folder / "secret.png")
    (folder / "secret.txt").write_text("RAHASIA-NIK-6402081708050001", encoding="utf-8")
    return folder


@pytest.fixture
def desk(app):
    return publish_desk(lemari())


@pytest.fixture
def humas(app):
    return actor_for_username("humas", sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


@pytest.fixture
def good(humas, desk):
    """A known good live version to fall back on."""
    return templates.save_template(KEY, GOOD, catatan="baik", actor=humas, session=db.session, desk=desk)


def page(body: str) -> str:
    return GOOD.replace("<p>VERSI-BAIK-7731</p>", body)


def live_render(desk) -> PdfReader:
    context = templates.sample_context(KEY, session=db.session, desk=desk)
    return PdfReader(io.BytesIO(materials.render(KEY, context, session=db.session, desk=desk).pdf))


def images_on(reader: PdfReader) -> list:
    resources = reader.pages[0].get("/Resources") or {}
    xobjects = resources.get("/XObject") or {}
    return [o for o in xobjects.values() if o.get_object().get("/Subtype") == "/Image"]


def assert_refused(humas, desk, source: str, reason: str) -> None:
    """The save fails with `reason` and the live version is unchanged."""
    before = templates.live_source(KEY, actor=humas, session=db.session, desk=desk)
    with pytest.raises(ValidationError) as caught:
        templates.save_template(KEY, source, actor=humas, session=db.session, desk=desk)
    db.session.rollback()
    assert reason in str(caught.value), str(caught.value)
    assert templates.live_source(KEY, actor=humas, session=db.session, desk=desk) == before
    assert "VERSI-BAIK-7731" in live_render(desk).pages[0].extract_text()


@pytest.mark.parametrize("markup", [
    '<img src="file://{s}/secret.png">',
    '<img src="../../../../../../../../{s}/secret.png">',
    '<img src="/{s}/secret.png">',
    '<img src="lemari-asset:/../../../../../../../{s}/secret.png">',
    '<link rel="attachment" href="file://{s}/secret.txt">',
    '<a rel="attachment" href="file://{s}/secret.txt">lampiran</a>',
    '<link rel="stylesheet" href="file://{s}/secret.txt">',
    '<style>@import url("file://{s}/secret.txt"); body {{ background: url(file://{s}/secret.png) }}</style>',
    '<object data="file://{s}/secret.png"></object><embed src="file://{s}/secret.png">',
    '<svg><image href="file://{s}/secret.png" width="40" height="40"/></svg>',
])
def test_a_template_cannot_read_a_file(humas, desk, good, secret, markup):
    relative_path = "../" in markup or markup.startswith('<img src="/')
    source = page(markup.format(s=str(secret).lstrip("/") if relative_path else secret))
    rendered = templates.trial_render(KEY, source, session=db.session, desk=desk)
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert not images_on(reader), "a file outside the template folders was embedded"
    assert not reader.attachments
    assert b"RAHASIA" not in rendered.pdf and "RAHASIA" not in reader.pages[0].extract_text()


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "/etc/passwd", "{s}/secret.txt"])
def test_a_template_cannot_include_a_file_from_outside(humas, desk, good, secret, name):
    assert_refused(humas, desk, page("{% include '" + name.format(s=secret) + "' %}"),
                   "Templat tidak dapat dijalankan")


@pytest.mark.parametrize("trick", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "{{ lipsum.__globals__['os'].system('touch {marker}') }}",
    "{{ self._TemplateReference__context }}",
    "{{ qr_data_uri.__globals__['segno'] }}",
    "{{ range.__self__.__import__('os').system('touch {marker}') }}",
    "{% set x = publikasi.__class__.__init__.__globals__ %}{{ x }}",
])
def test_jinja_tricks_cannot_reach_python_or_run_code(humas, desk, good, tmp_path, trick):
    marker = tmp_path / "pwned"
    assert_refused(humas, desk, page(trick.replace("{marker}", str(marker))), "Templat")
    assert not marker.exists()


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_template_cannot_reach_the_network(humas, desk, good):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        markup = (f'<img src="{url}/gambar.png"><link rel="stylesheet" href="{url}/a.css">'
                  f'<style>@import url("{url}/b.css"); @font-face {{ font-family: X; src: url({url}/f.ttf) }}'
                  f' p {{ font-family: X; background: url({url}/bg.png) }}</style>'
                  f'<link rel="attachment" href="{url}/lampiran"><svg><image href="{url}/s.png"/></svg>'
                  f'<iframe src="{url}/frame"></iframe>')
        rendered = templates.trial_render(KEY, page(markup), session=db.session, desk=desk)
        assert PdfReader(io.BytesIO(rendered.pdf)).pages
    finally:
        server.shutdown()
        server.server_close()
    assert CountingHandler.hits == []


def test_a_template_that_loops_forever_is_stopped_and_refused(humas, desk, good):
    started = time.monotonic()
    # no output inside the loop, so the memory stays flat and only the clock can stop it
    assert_refused(humas, desk, page("{% for a in range(99999) %}{% for b in range(99999) %}"
                                     "{% endfor %}{% endfor %}"), "batas waktu")
    assert time.monotonic() - started < TIMEOUT + 30  # timeout, then a fresh worker for the check


def test_a_template_that_builds_a_giant_string_hits_the_memory_ceiling(humas, desk, good):
    assert_refused(humas, desk, page("{{ 'x' * 4000000000 }}"), "memori")


def test_a_syntax_error_names_its_line_and_keeps_the_last_good_version(humas, desk, good):
    broken = GOOD.replace("<p>VERSI-BAIK-7731</p>", "<p>VERSI-BAIK-7731</p>\n{% if %}")
    line = broken.splitlines().index("{% if %}") + 1
    assert_refused(humas, desk, broken, f"baris {line}")
    assert [v.versi for v in templates.versions(KEY, actor=humas, session=db.session)][0] == good.versi


def test_oversized_and_empty_templates_are_refused_before_rendering(humas, desk, good):
    assert_refused(humas, desk, "x" * (templates.MAX_SOURCE + 1), "terlalu besar")
    assert_refused(humas, desk, "   ", "kosong")


def test_a_good_edit_goes_live_and_the_original_can_be_restored(humas, desk, good):
    edited = GOOD.replace("VERSI-BAIK-7731", "VERSI-BARU-5512")
    saved = templates.save_template(KEY, edited, actor=humas, session=db.session, desk=desk)
    assert saved.versi == good.versi + 1
    assert "VERSI-BARU-5512" in live_render(desk).pages[0].extract_text()
    restored = templates.restore_version(KEY, 0, actor=humas, session=db.session, desk=desk)
    assert restored.source == templates.shipped_source(KEY, desk=desk)
    assert "VERSI-BARU" not in live_render(desk).pages[0].extract_text()


def test_roles_without_the_right_cannot_edit_templates(app, desk):
    petugas = actor_for_username("petugas", sm=app.appbuilder.sm, session=db.session,
                                 registry=lemari().registry)
    from records.exceptions import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        templates.save_template(KEY, GOOD, actor=petugas, session=db.session, desk=desk)


def test_uploaded_template_images_are_checked(humas, desk, good):
    with pytest.raises(ValidationError, match="bukan gambar"):
        templates.upload_asset("logo", b"#!/bin/sh\nrm -rf /\n", actor=humas, session=db.session, desk=desk)
    db.session.rollback()
    with pytest.raises(ValidationError, match="Nama gambar"):
        templates.upload_asset("../../etc/passwd", b"x", actor=humas, session=db.session, desk=desk)
    db.session.rollback()
    picture = io.BytesIO()
    Image.new("RGB", (60, 30), (0, 0, 200)).save(picture, "PNG")
    asset = templates.upload_asset("logo_kukar", picture.getvalue(), actor=humas, session=db.session,
                                   desk=desk)
    assert asset.nama == "logo_kukar.png"
    rendered = templates.trial_render(KEY, page('<img src="_aset/logo_kukar.png">'), session=db.session,
                                      desk=desk)
    assert images_on(PdfReader(io.BytesIO(rendered.pdf)))
