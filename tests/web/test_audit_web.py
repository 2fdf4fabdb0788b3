"""What the audit trail records through the real web and REST adapters: views of personal data,
subject-access exports, configuration and account changes, and the Auditor's CSV export."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from records.extensions import db
from records.models import AuditEvent, Penduduk
from records.services.audit import verify_chain
from records.services.setup import DEMO_PASSWORD

LOLENG = "64.02.08.2004"


def last_events(app, n=5):
    with app.app_context():
        return list(reversed(db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.id.desc()).limit(n)).all()))


def a_resident(app, desa=LOLENG) -> Penduduk:
    with app.app_context():
        return db.session.scalar(select(Penduduk).where(Penduduk.desa_code == desa).limit(1))


def test_opening_a_resident_is_audited_with_the_right_held(client, auth, app):
    person = a_resident(app)
    auth.login("petugas")
    assert client.get(f"/pendudukview/show/{person.id}").status_code == 200
    event = last_events(app, 1)[0]
    assert (event.actor, event.action, event.object_id) == ("petugas", "penduduk.view", str(person.id))
    assert event.detail == {"channel": "web", "full_nik": True}


def test_a_resident_outside_the_scope_is_404_and_not_audited_as_seen(client, auth, app):
    person = a_resident(app, desa="64.02.08.2005")
    auth.login("operator_loleng")
    assert client.get(f"/pendudukview/show/{person.id}").status_code == 404
    assert "penduduk.view" not in [e.action for e in last_events(app, 3)]


def token(client, username):
    return client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"}).get_json()["access_token"]


def test_api_reads_of_residents_are_audited(client, app):
    person = a_resident(app)
    headers = {"Authorization": f"Bearer {token(client, 'auditor')}"}
    item = client.get(f"/api/v1/penduduk/{person.id}", headers=headers)
    assert item.status_code == 200 and "●" in item.get_json()["result"]["nik"]  # masked
    page = client.get("/api/v1/penduduk/", headers=headers)
    assert page.status_code == 200
    view, listing = last_events(app, 2)
    assert (view.action, view.object_id, view.desa_code) == ("penduduk.view", str(person.id), LOLENG)
    assert view.detail == {"channel": "api", "full_nik": False}
    assert listing.action == "penduduk.list" and listing.detail["count"] == len(page.get_json()["result"])


def test_subject_access_export_holds_the_residents_data_and_is_audited(client, auth, app):
    person = a_resident(app)
    auth.login("petugas")
    client.get(f"/pendudukview/show/{person.id}")
    response = client.get(f"/pendudukview/ekspor/{person.id}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["penduduk"]["nik"] == person.nik and data["penduduk"]["nama"] == person.nama
    assert any(a["tindakan"] == "penduduk.view" for a in data["akses"])
    assert last_events(app, 1)[0].action == "penduduk.export_subjek"


def test_auditor_cannot_export_a_residents_full_data(client, auth, app):
    auth.login("auditor")
    assert client.get(f"/pendudukview/ekspor/{a_resident(app).id}").status_code == 403


def test_a_holiday_added_and_changed_on_screen_is_audited_with_its_change(client, auth, app):
    auth.login("admin")
    form = {"tanggal": "2026-12-24", "keterangan": "Cuti bersama Natal"}
    assert client.post("/hariliburview/add", data=form).status_code == 302
    event = last_events(app, 1)[0]
    assert (event.actor, event.action, event.object_type) == ("admin", "konfigurasi.create", "hari_libur")
    assert event.detail["changes"]["keterangan"] == [None, "Cuti bersama Natal"]
    form["keterangan"] = "Cuti bersama Hari Raya Natal"
    assert client.post("/hariliburview/edit/2026-12-24", data=form).status_code == 302
    event = last_events(app, 1)[0]
    assert event.action == "konfigurasi.update"
    assert event.detail["changes"] == {"keterangan": ["Cuti bersama Natal", "Cuti bersama Hari Raya Natal"]}


def test_logins_do_not_flood_the_trail_with_account_updates(client, auth, app):
    auth.login("camat")
    assert [e.action for e in last_events(app, 2)][-1] == "login.success"
    assert "akun.update" not in [e.action for e in last_events(app, 3)]


def test_an_account_given_a_new_role_is_audited_without_its_password(client, auth, app):
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username="humas")
        from records.services.audit import acting_user

        token_ = acting_user.set("admin")
        try:
            user.roles.append(sm.find_role("Auditor"))
            sm.update_user(user)
        finally:
            acting_user.reset(token_)
    event = last_events(app, 1)[0]
    assert (event.actor, event.action, event.object_type) == ("admin", "akun.update", "ab_user")
    assert event.detail["changes"]["roles"] == [[], ["Auditor"]]  # [removed, added]
    assert "password" not in event.detail["changes"]


def test_the_auditor_exports_a_filtered_csv_that_still_verifies(client, auth, app):
    auth.login("petugas")
    client.get(f"/pendudukview/show/{a_resident(app).id}")
    client.get("/logout/")
    auth.login("auditor")
    response = client.get("/auditview/ekspor.csv?pengguna=petugas&tindakan=penduduk.")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and {r["actor"] for r in rows} == {"petugas"}
    assert all(r["action"].startswith("penduduk.") for r in rows)
    assert last_events(app, 1)[0].action == "audit.export"
    assert client.get("/auditview/ekspor.csv?dari=bukan-tanggal").status_code == 422
    with app.app_context():
        assert verify_chain(db.session) is None


def test_csv_cells_cannot_become_spreadsheet_formulas(client, auth, app):
    from records.services.audit import record_event

    with app.app_context():
        record_event(db.session, '=HYPERLINK("http://x")', "test.formula", object_id="@SUM(A1)")
        db.session.commit()
    auth.login("auditor")
    body = client.get("/auditview/ekspor.csv?tindakan=test.").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["actor"].startswith("'=") and row["object_id"] == "'@SUM(A1)"
