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


#: A citizen's application form (F-1.01 and the like) is not a naskah dinas: the applicant signs
#: it, the petugas checks it and registers it under the form register (no Camat's signature,
#: no outgoing-letter number), the kecamatan forwards it and hands over what the Dinas issues.
FORMULIR_PEMOHON = Workflow(
    name="formulir_pemohon",
    title="Formulir permohonan warga",
    initial="diajukan",
    states={
        # Codes shared with other workflows keep their labels (lists merge them by code).
        "diajukan": "Diajukan",
        "diverifikasi": "Diverifikasi",
        "terdaftar": "Terdaftar, diteruskan ke Dinas",
        "siap_diambil": "Siap diambil",
        "diserahkan": "Diserahkan",
        "ditolak": "Ditolak",
    },
    transitions=(
        Transition("verifikasi", "Verifikasi berkas", ("diajukan",), "diverifikasi",
                   frozenset({PETUGAS}), tags={VERIFIES}),
        Transition("daftarkan", "Daftarkan dan teruskan ke Dinas", ("diverifikasi",),
                   "terdaftar", frozenset({PETUGAS}), tags={ISSUES}),
        Transition("siapkan", "Dokumen dari Dinas siap diambil", ("terdaftar",), "siap_diambil",
                   frozenset({PETUGAS})),
        Transition("serahkan", "Serahkan kepada pemohon", ("siap_diambil",), "diserahkan",
                   CLERKS, tags={HANDS_OVER}),
        Transition("tolak", "Tolak", ("diajukan", "diverifikasi"), "ditolak",
                   frozenset({PETUGAS}) | SIGNERS, note_required=True, tags={REJECTS}),
    ),
    state_tags={
        "terdaftar": {ISSUED},
        "siap_diambil": {ISSUED, READY},
        "diserahkan": {ISSUED, HANDED_OVER, CLOSED},
        "ditolak": {CLOSED},
    },
)

#: A receipt the petugas gives (hand-over of a KTP-el printed by the Dinas): the petugas and the
#: person who receives sign it, numbered in the receipt register, never by the Camat.
TANDA_TERIMA_PETUGAS = Workflow(
    name="tanda_terima_petugas",
    title="Tanda terima petugas",
    initial="diisi",
    states={"diisi": "Diisi", "terbit": "Terbit"},
    transitions=(
        Transition("terbitkan", "Terbitkan tanda terima", ("diisi",), "terbit", CLERKS,
                   tags={ISSUES}),
    ),
    state_tags={"terbit": {ISSUED, CLOSED}},
)


@hookimpl
def register_workflows():
    """The standard issuance workflow, and the citizen form and receipt workflows."""
    return [ISSUANCE, FORMULIR_PEMOHON, TANDA_TERIMA_PETUGAS]
