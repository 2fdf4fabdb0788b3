"""Declarations refuse broken data at start-up; declared fields validate input in Indonesian."""

import pytest

from records.builtin.issuance_workflow import ISSUANCE
from records.declarations import (
    DocumentType,
    Field,
    Permission,
    Registry,
    RoleDef,
    Transition,
    Workflow,
)
from records.exceptions import ValidationError
from records.services.fields import clean_fields

STATES = {"baru": "Baru", "selesai": "Selesai"}
CLERK = "Petugas Pelayanan"


def workflow(*transitions, name="w", initial="baru"):
    return Workflow(name, "W", initial, STATES, transitions)


def finish(**overrides):
    return Transition(**{"name": "selesaikan", "title": "Selesaikan", "sources": ("baru",),
                         "target": "selesai", "roles": frozenset({CLERK}), **overrides})


def registry(doctypes=(), workflows=(), permissions=(), roles=(RoleDef(CLERK, "c"),)):  # noqa: B008 - RoleDef is frozen
    return Registry({d.name: d for d in doctypes}, {w.name: w for w in workflows},
                    {p.name: p for p in permissions}, {r.name: r for r in roles})


# --- Workflow and Transition ---------------------------------------------------------------

def test_transition_to_unknown_state_is_refused():
    with pytest.raises(ValueError, match="selesaikan"):
        workflow(finish(target="hilang"))


def test_transition_from_unknown_state_is_refused():
    with pytest.raises(ValueError, match="selesaikan"):
        workflow(finish(sources=("entah",)))


def test_unknown_initial_state_is_refused():
    with pytest.raises(ValueError, match="initial"):
        workflow(initial="entah")


def test_transition_name_declared_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        workflow(finish(), finish())


def test_transition_nobody_may_fire_is_refused():
    with pytest.raises(ValueError, match="no role"):
        finish(roles=frozenset())


def test_lone_strings_are_one_name_not_letters():
    """`sources="baru"` must not make every substring of "baru" a source state."""
    t = finish(sources="baru", roles=CLERK)
    assert t.sources == ("baru",) and t.roles == frozenset({CLERK})


def test_roles_given_as_list_still_work_in_available():
    w = workflow(finish(roles=[CLERK]))
    assert [t.name for t in w.available("baru", {CLERK})] == ["selesaikan"]
    assert w.available("baru", {"Camat"}) == [] and w.available("selesai", {CLERK}) == []


@pytest.mark.parametrize("name", ["Tanda Tangan", "x" * 33, "1st", "", "tanda-tangan"])
def test_transition_name_must_be_an_identifier(name):
    with pytest.raises(ValueError):
        finish(name=name)


# --- DocumentType and Field ----------------------------------------------------------------

def test_document_type_name_must_fit_url_and_column():
    with pytest.raises(ValueError):
        DocumentType("Surat/Domisili", "x", ())
    with pytest.raises(ValueError):
        DocumentType("s" * 65, "x", ())


def test_field_declared_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        DocumentType("sk", "SK", (Field("a", "A"), Field("a", "A lagi")))


@pytest.mark.parametrize("name", ["nik", "penduduk_id", "csrf_token"])
def test_field_colliding_with_form_inputs_is_refused(name):
    with pytest.raises(ValueError, match="reserved"):
        DocumentType("sk", "SK", (Field(name, "x"),))


def test_field_kind_and_choices_are_checked():
    with pytest.raises(ValueError, match="kind"):
        Field("a", "A", kind="angka")
    with pytest.raises(ValueError, match="choices"):
        Field("a", "A", kind="choice")


def test_permission_name_must_be_area_dot_verb():
    with pytest.raises(ValueError):
        Permission("penduduk", "x")
    assert Permission("record.read", "x", CLERK).fab_pair == ("can_read", "Record")


# --- Registry -------------------------------------------------------------------------------

def test_registry_refuses_dangling_workflow_name():
    doc = DocumentType("sk", "SK", (), workflow="tidak_ada")
    with pytest.raises(ValueError, match="unknown workflow"):
        registry(doctypes=[doc], workflows=[ISSUANCE]).check()


