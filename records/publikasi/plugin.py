"""Public information: service standards, posters, pamphlets, flowcharts, maklumat, notices.

Declares the publication workflow (Plone's private → pending review → published, plus
expired) and the rights of Humas, Camat and Sekcam as data; adds the staff screens, the public
`/info/` pages, the REST API and the `publish-kit` command. The adapters are imported inside
the hooks, so loading the declarations never pulls in Flask.
"""

from pathlib import Path

from records.builtin.core import CAMAT, HUMAS, SEKCAM
from records.declarations import Permission, Transition, Workflow
from records.hookspecs import hookimpl

REVIEWERS = frozenset({CAMAT, SEKCAM})

PUBLIKASI_WORKFLOW = Workflow(
    name="publikasi",
    title="Publikasi informasi",
    initial="privat",
    states={
        "privat": "Draf (privat)",
        "menunggu_tinjauan": "Menunggu tinjauan",
        "terbit": "Terbit",
        "kedaluwarsa": "Kedaluwarsa",
    },
    transitions=(
        Transition("ajukan", "Ajukan untuk ditinjau", "privat", "menunggu_tinjauan", {HUMAS}),
        Transition("tarik_ajuan", "Tarik kembali ajuan", "menunggu_tinjauan", "privat", {HUMAS}),
        Transition("setujui", "Setujui dan terbitkan", "menunggu_tinjauan", "terbit", REVIEWERS),
        Transition("kembalikan", "Kembalikan dengan catatan", "menunggu_tinjauan", "privat",
                   REVIEWERS, note_required=True),
        Transition("tarik", "Tarik dari publikasi", "terbit", "privat", REVIEWERS | {HUMAS},
                   note_required=True),
        Transition("kedaluwarsa", "Tandai kedaluwarsa", "terbit", "kedaluwarsa",
                   REVIEWERS | {HUMAS}),
        Transition("revisi", "Buka lagi untuk direvisi", "kedaluwarsa", "privat", {HUMAS}),
    ),
    # No tags: a notice is published, not issued (no number, no register, no applicant), and
    # services.publishing names this workflow and its states itself.
    state_tags={},
)

PERMISSIONS = (
    Permission("publikasi.read", "Melihat draf pengumuman dan poster", {HUMAS, CAMAT, SEKCAM}),
    Permission("publikasi.write", "Menyusun dan mengubah pengumuman dan poster", {HUMAS}),
    Permission("templat.edit", "Mengubah templat cetak poster dan pengumuman", {HUMAS}),
)


@hookimpl
def register_workflows():
    """The publication workflow of notices and posters."""
    return [PUBLIKASI_WORKFLOW]


@hookimpl
def register_permissions():
    """Reading drafts, writing them, editing print templates."""
    return list(PERMISSIONS)


@hookimpl
def register_views(appbuilder):
    """Staff screens, the REST API and the public /info/ pages."""
    from records.publikasi.views import register

    register(appbuilder)


@hookimpl
def register_commands(cli):
    """`lemari publish-kit` and `lemari publikasi-kedaluwarsa`."""
    from records.publikasi.cli import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


@hookimpl
def register_models():
    """Publications, service standards and print templates."""
    return ["records.publikasi.models"]


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_public_pages(app):
    """The public information pages (/info): no login."""
    from records.publikasi.info_views import info

    app.register_blueprint(info)


@hookimpl
def seed_office(session):
    """The shipped service standards (records/data/standar_pelayanan.json) that are missing."""
    from records.publikasi.services.standards import catalogue_standards, seed_standards

    seed_standards(session, catalogue_standards())


@hookimpl
def register_screen_slides():
    """Notices and posters in force today, as text slides for the waiting-room TV."""
    from records.publikasi.services.slides import screen_slides

    return [screen_slides]


@hookimpl
def register_worklists():
    """Humas: drafts sent back with a note, and the other drafts; the Camat and the Sekcam:
    publications waiting for their review (badges on "Pengumuman dan Poster")."""
    return [_returned_drafts, _drafts, _to_review]


def _publication_list(session, key: str, title: str, query):
    from flask import url_for
    from sqlalchemy import func, select

    from records.services.worklists import Pending

    def links(limit):
        return [(item.judul, url_for("PublikasiView.show", item_id=item.id))
                for item in session.scalars(query.limit(limit))]

    return Pending(key, title, select(func.count()).select_from(query.order_by(None).subquery()),
                   links=links, menu="Pengumuman dan Poster")


def _returned_drafts(session, actor, today):
    from records.publikasi.services import publishing

    if not actor.can("publikasi.write"):
        return None
    return _publication_list(session, "publikasi_dikembalikan", "Publikasi dikembalikan dengan catatan",
                             publishing.drafts_query(returned=True))


def _drafts(session, actor, today):
    from records.publikasi.services import publishing

    if not actor.can("publikasi.write"):
        return None
    return _publication_list(session, "publikasi_draf", "Draf publikasi yang belum diajukan",
                             publishing.drafts_query(returned=False))


def _to_review(session, actor, today):
    from records.publikasi.services import publishing

    if not (actor.can("publikasi.read") and publishing.reviews(actor, PUBLIKASI_WORKFLOW)):
        return None
    return _publication_list(session, "publikasi_tinjauan", "Publikasi menunggu tinjauan",
                             publishing.review_query())
