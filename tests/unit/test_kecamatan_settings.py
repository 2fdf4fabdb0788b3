"""A kecamatan's settings in a kabupaten deployment (records.settings, records.tenancy): what is
one office's never comes from the kabupaten's config.py or environment."""

from __future__ import annotations

from records.settings import load_config
from records.tenancy import Kecamatan, tenant_config

PG = "postgresql+psycopg://lemari@db.kab.invalid:5432/kukar"
KB = Kecamatan("kotabangun", "Kota Bangun", "64.02.08")


def kecamatan_settings(kabupaten, environ=None):
    base = load_config({"HOME": str(kabupaten), "DATABASE_URL": PG}, environ=environ or {})
    return base, load_config(tenant_config(base, KB), environ=environ or {})


def test_a_kabupaten_secret_key_folder_or_certificate_never_reaches_a_kecamatan(tmp_path, monkeypatch):
    kabupaten = tmp_path / "kab"
    kabupaten.mkdir()
    (kabupaten / "config.py").write_text(
        'SECRET_KEY = "satu-untuk-semua"\nARCHIVE_DIR = "/srv/arsip-bersama"\n'
        'AUDIT_CHECKPOINT_DIR = "/srv/titik"\nSIGNING_CERT = "/srv/camat.pem"\n'
        'JOBS_URL = "/srv/jobs.db"\nKABUPATEN = "Kabupaten Kutai Kartanegara"\n', encoding="utf-8")
    monkeypatch.setenv("LEMARI_HOME", str(kabupaten))  # as a node runs: the kabupaten's folder
    environ = {"LEMARI_HOME": str(kabupaten), "LEMARI_UPS_BACKUP_DIR": "/srv/ups"}
    base, kecamatan = kecamatan_settings(kabupaten, environ)
    assert base["SECRET_KEY"] == "satu-untuk-semua" and base["ARCHIVE_DIR"] == "/srv/arsip-bersama"
    assert kecamatan["SECRET_KEY"] != base["SECRET_KEY"]  # its own, from its own folder
    assert (kabupaten / "kecamatan" / "kotabangun" / "secret_key").read_text() == kecamatan["SECRET_KEY"]
    for key in ("ARCHIVE_DIR", "AUDIT_CHECKPOINT_DIR", "SIGNING_CERT", "JOBS_URL", "UPS_BACKUP_DIR"):
        assert kecamatan[key] == "", key
    assert kecamatan["KABUPATEN"] == "Kabupaten Kutai Kartanegara"  # the rest is the kabupaten's
    assert "search_path%3Dkec_kotabangun" in kecamatan["SQLALCHEMY_DATABASE_URI"]


def test_a_kecamatans_own_config_sets_its_certificate_and_a_redis_queue_is_shared(tmp_path, monkeypatch):
    kabupaten = tmp_path / "kab"
    (kabupaten / "kecamatan" / "kotabangun").mkdir(parents=True)
    (kabupaten / "config.py").write_text('JOBS_URL = "redis://127.0.0.1:6379/0"\n', encoding="utf-8")
    (kabupaten / "kecamatan" / "kotabangun" / "config.py").write_text(
        'SIGNING_CERT = "/srv/kotabangun/camat.pem"\nOFFICE_PHONE = "0541-1234"\n', encoding="utf-8")
    monkeypatch.setenv("LEMARI_HOME", str(kabupaten))
    _base, kecamatan = kecamatan_settings(kabupaten, {"LEMARI_HOME": str(kabupaten)})
    assert kecamatan["SIGNING_CERT"] == "/srv/kotabangun/camat.pem"
    assert kecamatan["OFFICE_PHONE"] == "0541-1234"
    assert kecamatan["JOBS_URL"] == "redis://127.0.0.1:6379/0"
    assert kecamatan["DATABASE_URL"].startswith(PG)  # its own config.py cannot move it elsewhere
