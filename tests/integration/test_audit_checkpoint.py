"""The audit chain's head is checkpointed outside the database (issue: privacy and security,
item 4).

The attack: deleting the newest audit entry, or the newest 15, left a chain that still linked
up from the first entry, so `lemari audit verify` said "Log audit utuh". Now the head (last id,
hash, number of entries) is written to a dated checkpoint file signed with the office's
signing key, daily and on demand, and into every backup; a chain that ends before a checkpoint
is reported as truncated, naming how many entries are missing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from records.extensions import db
from records.models import AuditEvent
from records.services.audit import record_event

FOLDER = "titik_periksa_audit"


def add_entries(app, count: int, action: str = "test.entri") -> None:
    with app.app_context():
        for i in range(count):
            record_event(db.session, "petugas", action, detail={"i": i})
        db.session.commit()


def cut_tail(app, count: int) -> None:
    """What someone with write access to the database does: drop the newest entries."""
    with app.app_context():
        newest = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())
                                    .limit(count)).all()
        db.session.execute(delete(AuditEvent).where(AuditEvent.id.in_(newest)))
        db.session.commit()


def audit(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


def checkpoints(app) -> list[Path]:
    return sorted((Path(app.config["HOME"]) / FOLDER).glob("*.json"))


@pytest.mark.parametrize("cut", [1, 15])
def test_a_cut_tail_is_reported_as_truncated(app, cut):
    add_entries(app, 20)
    made = audit(app, "checkpoint")
    assert made.exit_code == 0, made.output
    cut_tail(app, cut)
    result = audit(app, "verify")
    assert result.exit_code == 1, result.output
    assert "terpotong" in result.output and f"{cut} entri" in result.output
    assert "utuh" not in result.output


def test_entries_after_the_checkpoint_keep_the_trail_whole(app):
    add_entries(app, 3)
    assert audit(app, "checkpoint").exit_code == 0
    add_entries(app, 5)
    result = audit(app, "verify")
    assert result.exit_code == 0 and "Log audit utuh" in result.output


def test_a_cut_tail_hidden_under_new_entries_is_still_found(app):
    add_entries(app, 10)
    assert audit(app, "checkpoint").exit_code == 0
    cut_tail(app, 6)
    add_entries(app, 2, "test.sesudah")  # the chain links up again, and grows past its old length
    result = audit(app, "verify")
    assert result.exit_code == 1 and "terpotong" in result.output and "6 entri" in result.output


def rewrite_chain(app, edit_id: int) -> None:
    """Edit one entry and recompute every hash after it: the chain is whole again, only a
    record of its old head outside the database can tell."""
    from records.services.audit import GENESIS, _entry_hash

    with app.app_context():
        prev = GENESIS
        for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            if event.id == edit_id:
                event.actor = "orang_lain"
            fields = {"at": event.at.isoformat(timespec="microseconds"), "actor": event.actor,
                      "action": event.action, "object_type": event.object_type,
                      "object_id": event.object_id, "desa_code": event.desa_code,
                      "detail": event.detail}
            event.prev_hash, event.hash = prev, _entry_hash(prev, fields)
            prev = event.hash
        db.session.commit()


def test_a_rewritten_chain_does_not_match_the_checkpoint(app):
    add_entries(app, 5)
    assert audit(app, "checkpoint").exit_code == 0
    with app.app_context():
        middle = db.session.scalar(select(func.max(AuditEvent.id))) - 2
    rewrite_chain(app, middle)
    result = audit(app, "verify")
    assert result.exit_code == 1 and "tidak cocok" in result.output


def test_a_checkpoint_edited_without_the_key_is_refused(app):
    add_entries(app, 5)
    assert audit(app, "checkpoint").exit_code == 0
    [path] = checkpoints(app)
    body = json.loads(path.read_text(encoding="utf-8"))
    body["head"]["count"] -= 3  # pretend the chain was shorter, to hide a cut
    path.write_text(json.dumps(body), encoding="utf-8")
    result = audit(app, "verify")
    assert result.exit_code == 1 and "tanda tangan" in result.output


def test_the_checkpoint_is_dated_and_verifies_with_the_office_certificate(app):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from records.desk import signing_config

    add_entries(app, 2)
    assert audit(app, "checkpoint").exit_code == 0
    [path] = checkpoints(app)
    assert dt.date.fromisoformat(path.stem)  # one file per day, named by its date
    body = json.loads(path.read_text(encoding="utf-8"))
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        total = db.session.scalar(select(func.count()).select_from(AuditEvent))
        cert = x509.load_pem_x509_certificate(signing_config(app.extensions["lemari"].settings)
                                              .cert_path.read_bytes())
    assert body["head"]["id"] == last.id and body["head"]["hash"] == last.hash
    assert body["head"]["count"] == total
    signed = json.dumps(body["head"], sort_keys=True, separators=(",", ":")).encode()
    cert.public_key().verify(bytes.fromhex(body["signature"]), signed, ec.ECDSA(hashes.SHA256()))


def test_no_checkpoint_is_written_over_a_cut_chain(app):
    add_entries(app, 6)
    assert audit(app, "checkpoint").exit_code == 0
    [path] = checkpoints(app)
    before = path.read_bytes()
    cut_tail(app, 4)
    refused = audit(app, "checkpoint")
    assert refused.exit_code == 1 and "terpotong" in refused.output
    assert path.read_bytes() == before


def test_every_backup_carries_the_head_and_finds_a_later_cut(app, tmp_path):
    import shutil

    add_entries(app, 8)
    made = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "cadangan")])
    assert made.exit_code == 0, made.output
    info = json.loads((tmp_path / "cadangan" / "lemari-backup.json").read_text(encoding="utf-8"))
    manifest = (tmp_path / "cadangan" / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert "audit-titik-periksa.json" in manifest
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert info["audit"]["id"] == last.id and info["audit"]["hash"] == last.hash
    cut_tail(app, 3)
    shutil.rmtree(Path(app.config["HOME"]) / FOLDER, ignore_errors=True)  # local copies gone too
    result = audit(app, "verify", "--titik", str(tmp_path / "cadangan"))
    assert result.exit_code == 1 and "terpotong" in result.output and "3 entri" in result.output


def test_the_daily_job_writes_todays_checkpoint(app):
    from records.jobs import jobs_of

    add_entries(app, 2)
    jobs = jobs_of(app)
    settings = app.extensions["lemari"].settings
    at = dt.datetime(2026, 12, 1, settings["AUDIT_CHECKPOINT_HOUR"], settings["AUDIT_CHECKPOINT_MINUTE"])
    assert "audit_checkpoint" in {task.name for task in jobs.huey.read_periodic(at)}
    jobs.tasks["audit_checkpoint"].call_local()
    [path] = checkpoints(app)
    assert json.loads(path.read_text(encoding="utf-8"))["head"]["count"] > 0
    assert audit(app, "verify").exit_code == 0


def test_a_cut_after_a_backup_is_found_without_naming_the_backup(app, tmp_path):
    """The plain attack on today's trail: a backup was taken, the newest entries are deleted,
    and `lemari audit verify` must not say "utuh" (the backup left a checkpoint behind)."""
    add_entries(app, 4)
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "cadangan")]).exit_code == 0
    cut_tail(app, 1)
    result = audit(app, "verify")
    assert "Log audit utuh" not in result.output
    assert result.exit_code == 1 and "1 entri" in result.output


def test_a_restore_sets_newer_checkpoints_aside_and_says_what_was_lost(demo_home, tmp_path):
    """Restoring an older backup loses the entries written since, which is true and said: the
    newer checkpoints are kept aside, and the restored trail verifies again."""
    import shutil

    from conftest import build_app

    shutil.copytree(demo_home, tmp_path / "home")
    app = build_app(tmp_path / "home")
    try:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["backup", str(tmp_path / "cadangan")]).exit_code == 0
        add_entries(app, 7)
        assert audit(app, "checkpoint").exit_code == 0
        restored = runner.invoke(args=["restore", str(tmp_path / "cadangan"), "--yes"])
        assert restored.exit_code == 0, restored.output
        assert "tidak memuat 7 entri" in restored.output
        assert list((Path(app.config["HOME"]) / FOLDER).glob("sebelum-pemulihan-*/*.json"))
        result = audit(app, "verify")
        assert result.exit_code == 0 and "Log audit utuh" in result.output
    finally:
        app.extensions["lemari"].close()
