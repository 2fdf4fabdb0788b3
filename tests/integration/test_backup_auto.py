"""Automatic encrypted backups (issue 21): the Admin sets a passphrase and two targets once; a
week and more of simulated days gives rotated, encrypted generations in which no NIK, secret
key or private key can be read; a drill restores the newest and passes; a wrong passphrase or a
changed byte is refused with nothing replaced; missing, unplugged, full and foreign targets are
refused with the earlier generations untouched; a backup killed mid-write (a real process,
SIGKILL) is never counted and the earlier generations still restore."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.desk import archive_desk, close_archive_desk
from archive.scan_samples import text_pdf
from archive.services import archiving
from conftest import build_app
from records.extensions import db, lemari
from records.models import Keluarga, Penduduk, Record, RecordFile
from records.models.backup import BackupRun
from records.services import backup_targets as bt
from records.services.clock import frozen

PASSPHRASE = "lemari besi kantor kota bangun 2026"
WITA = dt.timezone(dt.timedelta(hours=8))


def _at(day: dt.date, hour: int = 17, minute: int = 30) -> dt.datetime:
    """Office time (WITA) as aware UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), WITA).astimezone(dt.UTC)


def _ingest(app, tmp_path, name, data, **values):
    from records.services.accounts import actor_for_username

    with app.app_context():
        actor = actor_for_username("arsiparis", sm=app.appbuilder.sm, session=db.session,
                                   registry=lemari().registry)
        path = tmp_path / f"in-{name}"
        path.write_bytes(data)
        result = archiving.ingest_file(path, name, values, actor=actor, session=db.session,
                                       desk=archive_desk(app))
        assert result.status == "diimpor"


