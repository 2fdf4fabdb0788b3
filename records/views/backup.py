"""/cadangan: the Admin's backup page (targets, schedule, last results, run now, the passphrase
set up once with a paper-copy warning); the Camat reads it. The same services back
`lemari backup …`."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from records.extensions import db, lemari
from records.services import backup_targets as bt
from records.services import clock
from records.services.backup_crypto import MIN_PASSPHRASE
from records.web_common import current_actor

WEEKDAYS = ("Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu")


class CadanganView(BaseView):
    """One page: status, targets, schedule, history, and the Admin's forms."""

    route_base = "/cadangan"
    default_view = "page"
    class_permission_name = "Cadangan"
    method_permission_name = {"page": "read", "passphrase": "manage", "add_target": "manage",
                              "remove_target": "manage", "run": "manage", "drill": "manage"}

    @expose("/")
    @has_access
    def page(self):
        settings = lemari().settings
        home = Path(settings["HOME"])
        targets = []
        for target in bt.list_targets(db.session):
            if target.jenis == "sftp":  # no connection to the kabupaten on every page view
                targets.append({"row": target, "count": "—", "newest": "—",
                                "problem": _("server SFTP: lihat riwayat")})
                continue
            try:
                found = bt.generations(bt.FolderTarget(target))
                reachable = ""
            except OSError as exc:
                found, reachable = [], str(exc)
            newest = clock.format_local(found[-1].created, settings["TIMEZONE"]) if found else "—"
            targets.append({"row": target, "count": len(found), "newest": newest, "problem": reachable})
        key = bt.load_office_key(home)
        tz = settings["TIMEZONE"]
        runs = [{"row": r, "mulai": clock.format_local(r.mulai, tz),
                 "selesai": clock.format_local(r.selesai, tz)} for r in bt.history(db.session, 20)]
        return self.render_template(
            "lemari/cadangan.html", status=bt.status(db.session, home=home, settings=settings),
            targets=targets, key=key.document if key else None, runs=runs,
            zone=clock.zone_label(tz), settings=settings,
            weekday=WEEKDAYS[int(settings["BACKUP_DRILL_WEEKDAY"]) % 7],
            can_manage=current_actor().can("cadangan.manage"), min_len=MIN_PASSPHRASE)

    @expose("/frasa-sandi", methods=["POST"])
    @has_access
    def passphrase(self):
        if not request.form.get("sudah_dicatat"):
            flash(_("Centang dulu bahwa frasa sandi sudah ditulis di kertas."), "danger")
            return redirect(url_for("CadanganView.page"))
        return self._act(lambda: bt.set_passphrase(
            db.session, current_actor(), home=Path(lemari().settings["HOME"]),
            passphrase=request.form.get("frasa", ""), confirmation=request.form.get("ulang", "")),
            _("Frasa sandi cadangan diatur. Simpan kertasnya di lemari besi; Lemari tidak menyimpannya."))

    @expose("/target", methods=["POST"])
    @has_access
    def add_target(self):
        form = request.form
        settings = lemari().settings
        return self._act(lambda: bt.add_target(db.session, current_actor(), nama=form.get("nama", ""),
                                               lokasi=form.get("lokasi", ""), label=form.get("label", ""),
                                               home=Path(settings["HOME"]), settings=settings),
                         _("Target cadangan ditambahkan."))

    @expose("/target/<nama>/hapus", methods=["POST"])
    @has_access
    def remove_target(self, nama):
        return self._act(lambda: bt.remove_target(db.session, current_actor(), nama),
                         _("Target dihapus dari daftar; isinya tidak disentuh."))

    @expose("/jalankan", methods=["POST"])
    @has_access
    def run(self):
        from records.jobs import jobs_of

        jobs_of(current_app._get_current_object()).enqueue("backup_now", "manual")
        flash(_("Pencadangan dijalankan; hasilnya muncul di riwayat."), "success")
        return redirect(url_for("CadanganView.page"))

    @expose("/latihan", methods=["POST"])
    @has_access
    def drill(self):
        from records import backup_desk

        phrase = request.form.get("frasa") or None
        try:
            found = backup_desk.drill(current_app._get_current_object(), "manual", passphrase=phrase)
        except bt.BackupError as exc:
            flash(str(exc), "danger")
        else:
            flash(found.pesan, "success" if found.status == "berhasil" else "danger")
        return redirect(url_for("CadanganView.page"))

    def _act(self, action, done: str):
        try:
            action()
        except bt.BackupError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(done, "success")
        return redirect(url_for("CadanganView.page"))
