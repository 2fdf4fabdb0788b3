"""Document screens: list, choose a type, fill its declared form, show with workflow actions."""

from __future__ import annotations

import io
import secrets

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from records.exceptions import NotFoundError, RecordsError, SetupRequiredError, ValidationError
from records.extensions import db, lemari
from records.models import Layanan, Record
from records.services import drafting, files, issuing, kependudukan, personal_data, records, requests
from records.services.fields import clean_fields
from records.services.klasifikasi import CURRENT_SCHEME, codes_of
from records.web_common import current_actor, nik_display, text_display

PAGE_SIZE = 50
MISSING_NIK = "NIK pemohon wajib diisi."
UNKNOWN_NIK = "NIK tidak terdaftar di data penduduk."
UNKNOWN_APPLICANT = "Pemohon yang dipilih tidak ditemukan; cari dan pilih lagi."


class RecordsView(BaseView):
    """The clerk's document desk; every action calls records services."""

    route_base = "/dokumen"
    default_view = "list"
    class_permission_name = "Record"
    method_permission_name = {"list": "read", "show": "read", "new": "create",
                              "create": "create", "transition": "read", "download": "read",
                              "intake": "create", "intake_form": "create", "print_batch": "read",
                              "preview": "read", "requirements": "create",
                              "sign_and_issue": "read", "applicant_lookup": "create",
                              "applicant": "create"}

    @expose("/")
    @has_access
    def list(self):
        """The document list, filtered by one workflow at a time (`alur`), then by one of its
        states: one state name may mean two things in two workflows."""
        page = max(request.args.get("page", 1, type=int), 1)
        registry = lemari().registry
        choices = record_workflows(registry)
        alur, state = request.args.get("alur") or None, request.args.get("state") or None
        workflow = registry.workflows[alur] if alur in choices else None
        if alur and workflow is None:
            flash(_("Alur dokumen itu tidak dikenal; semua dokumen ditampilkan."), "warning")
        if workflow is not None and state and state not in workflow.states:
            flash(_("Status itu tidak ada pada alur %(alur)s; semua statusnya ditampilkan.",
                    alur=workflow.title), "warning")
            state = None
        doctypes = ([name for name, spec in registry.document_types.items()
                     if spec.workflow == workflow.name] if workflow is not None else None)
        rows, total = records.list_records(actor=current_actor(), session=db.session,
                                           state=state, limit=PAGE_SIZE, doctypes=doctypes,
                                           offset=(page - 1) * PAGE_SIZE)
        counts = (records.count_by_state(actor=current_actor(), session=db.session,
                                         doctypes=doctypes) if doctypes is not None else {})
        return self.render_template("lemari/records_list.html", rows=rows, total=total,
                                    page=page, pages=max((total - 1) // PAGE_SIZE + 1, 1),
                                    state=state, alur=workflow.name if workflow else None,
                                    workflow=workflow, workflows=choices, counts=counts,
                                    state_label=state_label, registry=registry)

    @expose("/baru")
    @has_access
    def new(self):
        # A legacy type (IUMK) takes no new draft: its issued letters stay under "Dokumen".
        types = sorted((d for d in lemari().registry.document_types.values()
                        if not d.internal and not d.legacy), key=lambda d: d.title)
        return self.render_template("lemari/records_new.html", types=types)

    @expose("/baru/<doctype>", methods=["GET", "POST"])
    @has_access
    def create(self, doctype):
        spec = lemari().registry.document_types.get(doctype) or abort(404)
        values, errors = request.form.to_dict(), {}
        values.setdefault("idempotency_key", new_form_token())
        if request.method == "POST":
            record, errors = _create(spec, values)
            if record is not None:
                flash(_("Dokumen dibuat."), "success")
                return redirect(url_for("RecordsView.show", record_id=record.id))
        return self.render_template(
            "lemari/records_form.html", spec=spec, values=values, errors=errors,
            kode_klasifikasi=codes_of(db.session, CURRENT_SCHEME),
            desa=drafting.desa_choices(db.session, lemari().settings) if spec.pemohon_nonpermanen
            else [], jenis_kelamin=drafting.JENIS_KELAMIN), (422 if errors else 200)

    @expose("/<int:record_id>")
    @has_access
    def show(self, record_id):
        record = records.get_record(record_id, actor=current_actor(), session=db.session)
        registry = lemari().registry
        spec = registry.document_types.get(record.doctype)
        workflow = registry.workflows[spec.workflow] if spec else None
        actions = workflow.available(record.state, current_actor().roles) if workflow else []
        page = self.render_template("lemari/records_show.html", record=record, spec=spec,
                                    workflow=workflow, actions=actions, nik_display=nik_display,
                                    text_display=text_display)
        personal_data.note_viewed("record", record.id, desa_code=record.desa_code,
                                  actor=current_actor(), session=db.session, channel="web")
        return page

    @expose("/<int:record_id>/berkas/<int:file_id>")
    @has_access
    def download(self, record_id, file_id):
        ext = lemari()
        data, name = files.read_record_file(record_id, file_id, actor=current_actor(),
                                            session=db.session, blobs=ext.desk().blobs)
        return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name)

    @expose("/<int:record_id>/pratinjau")
    @has_access
    def preview(self, record_id):
        paper = _paper(request.args.get("kertas"))
        data = personal_data.preview_letter(record_id, paper=paper, actor=current_actor(),
                                            session=db.session, desk=lemari().desk())
        return send_file(io.BytesIO(data), mimetype="application/pdf",
                         download_name=f"pratinjau-{record_id}.pdf")

    @expose("/permohonan")
    @has_access
    def intake(self):
        services = db.session.scalars(select(Layanan).order_by(Layanan.nama)).all()
        return self.render_template("lemari/intake_choose.html", services=services)

    @expose("/permohonan/<code>", methods=["GET", "POST"])
    @has_access
    def intake_form(self, code):
        layanan = db.session.get(Layanan, code) or abort(404)
        spec = lemari().registry.document_types.get(layanan.doctype) or abort(404)
        values, errors = request.form.to_dict(), {}
        values.setdefault("idempotency_key", new_form_token())
        duplicates = []
        if request.method == "POST":
            record, errors, duplicates = _take(layanan, spec, values,
                                               request.form.getlist("persyaratan"))
            if record is not None:  # Post/Redirect/Get: a reload never posts again
                flash(_("Permohonan diterima. Kode lacak: %(code)s", code=record.tracking_code),
                      "success")
                return redirect(url_for("RecordsView.show", record_id=record.id))
        search, chosen = _applicant_search(values), _chosen_applicant(values)
        return self.render_template("lemari/intake_form.html", layanan=layanan, spec=spec,
                                    values=values, errors=errors, duplicates=duplicates,
                                    checked=request.form.getlist("persyaratan"), search=search,
                                    chosen=chosen, family=kependudukan.family_of(chosen) if chosen
                                    else [], nik_display=nik_display), (422 if errors else 200)

    @expose("/pemohon/cari")
    @has_access
    def applicant_lookup(self):
        """Suggestions while the clerk types a name or a NIK (JSON; NIK always masked)."""
        try:
            found = kependudukan.lookup_residents(request.args.get("q", ""), actor=current_actor(),
                                                  session=db.session)
        except RecordsError as exc:
            return jsonify(pesan=str(exc), hasil=[]), exc.http_status
        return jsonify(hasil=[_suggestion(p) for p in found])

    @expose("/pemohon/<int:penduduk_id>")
    @has_access
    def applicant(self, penduduk_id):
        """The chosen resident's biodata and family panel (JSON with its HTML), audited."""
        try:
            person = _open_applicant(penduduk_id)
        except RecordsError as exc:
            return jsonify(pesan=str(exc)), exc.http_status
        html = render_template("lemari/_pemohon.html", chosen=person, nik_display=nik_display,
                               family=kependudukan.family_of(person))
        return jsonify(id=person.id, nama=person.nama, html=html)

    @expose("/<int:record_id>/persyaratan", methods=["POST"])
    @has_access
    def requirements(self, record_id):
        """Tick the requirements handed in since intake; the last one fixes the promised date."""
        try:
            record = requests.update_requirements(
                record_id, received=request.form.getlist("persyaratan"),
                berlaku=request.form.getlist("kondisi"), actor=current_actor(),
                session=db.session, registry=lemari().registry, today=lemari().desk().today())
        except RecordsError as exc:
            db.session.rollback()
            if exc.http_status == 404:
                raise
            flash(str(exc), "danger")
        else:
            if record.promised_date:
                flash(_("Persyaratan disimpan. Berkas lengkap; janji selesai %(date)s.",
                        date=record.promised_date.strftime("%d-%m-%Y")), "success")
            else:
                flash(_("Persyaratan disimpan. Berkas belum lengkap."), "warning")
        return redirect(url_for("RecordsView.show", record_id=record_id))

    @expose("/<int:record_id>/tandatangani-terbitkan", methods=["POST"])
    @has_access
    def sign_and_issue(self, record_id):
        """The signer's one click from the worklist: sign, then issue when the workflow lets
        the same role issue (services.issuing.sign_and_issue)."""
        ext = lemari()
        try:
            issuing.sign_and_issue(record_id, paper=_paper(request.form.get("kertas")),
                                           actor=current_actor(), session=db.session,
                                           registry=ext.registry, pm=ext.pm, desk_factory=ext.desk)
        except RecordsError as exc:
            db.session.rollback()
            if exc.http_status == 404:
                raise
            flash(setup_link(exc) if isinstance(exc, SetupRequiredError) else str(exc), "danger")
        else:
            flash(_("Status dokumen diperbarui."), "success")
        return redirect(url_for("RecordsView.show", record_id=record_id))

    @expose("/cetak", methods=["POST"])
    @has_access
    def print_batch(self):
        ids = [int(i) for i in request.form.getlist("ids") if i.isascii() and i.isdigit()][:500]
        data = files.merge_issued(ids, actor=current_actor(), session=db.session,
                                  blobs=lemari().desk().blobs)
        return send_file(io.BytesIO(data), mimetype="application/pdf",
                         download_name="cetak-dokumen.pdf")

    @expose("/<int:record_id>/langkah/<name>", methods=["POST"])
    @has_access
    def transition(self, record_id, name):
        try:
            ext = lemari()
            record = records.get_record(record_id, actor=current_actor(), session=db.session)
            issued_before = issuing.is_issuing_step(record, name, ext.registry) and record.number
            issuing.advance(record_id, name, note=request.form.get("note", ""),
                            paper=_paper(request.form.get("kertas")),
                            actor=current_actor(), session=db.session, registry=ext.registry,
                            pm=ext.pm, desk_factory=ext.desk)
        except RecordsError as exc:
            db.session.rollback()
            if exc.http_status == 404:
                raise
            flash(setup_link(exc) if isinstance(exc, SetupRequiredError) else str(exc), "danger")
        else:
            if issued_before:  # a second click on "Terbitkan": nothing new was issued
                flash(_("Dokumen ini sudah terbit dengan nomor %(number)s; tidak ada nomor baru.",
                        number=issued_before), "info")
            else:
                flash(_("Status dokumen diperbarui."), "success")
        return redirect(url_for("RecordsView.show", record_id=record_id))


