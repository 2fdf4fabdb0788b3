"""The digital archive that replaces the iron cabinets: scans, classification, retention (JRA),
disposition with its berita acara, fixity, BagIt export.

Declares the archive's permissions, its two record types (a scanned paper original and the
berita acara pemusnahan) and a workflow without manual steps: records enter the archive
through the ingest service and leave it only through the disposition procedure.
"""

from records.builtin.core import ARSIPARIS, AUDITOR, CAMAT, OPERATOR_DESA, PETUGAS, SEKCAM
from records.declarations import CLOSED, DocumentType, Permission, Workflow
from records.hookspecs import hookimpl

ARCHIVE_READERS = frozenset({CAMAT, SEKCAM, PETUGAS, ARSIPARIS, AUDITOR, OPERATOR_DESA})

PERMISSIONS = (
    Permission("arsip.read", "Melihat arsip (sesuai cakupan desa)", ARCHIVE_READERS),
    Permission("arsip.write", "Mengunggah pindaian dan memperbaiki metadata arsip",
               frozenset({ARSIPARIS})),
    Permission("arsip.manage", "Mengatur skema klasifikasi dan Jadwal Retensi Arsip",
               frozenset({ARSIPARIS})),
    Permission("arsip.propose", "Mengusulkan penyusutan dan menilai kembali arsip",
               frozenset({ARSIPARIS})),
    Permission("arsip.approve", "Menyetujui atau menolak pemusnahan arsip", frozenset({CAMAT})),
    Permission("arsip.hold", "Menahan arsip dari pemusnahan (legal hold)",
               frozenset({ARSIPARIS, CAMAT})),
    Permission("arsip.fixity", "Melihat dan menjalankan pemeriksaan keutuhan berkas (fixity)",
               frozenset({ARSIPARIS, AUDITOR})),
    Permission("arsip.export", "Mengekspor arsip sebagai paket BagIt untuk diserahkan",
               frozenset({ARSIPARIS})),
)

# A destroyed record needs no more work. (Disposition writes 'musnah' into records of every
# workflow, outside any declaration: services.disposition.DESTROYED.)
ARCHIVE_WORKFLOW = Workflow(
    name="arsip", title="Arsip", initial="arsip",
    states={"arsip": "Diarsipkan", "musnah": "Dimusnahkan"}, transitions=(),
    state_tags={"musnah": {CLOSED}})

DOCUMENT_TYPES = (
    DocumentType(name="arsip_pindaian", title="Arsip Pindaian", fields=(), workflow="arsip",
                 needs_penduduk=False, internal=True, klasifikasi="",
                 description="Dokumen kertas yang dipindai dan diarsipkan (alih media)."),
    DocumentType(name="berita_acara_pemusnahan_arsip", title="Berita Acara Pemusnahan Arsip",
                 fields=(), workflow="arsip", needs_penduduk=False, internal=True,
                 template="berita_acara_pemusnahan/document.html", klasifikasi="000.5.6.2",
                 retention_class="berita_acara_pemusnahan",
                 description="Dibuat otomatis ketika Camat menyetujui pemusnahan arsip."),
)

# (menu name, address, permission that opens it) of the archive's menu.
MENU = (
    ("Arsip Digital", "/arsip/", "arsip.read"),
    ("Unggah Pindaian", "/arsip/unggah", "arsip.write"),
    ("Tugas OCR", "/arsip/tugas", "arsip.read"),
    ("Klasifikasi dan JRA", "/arsip/klasifikasi", "arsip.read"),
    ("Penyusutan", "/arsip/penyusutan/", "arsip.read"),
    ("Keutuhan Berkas", "/arsip/fixity", "arsip.fixity"),
)
CATEGORY = "Arsip"


@hookimpl
def register_permissions():
    """The archive's permissions and their default roles."""
    return list(PERMISSIONS)


@hookimpl
def register_workflows():
    """Archived records have no manual steps."""
    return [ARCHIVE_WORKFLOW]


@hookimpl
def register_document_types():
    """Scanned originals and the berita acara pemusnahan arsip."""
    return list(DOCUMENT_TYPES)


@hookimpl
def register_views(appbuilder):
    """The archive's pages, REST API and menu."""
    from records.views.arsip import register

    register(appbuilder, MENU, CATEGORY)


@hookimpl
def register_commands(cli):
    """import-scans, fixity, export-bag, backup, restore and jobs."""
    from records.archive_cli import ARCHIVE_COMMANDS

    for command in ARCHIVE_COMMANDS:
        cli.add_command(command)
