"""The issuance workflow every citizen document follows, declared as data.

diajukan → diverifikasi → ditandatangani → terbit → diserahkan, plus ditolak (reason required,
before issue) and dicabut (revocation, reason required, after issue). Only the Camat and the
Sekcam sign. The tags say what each step and state means; the core reads those, never the
names (docs/architecture.md, "Workflow meanings").
"""

from records.builtin.core import CAMAT, OPERATOR_DESA, PETUGAS, SEKCAM
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
    VERIFIES,
    Transition,
    Workflow,
)
from records.hookspecs import hookimpl

CLERKS = frozenset({PETUGAS, OPERATOR_DESA})
SIGNERS = frozenset({CAMAT, SEKCAM})

ISSUANCE = Workflow(
    name="issuance",
    title="Penerbitan dokumen",
    initial="diajukan",
    states={
        "diajukan": "Diajukan",
        "diverifikasi": "Diverifikasi",
        "ditandatangani": "Disetujui / ditandatangani",
        "terbit": "Terbit",
        "diserahkan": "Diserahkan",
        "ditolak": "Ditolak",
        "dicabut": "Dicabut",
    },
    transitions=(
        Transition("verifikasi", "Verifikasi berkas", ("diajukan",), "diverifikasi",
                   frozenset({PETUGAS}) | SIGNERS, tags={VERIFIES}),
        Transition("tandatangani", "Setujui dan tandatangani", ("diverifikasi",),
                   "ditandatangani", SIGNERS, tags={SIGNS}),
        Transition("terbitkan", "Terbitkan", ("ditandatangani",), "terbit",
                   frozenset({PETUGAS}) | SIGNERS, tags={ISSUES}),
        Transition("serahkan", "Serahkan kepada pemohon", ("terbit",), "diserahkan", CLERKS,
                   tags={HANDS_OVER}),
        Transition("tolak", "Tolak", ("diajukan", "diverifikasi"), "ditolak",
                   frozenset({PETUGAS}) | SIGNERS, note_required=True, tags={REJECTS}),
        Transition("cabut", "Cabut", ("terbit", "diserahkan"), "dicabut", SIGNERS,
                   note_required=True, tags={REVOKES}),
    ),
    state_tags={
        "terbit": {ISSUED, READY},
        "diserahkan": {ISSUED, HANDED_OVER, CLOSED},
        "ditolak": {CLOSED},
        "dicabut": {ISSUED, REVOKED, CLOSED},
    },
)


@hookimpl
def register_workflows():
    """The standard issuance workflow."""
    return [ISSUANCE]