def record_workflows(registry) -> dict:
    """{workflow name: workflow} of the workflows records follow (those a document type
    names), by title: the document list's first choice."""
    names = {spec.workflow for spec in registry.document_types.values()}
    found = [registry.workflows[name] for name in names if name in registry.workflows]
    return {w.name: w for w in sorted(found, key=lambda w: w.title)}


def state_label(record: Record) -> str:
    """The record's state in its own workflow's words (not another workflow's label)."""
    registry = lemari().registry
    spec = registry.document_types.get(record.doctype)
    workflow = registry.workflows.get(spec.workflow) if spec else None
    return workflow.states.get(record.state, record.state) if workflow else record.state


def new_form_token() -> str:
    """A one-time token for a record-creating form: its first submission creates the record,
    any resubmission (Back, reload, double click) returns that record (services.idempotency)."""
    return secrets.token_urlsafe(24)


def _take(layanan, spec, values: dict, received: list[str]):
    """Take the request: (record, {}, []), or (None, every form error at once, the open
    requests of the same resident and service when that was the refusal)."""
    try:
        penduduk_id = _applicant_id(spec, values)
        return requests.take_request(layanan.code, penduduk_id=penduduk_id, received=received,
                                     values=values, actor=current_actor(), session=db.session,
                                     desk=lemari().desk(), berlaku=request.form.getlist("kondisi"),
                                     idempotency_key=values.get("idempotency_key"),
                                     duplicate_ok=bool(values.get("tetap_buat"))), {}, []
    except requests.DuplicateRequestError as exc:
        db.session.rollback()
        return None, {"": str(exc)}, exc.existing
    except ValidationError as exc:
        db.session.rollback()
        return None, {**_field_errors(spec, values), **(exc.errors or {"": str(exc)})}, []
    except SetupRequiredError as exc:
        db.session.rollback()
        return None, {"": str(exc)}, []


