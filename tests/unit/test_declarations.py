"""Declarations refuse broken data at start-up; declared fields validate input in Indonesian."""

import pytest

from records.builtin.issuance_workflow import ISSUANCE
from records.declarations import (
    CLOSED,
    HANDED_OVER,
    HANDS_OVER,
    ISSUED,
    ISSUES,
    READY,
    REJECTS,
    REVOKED,
    REVOKES,
    SIGNS,
    STATE_MEANINGS,
    TRANSITION_MEANINGS,
    VERIFIES,
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


# --- Meanings: tags on transitions and states -------------------------------------------------

MEANT_STATES = {"masuk": "Masuk", "sah": "Disahkan", "keluar": "Keluar", "diambil": "Diambil",
                "batal": "Batal", "tolak": "Ditolak"}
MEANT_TAGS = {"keluar": {ISSUED, READY}, "diambil": {ISSUED, HANDED_OVER, CLOSED},
              "batal": {ISSUED, REVOKED, CLOSED}, "tolak": {CLOSED}}


def step(name, sources, target, *tags, **overrides):
    return Transition(name, name.title(), sources, target, frozenset({CLERK}), tags=set(tags),
                      **overrides)


MEANT_STEPS = {
    "periksa": step("periksa", "masuk", "sah", VERIFIES),
    "sahkan": step("sahkan", "sah", "sah", SIGNS),
    "keluarkan": step("keluarkan", "sah", "keluar", ISSUES),
    "ambilkan": step("ambilkan", "keluar", "diambil", HANDS_OVER),
    "batalkan": step("batalkan", ("keluar", "diambil"), "batal", REVOKES),
    "tolak": step("tolak", ("masuk", "sah"), "tolak", REJECTS),
}


def meant(*replaced, tags=None, initial="masuk", drop=()):
    """A fully tagged workflow under other names; `replaced` steps swap those of the same name."""
    steps = {**MEANT_STEPS, **{t.name: t for t in replaced}}
    return Workflow("alur", "Alur", initial, MEANT_STATES,
                    tuple(t for name, t in steps.items() if name not in drop),
                    {**MEANT_TAGS, **(tags or {})})


def test_tagged_workflow_answers_what_services_ask():
    flow = meant()
    assert [t.name for t in flow.path_to(ISSUES)] == ["periksa", "keluarkan"]
    assert flow.transition_tagged(ISSUES).name == "keluarkan"
    assert flow.transition_tagged(HANDS_OVER).target == "diambil"
    assert flow.states_tagged(ISSUED) == {"keluar", "diambil", "batal"}
    assert flow.state_is("diambil", HANDED_OVER) and not flow.state_is("keluar", HANDED_OVER)
    assert flow.means("batalkan", REVOKES) and not flow.means("tidak_ada", REVOKES)
    assert flow.tags_of("masuk") == frozenset() and flow.tags_of("entah") == frozenset()


def test_untagged_workflow_means_nothing_and_has_no_path_to_issue():
    flow = workflow(finish())
    assert flow.path_to(ISSUES) == () and flow.transition_tagged(ISSUES) is None
    assert flow.states_tagged(ISSUED) == frozenset()


def test_tags_given_as_a_lone_string_are_one_tag():
    assert step("sahkan", "sah", "sah", "signs").tags == frozenset({SIGNS})
    assert meant(tags={"tolak": "closed"}).tags_of("tolak") == frozenset({CLOSED})


def test_asking_for_an_unknown_meaning_is_a_loud_error():
    with pytest.raises(ValueError, match="unknown tag 'issue'"):
        meant().transitions_tagged("issue")
    with pytest.raises(ValueError, match="unknown tag 'terbit'"):
        meant().states_tagged("terbit")


def test_every_tag_has_its_meaning_written_down():
    for meaning in (*TRANSITION_MEANINGS.values(), *STATE_MEANINGS.values()):
        assert len(meaning) > 40


def test_unknown_transition_tag_is_refused():
    with pytest.raises(ValueError, match="transition sahkan: unknown tag 'approves'; known tags: "
                                         "verifies, signs"):
        step("sahkan", "sah", "sah", "approves")


def test_unknown_state_tag_is_refused():
    with pytest.raises(ValueError, match="state keluar: unknown tag 'published'"):
        meant(tags={"keluar": {ISSUED, "published"}})


def test_tags_on_an_unknown_state_are_refused():
    with pytest.raises(ValueError, match="state_tags names unknown state 'terbit'"):
        meant(tags={"terbit": {READY}})


@pytest.mark.parametrize(("tags", "message"), [
    ({"batal": {REVOKED, CLOSED}}, "state batal is tagged revoked, so it must also be tagged issued"),
    ({"diambil": {ISSUED, HANDED_OVER}}, "state diambil is tagged handed_over, so it must also "
                                         "be tagged closed"),
    ({"keluar": {ISSUED, READY, CLOSED}}, "state keluar cannot be both ready"),
    ({"masuk": {CLOSED}}, "the initial state masuk cannot be tagged"),
])
def test_state_tags_that_contradict_each_other_are_refused(tags, message):
    with pytest.raises(ValueError, match=message):
        meant(tags=tags)


def test_two_issuing_transitions_are_refused():
    with pytest.raises(ValueError, match="sahkan, keluarkan are all tagged issues"):
        meant(step("sahkan", "sah", "keluar", ISSUES))


def test_issued_states_without_an_issuing_transition_are_refused():
    with pytest.raises(ValueError, match="tagged issued but no transition is tagged issues"):
        meant(step("keluarkan", "sah", "keluar"))


def test_issuing_into_a_state_not_tagged_issued_is_refused():
    with pytest.raises(ValueError, match="keluarkan is tagged issues, so its target sah must "
                                         "be tagged issued"):
        meant(step("keluarkan", "masuk", "sah", ISSUES))


def test_only_the_issuing_transition_may_enter_an_issued_state():
    with pytest.raises(ValueError, match="periksa enters the issued state keluar but is not "
                                         "tagged issues"):
        meant(step("periksa", "masuk", "keluar", VERIFIES))


@pytest.mark.parametrize("tag", [VERIFIES, SIGNS, REJECTS])
def test_a_step_before_issue_cannot_leave_an_issued_state(tag):
    target = "tolak" if tag == REJECTS else "keluar"
    with pytest.raises(ValueError, match=f"is tagged {tag}, a step before issue, but leaves "
                                         "the issued state keluar"):
        meant(step("ulang", "keluar", target, tag))


def test_handing_over_into_a_state_not_handed_over_is_refused():
    with pytest.raises(ValueError, match="ambilkan is tagged hands_over, so its target batal "
                                         "must be tagged handed_over"):
        meant(step("ambilkan", "keluar", "batal", HANDS_OVER))


def test_rejecting_into_an_open_state_is_refused():
    with pytest.raises(ValueError, match="tolak is tagged rejects, so its target sah must be "
                                         "tagged closed and not issued"):
        meant(step("tolak", "masuk", "sah", REJECTS))


@pytest.mark.parametrize("revocation", [
    step("batalkan", ("keluar", "diambil"), "tolak", REVOKES),
    step("batalkan", ("masuk", "keluar"), "batal", REVOKES),
])
def test_revoking_needs_issued_sources_and_a_revoked_target(revocation):
    with pytest.raises(ValueError, match="batalkan is tagged revokes, so it must lead from "
                                         "issued states only to a state tagged revoked"):
        meant(revocation)


def test_an_issuing_step_nobody_can_reach_is_refused():
    with pytest.raises(ValueError, match="the issuing transition keluarkan cannot be reached "
                                         "from the initial state masuk"):
        meant(drop=("periksa", "tolak"))


def test_registry_refuses_an_issued_type_without_a_template():
    doc = DocumentType("sk", "SK", (), workflow="alur")
    with pytest.raises(ValueError, match="document type sk: its workflow alur issues documents "
                                         r"\(transition keluarkan\) but the type declares no "
                                         "template"):
        registry(doctypes=[doc], workflows=[meant()]).check()
    registry(doctypes=[DocumentType("sk", "SK", (), workflow="alur", template="sk/document.html")],
             workflows=[meant()]).check()


def test_registry_keeps_each_types_meanings_apart():
    """One state name, two meanings: `record_states` stays per document type."""
    other = Workflow("lain", "Lain", "baru", {"baru": "Baru", "keluar": "Dikirim ke Dinas"},
                     (finish(target="keluar", name="kirim"),))
    found = registry(doctypes=[DocumentType("sk", "SK", (), workflow="alur", template="x.html"),
                               DocumentType("ba", "BA", (), workflow="lain")],
                     workflows=[meant(), other])
    assert found.record_states(READY) == {"sk": frozenset({"keluar"})}
    assert found.state_is("sk", "keluar", READY) and not found.state_is("ba", "keluar", READY)
    assert not found.state_is("dihapus_pluginnya", "keluar", READY)
    assert found.workflow_of("ba") is other and found.workflow_of("dihapus_pluginnya") is None


def test_builtin_issuance_workflow_says_what_every_step_means():
    assert all(t.tags for t in ISSUANCE.transitions)
    assert [t.name for t in ISSUANCE.path_to(ISSUES)] == ["verifikasi", "tandatangani", "terbitkan"]
    assert ISSUANCE.states_tagged(ISSUED) == {"terbit", "diserahkan", "dicabut"}
    assert ISSUANCE.states_tagged(REVOKED) == {"dicabut"}


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
