"""Registry screens: residents and families (list/show/add/edit scoped to the user's desa)."""

from __future__ import annotations

import json

from flask import Response, flash, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from records import codes
from records.exceptions import ValidationError as ServiceValidationError
from records.extensions import db
from records.models import Keluarga, Penduduk
from records.nik import NikError, parse_nik, parse_no_kk
from records.services import kependudukan, personal_data
from records.services.clock import utc_now
from records.web_common import (
    CRUD_PERMISSIONS,
    FilterDesaScope,
    KeluargaInterface,
    PendudukInterface,
    actor_desa_scope,
    current_actor,
    guard_number_query,
    nik_display,
    scope_filters,
)

FORM_FIELD = {"desa_code": "desa"}  # service field name -> form field name


def _form_values(form) -> dict:
    """Form data in the service's vocabulary (the chosen Wilayah becomes desa_code)."""
    values = dict(form.data)
    desa = values.pop("desa", None)
    values["desa_code"] = desa.code if desa is not None else None
    return values


def _edited_pk() -> int | None:
    """The id in /edit/<pk>, so a resident keeps their own NIK without a 'duplicate' error."""
    pk = (request.view_args or {}).get("pk")
    return int(pk) if pk is not None and str(pk).isdigit() else None


def _check_penduduk(form) -> None:
    """Service rules (duplicate NIK, desa scope, family scope) before FAB saves anything."""
    actor = current_actor()
    kependudukan.validate_penduduk(_form_values(form), actor=actor, session=db.session,
                               current_id=_edited_pk())
    family = form.data.get("keluarga")
    if family is not None and not actor.sees_desa(family.desa_code):
        raise ServiceValidationError("Keluarga tidak ditemukan.", {"keluarga": "Keluarga tidak ditemukan."})


def _check_keluarga(form) -> None:
    """Service rules for a family (No. KK unique, desa in scope) before FAB saves it."""
    kependudukan.validate_keluarga(_form_values(form), actor=current_actor(), session=db.session,
                               current_id=_edited_pk())


def service_checked(form_class, check):
    """A form class whose validate() also runs the registry service's rules.

    FAB catches errors raised while saving, flashes them and redirects, so the clerk loses
    what they typed. Failing validation instead re-renders the form with the message under
    the field and the typed values kept.
    """
    class ServiceCheckedForm(form_class):
        def validate(self, extra_validators=None):
            if not super().validate(extra_validators=extra_validators):
                return False
            try:
                check(self)
            except ServiceValidationError as exc:
                _attach_errors(self, exc)
                return False
            return True

    ServiceCheckedForm.__name__ = form_class.__name__
    return ServiceCheckedForm


def _attach_errors(form, exc: ServiceValidationError) -> None:
    """Put each service message under its field; messages without a field are flashed."""
    for name, message in (exc.errors or {"": str(exc)}).items():
        field = form._fields.get(FORM_FIELD.get(name, name)) if name else None
        if field is None:
            flash(message, "danger")
        else:
            field.errors = [*field.errors, message]


class ServiceFormMixin:
    """Wraps FAB's generated add/edit forms with `form_check` (see service_checked)."""

    form_check = None

    def _init_forms(self):
        # FAB appends InputRequired/Unique to the validator lists it is given; copy them so
        # the class-level lists do not grow with every app and form built in the process.
        self.validators_columns = {k: list(v) for k, v in type(self).validators_columns.items()}
        super()._init_forms()
        self.add_form = service_checked(self.add_form, type(self).form_check)
        self.edit_form = service_checked(self.edit_form, type(self).form_check)


def _nik_validator(parse):
    """WTForms validator that reports the exact NIK/No. KK rule broken, in Indonesian."""
    def validate(form, field):
        try:
            field.data = parse(field.data or "").nik if parse is parse_nik else parse(field.data or "").no_kk
        except NikError as exc:
            raise ValidationError(str(exc)) from None
    return validate


def _select(label: str, options, required: bool = True) -> SelectField:
    choices = [("", "—")] * (not required) + [(v, v) for v in codes.labels(options)]
    return SelectField(label, choices=choices, widget=Select2Widget(),
                       validators=[DataRequired()] if required else [Optional()])


DESA_QUERY = [["level", FilterEqual, "desa"], ["valid_to", FilterEqual, None],
              ["code", FilterDesaScope, actor_desa_scope]]
PENDUDUK_FORM = ["nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin",
                 "golongan_darah", "agama", "status_perkawinan", "pekerjaan", "pendidikan",
                 "kewarganegaraan", "alamat", "rt", "rw", "desa", "keluarga", "hubungan",
                 "nama_ayah", "nama_ibu"]
LABELS = {"nik": _l("NIK"), "nama": _l("Nama"), "tempat_lahir": _l("Tempat lahir"),
          "tanggal_lahir": _l("Tanggal lahir"), "jenis_kelamin": _l("Jenis kelamin"),
          "golongan_darah": _l("Golongan darah"), "agama": _l("Agama"),
          "status_perkawinan": _l("Status perkawinan"), "pekerjaan": _l("Pekerjaan"),
          "pendidikan": _l("Pendidikan"), "kewarganegaraan": _l("Kewarganegaraan"),
          "alamat": _l("Alamat"), "rt": "RT", "rw": "RW", "desa": _l("Desa"),
          "keluarga": _l("Keluarga (No. KK)"), "hubungan": _l("Hubungan dalam keluarga"),
          "nama_ayah": _l("Nama ayah"), "nama_ibu": _l("Nama ibu"), "no_kk": _l("No. KK"),
          "kepala": _l("Kepala keluarga"), "anggota": _l("Anggota"), "kode_pos": _l("Kode pos")}


