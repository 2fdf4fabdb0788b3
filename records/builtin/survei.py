"""Satisfaction survey (Survei Kepuasan Masyarakat) after handover, and its index (IKM)."""

from ..declarations import Permission
from ..hookspecs import hookimpl
from .core import AUDITOR, CAMAT, HUMAS, SEKCAM

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
    from ..views.survei import register

    register(appbuilder)
