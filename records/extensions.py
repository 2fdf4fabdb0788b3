"""The unbound database extension and the app-scoped Lemari object (bound in create_app).

AppBuilder is created per app inside create_app: it keeps per-app view lists, so a shared
instance would pile up views when tests build many apps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pluggy
from flask import current_app
from flask_appbuilder.utils.legacy import get_sqla_class

from records.declarations import Registry


class _Database(get_sqla_class()):  # type: ignore[misc]
    """FAB's SQLAlchemy extension whose engines for a kecamatan's URL share the process's
    pool (records.pg_pool). `_make_engine` is Flask-SQLAlchemy 3's one place engines are made
    (private: tests/integration/test_pg_pool.py, on PostgreSQL, fails if it is no longer called)."""

    def _make_engine(self, bind_key, options, app):
        from records.pg_pool import engine_for, shares_pool

        if not shares_pool(options["url"]):
            return super()._make_engine(bind_key, options, app)
        return engine_for(options["url"], app.config)


db = _Database()


@dataclass
class Lemari:
    """Everything the app built at start-up: settings, plugins and their declarations."""

    settings: dict
    pm: pluggy.PluginManager
    registry: Registry
    menu_permissions: dict[str, frozenset[str]]
    _desk: object = None
    _search: object = None
    # Further lazily built services of plugins (e.g. the publishing desk), closed with the app.
    extras: dict = field(default_factory=dict)
    _office: object = None

    def refresh_office(self, *, force: bool = False) -> None:
        """Lay the office's saved setup (records.office_setup) over `settings`; re-read at
        most every few seconds, or at once when `force` (right after a save)."""
        if self._office is None:
            from records.office_setup import OfficeSettings

            self._office = OfficeSettings(self.settings)
        self._office.refresh(db.engine, force=force)

    def desk(self):
        """The issuing desk, built on first use (it starts render worker processes), with
        the office's current setup."""
        from records.desk import build_desk, refresh_desk

        self.refresh_office()
        if self._desk is None:
            self._desk = build_desk(self.settings, self.pm, self.registry)
        refresh_desk(self._desk, self.settings)
        return self._desk

    def search(self):
        """The search engine (records.indexing), opened on first use; rebuilt from the database
        then if the index is damaged or missing."""
        if self._search is None:
            from records.indexing import open_engine

            self._search = open_engine(self.settings, self.registry, db.engine)
        return self._search

    def close(self) -> None:
        """Stop the render workers, if any were started, and close the search index."""
        if self._desk is not None:
            self._desk.renderer.close()
            self._desk = None
        for extra in self.extras.values():
            extra.close()
        self.extras.clear()
        if self._search is not None:
            self._search.close()
            self._search = None


def lemari() -> Lemari:
    """The Lemari object of the current app."""
    return current_app.extensions["lemari"]
