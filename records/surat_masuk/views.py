"""The letter desk: the buku agenda, registering (with a scan), a letter's page with its
disposition chain, "Disposisi untuk saya", the lembar disposisi, registers and reports."""

from __future__ import annotations

import datetime as dt
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from records.exceptions import RecordsError, ValidationError
from records.extensions import db, lemari
from records.services.clock import clock
from records.surat_masuk import agenda_lama
from records.surat_masuk import services as sm
from records.surat_masuk.agenda_lama import imported_letter_ids
from records.surat_masuk.desk import archive_loaded, scan_from_upload
from records.views.common import flash_outcome
from records.web_common import current_actor, tz

FIELDS = ("pengirim", "nomor_surat", "tanggal_surat", "perihal", "sifat", "klasifikasi",
          "lampiran", "tanggal_terima", "catatan")


def today() -> dt.date:
    return clock(tz())[1]


def parse_period(args) -> tuple[dt.date, dt.date]:
    """?dari=YYYY-MM-DD&sampai=YYYY-MM-DD (this month when empty); 400 when malformed."""
    now = today()
    try:
        first = dt.date.fromisoformat(args["dari"]) if args.get("dari") else now.replace(day=1)
        last = dt.date.fromisoformat(args["sampai"]) if args.get("sampai") else now
    except ValueError:
        abort(400)
    if last < first or (last - first).days > 3700:
        abort(400)
    return first, last


