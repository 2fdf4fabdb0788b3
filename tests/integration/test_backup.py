"""Backup → wipe → restore gives back every record and file, on SQLite and on PostgreSQL;
a tampered backup is refused before anything changes. Also: the real Huey consumer (SQLite
queue, threads) runs a queued OCR job, and re-queues jobs cut off by a crash."""

from __future__ import annotations

import shutil
import time

import pytest
from sqlalchemy import func, select

from archive.desk import archive_desk, close_archive_desk
from archive.models import Arsip, ArsipVersi, OcrJob
from archive.scan_samples import image_bytes, text_pdf
from archive.services import archiving
from conftest import build_app
from records.extensions import db, lemari
from records.models import Penduduk, Record, RecordFile


def _ingest(app, tmp_path, name, data, **values):
    from records.services.accounts import actor_for_username

    actor = actor_for_username("arsiparis", sm=app.appbuilder.sm, session=db.session,
                               registry=lemari().registry)
    path = tmp_path / f"in-{name}"
    path.write_bytes(data)
    return archiving.ingest_file(path, name, values, actor=actor, session=db.session,
                                 desk=archive_desk(app))


def _state(app) -> dict:
    with app.app_context():
        return {"records": db.session.scalar(select(func.count()).select_from(Record)),
                "residents": db.session.scalar(select(func.count()).select_from(Penduduk)),
                "files": sorted(db.session.scalars(select(RecordFile.sha256))),
                "titles": sorted(db.session.scalars(select(Record.title).where(
                    Record.doctype == "arsip_pindaian")))}


def _round_trip(app, tmp_path):
    with app.app_context():
        for n in range(3):
            assert _ingest(app, tmp_path, f"surat-{n}.pdf", text_pdf(100 + n),
                           judul=f"Surat cadangan {n}").status == "diimpor"
        blobs = archive_desk(app).blobs
    before = _state(app)
    runner = app.test_cli_runner()
    backup = tmp_path / "cadangan"
    made = runner.invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert (backup / "manifest-sha256.txt").is_file()
    refused = runner.invoke(args=["backup", str(backup)])
    assert refused.exit_code == 1 and "tidak kosong" in refused.output

    # wipe: every file and every scan record
    shutil.rmtree(blobs.root)
    with app.app_context():
        for model in (ArsipVersi, OcrJob, Arsip, RecordFile):
            db.session.execute(model.__table__.delete())
        db.session.commit()
    assert _state(app)["files"] == []

    restored = runner.invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _state(app) == before
    with app.app_context():
        assert all(blobs.verify(sha) for sha in before["files"])
        hits = lemari().search().search(__import__("search").Query(
            text="cadangan", principals=frozenset({"office"})))
        assert hits.total == 3
    return backup


def test_sqlite_round_trip(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    try:
        _round_trip(app, tmp_path)
    finally:
        close_archive_desk(app)
        app.extensions["lemari"].close()


@pytest.mark.postgres
def test_postgresql_round_trip(offices, pg_server, pg_office_template, tmp_path):
    home, template = pg_office_template
    app = offices.fresh(home, pg=(pg_server, template), SEARCH_BACKEND="postgres", JOBS_IMMEDIATE=True)
    _round_trip(app, tmp_path)


def test_tampered_backup_is_refused_and_nothing_changes(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    try:
        with app.app_context():
            _ingest(app, tmp_path, "a.pdf", text_pdf(200))
        runner = app.test_cli_runner()
        backup = tmp_path / "cadangan"
        assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
        with app.app_context():
            _ingest(app, tmp_path, "b.pdf", text_pdf(201))
        before = _state(app)
        database = (home / "lemari.db").read_bytes()
        blob = next(p for p in (backup / "archive").rglob("*") if p.is_file())
        blob.write_bytes(blob.read_bytes() + b"!")
        result = runner.invoke(args=["restore", str(backup), "--yes"])
        assert result.exit_code == 1 and "berubah" in result.output
        (backup / "tambahan.txt").write_text("x")
        assert "tidak tercatat" in runner.invoke(args=["restore", str(backup), "--yes"]).output
        assert _state(app) == before and (home / "lemari.db").read_bytes() == database
    finally:
        close_archive_desk(app)
        app.extensions["lemari"].close()


def _redis_url() -> str:
    """A Redis database for the queue test; skipped when none answers (Redis is optional)."""
    import os

    url = os.environ.get("LEMARI_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # no server, or the client library missing: Redis is optional
        pytest.skip(f"Redis tidak dapat dihubungi di {url}: {type(exc).__name__}")
    return url


@pytest.mark.slow
@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_queue_consumer_runs_ocr_in_threads_and_requeues(demo_home, tmp_path, queue):
    from records.jobs import jobs_of

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    # the default is SqliteHuey in HOME (no broker); JOBS_URL moves the queue to Redis
    app = build_app(home, **({"JOBS_URL": _redis_url()} if queue == "redis" else {}))
    try:
        with app.app_context():
            queued = _ingest(app, tmp_path, "scan.png", image_bytes(300, "PNG", lines=5))
            cut = _ingest(app, tmp_path, "scan2.png", image_bytes(301, "PNG", lines=5))
            job = db.session.get(OcrJob, cut.ocr_job_id)
            job.status = "berjalan"  # as if the power went off mid-OCR
            db.session.commit()
        assert (home / "jobs.db").is_file() == (queue == "sqlite")
        jobs_of(app).start(2)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with app.app_context():
                statuses = set(db.session.scalars(select(OcrJob.status)))
                db.session.remove()
            if statuses == {"selesai"}:
                break
            time.sleep(1)
        assert statuses == {"selesai"}
        with app.app_context():
            for result in (queued, cut):
                assert "KOTA BANGUN" in db.session.get(Arsip, result.record_id).teks.upper()
    finally:
        close_archive_desk(app)
        app.extensions["lemari"].close()


def test_backup_is_consistent_while_scans_are_being_written(demo_home, tmp_path):
    """Ingest in another thread during the backup: the snapshot is intact and every file it
    names is in the backup (files are written before the commits that name them)."""
    import sqlite3
    import threading

    from records.services.backup import verify_backup

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    stop = threading.Event()

    def writer():
        with app.app_context():
            n = 0
            while not stop.is_set() and n < 40:
                _ingest(app, tmp_path, f"w-{n}.pdf", text_pdf(500 + n))
                n += 1
            db.session.remove()

    try:
        with app.app_context():
            _ingest(app, tmp_path, "first.pdf", text_pdf(499))
        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(0.5)
        made = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "cadangan")])
        stop.set()
        thread.join(60)
        assert made.exit_code == 0, made.output
        verify_backup(tmp_path / "cadangan")
        snapshot = sqlite3.connect(tmp_path / "cadangan" / "database.sqlite")
        assert snapshot.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        shas = [row[0] for row in snapshot.execute("SELECT sha256 FROM record_file")]
        snapshot.close()
        assert shas and all((tmp_path / "cadangan" / "archive" / s[:2] / s).is_file() for s in shas)
    finally:
        stop.set()
        close_archive_desk(app)
        app.extensions["lemari"].close()
