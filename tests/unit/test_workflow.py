"""The workflow engine against the real issuance declaration: roles, states and notes."""

import pytest

from records.builtin.core import CAMAT, OPERATOR_DESA, PETUGAS, SEKCAM
from records.builtin.issuance_workflow import ISSUANCE
from records.exceptions import InvalidTransitionError, ValidationError
from records.workflow import check_transition


def refusal(state, name, roles, note=""):
    with pytest.raises(InvalidTransitionError) as caught:
        check_transition(ISSUANCE, state, name, roles, note)
    return str(caught.value)


@pytest.mark.parametrize(("state", "name", "role", "target"), [
    ("diajukan", "verifikasi", PETUGAS, "diverifikasi"),
    ("diverifikasi", "tandatangani", CAMAT, "ditandatangani"),
    ("diverifikasi", "tandatangani", SEKCAM, "ditandatangani"),
    ("ditandatangani", "terbitkan", PETUGAS, "terbit"),
    ("terbit", "serahkan", OPERATOR_DESA, "diserahkan"),
])
def test_allowed_role_passes(state, name, role, target):
    assert check_transition(ISSUANCE, state, name, {role}).target == target


@pytest.mark.parametrize("role", [PETUGAS, OPERATOR_DESA, "Auditor"])
def test_only_signers_sign(role):
    assert refusal("diverifikasi", "tandatangani", {role}) == (
        "Peran Anda tidak berwenang melakukan 'Setujui dan tandatangani'.")


def test_no_role_at_all_is_refused():
    assert "tidak berwenang" in refusal("diajukan", "verifikasi", set())


def test_wrong_source_state_is_refused_with_state_label():
    assert refusal("diajukan", "terbitkan", {PETUGAS}) == (
        "Langkah 'Terbitkan' tidak dapat dilakukan pada status 'Diajukan'.")


def test_revoking_before_issue_is_refused():
    assert "tidak dapat dilakukan" in refusal("diverifikasi", "cabut", {CAMAT}, "salah")


def test_unknown_transition_is_refused():
    assert refusal("diajukan", "hapus", {PETUGAS}) == "Langkah 'hapus' tidak dikenal."


@pytest.mark.parametrize(("state", "name", "role"), [
    ("diajukan", "tolak", PETUGAS), ("diverifikasi", "tolak", CAMAT),
    ("terbit", "cabut", CAMAT), ("diserahkan", "cabut", SEKCAM),
])
@pytest.mark.parametrize("note", ["", "   ", None])
def test_reject_and_revoke_need_a_reason(state, name, role, note):
    with pytest.raises(ValidationError) as caught:
        check_transition(ISSUANCE, state, name, {role}, note)
    assert caught.value.errors == {"note": "Alasan wajib diisi."}


@pytest.mark.parametrize(("state", "name", "role", "target"), [
    ("diajukan", "tolak", PETUGAS, "ditolak"), ("terbit", "cabut", CAMAT, "dicabut"),
])
def test_reject_and_revoke_with_a_reason_pass(state, name, role, target):
    assert check_transition(ISSUANCE, state, name, {role}, "Berkas palsu").target == target


def test_role_check_comes_before_the_reason():
    """A clerk may not revoke at all; asking for a reason first would mislead them."""
    assert "tidak berwenang" in refusal("terbit", "cabut", {PETUGAS})


def test_final_states_offer_nothing():
    for state in ("ditolak", "dicabut"):
        assert ISSUANCE.available(state, {CAMAT, PETUGAS, SEKCAM, OPERATOR_DESA}) == []
