"""Registry service: NIK rules, uniqueness, code lists, desa scope and audit, on real databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.models import AuditEvent, Keluarga, Penduduk, Wilayah
from records.nik import make_nik, make_no_kk
from records.services.accounts import actor_for_username
from records.services.kependudukan import REQUIRED, save_keluarga, save_penduduk, validate_penduduk

LOLENG, ULU, RETIRED = "64.02.08.2004", "64.02.08.2005", "64.02.08.2010"
BORN = dt.date(1990, 8, 17)
NEW_NIK = make_nik("64.02.08", BORN, "L", 9901)


def actor(app, username="petugas"):
    return actor_for_username(username, sm=app.appbuilder.sm, session=db.session,
                              registry=lemari().registry)


def resident(**changes) -> dict:
    """A valid new resident of Loleng (values as a form or import row gives them)."""
    values = {"nik": NEW_NIK, "nama": "BUDI SANTOSO", "tempat_lahir": "KOTA BANGUN",
              "tanggal_lahir": BORN, "jenis_kelamin": "LAKI-LAKI", "alamat": "JL. PESUT",
              "rt": "001", "rw": "002", "desa_code": LOLENG, "agama": "ISLAM",
              "status_perkawinan": "BELUM KAWIN", "pekerjaan": "PETANI/PEKEBUN"}
    return {**values, **changes}


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def refused(app, username="petugas", **changes) -> dict:
    """The field errors of a refused validation."""
    with pytest.raises(ValidationError) as info:
        validate_penduduk(resident(**changes), actor=actor(app, username), session=db.session)
    return info.value.errors


@pytest.mark.parametrize(("nik", "message"), [
    ("640208170890991", "NIK harus 16 digit angka (ditemukan 15 digit)"),
    ("640208170890990\uff11", "NIK harus 16 digit angka (ditemukan karakter bukan angka '\uff11')"),
    ("6402081708900000", "Nomor urut NIK tidak boleh 0000"),
    ("6402083508909901", "Tanggal lahir pada NIK tidak valid: hari 35"),
    ("9902081708909901", "Kode provinsi pada NIK tidak dikenal: 99"),
])
def test_invalid_nik_is_refused_with_exact_message(app, nik, message):
    with app.app_context():
        assert refused(app, nik=nik)["nik"] == message


def test_duplicate_nik_is_refused(app):
    with app.app_context():
        taken = db.session.scalar(select(Penduduk.nik).limit(1))
        assert refused(app, nik=taken)["nik"] == f"NIK {taken} sudah terdaftar untuk penduduk lain."


def test_missing_required_fields_are_each_named(app):
    with app.app_context():
        with pytest.raises(ValidationError) as info:
            validate_penduduk({}, actor=actor(app), session=db.session)
    assert set(info.value.errors) == set(REQUIRED)
    assert info.value.errors["tempat_lahir"] == "Tempat lahir wajib diisi."
    assert info.value.errors["desa_code"] == "Desa wajib diisi."


@pytest.mark.parametrize(("name", "value"), [
    ("status_perkawinan", "KAWIN"),  # the pre-2017 four-value list
    ("agama", "ATHEIS"), ("pekerjaan", "PROGRAMMER"), ("golongan_darah", "Z"),
    ("jenis_kelamin", "L"), ("kewarganegaraan", "INDONESIA"), ("hubungan", "ADIK"),
])
def test_code_list_values_outside_official_lists_are_refused(app, name, value):
    with app.app_context():
        assert "tidak ada dalam daftar resmi" in refused(app, **{name: value})[name]


def test_official_label_in_other_letter_case_is_stored_official(app):
    with app.app_context():
        clean, _ = validate_penduduk(resident(agama="Islam", jenis_kelamin="laki-laki"),
                                     actor=actor(app), session=db.session)
    assert (clean["agama"], clean["jenis_kelamin"]) == ("ISLAM", "LAKI-LAKI")
    assert (clean["golongan_darah"], clean["kewarganegaraan"]) == ("TIDAK TAHU", "WNI")


def test_birth_date_disagreeing_with_nik_saves_with_warning(app):
    with app.app_context():
        item = Penduduk(**resident(tanggal_lahir=dt.date(1990, 8, 18)))
        warnings = save_penduduk(item, actor=actor(app), session=db.session, is_new=True)
        assert warnings == ["Tanggal lahir berbeda dengan NIK (NIK tetap berlaku)"]
        assert db.session.scalar(select(Penduduk.tanggal_lahir).where(Penduduk.nik == NEW_NIK)) \
            == dt.date(1990, 8, 18)


def test_operator_cannot_save_resident_into_another_desa(app):
    with app.app_context():
        before = audit_count()
        with pytest.raises(ValidationError) as info:
            save_penduduk(Penduduk(**resident(desa_code=ULU)), actor=actor(app, "operator_loleng"),
                          session=db.session, is_new=True)
        assert info.value.errors["desa_code"] == "Anda hanya dapat mengelola penduduk desa Anda sendiri."
        assert db.session.scalar(select(Penduduk.id).where(Penduduk.nik == NEW_NIK)) is None
        assert audit_count() == before


def test_operator_saves_resident_in_own_desa_chosen_by_relationship(app):
    """Forms and the API set `desa` (the Wilayah), not `desa_code`."""
    with app.app_context():
        values = resident()
        del values["desa_code"]
        item = Penduduk(**values, desa=db.session.get(Wilayah, LOLENG))
        save_penduduk(item, actor=actor(app, "operator_loleng"), session=db.session, is_new=True)
        assert db.session.scalar(select(Penduduk.desa_code).where(Penduduk.nik == NEW_NIK)) == LOLENG


def test_retired_desa_is_refused_for_new_resident(app):
    with app.app_context():
        assert "sudah tidak berlaku" in refused(app, desa_code=RETIRED)["desa_code"]


def test_save_writes_one_audit_entry_in_same_transaction(app):
    with app.app_context():
        before = audit_count()
        item = Penduduk(**resident())
        save_penduduk(item, actor=actor(app), session=db.session, is_new=True)
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert audit_count() == before + 1
        assert (event.action, event.object_id, event.actor) == ("penduduk.create", str(item.id), "petugas")


def test_refused_save_writes_no_audit_entry(app):
    with app.app_context():
        before = audit_count()
        with pytest.raises(ValidationError):
            save_penduduk(Penduduk(**resident(nik="6402081708900000")), actor=actor(app),
                          session=db.session, is_new=True)
        assert audit_count() == before
        assert db.session.scalar(select(func.count(Penduduk.id)).where(Penduduk.nama == "BUDI SANTOSO")) == 0


def test_edit_to_duplicate_nik_is_refused_not_an_integrity_error(app):
    with app.app_context():
        first, second = db.session.scalars(select(Penduduk).order_by(Penduduk.id).limit(2)).all()
        taken, own, clerk = first.nik, second.nik, actor(app)
        second.nik = taken
        with pytest.raises(ValidationError) as info:
            save_penduduk(second, actor=clerk, session=db.session, is_new=False)
        assert info.value.errors["nik"] == f"NIK {taken} sudah terdaftar untuk penduduk lain."
        assert db.session.get(Penduduk, second.id).nik == own


def test_save_keluarga_validates_and_audits(app):
    no_kk = make_no_kk("64.02.08", dt.date(2024, 1, 15), 9901)
    with app.app_context():
        before = audit_count()
        item = Keluarga(no_kk=no_kk, alamat="JL. PESUT", rt="1", rw="2",
                        desa=db.session.get(Wilayah, LOLENG))
        save_keluarga(item, actor=actor(app, "operator_loleng"), session=db.session, is_new=True)
        assert db.session.scalar(select(Keluarga.desa_code).where(Keluarga.no_kk == no_kk)) == LOLENG
        assert audit_count() == before + 1


@pytest.mark.parametrize(("no_kk", "desa", "username", "field", "message"), [
    ("6402081501240000", LOLENG, "petugas", "no_kk", "Nomor urut KK tidak boleh 0000"),
    ("640208150124990", LOLENG, "petugas", "no_kk", "No. KK harus 16 digit angka (ditemukan 15 digit)"),
    (None, LOLENG, "petugas", "no_kk", "sudah terdaftar"),
    ("6402081501249902", ULU, "operator_loleng", "desa_code",
     "Anda hanya dapat mengelola penduduk desa Anda sendiri."),
])
def test_save_keluarga_refuses_bad_input(app, no_kk, desa, username, field, message):
    with app.app_context():
        no_kk = no_kk or db.session.scalar(select(Keluarga.no_kk).limit(1))
        before = audit_count()
        with pytest.raises(ValidationError) as info:
            save_keluarga(Keluarga(no_kk=no_kk, alamat="JL. PESUT", desa_code=desa),
                          actor=actor(app, username), session=db.session, is_new=True)
        assert message in info.value.errors[field]
        assert audit_count() == before
