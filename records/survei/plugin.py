"""Satisfaction survey (Survei Kepuasan Masyarakat) after handover, and its index (IKM)."""

from pathlib import Path

from records.builtin.core import AUDITOR, CAMAT, HUMAS, SEKCAM
from records.declarations import Permission
from records.hookspecs import hookimpl

PERMISSIONS = (
    Permission("survei.read", "Melihat hasil survei kepuasan masyarakat (IKM)",
               frozenset({CAMAT, SEKCAM, AUDITOR, HUMAS})),
)


@hookimpl
def register_permissions():
    return list(PERMISSIONS)


@hookimpl
def register_views(appbuilder):
    """The public survey form and the office's results page."""
    from records.survei.views import register

    register(appbuilder)


@hookimpl
def register_models():
    """Survey answers."""
    return ["records.survei.models"]


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]


@hookimpl
def register_public_pages(app):
    """The satisfaction survey: no login."""
    from records.survei.views import public

    app.register_blueprint(public)
