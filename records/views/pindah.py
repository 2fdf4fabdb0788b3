"""The Admin's "Pindah ke Lemari" page: the go-live checklist (core lines plus the plugins'
through `register_movein_items`), the form continuing a number register from its paper book,
and the printable berita acara of each switch-over."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.models import NomorLanjutan
from records.services.clock import clock
from records.services.numbering import continuations, continue_register
from records.services.pindah import berita_acara_pdf, checklist
from records.web_common import current_actor, waktu


def _today():
    return clock(lemari().settings["TIMEZONE"])[1]


class PindahView(BaseView):
    """Checklist, register continuation and its berita acara (Admin)."""

    route_base = "/pindah"
    default_view = "index"
    class_permission_name = "Konfigurasi"
    method_permission_name = {"index": "write", "lanjutkan": "write", "berita_acara": "write",
                              "berita_acara_pdf": "write"}

    def _page(self, values: dict, errors: dict, status: int = 200):
        today = _today()
        settings = lemari().settings
        items = checklist(db.session, lemari().registry, year=today.year,
                          kecamatan_code=str(settings.get("KECAMATAN_CODE") or ""))
        return self.render_template(
            "lemari/pindah.html", items=items, year=today.year, values=values, errors=errors,
            registers=continuations(db.session, today.year), waktu=waktu), status

    @expose("/")
    @has_access
    def index(self):
        return self._page({}, {})

    @expose("/lanjutkan", methods=["POST"])
    @has_access
    def lanjutkan(self):
        values = request.form.to_dict()
        raw = values.get("nomor_terakhir", "").strip()
        try:
            if not raw.isdigit():
                raise ValidationError(_("Nomor terakhir di buku register kertas harus angka."),
                                      {"nomor_terakhir": _("Isi dengan angka, misalnya 300.")})
            row = continue_register(db.session, values.get("register", ""), int(raw),
                                    actor=current_actor(), year=_today().year,
                                    last_text=values.get("teks", ""),
                                    note=values.get("keterangan", ""))
        except ValidationError as exc:
            db.session.rollback()
            return self._page(values, exc.errors or {"": str(exc)}, 422)
        flash(_("Register dilanjutkan: nomor berikutnya dari Lemari %(n)d.",
                n=row.nomor_terakhir + 1), "success")
        return redirect(url_for("PindahView.index"))

    @expose("/berita-acara/<int:lanjutan_id>")
    @has_access
    def berita_acara(self, lanjutan_id):
        row = db.session.get(NomorLanjutan, lanjutan_id)
        if row is None:
            abort(404)
        settings = lemari().settings
        return self.render_template("lemari/pindah_berita_acara.html", row=row,
                                    register=row.register, waktu=waktu, settings=settings)

    @expose("/berita-acara/<int:lanjutan_id>.pdf")
    @has_access
    def berita_acara_pdf(self, lanjutan_id):
        """The same berita acara as a PDF (WeasyPrint), to print, sign and file."""
        row = db.session.get(NomorLanjutan, lanjutan_id)
        if row is None:
            abort(404)
        pdf = berita_acara_pdf(lanjutan_id, actor=current_actor(), session=db.session,
                               desk=lemari().desk())
        return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                         download_name=f"berita-acara-peralihan-{row.register.name}-{row.year}.pdf")
