"""A plugin whose workflow names every state and step differently is issued, tracked, surveyed,
searched and counted like the built-in one: the core reads the declared meanings (tags), never
the names (docs/architecture.md, "Workflow meanings").

The plugin is registered through create_app's EXTRA_PLUGINS on a copy of the demo office; the
office offers its document type as a service (a `layanan` row), as it would for any plugin.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import func, select

from conftest import build_app, close_app_state
from records.builtin.core import CAMAT, PETUGAS, SEKCAM
from records.dashboard.services import service_levels
from records.declarations import (
    CLOSED,
    HANDED_OVER,
    HANDS_OVER,
    ISSUED,
    ISSUES,
    READY,
    REVOKED,
    REVOKES,
    SIGNS,
    VERIFIES,
    DocumentType,
    Field,
    Transition,
    Workflow,
)
from records.doctor import check_issued_have_files
from records.extensions import db, lemari
from records.hookspecs import hookimpl
from records.models import IssuedNumber, Layanan, Pejabat, Penduduk, Record
from records.services.accounts import actor_for_username
from records.services.issuing import advance
from records.services.records import in_tagged_state
from records.services.requests import take_request
from records.services.setup import DEMO_PASSWORD
from records.services.verifying import verify_upload
from records.survei.models import SurveiRespon

DOCTYPE, LAYANAN = "surat_keterangan_ahli_waris", "ahli_waris"
SIGNERS = frozenset({CAMAT, SEKCAM})
PENGESAHAN = Workflow(
    name="pengesahan",
    title="Pengesahan surat",
    initial="masuk",
    states={"masuk": "Berkas masuk", "diperiksa": "Sudah diperiksa", "disahkan": "Disahkan Camat",
            "keluar": "Surat keluar, siap diambil", "diambil": "Sudah diambil pemohon",
            "batal": "Dibatalkan"},
    transitions=(
        Transition("periksa", "Periksa berkas", "masuk", "diperiksa", {PETUGAS} | SIGNERS,
                   tags={VERIFIES}),
        Transition("sahkan", "Sahkan", "diperiksa", "disahkan", SIGNERS, tags={SIGNS}),
        Transition("keluarkan", "Keluarkan surat", "disahkan", "keluar", {PETUGAS} | SIGNERS,
                   tags={ISSUES}),
        Transition("ambilkan", "Serahkan kepada ahli waris", "keluar", "diambil", {PETUGAS},
                   tags={HANDS_OVER}),
        Transition("batalkan", "Batalkan surat", ("keluar", "diambil"), "batal", SIGNERS,
                   note_required=True, tags={REVOKES}),
    ),
    state_tags={"keluar": {ISSUED, READY}, "diambil": {ISSUED, HANDED_OVER, CLOSED},
                "batal": {ISSUED, REVOKED, CLOSED}},
)
AHLI_WARIS = DocumentType(
    name=DOCTYPE, title="Surat Keterangan Ahli Waris",
    fields=(Field("pewaris", "Nama pewaris (almarhum/almarhumah)", max_length=100),),
    workflow="pengesahan", template="ahli_waris/document.html", klasifikasi="400.12.2.1",
    retention_class="surat_keterangan")
TEMPLATE = """{% extends "_base/page.html" %}
{% import "_base/macros.html" as m %}
{% block title %}Surat Keterangan Ahli Waris {{ nomor }}{% endblock %}
{% block content %}
<div class="doc-title"><h1>SURAT KETERANGAN AHLI WARIS</h1>
<p class="doc-number">Nomor: {{ nomor }}</p></div>
<p>{{ holder.nama }} adalah ahli waris dari almarhum {{ data.pewaris }}.</p>
{% if signer %}{{ m.signature(signer, place, issued_on) }}{% endif %}
{% endblock %}
"""
PEWARIS = "Haji Abdul Rasyid"


class RenamedWorkflowPlugin:
    """The plugin: one workflow under other names, one document type, its template."""

    def __init__(self, templates):
        self.templates = templates

    @hookimpl
    def register_workflows(self):
        return [PENGESAHAN]

    @hookimpl
    def register_document_types(self):
        return [AHLI_WARIS]

    @hookimpl
    def register_template_dirs(self):
        return [self.templates]


@pytest.fixture
def app(demo_home, tmp_path):
    """The demo office with the plugin installed and its service offered at the counter."""
    home, templates = tmp_path / "home", tmp_path / "templates_pdf"
    shutil.copytree(demo_home, home)
    (templates / "ahli_waris").mkdir(parents=True)
    (templates / "ahli_waris" / "document.html").write_text(TEMPLATE, encoding="utf-8")
    app = build_app(home, EXTRA_PLUGINS=[RenamedWorkflowPlugin(templates)])
    with app.app_context():
        db.session.add(Layanan(code=LAYANAN, nama="Surat Keterangan Ahli Waris", doctype=DOCTYPE,
                               waktu_hari=3, persyaratan=["Surat kematian", "Kartu Keluarga"],
                               produk="Surat keterangan ahli waris"))
        db.session.commit()
    yield app
    close_app_state(app)


def login_as(client, username):
    client.get("/logout/")
    response = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "/login" not in response.location, username


def step(client, record_id, name, note=""):
    response = client.post(f"/dokumen/{record_id}/langkah/{name}", data={"note": note})
    assert response.status_code == 302
    return html.unescape(client.get(response.location).get_data(as_text=True))


def record_of(app, record_id) -> dict:
    with app.app_context():
        record = db.session.get(Record, record_id)
        return {"state": record.state, "number": record.number, "verify_code": record.verify_code,
                "tracking_code": record.tracking_code, "files": {f.kind: f.id for f in record.files}}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def actor(username):
    return actor_for_username(username, sm=current_app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def a_resident(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Penduduk.nik).order_by(Penduduk.id))


def test_request_under_other_names_is_issued_tracked_surveyed_and_found(app):
    client, public = app.test_client(), app.test_client()
    login_as(client, "petugas")
    taken = client.post(f"/dokumen/permohonan/{LAYANAN}", data={
        "nik": a_resident(app), "persyaratan": ["Surat kematian", "Kartu Keluarga"],
        "pewaris": PEWARIS})
    assert taken.status_code == 302, taken.get_data(as_text=True)[-2000:]
    record_id = int(re.fullmatch(r".*/dokumen/(\d+)", taken.location).group(1))
    code = record_of(app, record_id)["tracking_code"]
    with app.app_context():  # a promise already broken: overdue until the letter is ready
        db.session.get(Record, record_id).promised_date = dt.date(2020, 1, 2)
        db.session.commit()

    tracked = page(public, f"/lacak/{code}")
    # plain words from the renamed workflow's tags, never its state names
    assert "Sedang diproses" in tracked and "Berkas masuk" not in tracked and "TERLAMBAT" in tracked
    assert "Isi survei kepuasan" not in tracked
    assert "setelah dokumen diserahkan" in page(public, f"/survei/{code}", 409)

    step(client, record_id, "periksa")
    login_as(client, "camat")
    step(client, record_id, "sahkan", "Disetujui")
    login_as(client, "petugas")
    shown = page(client, f"/dokumen/{record_id}")
    assert 'name="kertas"' in shown  # the paper choice belongs to the issuing step, by its tag
    numbers = count(app, IssuedNumber)
    step(client, record_id, "keluarkan")
    issued = record_of(app, record_id)
    number, verify_code = issued["number"], issued["verify_code"]
    assert issued["state"] == "keluar"
    assert re.fullmatch(r"400\.12\.2\.1/\d{4}/Kec\.KB/20\d\d", number)
    assert count(app, IssuedNumber) == numbers + 1
    again = step(client, record_id, "keluarkan")  # a second click: no second number
    assert f"sudah terbit dengan nomor {number}" in again
    assert count(app, IssuedNumber) == numbers + 1

    pdf = client.get(f"/dokumen/{record_id}/berkas/{issued['files']['terbit']}").data
    with app.app_context():
        camat = db.session.scalar(select(Pejabat).where(Pejabat.username == "camat"))
        verified = verify_upload(pdf, session=db.session, desk=lemari().desk())
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert number in text and "".join(camat.nama.split()) in text  # the signer of `sahkan`
    assert verified.status == "valid" and verified.number == number
    assert verified.signature["status"] == "valid"
    assert "SAH — dokumen tercatat dan berlaku" in page(public, f"/verify/{verify_code}")

    tracked = page(public, f"/lacak/{code}")
    assert "Siap diambil" in tracked and "Surat keluar" not in tracked and "TERLAMBAT" not in tracked
    assert "Isi survei kepuasan" not in tracked
    page(public, f"/survei/{code}", 409)

    step(client, record_id, "ambilkan")
    tracked = page(public, f"/lacak/{code}")
    assert "Sudah diambil" in tracked and "Sudah diambil pemohon" not in tracked
    assert "Isi survei kepuasan" in tracked
    page(public, f"/survei/{code}")
    answers = {f"u{i}": "4" for i in range(1, 10)}
    assert public.post(f"/survei/{code}", data=answers).status_code == 200
    assert count(app, SurveiRespon) == 1

    found = page(client, f"/cari/?q={number}")
    assert f"/dokumen/{record_id}" in found and "DICABUT" not in found

    login_as(client, "camat")
    step(client, record_id, "batalkan", "Ahli waris keliru")
    assert "DICABUT" in page(public, f"/verify/{verify_code}")
    assert "DICABUT" in page(client, f"/cari/?q={number}")


def test_dashboard_and_doctor_read_the_meanings(app):
    with app.app_context():
        ext = lemari()
        person = db.session.scalar(select(Penduduk).order_by(Penduduk.id))
        record = take_request(LAYANAN, penduduk_id=person.id, received=["Surat kematian", "Kartu Keluarga"],
                              values={"pewaris": PEWARIS}, actor=actor("petugas"),
                              session=db.session, desk=ext.desk())
        for name in ("periksa", "sahkan", "keluarkan"):
            advance(record.id, name, actor=actor("camat"), session=db.session,
                    registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
        today = ext.desk().today()
        levels = service_levels(today, today, actor=actor("camat"), session=db.session,
                                registry=ext.registry, tz=ext.settings["TIMEZONE"])
        [row] = [lv for lv in levels["per_layanan"] if lv.key == LAYANAN]
        assert (row.diterima, row.selesai, row.proses) == (1, 1, 0)
        issued = set(db.session.scalars(select(Record.id).where(in_tagged_state(ext.registry, ISSUED))))
        assert record.id in issued
        assert check_issued_have_files(db.session, ext.registry).ok


def test_lemari_issue_and_issue_batch_walk_the_declared_path(app, tmp_path):
    runner = app.test_cli_runner()
    nik = a_resident(app)
    result = runner.invoke(args=["issue", DOCTYPE, "--nik", nik, "--field", f"pewaris={PEWARIS}",
                                 "--as", "camat"])
    assert result.exit_code == 0, result.output
    number = json.loads(result.output.strip().splitlines()[-1])["number"]
    with app.app_context():
        record = db.session.scalar(select(Record).where(Record.number == number))
        assert record.state == "keluar"
        assert [h.transition for h in record.history] == ["buat", "periksa", "sahkan", "keluarkan"]

    rows = tmp_path / "ahli_waris.csv"
    rows.write_text(f"nik,pewaris\n{nik},{PEWARIS}\n{nik},Hajjah Siti Aminah\n", encoding="utf-8")
    first = runner.invoke(args=["issue-batch", DOCTYPE, str(rows), "--as", "camat"])
    assert first.exit_code == 0, first.output
    statuses = [json.loads(line)["status"] for line in first.stdout.splitlines() if line.startswith("{")]
    assert statuses == ["terbit", "terbit"]
    again = runner.invoke(args=["issue-batch", DOCTYPE, str(rows), "--as", "camat"])
    assert [json.loads(line)["status"] for line in again.stdout.splitlines()
            if line.startswith("{")] == ["sudah_terbit", "sudah_terbit"]
