"""The issuance workflow every citizen document follows, declared as data.

diajukan → diverifikasi → ditandatangani → terbit → diserahkan, plus ditolak (reason required,
before issue) and dicabut (revocation, reason required, after issue). Only the Camat and the
Sekcam sign.
"""

from ..declarations import Transition, Workflow
from ..hookspecs import hookimpl
from .core import CAMAT, OPERATOR_DESA, PETUGAS, SEKCAM

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
                   frozenset({PETUGAS}) | SIGNERS),
        Transition("tandatangani", "Setujui dan tandatangani", ("diverifikasi",),
                   "ditandatangani", SIGNERS),
        Transition("terbitkan", "Terbitkan", ("ditandatangani",), "terbit",
                   frozenset({PETUGAS}) | SIGNERS),
        Transition("serahkan", "Serahkan kepada pemohon", ("terbit",), "diserahkan", CLERKS),
        Transition("tolak", "Tolak", ("diajukan", "diverifikasi"), "ditolak",
                   frozenset({PETUGAS}) | SIGNERS, note_required=True),
        Transition("cabut", "Cabut", ("terbit", "diserahkan"), "dicabut", SIGNERS,
                   note_required=True),
    ),
)


@hookimpl
def register_workflows():
    """The standard issuance workflow."""
    return [ISSUANCE]