class PersonalListMixin:
    """A registry list and detail page: filters and sort on NIK / No. KK checked against the
    full-NIK right (a role without it matches a number only whole and never sorts by it;
    refused: 400 with the reason), every list page audited with the query that chose it, before
    its query runs, and every detail page audited as a view of personal data."""

    audit_kind = ""

    def _get_list_widget(self, filters, **kwargs):
        guard_number_query(filters, kwargs.get("order_column") or "")
        personal_data.note_listed(type(self).audit_kind, None, actor=current_actor(),
                                  session=db.session, channel="web",
                                  query="&".join(f"{k}={v}" for k, v in request.args.items(multi=True)))
        return super()._get_list_widget(filters, **kwargs)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The detail page; opening it is audited (a view of personal data)."""
        page = super().show(pk)  # 404 when outside the actor's desa
        item = self.datamodel.get(pk, self._base_filters)
        personal_data.note_viewed(type(self).audit_kind, item.id, desa_code=item.desa_code,
                                  actor=current_actor(), session=db.session, channel="web")
        return page


class PendudukView(PersonalListMixin, ServiceFormMixin, ModelView):
    """Residents: clerks add and correct, others read; NIK masked without the right."""

    datamodel = PendudukInterface(Penduduk)
    audit_kind = "penduduk"
    form_check = staticmethod(_check_penduduk)
    class_permission_name = "Penduduk"
    method_permission_name = CRUD_PERMISSIONS
    base_filters = scope_filters()
    base_order = ("nama", "asc")
    list_title = show_title = _l("Data Penduduk")
    add_title, edit_title = _l("Tambah Penduduk"), _l("Ubah Data Penduduk")
    list_columns = ["nik", "nama", "jenis_kelamin", "tanggal_lahir", "desa", "rt", "rw"]
    search_columns = ["nama", "nik", "desa", "jenis_kelamin", "agama", "status_perkawinan"]
    show_columns = PENDUDUK_FORM
    add_columns = edit_columns = PENDUDUK_FORM
    label_columns = LABELS
    formatters_columns = {"nik": nik_display}
    validators_columns = {"nik": [_nik_validator(parse_nik)]}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "desa": DESA_QUERY, "keluarga": [["desa_code", FilterDesaScope, actor_desa_scope]]}
    # the search form offers the office's desa, not every region of the wilayah table (~650)
    search_form_query_rel_fields = {"desa": DESA_QUERY}
    add_form_extra_fields = edit_form_extra_fields = {
        "jenis_kelamin": _select(_l("Jenis kelamin"), codes.JENIS_KELAMIN),
        "golongan_darah": _select(_l("Golongan darah"), codes.GOLONGAN_DARAH),
        "agama": _select(_l("Agama"), codes.AGAMA),
        "status_perkawinan": _select(_l("Status perkawinan"), codes.STATUS_PERKAWINAN),
        "pekerjaan": _select(_l("Pekerjaan"), codes.PEKERJAAN),
        "pendidikan": _select(_l("Pendidikan"), codes.PENDIDIKAN, required=False),
        "kewarganegaraan": _select(_l("Kewarganegaraan"), codes.KEWARGANEGARAAN),
        "hubungan": _select(_l("Hubungan dalam keluarga"), codes.SHDK, required=False),
    }
    show_template = "lemari/penduduk_show.html"

    @expose("/ekspor/<int:pk>", methods=["GET"])
    @has_access
    def subject_export(self, pk):
        """Everything held about this resident as JSON, for their subject-access request."""
        data = personal_data.subject_access_export(
            pk, actor=current_actor(), session=db.session,
            now=utc_now())
        body = json.dumps(data, ensure_ascii=False, indent=2)
        return Response(body, mimetype="application/json", headers={
            "Content-Disposition": f"attachment; filename=data-penduduk-{pk}.json"})


class KeluargaView(PersonalListMixin, ServiceFormMixin, ModelView):
    """Families by No. KK with their members."""

    datamodel = KeluargaInterface(Keluarga)
    audit_kind = "keluarga"
    form_check = staticmethod(_check_keluarga)
    class_permission_name = "Keluarga"
    method_permission_name = CRUD_PERMISSIONS
    base_permissions = ["can_read", "can_write"]
    base_filters = scope_filters()
    list_title = show_title = _l("Data Keluarga")
    add_title, edit_title = _l("Tambah Keluarga"), _l("Ubah Data Keluarga")
    list_columns = ["no_kk", "kepala", "alamat", "rt", "rw", "desa"]
    search_columns = ["no_kk", "alamat", "desa"]
    show_columns = ["no_kk", "kepala", "alamat", "rt", "rw", "desa", "kode_pos", "anggota"]
    add_columns = edit_columns = ["no_kk", "alamat", "rt", "rw", "desa", "kode_pos"]
    label_columns = LABELS
    formatters_columns = {"no_kk": nik_display,
                          "anggota": lambda members: ", ".join(p.nama for p in members)}
    validators_columns = {"no_kk": [_nik_validator(parse_no_kk)]}
    add_form_query_rel_fields = edit_form_query_rel_fields = search_form_query_rel_fields = {
        "desa": DESA_QUERY}
