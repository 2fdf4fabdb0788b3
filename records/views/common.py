"""Glue shared by the Flask-AppBuilder adapters: the current Actor, scope filter, NIK masking.

This is the only place the web layer turns a logged-in FAB user into the services' Actor.
"""

from __future__ import annotations

from flask import current_app, flash, g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import get_field_setup_query
from flask_appbuilder.models.sqla.interface import SQLAInterface

from ..actor import Actor
from ..exceptions import RecordsError
from ..extensions import db, lemari
from ..nik import mask_nik
from ..services.accounts import actor_for

ANONYMOUS = Actor(user_id=None, username="anonim", roles=frozenset(), permissions=frozenset(),
                  desa_scope=frozenset())

# Map every FAB CRUD method to one of a few permission names (Superset's shape).
CRUD_PERMISSIONS = {
    "list": "read", "show": "read", "download": "read", "api": "read", "api_read": "read",
    "api_get": "read", "api_readvalues": "read", "get": "read", "get_list": "read",
    "info": "read", "add": "write", "edit": "write", "post": "write", "put": "write",
    "api_create": "write", "api_update": "write", "api_column_add": "write",
    "api_column_edit": "write", "action": "write", "action_post": "write",
    "delete": "delete", "api_delete": "delete",
    "subject_export": "read", "export_csv": "read",
}


def current_actor() -> Actor:
    """The Actor for this request (cached on flask.g)."""
    if "lemari_actor" not in g:
        user = getattr(g, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            g.lemari_actor = ANONYMOUS
        else:
            g.lemari_actor = actor_for(user, sm=current_app.appbuilder.sm, session=db.session,
                                       registry=lemari().registry)
    return g.lemari_actor


def actor_desa_scope():
    """Function for FilterDesaScope: None means every desa."""
    return current_actor().desa_scope


class FilterDesaScope(BaseFilter):
    """Row filter limiting a model to the actor's desa (applied to list, show, edit, delete, API)."""

    name = "Cakupan desa"
    arg_name = "desa_scope"

    def apply(self, query, func):
        scope = func()
        if scope is None:
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.in_(sorted(scope)))


def scope_filters(column: str = "desa_code") -> list:
    """base_filters for a model that carries a desa code."""
    return [[column, FilterDesaScope, actor_desa_scope]]


def nik_display(value: str) -> str:
    """Full NIK/No. KK for roles allowed to see it, masked for everyone else."""
    if not value:
        return ""
    return value if current_actor().can("penduduk.view_nik") else mask_nik(value)


class ServiceInterface(SQLAInterface):
    """SQLAInterface whose writes go through a service (validation, scope, audit, commit)."""

    save = None  # service(item, *, actor, session, is_new)
    remove = None  # service(item, *, actor, session)

    def add(self, item, commit: bool = True) -> None:
        type(self).save(item, actor=current_actor(), session=self.session, is_new=True)

    def edit(self, item, commit: bool = True) -> None:
        type(self).save(item, actor=current_actor(), session=self.session, is_new=False)

    def delete(self, item, commit: bool = True) -> None:
        type(self).remove(item, actor=current_actor(), session=self.session)


def flash_outcome(action, success: str) -> None:
    """Run a page's service call: flash its refusal (a missing item stays a 404 page) or
    the success message. A refusal rolls the session back, so nothing half-done is kept."""
    try:
        action()
    except RecordsError as exc:
        db.session.rollback()
        if exc.http_status == 404:
            raise
        flash(str(exc), "danger")
    else:
        flash(success, "success")