@pytest.fixture
def office(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    app = build_app(home, JOBS_IMMEDIATE=True)
    yield app, home
    close_archive_desk(app)
    app.extensions["lemari"].close()


def _set_up(app, tmp_path, runner) -> tuple[Path, Path]:
    """What the Admin does once: a passphrase and two targets (one an external drive with a
    label file, one a mounted share)."""
    usb, share = tmp_path / "media-usb", tmp_path / "pc-arsip"
    usb.mkdir()
    share.mkdir()
    (usb / "LEMARI-LABEL").write_text("CADANGAN-KOTABANGUN\n")
    done = runner.invoke(args=["backup", "passphrase"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert done.exit_code == 0, done.output
    assert "KERTAS" in done.output
    assert runner.invoke(args=["backup", "target", "add", "usb", str(usb),
                               "--label", "CADANGAN-KOTABANGUN"]).exit_code == 0
    assert runner.invoke(args=["backup", "target", "add", "share", str(share)]).exit_code == 0
    return usb, share


def _run(runner, when: dt.datetime, *args):
    with frozen(when):
        return runner.invoke(args=["backup", "run", *args])


def _secrets(app, home: Path) -> list[bytes]:
    """What must never be readable on a target: every demo NIK and No. KK, the secret key, the
    private keys' material."""
    with app.app_context():
        niks = set(db.session.scalars(select(Penduduk.nik))) | set(db.session.scalars(select(Keluarga.no_kk)))
    found = [n.encode() for n in niks]
    found.append((home / "secret_key").read_bytes().strip())
    for key in (home / "pki").rglob("*key*"):
        body = [line for line in key.read_text().splitlines() if line and not line.startswith("-----")]
        found += [line.encode() for line in body if len(line) > 20]
    assert len(found) > 100
    return found


def _target_bytes(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_a_week_of_days_gives_rotated_encrypted_generations_and_a_drill_passes(office, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "surat-0.pdf", text_pdf(300), judul="Surat rahasia nol")
    usb, share = _set_up(app, tmp_path, runner)
    first = dt.date(2026, 11, 20)  # Friday of ISO week 47; then Nov 23-29 is week 48
    for offset in range(10):
        day = first + dt.timedelta(days=offset)
        if offset == 3:
            _ingest(app, tmp_path, "surat-1.pdf", text_pdf(301), judul="Surat rahasia satu")
        result = _run(runner, _at(day))
        assert result.exit_code == 0, result.output
        assert result.output.count("[OK]") == 2

    with app.app_context():
        runs = list(db.session.scalars(select(BackupRun).where(BackupRun.target_nama == "usb")
                                       .order_by(BackupRun.id)))
        shas = set(db.session.scalars(select(RecordFile.sha256)))
    assert [r.status for r in runs] == ["berhasil"] * 10
    assert runs[0].berkas_baru >= 1 and runs[3].berkas_baru >= 1  # only new files are copied
    assert all(r.berkas_baru == 0 for i, r in enumerate(runs) if i not in (0, 3))
    for folder in (usb, share):
        target = bt.FolderTarget(path=folder)
        names = [g.name for g in bt.generations(target)]
        # the newest of each of the last 7 days (Nov 23-29), plus Sunday Nov 22 as week 47's
        assert [n[:8] for n in names] == [f"202611{d}" for d in range(22, 30)], names
        objects = list(target.objects())
        assert len(objects) == len(shas)  # every file once, whatever the number of generations
        assert not any(sha in p.name for p in objects for sha in shas)  # names leak no hash
        data = _target_bytes(folder)
        for secret in _secrets(app, home):
            assert secret not in data, secret[:20]
        assert b"SQLite format 3" not in data and b"%PDF" not in data
        assert b"Surat rahasia" not in data

    drill = runner.invoke(args=["backup", "drill"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert drill.exit_code == 0, drill.output
    assert "log audit utuh" in drill.output
    with frozen(_at(dt.date(2026, 11, 29), 18)):
        status = runner.invoke(args=["backup", "status"])
        assert status.exit_code == 0, status.output
        doctor = runner.invoke(args=["doctor"])
    assert "[OK] cadangan" in doctor.output


def test_restore_asks_for_the_passphrase_and_refuses_a_wrong_one_or_a_changed_byte(office, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(400), judul="Surat pulih")
    usb, _share = _set_up(app, tmp_path, runner)
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    _ingest(app, tmp_path, "b.pdf", text_pdf(401), judul="Surat sesudah cadangan")
    database = (home / "lemari.db").read_bytes()

    wrong = runner.invoke(args=["restore", str(usb), "--yes"],
                          env={"LEMARI_BACKUP_PASSPHRASE": "bukan frasa ini"})
    assert wrong.exit_code == 1 and "Frasa sandi cadangan salah" in wrong.output
    assert (home / "lemari.db").read_bytes() == database

    obj = next(bt.FolderTarget(path=usb).objects())
    original = obj.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 1
    obj.write_bytes(bytes(changed))
    tampered = runner.invoke(args=["restore", str(usb), "--yes"],
                             env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert tampered.exit_code == 1 and "rusak atau diubah" in tampered.output
    assert (home / "lemari.db").read_bytes() == database
    assert not (home / "cadangan" / "pulih").exists()  # no plaintext left behind
    obj.write_bytes(original)

    done = runner.invoke(args=["restore", str(usb), "--yes"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert done.exit_code == 0, done.output
    with app.app_context():
        titles = set(db.session.scalars(select(Record.title).where(Record.doctype == "arsip_pindaian")))
    assert "Surat pulih" in titles and "Surat sesudah cadangan" not in titles


def test_missing_unplugged_full_and_foreign_targets_fail_clearly_and_keep_generations(office, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(500))
    usb, share = _set_up(app, tmp_path, runner)
    missing = runner.invoke(args=["backup", "target", "add", "x", str(tmp_path / "tidak-ada")])
    assert missing.exit_code == 1 and "tidak ada" in missing.output
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    before = [g.name for g in bt.generations(bt.FolderTarget(path=usb))]

    # the drive is unplugged: its mount point is an empty folder without the label file
    shutil.move(usb, tmp_path / "dicabut")
    usb.mkdir()
    result = _run(runner, _at(dt.date(2026, 12, 2)))
    assert result.exit_code == 1
    assert "[GAGAL] usb" in result.output and "tidak terpasang" in result.output
    assert "[OK] share" in result.output
    assert not any(usb.iterdir())  # nothing written onto the empty mount point
    with app.app_context(), frozen(_at(dt.date(2026, 12, 2), 18)):
        problems = bt.status(db.session, home=home, settings=lemari().settings).problems
        assert any("usb gagal" in p for p in problems)
        doctor = runner.invoke(args=["doctor"])
        assert doctor.exit_code == 1 and "[GAGAL] cadangan" in doctor.output
        client = app.test_client()
        client.post("/login/", data={"username": "camat", "password": "Demo#KotaBangun2026"})
        page = client.get("/").get_data(as_text=True)
        assert "Cadangan bermasalah" in page and "tidak terpasang" in page
    usb.rmdir()
    shutil.move(tmp_path / "dicabut", usb)

    # full: a backup that would leave less than the reserve is refused before writing
    app.extensions["lemari"].settings["BACKUP_RESERVE_MB"] = 10**9
    full = _run(runner, _at(dt.date(2026, 12, 3)))
    assert full.exit_code == 1 and "hampir penuh" in full.output
    app.extensions["lemari"].settings["BACKUP_RESERVE_MB"] = 8
    assert [g.name for g in bt.generations(bt.FolderTarget(path=usb))] == before

    # another office's target is refused, nothing written
    other = tmp_path / "kantor-lain"
    (other / "lemari-cadangan").mkdir(parents=True)
    (other / "lemari-cadangan" / "KANTOR.json").write_text(json.dumps({"kantor": "lain"}))
    assert runner.invoke(args=["backup", "target", "add", "lain", str(other)]).exit_code == 0
    foreign = _run(runner, _at(dt.date(2026, 12, 4)))
    assert "kantor lain" in foreign.output and foreign.exit_code == 1
    assert sorted(p.name for p in (other / "lemari-cadangan").iterdir()) == ["KANTOR.json"]


CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from conftest import build_app
    from records.services import backup_targets as bt
    from records.services.clock import frozen
    import datetime as dt

    original = bt.FolderTarget.write_stream

    def dying(self, rel, writer):
        if rel.endswith("basisdata.enc"):
            def half(fh):
                fh.write(b"LEMARI-CADANGAN-1\\n" + os.urandom(4096))
                fh.raw.flush(); os.fsync(fh.raw.fileno())
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, rel, half)
        return original(self, rel, writer)

    bt.FolderTarget.write_stream = dying
    app = build_app({home!r}, JOBS_IMMEDIATE=True)
    with frozen(dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)):
        app.test_cli_runner().invoke(args=["backup", "run"])
    print("not killed")
""")


def test_a_backup_killed_mid_write_is_not_counted_and_earlier_generations_restore(office, tmp_path):
    app, home = office
    runner = app.test_cli_runner()
    _ingest(app, tmp_path, "a.pdf", text_pdf(600))
    _usb, share = _set_up(app, tmp_path, runner)  # targets run in name order: share first
    assert _run(runner, _at(dt.date(2026, 12, 1))).exit_code == 0
    _ingest(app, tmp_path, "b.pdf", text_pdf(601))  # the killed run has a new file to copy
    before = [g.name for g in bt.generations(bt.FolderTarget(path=share))]

    script = CHILD.format(tests=str(Path(__file__).resolve().parents[1]), home=str(home))
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "LEMARI_LOG_LEVEL": "WARNING"})
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr

    target = bt.FolderTarget(path=share)
    assert [g.name for g in bt.generations(target)] == before  # the half one does not count
    cut = share / "lemari-cadangan" / "generasi" / "20261202T093000Z"
    assert (cut / "basisdata.enc.tmp").is_file() and not (cut / "SELESAI.json").exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BackupRun)
                                 .where(BackupRun.status == "berjalan")) == 2
        with frozen(_at(dt.date(2026, 12, 2), 18)):
            problems = bt.status(db.session, home=home, settings=lemari().settings).problems
        assert any("terputus" in p for p in problems), problems
    opened = bt.open_generation(target, tmp_path / "cek", passphrase=PASSPHRASE)
    assert opened.generation == before[-1]

    after = _run(runner, _at(dt.date(2026, 12, 3)))
    assert after.exit_code == 0, after.output
    names = [g.name for g in bt.generations(target)]
    assert names[:-1] == before and len(names) == 2
    assert not cut.exists()  # cleaned by the next run
    assert not list((share / "lemari-cadangan").rglob("*.tmp"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BackupRun)
                                 .where(BackupRun.status == "berjalan")) == 0


def test_jobs_schedule_backups_and_drills_and_the_upgrade_and_ups_hooks_back_up(office, tmp_path):
    from records import backup_desk
    from records.jobs import jobs_of

    app, home = office
    runner = app.test_cli_runner()
    jobs = jobs_of(app)
    assert {"backup", "backup_drill", "backup_now"} <= set(jobs.tasks)
    with app.app_context():  # not set up yet: nothing to do, nothing fails
        assert backup_desk.before_upgrade(app, ["9999"]) is None
    usb, share = _set_up(app, tmp_path, runner)

    with frozen(_at(dt.date(2026, 12, 1))):
        jobs.enqueue("backup_now", "ups")  # what the UPS monitor will call
    with frozen(_at(dt.date(2026, 12, 2))), app.app_context():
        line = backup_desk.before_upgrade(app, ["9999"])
    assert line and "usb" in line and "share" in line
    with app.app_context():
        triggers = sorted(db.session.scalars(select(BackupRun.pemicu).where(BackupRun.status == "berhasil")))
    assert triggers == ["pembaruan", "pembaruan", "ups", "ups"]

    # every target unreachable: the upgrade is refused with the reason
    shutil.rmtree(usb)
    shutil.rmtree(share)
    with frozen(_at(dt.date(2026, 12, 3))), app.app_context():
        with pytest.raises(bt.BackupError, match="sebelum pembaruan gagal"):
            backup_desk.before_upgrade(app, ["9999"])

    # the scheduled drill without a passphrase on the server is a failed drill, said clearly
    usb.mkdir()
    (usb / "LEMARI-LABEL").write_text("CADANGAN-KOTABANGUN")
    with app.app_context():
        run = backup_desk.drill(app)
        assert run.status == "gagal" and "Tidak ada generasi" in run.pesan
    assert _run(runner, _at(dt.date(2026, 12, 4))).exit_code == 1  # share is still gone
    with app.app_context():
        run = backup_desk.drill(app)
        assert run.status == "gagal" and "BACKUP_PASSPHRASE_FILE" in run.pesan
        passphrase_file = home / "frasa.txt"
        passphrase_file.write_text(PASSPHRASE)
        app.extensions["lemari"].settings["BACKUP_PASSPHRASE_FILE"] = str(passphrase_file)
        with frozen(_at(dt.date(2026, 12, 4), 18)):
            run = backup_desk.drill(app)
        assert run.status == "berhasil", run.pesan


@pytest.mark.postgres
def test_postgresql_office_backs_up_encrypted_drills_and_restores(offices, pg_server, pg_office_template,
                                                                  tmp_path):
    home, template = pg_office_template
    app = offices.fresh(home, pg=(pg_server, template), SEARCH_BACKEND="postgres", JOBS_IMMEDIATE=True)
    runner = app.test_cli_runner()
    usb, _share = _set_up(app, tmp_path, runner)
    with app.app_context():
        residents = db.session.scalar(select(func.count()).select_from(Penduduk))
    made = _run(runner, _at(dt.date(2026, 12, 1)))
    assert made.exit_code == 0, made.output
    assert b"PGDMP" not in _target_bytes(usb)
    drill = runner.invoke(args=["backup", "drill"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert drill.exit_code == 0 and "basis data sementara" in drill.output, drill.output
    with app.app_context():
        db.session.execute(Penduduk.__table__.delete().where(Penduduk.id.in_(
            select(Penduduk.id).limit(5).scalar_subquery())))
        db.session.commit()
    done = runner.invoke(args=["restore", str(usb), "--yes"], env={"LEMARI_BACKUP_PASSPHRASE": PASSPHRASE})
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Penduduk)) == residents
