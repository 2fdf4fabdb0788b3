"""Moving in, done when (issue 22): an office with 300 letters numbered on paper this year, two
desa's OpenSID exports, an old agenda book and a daftar arsip goes live in one sitting, as a
new user would through `lemari`: the next letter gets number 301, search finds an imported
agenda line and an archive berkas by its old (Permendagri 78/2012) classification, and the
"Pindah ke Lemari" checklist shows every part done."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from sqlalchemy import select
from test_agenda_lama import MASUK_HEADER, MASUK_ROWS, xlsx
from test_daftar_arsip import xlsx as daftar_xlsx
from test_impor_opensid import LOLENG, LOLENG_ROWS, ULU, ULU_ROWS, opensid_xlsx

from archive.desk import close_archive_desk
from conftest import build_app
from records.extensions import db, lemari
from records.models import Record
from records.services.accounts import actor_for_username
from records.services.clock import clock
from records.services.numbering import allocate
from records.services.pindah import checklist
from records.services.setup import DEMO_PASSWORD


@pytest.fixture
def app(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    yield app
    close_archive_desk(app)
    app.extensions["lemari"].close()


def lemari_cli(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.output


def search_ids(runner, text, username="arsiparis"):
    found = json.loads(lemari_cli(runner, "search", text, "--as", username, "--json"))
    return [hit["id"] for hit in found["hits"]]


def test_an_office_goes_live_in_one_sitting(app, tmp_path):
    runner = app.test_cli_runner()
    year = clock(app.extensions["lemari"].settings["TIMEZONE"])[1].year
    # 1. the outgoing register continues from the paper book: 300 letters this year
    out = lemari_cli(runner, "nomor", "lanjutkan", "surat_keluar", "300", "--teks",
                     f"470/0300/Kec.KB/{year}", "--keterangan", "Buku register hal. 31",
                     "--as", "admin")
    assert "nomor berikutnya dari Lemari 301" in out
    lemari_cli(runner, "nomor", "berita-acara", "surat_keluar", "--keluaran",
               str(tmp_path / "ba.pdf"), "--as", "admin")
    assert (tmp_path / "ba.pdf").read_bytes().startswith(b"%PDF")
    # 2. residents of two desa from their OpenSID exports
    for desa, rows in ((LOLENG, LOLENG_ROWS), (ULU, ULU_ROWS)):
        path = tmp_path / f"opensid-{desa}.xlsx"
        path.write_bytes(opensid_xlsx(rows))
        lemari_cli(runner, "import-penduduk", str(path), "--format", "opensid", "--desa", desa,
                   "--as", "admin")
    # 3. the old agenda book surat masuk (2019, before Lemari)
    book = tmp_path / "agenda-masuk-2019.xlsx"
    book.write_bytes(xlsx(MASUK_HEADER, MASUK_ROWS))
    assert "3 baris baru dicatat" in lemari_cli(runner, "impor-agenda", str(book), "--jenis",
                                                "masuk", "--as", "arsiparis")
    # 4. the daftar arsip of the iron cabinets (old 78/2012 codes)
    daftar = tmp_path / "daftar-arsip.xlsx"
    daftar.write_bytes(daftar_xlsx())
    assert "3 berkas dicatat" in lemari_cli(runner, "import-daftar-arsip", str(daftar), "--as",
                                            "arsiparis")
    with app.app_context():
        # the next letter of the outgoing register is 301
        admin = actor_for_username("admin", sm=app.appbuilder.sm, session=db.session,
                                   registry=lemari().registry)
        number = allocate(db.session, "surat_keluar", kode="470", on=dt.date(year, 12, 1),
                          actor=admin)
        db.session.commit()
        assert (number.sequence, number.number) == (301, f"470/0301/Kec.KB/{year}")
        lemari().search().drain()
        items = {item.key: item for item in checklist(
            db.session, lemari().registry, year=year,
            kecamatan_code=str(lemari().settings.get("KECAMATAN_CODE") or ""))}
        for key in ("register", "agenda_lama", "daftar_arsip"):
            assert items[key].selesai, items[key]
        assert "surat masuk 2019: 3 baris" in items["agenda_lama"].keterangan
        ktp = db.session.scalar(select(Record.id).where(
            Record.title == "Berkas permohonan KTP Desa Loleng"))
    # search finds the imported agenda line and the archive berkas by its old classification
    hits = search_ids(runner, "Gemilangjagad")
    with app.app_context():
        entry = db.session.get(Record, int(hits[0].split(":")[1]))
        assert entry.doctype == "agenda_lama" and entry.number == "470/215/Disdukcapil/2019"
        assert "Diimpor dari buku agenda" in entry.data["sumber"]
    assert search_ids(runner, "klasifikasi:471.13")[0] == f"record:{ktp}"
    # the Admin's checklist page shows the same
    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": DEMO_PASSWORD})
    page = client.get("/pindah/").get_data(as_text=True)
    assert "Buku agenda lama (surat masuk dan keluar) diimpor" in page
    assert "Lemari mulai 301" in page
