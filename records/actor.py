"""Who is acting: the permissions and desa scope every service checks.

Views build an Actor from the logged-in Flask-AppBuilder user, the CLI from `--as USERNAME`;
services never look at Flask. `desa_scope` is None for office-wide roles and a set of desa
codes for scoped roles (Plone-style local roles), so one check serves lists, detail pages,
the REST API and exports alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from records.exceptions import NotFoundError, PermissionDeniedError


@dataclass(frozen=True)
class Actor:
    """An authenticated user as the services see them."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    permissions: frozenset[str]
    desa_scope: frozenset[str] | None = None

    def can(self, permission: str) -> bool:
        """True when the user holds `permission`."""
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise PermissionDeniedError unless the user holds `permission`."""
        if not self.can(permission):
            raise PermissionDeniedError(f"Anda tidak berwenang ({permission}).")

    def reader_principals(self) -> frozenset[str]:
        """What names this user in a record's reader list (`RecordReader`): the user and
        each of their roles (a restricted record, e.g. a rahasia letter, lists only these)."""
        return frozenset({user_reader(self.username), *(role_reader(r) for r in self.roles)})

    def sees_desa(self, desa_code: str | None) -> bool:
        """True when the desa lies inside the user's scope (office-wide roles see all)."""
        return self.desa_scope is None or desa_code in self.desa_scope

    def require_desa(self, desa_code: str | None, not_found: str = "Data tidak ditemukan.") -> None:
        """Out-of-scope objects are reported as not found, so their existence does not leak;
        pass the message an absent object of the same kind gets, so both read the same."""
        if not self.sees_desa(desa_code):
            raise NotFoundError(not_found)


def user_reader(username: str) -> str:
    """A user as a record's reader principal."""
    return f"u:{username}"


def role_reader(role: str) -> str:
    """Every holder of a role as a record's reader principal (spaces kept out: engines split
    list values on commas and some tokenise on spaces)."""
    return "r:" + role.replace(" ", "_")

