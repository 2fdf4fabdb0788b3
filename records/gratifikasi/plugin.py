"""Gratification register (register gratifikasi) of the Unit Pengendalian Gratifikasi (UPG).

Staff declare gifts offered or received; the Camat or the officer appointed to the UPG reviews
each one along the declared `gratifikasi` workflow; the quarterly and yearly report goes to the
Inspektorat. Basis: UU 31/1999 jo. UU 20/2001 Pasal 12B–12C; Peraturan KPK 2/2019 tentang
Pelaporan Gratifikasi (docs/gratifikasi.md).
"""

from pathlib import Path

from records.builtin.core import ARSIPARIS, AUDITOR, CAMAT, HUMAS, PETUGAS, SEKCAM
from records.declarations import CLOSED, Permission, RoleDef, Transition, Workflow
from records.hookspecs import hookimpl

#: The officer the Camat appoints to the Unit Pengendalian Gratifikasi (Peraturan KPK 2/2019).
UPG = "Petugas UPG"
REVIEWERS = frozenset({CAMAT, UPG})
#: Every member of the office's staff declares (the Auditor only reads; desa operators are not
#: kecamatan staff).
DECLARANTS = frozenset({CAMAT, SEKCAM, PETUGAS, ARSIPARIS, HUMAS, UPG})

ROLES = (RoleDef(UPG, "Petugas Unit Pengendalian Gratifikasi yang ditunjuk Camat: menelaah "
                      "laporan gratifikasi dan menyusun laporan ke Inspektorat."),)

PERMISSIONS = (
    Permission("gratifikasi.list", "Membuka register gratifikasi (laporan sendiri; semua laporan "
               "hanya dengan gratifikasi.read)", DECLARANTS | {AUDITOR}),
    Permission("gratifikasi.declare", "Melaporkan gratifikasi yang ditawarkan atau diterima",
               DECLARANTS),
    Permission("gratifikasi.read", "Melihat semua laporan gratifikasi (selain milik sendiri)",
               frozenset({CAMAT, UPG, AUDITOR})),
    Permission("gratifikasi.review", "Menelaah dan menetapkan status laporan gratifikasi",
               REVIEWERS),
    Permission("gratifikasi.report", "Mencetak laporan gratifikasi triwulanan dan tahunan",
               frozenset({CAMAT, UPG, AUDITOR})),
)

WORKFLOW = Workflow(
    name="gratifikasi",
    title="Penanganan laporan gratifikasi",
    initial="dilaporkan",
    states={"dilaporkan": "Dilaporkan", "ditelaah": "Sedang ditelaah",
            "milik_negara": "Selesai: ditetapkan milik negara",
            "milik_penerima": "Selesai: ditetapkan milik penerima",
            "ditolak": "Selesai: pemberian telah ditolak"},
    transitions=(
        Transition("telaah", "Mulai telaah", ("dilaporkan",), "ditelaah", REVIEWERS),
        Transition("tetapkan_negara", "Tetapkan milik negara", ("ditelaah",), "milik_negara",
                   REVIEWERS, note_required=True),
        Transition("tetapkan_penerima", "Tetapkan milik penerima", ("ditelaah",), "milik_penerima",
                   REVIEWERS, note_required=True),
        Transition("catat_penolakan", "Catat penolakan pemberian", ("ditelaah",), "ditolak",
                   REVIEWERS, note_required=True),
    ),
    # Services read "closed" (the review is finished) from these tags, never the names.
    state_tags={"milik_negara": {CLOSED}, "milik_penerima": {CLOSED}, "ditolak": {CLOSED}},
)


@hookimpl
def register_roles():
    return list(ROLES)


@hookimpl
def register_permissions():
    return list(PERMISSIONS)


@hookimpl
def register_workflows():
    return [WORKFLOW]


@hookimpl
def register_models():
    """The register of declared gifts (its history is the one workflow history)."""
    return ["records.gratifikasi.models"]


@hookimpl
def register_views(appbuilder):
    """The register's screens and its REST API."""
    from records.gratifikasi.views import register

    register(appbuilder)


@hookimpl
def register_commands(cli):
    """`lemari gratifikasi …`."""
    from records.gratifikasi.cli import gratifikasi_group

    cli.add_command(gratifikasi_group)


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_worklists():
    """Reviewers: declarations still to review; the Auditor: late declarations (flags)."""
    return [_to_review, _late]


def _declaration_list(session, key: str, title: str, query):
    from flask import url_for
    from sqlalchemy import func, select

    from records.services.worklists import Pending

    def links(limit):
        return [(f"{row.kode or row.id} — {row.pemberi}",
                 url_for("GratifikasiView.show", declaration_id=row.id))
                for row in session.scalars(query.limit(limit))]

    return Pending(key, title, select(func.count()).select_from(query.order_by(None).subquery()),
                   links=links, menu="Gratifikasi")


def _to_review(session, actor, today):
    from records.gratifikasi import services

    if not actor.can("gratifikasi.review"):
        return None
    return _declaration_list(session, "gratifikasi_telaah", "Laporan gratifikasi yang belum selesai ditelaah",
                             services.open_query(WORKFLOW))


def _late(session, actor, today):
    import datetime as dt

    from records.gratifikasi import services

    if not (actor.can("audit.read") and actor.can("gratifikasi.read")):
        return None
    return _declaration_list(session, "gratifikasi_terlambat",
                             "Laporan gratifikasi terlambat (90 hari terakhir)",
                             services.late_query(today - dt.timedelta(days=90)))
