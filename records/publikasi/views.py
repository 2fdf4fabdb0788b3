"""Staff screens of public information: notices and posters with their workflow.

Humas drafts (the PDF and previews are rendered on save and shown at once), submits, and reads
the reviewer's comment; the Camat or Sekcam approves or sends back. Every action is one call to
`services.publishing`; `register` also adds the template and standard editors, the REST API and
the public /info/ pages.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from records.exceptions import ValidationError
from records.extensions import db, lemari
from records.images import MAX_BYTES
from records.models import Layanan
from records.publikasi.desk import publish_desk
from records.publikasi.services import materials, publishing
from records.views.common import flash_outcome
from records.web_common import current_actor

CATEGORY = "Publikasi"


def desk():
    """The app's publishing desk."""
    return publish_desk(lemari())


def upload(name: str) -> bytes | None:
    """An uploaded file's bytes, read one byte past the cap so a huge file is refused."""
    file = request.files.get(name)
    return file.stream.read(MAX_BYTES + 1) if file and file.filename else None


def send_bytes(data: bytes, mimetype: str, name: str, etag: str, *, max_age: int = 0):
    """A file answer with an ETag (the blob's hash), so phones and the TV re-use their copy."""
    return send_file(io.BytesIO(data), mimetype=mimetype, download_name=name, etag=etag,
                     max_age=max_age, conditional=True)


def file_name(item_id: int, kind: str, mimetype: str) -> str:
    """publikasi-12-pdf.pdf, publikasi-12-layar.png …"""
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg"}.get(mimetype, "png")
    return f"publikasi-{item_id}-{kind}.{extension}"


class PublikasiView(BaseView):
    """/publikasi: drafts, review and published notices and posters."""

    route_base = "/publikasi"
    default_view = "list"
    class_permission_name = "Publikasi"
    method_permission_name = {"list": "read", "show": "read", "new": "write", "edit": "write",
                              "transition": "read", "file": "read"}

    @expose("/")
    @has_access
    def list(self):
        ext = lemari()
        publishing.expire_due(session=db.session, registry=ext.registry, today=desk().today())
        state = request.args.get("state") or None
        rows = publishing.list_publikasi(actor=current_actor(), session=db.session, state=state)
        workflow = ext.registry.workflows[publishing.WORKFLOW]
        return self.render_template("lemari/publikasi_list.html", rows=rows, state=state,
                                    workflow=workflow, titles={
                                        key: spec.title for key, spec in materials.MATERIALS.items()})

    @expose("/baru/<jenis>", methods=["GET", "POST"])
    @has_access
    def new(self, jenis):
        if jenis not in publishing.JENIS:
            abort(404)
        values, errors = request.form.to_dict(), {}
        if request.method == "POST":
            try:
                item = publishing.create_publikasi(
                    {**values, "jenis": jenis}, image=upload("gambar"), actor=current_actor(),
                    session=db.session, registry=lemari().registry, desk=desk())
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Draf disimpan. Periksa pratinjaunya, lalu ajukan untuk ditinjau."), "success")
                return redirect(url_for("PublikasiView.show", item_id=item.id))
        values.setdefault("berlaku_mulai", desk().today().isoformat())
        return self._form(jenis, values, errors, None)

    @expose("/<int:item_id>/ubah", methods=["GET", "POST"])
    @has_access
    def edit(self, item_id):
        item = publishing.get_publikasi(item_id, actor=current_actor(), session=db.session)
        values, errors = request.form.to_dict(), {}
        if request.method == "POST":
            try:
                publishing.update_publikasi(item_id, values, image=upload("gambar"),
                                            remove_image=bool(values.get("hapus_gambar")),
                                            actor=current_actor(), session=db.session, desk=desk())
            except ValidationError as exc:
                db.session.rollback()
                errors = exc.errors or {"": str(exc)}
            else:
                flash(_("Perubahan disimpan."), "success")
                return redirect(url_for("PublikasiView.show", item_id=item_id))
        else:
            values = publishing.values_of(item)
        return self._form(item.jenis, values, errors, item)

    def _form(self, jenis, values, errors, item):
        services = db.session.scalars(select(Layanan).order_by(Layanan.nama)).all()
        return self.render_template(
            "lemari/publikasi_form.html", jenis=jenis, values=values, errors=errors, item=item,
            materials=[materials.MATERIALS[k] for k in publishing.JENIS[jenis]],
            services=services, groups=materials.kelompok_list(session=db.session),
        ), (422 if errors else 200)

    @expose("/<int:item_id>")
    @has_access
    def show(self, item_id):
        item = publishing.get_publikasi(item_id, actor=current_actor(), session=db.session)
        workflow = lemari().registry.workflows[publishing.WORKFLOW]
        actions = workflow.available(item.state, current_actor().roles)
        return self.render_template("lemari/publikasi_show.html", item=item, workflow=workflow,
                                    actions=actions, material=materials.MATERIALS[item.templat],
                                    editable=item.state in publishing.EDITABLE_STATES
                                    and current_actor().can("publikasi.write"))

    @expose("/<int:item_id>/langkah/<name>", methods=["POST"])
    @has_access
    def transition(self, item_id, name):
        flash_outcome(lambda: publishing.fire(
            item_id, name, note=request.form.get("note", ""), actor=current_actor(),
            session=db.session, registry=lemari().registry, today=desk().today()),
            _("Status publikasi diperbarui."))
        return redirect(url_for("PublikasiView.show", item_id=item_id))

    @expose("/<int:item_id>/berkas/<kind>")
    @has_access
    def file(self, item_id, kind):
        item = publishing.get_publikasi(item_id, actor=current_actor(), session=db.session)
        data, mimetype, sha = publishing.item_file(item, kind, blobs=desk().blobs)
        return send_bytes(data, mimetype, file_name(item.id, kind, mimetype), sha)


def register(appbuilder) -> None:
    """Add the publishing screens, the API and the public pages; record their menu rights."""
    from records.publikasi.api import PublikasiApi
    from records.publikasi.standar_views import StandarView
    from records.publikasi.templat_views import TemplatView

    menus = lemari().menu_permissions
    for view, name, label, permission in (
            (PublikasiView, "Pengumuman dan Poster", _l("Pengumuman dan Poster"), "publikasi.read"),
            (TemplatView, "Templat Cetak", _l("Templat Cetak"), "templat.edit"),
            (StandarView, "Kelola Standar Pelayanan", _l("Kelola Standar Pelayanan"),
             "konfigurasi.read")):
        appbuilder.add_view(view, name, label=label, category=CATEGORY,
                            category_label=_l("Publikasi"))
        menus[name] = frozenset({permission})
        menus[CATEGORY] = menus.get(CATEGORY, frozenset()) | {permission}
    appbuilder.add_link("Halaman Informasi Publik", href="/info/", label=_l("Halaman Informasi Publik"),
                        category=CATEGORY)
    menus["Halaman Informasi Publik"] = frozenset({"publikasi.read", "templat.edit",
                                                   "konfigurasi.read"})
    appbuilder.add_api(PublikasiApi)
