"""Service-level dashboard: received, completed, overdue, completion days, queue waiting."""

from ..declarations import Permission
from ..hookspecs import hookimpl
from .core import AUDITOR, CAMAT, SEKCAM

PERMISSIONS = (
    Permission("dashboard.read", "Melihat dasbor kinerja pelayanan, ekspor dan laporan bulanan",
               frozenset({CAMAT, SEKCAM, AUDITOR})),
)


@hookimpl
def register_permissions():
    return list(PERMISSIONS)


@hookimpl
def register_views(appbuilder):
    """The dashboard, its exports and the monthly report."""
    from ..views.dashboard import register

    register(appbuilder)