def _create(spec, values: dict) -> tuple[Record | None, dict]:
    """Create the record, or return every form error at once (applicant and fields)."""
    try:
        penduduk_id = _penduduk_id(spec, values.get("nik", ""), values)
    except ValidationError as exc:
        return None, {**_field_errors(spec, values), **exc.errors}
    try:
        return records.create_record(spec.name, values, penduduk_id=penduduk_id,
                                     actor=current_actor(), session=db.session,
                                     registry=lemari().registry, policy=lemari().settings,
                                     idempotency_key=values.get("idempotency_key")), {}
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.errors or {"": str(exc)}
    except NotFoundError:
        # A resident outside the operator's desa: the same answer as an unknown NIK, no leak.
        db.session.rollback()
        return None, {"nik": UNKNOWN_NIK}


def _field_errors(spec, values: dict) -> dict:
    """Errors of the declared fields alone, so a bad NIK does not hide them."""
    try:
        clean_fields(spec.fields, values)
    except ValidationError as exc:
        return exc.errors
    return {}


def _penduduk_id(spec, nik_text: str, values: dict | None = None) -> int | None:
    """Resolve the applicant typed as a NIK; blank, invalid or unknown NIK is a form error.
    None for a non-resident applicant (typed from the KTP-el, checked by the service)."""
    if values is not None and spec.pemohon_nonpermanen and drafting.wants_nonpermanen(values):
        return None
    if not nik_text.strip():
        if spec.needs_penduduk:
            raise ValidationError(MISSING_NIK, {"nik": MISSING_NIK})
        return None
    return kependudukan.find_penduduk_by_nik(nik_text, actor=current_actor(), session=db.session)


