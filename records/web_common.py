"""Glue shared by the two HTTP adapters, the web views (`records.views`) and the REST API
(`records.api`): the current Actor, the desa scope filter, NIK masking, the FAB interfaces
whose writes go through services, the search request, and staged uploads.

This is the only place the web layer turns a logged-in FAB user into the services' Actor.
The REST API imports this module, never `records.views` (a contract in pyproject.toml).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from flask import current_app, flash, g, render_template, request
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import get_field_setup_query
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import select

from records.actor import Actor
from records.extensions import db, lemari
from records.models import Record
from records.nik import mask_nik, mask_numbers_deep, mask_numbers_in_text
from records.services import kependudukan, personal_data, worklists
from records.services.accounts import actor_for
from records.services.public_guard import client_key
from records.services.searching import SearchRequest, clean_request, search_archive
from search import FACET_KEYS

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


def current_worklists() -> tuple[list, dict[str, int]]:
    """This request's worklists (declared, services.worklists.Pending) and their counts, read
    once per request in one statement: the menu's badges and the home page share them."""
    if "lemari_worklists" not in g:
        actor = current_actor()
        if not actor.roles:
            g.lemari_worklists = ([], {})
        else:
            ext = lemari()
            lists = worklists.pending(actor, session=db.session, registry=ext.registry,
                                      today=ext.desk().today(),
                                      timezone=ext.settings.get("TIMEZONE", "Asia/Makassar"),
                                      records=actor.can("record.read"))
            g.lemari_worklists = (lists, worklists.count_all(lists, session=db.session))
    return g.lemari_worklists


def menu_counts() -> dict[str, int]:
    """{menu item name: how many things wait there for the current user} (badges)."""
    lists, counts = current_worklists()
    return worklists.menu_counts(lists, counts)


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


class FilterRecordDesaScope(BaseFilter):
    """Row filter for a model that points at a record (`record_id`): only rows whose record
    lies in the actor's desa; rows without a record are office business, not a desa's."""

    name = "Cakupan desa dokumen"
    arg_name = "record_desa_scope"

    def apply(self, query, func):
        scope = func()
        if scope is None:
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.in_(select(Record.id).where(Record.desa_code.in_(sorted(scope)))))


def full_numbers() -> bool:
    """Whether the current user may see NIK and No. KK whole."""
    return current_actor().can(personal_data.FULL_NIK)


def nik_display(value: str) -> str:
    """Full NIK/No. KK for roles allowed to see it, masked for everyone else."""
    if not value:
        return ""
    return value if full_numbers() else mask_nik(value)


def text_display(value):
    """Free text (a note, OCR text, an audit detail, a letter's field) as the current user may
    see it: every NIK- or No. KK-like number masked without the full-NIK right. Dicts and lists
    are masked inside; None stays None."""
    if value is None or full_numbers():
        return value
    return mask_numbers_in_text(value) if isinstance(value, str) else mask_numbers_deep(value)


def guard_number_query(filters, order_column: str = "") -> None:
    """Check a list request (FAB filters parsed from `_flt_*` or from REST `q`, and the sort
    column) against what the current user may ask about personal numbers: a role without the
    full-NIK right matches a NIK or No. KK only whole and never sorts by it. Whole numbers
    are normalised in place (spaces, dots, dashes dropped); refusals raise
    personal_data.NumberQueryError with the Indonesian reason."""
    actor = current_actor()
    personal_data.check_number_order(actor, order_column)
    for index, (flt, value) in enumerate(zip(filters.filters, filters.values, strict=True)):
        filters.values[index] = personal_data.number_filter_value(
            actor, flt.column_name, flt.arg_name or "", value)


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


class PendudukInterface(ServiceInterface):
    """Residents through the registry service (screens and REST API).

    Columns with a database default (RT, RW, parents' names) are optional on the KTP-el
    and in the service; FAB would make every NOT NULL column required in the form, so a
    clerk could not save a resident whose father's name is unknown.
    """

    save = kependudukan.save_penduduk
    remove = kependudukan.delete_penduduk
    optional_columns = frozenset({"rt", "rw", "nama_ayah", "nama_ibu"})

    def is_nullable(self, col_name: str) -> bool:
        """Optional form fields for columns that default to an empty string."""
        return col_name in self.optional_columns or super().is_nullable(col_name)

    def is_unique(self, col_name: str) -> bool:
        """The service checks NIK uniqueness and says which NIK clashes; FAB's Unique
        validator would only add a vague 'Sudah ada.' next to it."""
        return col_name != "nik" and super().is_unique(col_name)

    def add(self, item, commit: bool = True) -> None:
        """Save, then show NIK warnings (e.g. birth date differs) instead of dropping them."""
        _flash_warnings(kependudukan.save_penduduk(item, actor=current_actor(), session=self.session,
                                               is_new=True))

    def edit(self, item, commit: bool = True) -> None:
        _flash_warnings(kependudukan.save_penduduk(item, actor=current_actor(), session=self.session,
                                               is_new=False))


def _flash_warnings(warnings: list[str]) -> None:
    """Show NIK warnings on the next page; the REST API has no page to show them on."""
    if request.path.startswith("/api/"):
        return
    for warning in warnings:
        flash(warning, "warning")


class KeluargaInterface(ServiceInterface):
    """Families through the registry service (No. KK uniqueness checked there)."""

    save = kependudukan.save_keluarga
    remove = None

    def is_unique(self, col_name: str) -> bool:
        return col_name != "no_kk" and super().is_unique(col_name)


def search_request_from_args(args) -> SearchRequest:
    """The search asked for in a query string (/cari and the REST API)."""
    filters = {key: args.get(key, "") for key in FACET_KEYS}
    return clean_request(args.get("q", ""), filters, args.get("sort", ""),
                         args.get("page", "1"))


def run_search(search: SearchRequest) -> dict:
    """search_archive for the logged-in user (RecordsError propagates to the caller)."""
    ext = lemari()
    return search_archive(search, actor=current_actor(), session=db.session,
                          engine=ext.search(), registry=ext.registry)


class staged_upload:  # lower case: used like a function, `with staged_upload(f) as path`
    """An upload copied to a temp file in the data folder, in chunks (never whole in memory)."""

    def __init__(self, upload) -> None:
        self.upload = upload

    def __enter__(self) -> Path:
        staging = Path(lemari().settings["HOME"]) / "staging"
        staging.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(dir=staging))
        path = self.dir / "upload"
        with open(path, "wb") as fh:
            shutil.copyfileobj(self.upload.stream, fh, 1024 * 1024)
        return path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def waktu(value, seconds: bool = False) -> str:
    """Jinja filter `waktu`: a stored UTC timestamp in the office's zone, with its label."""
    from records.services.clock import format_local

    return format_local(value, current_app.extensions["lemari"].settings["TIMEZONE"], seconds=seconds)


def tz() -> str:
    """The office's time zone (e.g. Asia/Makassar)."""
    return lemari().settings["TIMEZONE"]


def public_page(template: str, status: int = 200, **context):
    """A public page in the office layout (navbar with the login link)."""
    appbuilder = current_app.appbuilder
    return render_template(template, appbuilder=appbuilder,
                           base_template=appbuilder.base_template, **context), status


def client() -> str:
    """The keyed pseudonym of the visitor's address (rate limits never store the address)."""
    return client_key(current_app.config["SECRET_KEY"], request.remote_addr or "")
