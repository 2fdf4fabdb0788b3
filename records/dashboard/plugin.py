"""Service-level dashboard: received, completed, overdue, completion days, queue waiting."""

from pathlib import Path

from records.builtin.core import AUDITOR, CAMAT, SEKCAM
from records.declarations import Permission
from records.hookspecs import hookimpl

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
    from records.dashboard.views import register

    register(appbuilder)


@hookimpl
def register_page_templates():
    """This feature's pages (templates/lemari/)."""
    return [Path(__file__).parent / "templates"]
