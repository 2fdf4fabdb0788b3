"""Complaints and questions (pengaduan): public form, tracking, answers with deadlines, report.

Pungli and gratifikasi complaints need `pengaduan.read_sensitive` (Camat, Auditor): they may
be about the clerks who answer the other complaints (docs/roles.md, "Complaints").
"""

from pathlib import Path

from records.builtin.core import AUDITOR, CAMAT, PETUGAS, SEKCAM
from records.declarations import CLOSED, Permission, Transition, Workflow
from records.hookspecs import hookimpl

HANDLERS = frozenset({CAMAT, SEKCAM, PETUGAS})

PERMISSIONS = (
    Permission("pengaduan.read", "Melihat pengaduan masyarakat (selain pungli/gratifikasi)",
               HANDLERS | {AUDITOR}),
    Permission("pengaduan.read_sensitive", "Melihat pengaduan pungli dan gratifikasi",
               frozenset({CAMAT, AUDITOR})),
    Permission("pengaduan.respond", "Memproses dan menjawab pengaduan yang dapat dilihat", HANDLERS),
    Permission("pengaduan.report", "Mencetak laporan bulanan pengaduan",
               frozenset({CAMAT, SEKCAM, AUDITOR})),
)

WORKFLOW = Workflow(
    name="pengaduan",
    title="Penanganan pengaduan",
    initial="diterima",
    states={"diterima": "Diterima", "diproses": "Sedang diproses", "dijawab": "Sudah dijawab"},
    transitions=(
        Transition("proses", "Proses pengaduan", ("diterima",), "diproses", HANDLERS),
        Transition("jawab", "Kirim jawaban", ("diterima", "diproses"), "dijawab", HANDLERS,
                   note_required=True),
    ),
    # Complaints are not records of a document type: services.pengaduan names this workflow
    # and its states itself, and no plugin can swap them. The tag only says what it means.
    state_tags={"dijawab": {CLOSED}},
)


@hookimpl
def register_permissions():
    return list(PERMISSIONS)


@hookimpl
def register_workflows():
    return [WORKFLOW]


@hookimpl
def register_views(appbuilder):
    """Public complaint form and tracking; the office's complaint desk."""
    from records.pengaduan.views import register

    register(appbuilder)


@hookimpl
def register_models():
    """Complaints and their history."""
    return ["records.pengaduan.models"]


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_public_pages(app):
    """The complaint form and its tracking: no login."""
    from records.pengaduan.views import public

    app.register_blueprint(public)