def _applicant_id(spec, values: dict) -> int | None:
    """The applicant chosen from the look-up (`penduduk_id`, checked against the actor's
    scope), else the one typed as a NIK."""
    chosen = (values.get("penduduk_id") or "").strip()
    if not chosen:
        return _penduduk_id(spec, values.get("nik", ""))
    found = _row_id(chosen)
    if found is None:
        raise ValidationError(UNKNOWN_APPLICANT, {"nik": UNKNOWN_APPLICANT})
    try:
        return kependudukan.get_penduduk(found, actor=current_actor(), session=db.session).id
    except NotFoundError:
        raise ValidationError(UNKNOWN_APPLICANT, {"nik": UNKNOWN_APPLICANT}) from None


def _row_id(raw: str) -> int | None:
    """A row id typed into a form or URL, or None when it is not one (letters, an overlong
    number the database would refuse)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def _applicant_search(values: dict) -> dict | None:
    """The look-up without JavaScript (`?cari=`): {"q", "found", "message"}, or None."""
    if "cari" not in request.args:
        return None
    text = request.args.get("cari", "")
    try:
        found = kependudukan.lookup_residents(text, actor=current_actor(), session=db.session)
    except RecordsError as exc:
        return {"q": text, "found": [], "message": str(exc)}
    return {"q": text, "found": found, "message": "" if found else _("Tidak ada penduduk yang cocok.")}


def _chosen_applicant(values: dict):
    """The resident chosen (`?pemohon=` without JavaScript, or the form's `penduduk_id`),
    opened and audited like any view of a resident; None when none or not in scope."""
    found = _row_id(request.args.get("pemohon") or values.get("penduduk_id") or "")
    if found is None:
        return None
    try:
        person = _open_applicant(found)
    except RecordsError:
        return None
    values["penduduk_id"] = str(person.id)
    return person


def _open_applicant(penduduk_id: int):
    """A resident for the applicant panel: scoped like every read, and audited (the panel
    shows the biodata and the family)."""
    person = kependudukan.get_penduduk(penduduk_id, actor=current_actor(), session=db.session)
    personal_data.note_viewed("penduduk", person.id, desa_code=person.desa_code,
                              actor=current_actor(), session=db.session, channel="lookup")
    return person


def _suggestion(person) -> dict:
    """One suggestion: enough to tell two namesakes apart, the NIK masked."""
    return {"id": person.id, "nama": person.nama, "nik": person.nik_masked,
            "desa": person.desa.name if person.desa else person.desa_code,
            "rt_rw": f"{person.rt}/{person.rw}" if person.rt or person.rw else ""}


def setup_link(exc: SetupRequiredError) -> Markup:
    """The refusal with a link to the setup page (the message itself is escaped)."""
    return Markup('{} <a href="{}">{}</a>').format(
        str(exc), url_for("PengaturanKantorView.form"), _("Buka Pengaturan Kantor"))


def _paper(asked: str | None) -> str:
    """The paper asked for, else the office's paper size from its setup (F4 by default)."""
    if asked in ("A4", "F4"):
        return asked
    return "A4" if lemari().settings.get("PAPER_SIZE") == "A4" else "F4"
