"""Requests that cannot go wrong (issue 14): requirements must be ticked before verification
(service, so web, REST and CLI refuse alike), the promised date counts from the complete file,
one request per form token or Idempotency-Key, an open request for the same resident and
service warns, and an invitation to a past event is refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from records.calendar_id import add_working_days
from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.models import HariLibur, IdempotencyKey, Penduduk, Record
from records.services.accounts import actor_for_username
from records.services.issuing import advance
from records.services.records import create_record
from records.services.requests import DuplicateRequestError, take_request, update_requirements
from records.services.setup import DEMO_PASSWORD

LOLENG = "64.02.08.2004"
ALL = ["Surat pengantar dari desa", "Fotokopi KTP-el", "Fotokopi Kartu Keluarga"]


def who(app, username):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def resident(app) -> Penduduk:
    return db.session.scalar(select(Penduduk).where(Penduduk.desa_code == LOLENG))


def records_count() -> int:
    return db.session.scalar(select(func.count(Record.id)))


def login_as(client, username):
    client.get("/logout/")
    response = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "/login" not in response.location


def test_verification_refused_until_every_requirement_is_ticked(app):
    with app.app_context():
        ext = lemari()
        record = take_request("sk_domisili", penduduk_id=resident(app).id, received=[],
                              values={"keperluan": "Uji"}, actor=who(app, "petugas"),
                              session=db.session, desk=ext.desk())
        assert record.promised_date is None  # nothing complete, nothing promised
        with pytest.raises(ValidationError) as refused:
            advance(record.id, "verifikasi", actor=who(app, "petugas"), session=db.session,
                    registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
        db.session.rollback()
        assert "Berkas belum lengkap: 3 dari 3" in str(refused.value)
        assert db.session.get(Record, record.id).state == "diajukan"

        partly = update_requirements(record.id, received=ALL[:2], actor=who(app, "petugas"),
                                     session=db.session, registry=ext.registry,
                                     today=dt.date(2026, 12, 4))
        assert partly.promised_date is None
        # completed on Friday 4 December 2026: the 1-day service counts from that day
        done = update_requirements(record.id, received=ALL, actor=who(app, "petugas"),
                                   session=db.session, registry=ext.registry,
                                   today=dt.date(2026, 12, 4))
        holidays = set(db.session.scalars(select(HariLibur.tanggal)))
        assert done.promised_date == add_working_days(dt.date(2026, 12, 4), 1, holidays)
        assert done.promised_date.weekday() < 5
        assert done.data["berkas_lengkap"] == "2026-12-04"
        assert advance(record.id, "verifikasi", actor=who(app, "petugas"), session=db.session,
                       registry=ext.registry, pm=ext.pm, desk_factory=ext.desk) == "diverifikasi"
        with pytest.raises(ValidationError, match="sebelum berkas diverifikasi"):
            update_requirements(record.id, received=[], actor=who(app, "petugas"),
                                session=db.session, registry=ext.registry,
                                today=dt.date(2026, 12, 4))


def test_same_key_returns_the_first_request_and_a_duplicate_needs_confirmation(app):
    with app.app_context():
        ext, person = lemari(), resident(app).id

        def take(**extra):
            return take_request("sk_domisili", penduduk_id=person, received=ALL,
                                values={"keperluan": "Uji"}, actor=who(app, "petugas"),
                                session=db.session, desk=ext.desk(), **extra)

        first = take(idempotency_key="kunci-formulir-0001")
        before = records_count()
        again = take(idempotency_key="kunci-formulir-0001")
        assert again.id == first.id and records_count() == before
        with pytest.raises(DuplicateRequestError) as duplicate:
            take(idempotency_key="kunci-formulir-0002")
        db.session.rollback()
        assert [r.id for r in duplicate.value.existing] == [first.id]
        assert first.tracking_code in str(duplicate.value)
        assert records_count() == before
        assert db.session.get(IdempotencyKey, "kunci-formulir-0002") is None  # nothing saved
        second = take(idempotency_key="kunci-formulir-0002", duplicate_ok=True)
        assert second.id != first.id
        with pytest.raises(ValidationError, match="pengguna lain"):
            take_request("sk_domisili", penduduk_id=person, received=ALL, values={"keperluan": "x"},
                         actor=who(app, "camat"), session=db.session, desk=ext.desk(),
                         idempotency_key="kunci-formulir-0001")
        db.session.rollback()
        with pytest.raises(ValidationError, match="Kunci idempotensi tidak sah"):
            take(idempotency_key="pendek")


def test_an_invitation_to_a_past_event_is_refused(app):
    with app.app_context():
        ext = lemari()
        yesterday = ext.desk().today() - dt.timedelta(days=1)
        values = {"sifat": "Biasa", "hal": "Rapat", "tujuan": "Kepala Desa", "tempat_tujuan": "Tempat",
                  "tanggal_acara": yesterday.isoformat(), "waktu": "09.00 WITA", "tempat": "Aula",
                  "acara": "Rapat koordinasi"}
        before = records_count()
        with pytest.raises(ValidationError) as refused:
            create_record("surat_undangan", values, penduduk_id=None, actor=who(app, "camat"),
                          session=db.session, registry=ext.registry, policy=ext.settings)
        db.session.rollback()
        assert "sudah lewat" in refused.value.errors["tanggal_acara"]
        assert records_count() == before
        values["tanggal_acara"] = ext.desk().today().isoformat()
        assert create_record("surat_undangan", values, penduduk_id=None, actor=who(app, "camat"),
                             session=db.session, registry=ext.registry, policy=ext.settings).id


def test_web_back_and_resubmit_returns_the_first_request(app, client):
    login_as(client, "petugas")
    with app.app_context():
        nik = resident(app).nik
    form = client.get("/dokumen/permohonan/sk_domisili").get_data(as_text=True)
    token = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    data = {"nik": nik, "persyaratan": ALL, "keperluan": "Uji", "idempotency_key": token}
    first = client.post("/dokumen/permohonan/sk_domisili", data=data)
    again = client.post("/dokumen/permohonan/sk_domisili", data=data)
    assert first.status_code == again.status_code == 302
    assert first.location == again.location
    # a fresh form for the same resident and service warns and links to the open request
    token2 = re.search(r'name="idempotency_key" value="([^"]+)"',
                       client.get("/dokumen/permohonan/sk_domisili").get_data(as_text=True)).group(1)
    warned = client.post("/dokumen/permohonan/sk_domisili", data={**data, "idempotency_key": token2})
    page = warned.get_data(as_text=True)
    assert warned.status_code == 422 and "permohonan terbuka" in page and first.location in page
    assert 'name="tetap_buat"' in page
    confirmed = client.post("/dokumen/permohonan/sk_domisili",
                            data={**data, "idempotency_key": token2, "tetap_buat": "1"})
    assert confirmed.status_code == 302 and confirmed.location != first.location


def test_web_verification_of_an_incomplete_file_is_refused_then_ticked(app, client):
    login_as(client, "petugas")
    with app.app_context():
        nik = resident(app).nik
    taken = client.post("/dokumen/permohonan/sk_domisili",
                        data={"nik": nik, "persyaratan": ALL[:1], "keperluan": "Uji"})
    record_path = taken.location
    record_id = int(record_path.rsplit("/", 1)[1])
    refused = client.post(f"/dokumen/{record_id}/langkah/verifikasi", follow_redirects=True)
    assert "Berkas belum lengkap: 2 dari 3" in refused.get_data(as_text=True)
    page = client.get(f"/dokumen/{record_id}").get_data(as_text=True)
    assert "dihitung sejak berkas lengkap" in page and 'id="centang-persyaratan"' in page
    ticked = client.post(f"/dokumen/{record_id}/persyaratan", data={"persyaratan": ALL},
                         follow_redirects=True)
    assert "Berkas lengkap" in ticked.get_data(as_text=True)
    done = client.post(f"/dokumen/{record_id}/langkah/verifikasi", follow_redirects=True)
    assert "Status dokumen diperbarui" in done.get_data(as_text=True)


def test_rest_idempotency_key_header(app, client):
    token = client.post("/api/v1/security/login", json={
        "username": "camat", "password": DEMO_PASSWORD, "provider": "db"}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}", "Idempotency-Key": "rest-kunci-0001"}
    body = {"doctype": "surat_dinas", "data": {"sifat": "Biasa", "hal": "Uji", "tujuan": "Bupati",
                                                "tempat_tujuan": "Tenggarong", "isi": "Isi"}}
    first = client.post("/api/v1/dokumen/", json=body, headers=headers)
    again = client.post("/api/v1/dokumen/", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert again.get_json()["result"]["id"] == first.get_json()["result"]["id"]
    other = client.post("/api/v1/dokumen/", json=body,
                        headers={**headers, "Idempotency-Key": "rest-kunci-0002"})
    assert other.get_json()["result"]["id"] != first.get_json()["result"]["id"]


def test_worklists_on_the_home_page_and_sign_and_issue_in_one_click(app, client):
    with app.app_context():
        ext = lemari()
        record = take_request("sk_domisili", penduduk_id=resident(app).id, received=ALL,
                              values={"keperluan": "Uji"}, actor=who(app, "petugas"),
                              session=db.session, desk=ext.desk())
        record_id = record.id
        advance(record_id, "verifikasi", actor=who(app, "petugas"), session=db.session,
                registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
    login_as(client, "petugas")
    home = client.get("/").get_data(as_text=True)
    assert 'id="worklist-permohonan_hari_ini"' in home and f"/dokumen/{record_id}" in home
    login_as(client, "camat")
    home = client.get("/").get_data(as_text=True)
    assert 'id="worklist-tanda_tangan"' in home and f"/dokumen/{record_id}/tandatangani-terbitkan" in home
    done = client.post(f"/dokumen/{record_id}/tandatangani-terbitkan", follow_redirects=True)
    assert "Status dokumen diperbarui" in done.get_data(as_text=True)
    with app.app_context():
        issued = db.session.get(Record, record_id)
        assert issued.state == "terbit" and issued.number
        assert [h.transition for h in issued.history][-2:] == ["tandatangani", "terbitkan"]
    assert f"/dokumen/{record_id}/tandatangani-terbitkan" not in client.get("/").get_data(as_text=True)
    login_as(client, "petugas")
    assert f"/dokumen/{record_id}" in client.get("/").get_data(as_text=True).split(
        'id="worklist-siap_diserahkan"')[1]


def test_operator_home_names_the_desa(client):
    login_as(client, "operator_loleng")
    home = client.get("/").get_data(as_text=True)
    assert "Loleng" in home and "64.02.08.2004" not in home
    assert 'id="worklist-desa_terbuka"' in home