class SuratMasukView(BaseView):
    """/surat-masuk/: the agenda desk."""

    route_base = "/surat-masuk"
    default_view = "list"
    class_permission_name = "Surat_masuk"
    method_permission_name = {"list": "read", "show": "read", "new": "register",
                              "dispose": "dispose", "forward": "follow", "act": "follow",
                              "lembar": "read", "scan": "read", "reply": "read", "file": "read",
                              "report": "report", "agenda": "report", "mine": "follow",
                              "instructions": "manage", "impor_agenda": "impor",
                              "templat_agenda": "impor"}

    @expose("/")
    @has_access
    def list(self):
        actor, registry = current_actor(), lemari().registry
        text, state = request.args.get("q", "")[:100], request.args.get("status", "")
        try:
            year = int(request.args.get("tahun") or 0) or None
        except ValueError:
            year = None
        rows = sm.list_letters(actor=actor, session=db.session, registry=registry, tahun=year,
                               state=state, teks=text)
        mine = sm.worklist(actor=actor, session=db.session) if actor.can("surat_masuk.follow") else []
        imported = imported_letter_ids(db.session, [s.id for s in rows])
        return self.render_template("lemari/surat_masuk_list.html", rows=rows, mine=mine,
                                    imported=imported, imported_mark=sm.IMPORTED_MARK,
                                    sifat=sm.SIFAT, today=today(), q=text, state=state,
                                    states=registry.workflows[sm.LETTER].states,
                                    overdue=sm.is_overdue)

    @expose("/disposisi-saya")
    @has_access
    def mine(self):
        rows = sm.worklist(actor=current_actor(), session=db.session, open_only=False)
        return self.render_template("lemari/surat_masuk_mine.html", rows=rows, today=today(),
                                    overdue=sm.is_overdue, sifat=sm.SIFAT)

    @expose("/catat", methods=["GET", "POST"])
    @has_access
    def new(self):
        values = {k: request.form.get(k, "") for k in FIELDS} if request.method == "POST" else {}
        errors: dict = {}
        duplicates: list = []
        if request.method == "POST":
            actor = current_actor()
            try:
                surat = scan_from_upload(request.files.get("berkas"), actor=actor, run=lambda scan:
                                         sm.register_letter(values, actor=actor, session=db.session,
                                                            registry=lemari().registry,
                                                            today=today(), scan=scan,
                                                            confirm_duplicate=bool(
                                                                request.form.get("konfirmasi"))))
            except sm.DuplicateLetterError as exc:
                db.session.rollback()
                errors, duplicates = exc.errors, exc.duplicates
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
                errors.setdefault("", str(exc))
            except RecordsError as exc:
                db.session.rollback()
                errors = {"": str(exc)}
            else:
                agenda = f"{surat.nomor_agenda}/{surat.tahun}"
                flash(_("Surat masuk tercatat dengan nomor agenda %(n)s.", n=agenda), "success")
                if sm.may_see(actor, surat, lemari().registry):
                    return redirect(url_for("SuratMasukView.show", surat_id=surat.id))
                return redirect(url_for("SuratMasukView.list"))
        return self.render_template("lemari/surat_masuk_form.html", values=values, errors=errors,
                                    duplicates=duplicates, sifat=sm.SIFAT, today=today(),
                                    scans=archive_loaded()), 422 if errors else 200

    @expose("/<int:surat_id>")
    @has_access
    def show(self, surat_id):
        actor, registry = current_actor(), lemari().registry
        surat = sm.view_letter(surat_id, actor=actor, session=db.session, registry=registry)
        may_dispose = (actor.can("surat_masuk.dispose")
                       and bool(actor.roles & registry.permissions["surat_masuk.dispose"].roles)
                       and surat.state in (sm.RECEIVED, sm.DISPOSED))
        workflow = registry.workflows[sm.DISPOSITION]
        return self.render_template(
            "lemari/surat_masuk_show.html", s=surat, chain=sm.chain(surat), sifat=sm.SIFAT,
            states=registry.workflows[sm.LETTER].states, dstates=workflow.states,
            may_dispose=may_dispose, holds=lambda d: sm._holds(actor, d)
            and actor.can("surat_masuk.follow") and d.state != sm.CLOSED_STATE,
            options=sm.instructions(db.session), today=today(), overdue=sm.is_overdue,
            scans=archive_loaded(), reply_types=[(t, registry.document_types[t].title) for t in sm.REPLY_TYPES
                                                 if t in registry.document_types],
            can_file=surat.state in registry.workflows[sm.LETTER].transition("arsipkan").sources
            and bool(actor.roles & registry.workflows[sm.LETTER].transition("arsipkan").roles))

    def _dispose_values(self):
        return dict(kepada=request.form.getlist("kepada") + request.form.get("kepada_lain", "")
                    .replace(";", ",").split(","),
                    instruksi=request.form.getlist("instruksi"),
                    catatan=request.form.get("catatan", ""),
                    batas_waktu=request.form.get("batas_waktu", ""))

    @expose("/<int:surat_id>/disposisi", methods=["POST"])
    @has_access
    def dispose(self, surat_id):
        flash_outcome(lambda: sm.dispose(surat_id, **self._dispose_values(), actor=current_actor(),
                                         session=db.session, registry=lemari().registry,
                                         today=today()), _("Disposisi terkirim."))
        return redirect(url_for("SuratMasukView.show", surat_id=surat_id))

    @expose("/<int:surat_id>/disposisi/<int:disposisi_id>/teruskan", methods=["POST"])
    @has_access
    def forward(self, surat_id, disposisi_id):
        flash_outcome(lambda: sm.dispose(surat_id, **self._dispose_values(), actor=current_actor(),
                                         session=db.session, registry=lemari().registry,
                                         today=today(), induk_id=disposisi_id),
                      _("Disposisi diteruskan."))
        return redirect(url_for("SuratMasukView.show", surat_id=surat_id))

    @expose("/disposisi/<int:disposisi_id>/<name>", methods=["POST"])
    @has_access
    def act(self, disposisi_id, name):
        actor = current_actor()
        row = sm.get_disposition(disposisi_id, actor=actor, session=db.session,
                                 registry=lemari().registry)
        surat_id = row.surat_id

        def run(scan):
            return sm.act(disposisi_id, name, note=request.form.get("note", ""), actor=actor,
                          session=db.session, registry=lemari().registry, attachment=scan)
        flash_outcome(lambda: scan_from_upload(request.files.get("berkas"), actor=actor, run=run,
                                               permission="surat_masuk.follow"),
                      _("Disposisi diperbarui."))
        return redirect(url_for("SuratMasukView.show", surat_id=surat_id))

    @expose("/<int:surat_id>/arsipkan", methods=["POST"])
    @has_access
    def file(self, surat_id):
        flash_outcome(lambda: sm.file_letter(surat_id, note=request.form.get("note", ""),
                                             actor=current_actor(), session=db.session,
                                             registry=lemari().registry), _("Surat diarsipkan."))
        return redirect(url_for("SuratMasukView.show", surat_id=surat_id))

    @expose("/<int:surat_id>/balasan", methods=["POST"])
    @has_access
    def reply(self, surat_id):
        made = []
        flash_outcome(lambda: made.append(sm.draft_reply(
            surat_id, doctype=request.form.get("jenis", "surat_dinas"), actor=current_actor(),
            session=db.session, registry=lemari().registry, policy=lemari().desk().policy)),
            _("Draf naskah balasan dibuat."))
        if made:
            return redirect(url_for("RecordsView.show", record_id=made[0].id))
        return redirect(url_for("SuratMasukView.show", surat_id=surat_id))

    @expose("/<int:surat_id>/berkas/<int:record_id>")
    @has_access
    def scan(self, surat_id, record_id):
        from records.desk import blob_store

        stream, name = sm.read_scan(surat_id, record_id, actor=current_actor(), session=db.session,
                                    registry=lemari().registry,
                                    blobs=blob_store(lemari().settings))
        head = stream.read(8)
        stream.seek(0)
        kind = ("application/pdf", ".pdf") if head.startswith(b"%PDF") else \
            ("image/png", ".png") if head.startswith(b"\x89PNG") else \
            ("image/jpeg", ".jpg") if head.startswith(b"\xff\xd8") else ("image/tiff", ".tif")
        return send_file(stream, mimetype=kind[0], download_name=name + kind[1])

    @expose("/<int:surat_id>/lembar-disposisi.pdf")
    @has_access
    def lembar(self, surat_id):
        data = sm.lembar_disposisi_pdf(surat_id, actor=current_actor(), session=db.session,
                                       desk=lemari().desk())
        return send_file(io.BytesIO(data), mimetype="application/pdf",
                         download_name=f"lembar-disposisi-{surat_id}.pdf")

    @expose("/laporan")
    @has_access
    def report(self):
        data = sm.disposition_report(actor=current_actor(), session=db.session,
                                     registry=lemari().registry, today=today())
        first, last = parse_period(request.args)
        return self.render_template("lemari/surat_masuk_report.html", r=data, first=first,
                                    last=last)

    @expose("/agenda.<fmt>")
    @has_access
    def agenda(self, fmt):
        first, last = parse_period(request.args)
        actor = current_actor()
        if fmt == "xlsx":
            data = sm.agenda_xlsx(first, last, actor=actor, session=db.session,
                                  registry=lemari().registry)
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        elif fmt == "pdf":
            data = sm.agenda_pdf(first, last, actor=actor, session=db.session, desk=lemari().desk())
            mimetype = "application/pdf"
        else:
            abort(404)
        return send_file(io.BytesIO(data), mimetype=mimetype,
                         download_name=f"buku-agenda-{first}-{last}.{fmt}")

    @expose("/impor-agenda", methods=["GET", "POST"])
    @has_access
    def impor_agenda(self):
        """Import an old agenda book (surat masuk or keluar): all lines or none, per-row report."""
        jenis = request.values.get("jenis", agenda_lama.MASUK)
        problems, report, status = None, None, 200
        if request.method == "POST":
            upload = request.files.get("berkas")
            try:
                if upload is None or not upload.filename:
                    raise ValidationError(_("Pilih berkas buku agenda (XLSX atau CSV)."))
                rows = agenda_lama.read_agenda(upload.stream.read(agenda_lama.MAX_BYTES + 1),
                                               upload.filename, jenis)
                report = agenda_lama.import_agenda(
                    rows, jenis, actor=current_actor(), session=db.session,
                    registry=lemari().registry, source=upload.filename, today=today())
            except ValidationError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                problems, status = getattr(exc, "rows", None) or [], 422
            else:
                flash(_("%(n)d baris baru dicatat dan %(u)d baris diperbarui dari buku agenda.",
                        n=len(report.created), u=len(report.updated)), "success")
        return self.render_template(
            "lemari/surat_masuk_impor_agenda.html", problems=problems, report=report,
            jenis=jenis if jenis in agenda_lama.COLUMNS else agenda_lama.MASUK,
            books=agenda_lama.JENIS, columns=agenda_lama.COLUMNS,
            summary=agenda_lama.summary(db.session)), status

    @expose("/impor-agenda/templat-<jenis>.xlsx")
    @has_access
    def templat_agenda(self, jenis):
        """The empty agenda book with the expected columns."""
        if jenis not in agenda_lama.COLUMNS:
            abort(404)
        return send_file(io.BytesIO(agenda_lama.template_xlsx(jenis)),
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         download_name=f"templat-buku-agenda-{jenis}.xlsx")

    @expose("/instruksi", methods=["GET", "POST"])
    @has_access
    def instructions(self):
        if request.method == "POST":
            flash_outcome(lambda: sm.save_instruction(
                request.form.get("kode", ""), request.form.get("teks", ""),
                aktif=bool(request.form.get("aktif")), actor=current_actor(), session=db.session),
                _("Daftar instruksi disimpan."))
            return redirect(url_for("SuratMasukView.instructions"))
        return self.render_template("lemari/surat_masuk_instruksi.html",
                                    rows=sm.instructions(db.session, active_only=False))


def register(appbuilder) -> None:
    from records.surat_masuk.api import SuratMasukApi

    menus = lemari().menu_permissions
    appbuilder.add_view(SuratMasukView, "Surat Masuk", label=_l("Surat Masuk"),
                        category="Persuratan", category_label=_l("Persuratan"))
    appbuilder.add_link("Disposisi Saya", label=_l("Disposisi untuk Saya"),
                        href="/surat-masuk/disposisi-saya", category="Persuratan")
    appbuilder.add_api(SuratMasukApi)
    menus["Surat Masuk"] = frozenset({"surat_masuk.read"})
    menus["Disposisi Saya"] = frozenset({"surat_masuk.follow"})
    appbuilder.add_link("Impor Buku Agenda", label=_l("Impor Buku Agenda Lama"),
                        href="/surat-masuk/impor-agenda", category="Persuratan")
    menus["Impor Buku Agenda"] = frozenset({"surat_masuk.impor"})
    menus["Persuratan"] = menus.get("Persuratan", frozenset()) | {"surat_masuk.read",
                                                                   "surat_masuk.follow",
                                                                   "surat_masuk.impor"}
