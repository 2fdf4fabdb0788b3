"""Service-level dashboard: received, completed, overdue, completion days, queue waiting."""

from pathlib import Path

from records.builtin.core import AUDITOR, CAMAT, PETUGAS, SEKCAM
from records.declarations import Permission
from records.hookspecs import hookimpl

PERMISSIONS = (
    Permission("dashboard.read", "Melihat dasbor kinerja pelayanan, ekspor dan laporan bulanan",
               frozenset({CAMAT, SEKCAM, AUDITOR})),
    # The recognition scheme (docs/penghargaan-petugas.md): colleagues' numbers are for the
    # Camat and Sekcam only; a clerk sees their own row, never a ranking.
    Permission("dashboard.petugas", "Melihat kinerja dan peringkat penghargaan semua petugas",
               frozenset({CAMAT, SEKCAM})),
    Permission("dashboard.petugas_sendiri", "Melihat angka kinerja sendiri (tanpa peringkat)",
               frozenset({PETUGAS})),
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
