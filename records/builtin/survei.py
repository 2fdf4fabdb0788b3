"""Satisfaction survey (Survei Kepuasan Masyarakat) after handover, and its index (IKM)."""

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
    from records.views.survei import register

    register(appbuilder)