def test_registry_refuses_unknown_role_in_transition():
    with pytest.raises(ValueError, match="Lurah"):
        registry(workflows=[workflow(finish(roles=frozenset({"Lurah"})))]).check()


def test_registry_refuses_unknown_role_in_permission():
    with pytest.raises(ValueError, match="Lurah"):
        registry(permissions=[Permission("a.b", "x", frozenset({"Lurah"}))]).check()


def test_registry_accepts_consistent_declarations():
    doc = DocumentType("sk", "SK", (Field("a", "A"),), workflow="w")
    registry(doctypes=[doc], workflows=[workflow(finish())]).check()


# --- clean_fields ---------------------------------------------------------------------------

def errors_of(fields, data):
    with pytest.raises(ValidationError) as caught:
        clean_fields(fields, data)
    return caught.value.errors


def test_required_field_missing_or_blank():
    field = Field("keperluan", "Keperluan")
    assert errors_of([field], {"keperluan": "   "}) == {"keperluan": "Keperluan wajib diisi."}
    assert errors_of([field], {}) == {"keperluan": "Keperluan wajib diisi."}


def test_optional_field_may_be_empty_and_unknown_keys_drop():
    field = Field("catatan", "Catatan", required=False)
    assert clean_fields([field], {"catatan": "", "lain": "x"}) == {}


def test_text_is_trimmed_and_length_limited():
    field = Field("nama", "Nama", max_length=5)
    assert clean_fields([field], {"nama": "  Budi "}) == {"nama": "Budi"}
    assert errors_of([field], {"nama": "Budiman"}) == {
        "nama": "Nama: terlalu panjang (maksimal 5 karakter)"}


def test_text_refuses_control_characters_but_keeps_newlines():
    field = Field("isi", "Isi", kind="textarea")
    assert clean_fields([field], {"isi": "satu\r\ndua\tx"}) == {"isi": "satu\r\ndua\tx"}
    assert "karakter kendali" in errors_of([field], {"isi": "a\x00b"})["isi"]


@pytest.mark.parametrize(("raw", "value"), [("12", 12), ("-3", -3), (7, 7)])
def test_integer_accepted(raw, value):
    assert clean_fields([Field("n", "Jumlah", kind="integer")], {"n": raw}) == {"n": value}


@pytest.mark.parametrize("raw", ["dua", "1.5", "--5", "١٢", "1e3", True, 2.0, [1], {"a": 1}])
def test_integer_refused_in_indonesian(raw):
    message = errors_of([Field("n", "Jumlah", kind="integer")], {"n": raw})["n"]
    assert message.startswith("Jumlah: harus berupa")


def test_date_accepted_as_iso():
    assert clean_fields([Field("t", "Tanggal", kind="date")], {"t": "2026-02-28"}) == {
        "t": "2026-02-28"}


@pytest.mark.parametrize("raw", ["2026-02-30", "28-02-2026", "20260228", "2026-W09-6", "kemarin"])
def test_date_refused_in_indonesian(raw):
    assert errors_of([Field("t", "Tanggal", kind="date")], {"t": raw}) == {
        "t": "Tanggal: tanggal tidak valid (format TTTT-BB-HH)"}


def test_choice_only_from_declared_choices():
    field = Field("tujuan", "Tujuan", kind="choice", choices=("Polsek", "Dukcapil"))
    assert clean_fields([field], {"tujuan": "Polsek"}) == {"tujuan": "Polsek"}
    assert errors_of([field], {"tujuan": "Polres"}) == {"tujuan": "Tujuan: pilihan tidak dikenal"}


def test_nik_is_normalised_and_checked():
    field = Field("nik_saksi", "NIK saksi", kind="nik")
    assert clean_fields([field], {"nik_saksi": "6402081708050001"}) == {
        "nik_saksi": "6402081708050001"}
    assert errors_of([field], {"nik_saksi": "123"}) == {
        "nik_saksi": "NIK saksi: NIK harus 16 digit angka (ditemukan 3 digit)"}
    assert "0000" in errors_of([field], {"nik_saksi": "6402081708050000"})["nik_saksi"]


def test_every_error_is_reported_at_once():
    fields = [Field("a", "A"), Field("n", "N", kind="integer")]
    assert set(errors_of(fields, {"n": "x"})) == {"a", "n"}
