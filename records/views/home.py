"""The landing page: what this user can do today, by role."""

from flask import g, redirect
from flask_appbuilder import IndexView, expose

from records.extensions import db, lemari
from records.models import Wilayah
from records.services import worklists
from records.services.kantor import setup_problem
from records.web_common import current_actor


class HomeView(IndexView):
    """Anonymous visitors go to the login page; staff see their roles and shortcuts."""

    route_base = ""
    default_view = "index"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        actor = current_actor()
        roles = [lemari().registry.roles[r] for r in sorted(actor.roles) if r in lemari().registry.roles]
        problem = (setup_problem(lemari().settings) if actor.can("konfigurasi.write") else None)
        desa = sorted((db.session.get(Wilayah, code).name if db.session.get(Wilayah, code) else code)
                      for code in actor.desa_scope or ())
        ext = lemari()
        lists = worklists.for_actor(actor, session=db.session, registry=ext.registry,
                                    today=ext.desk().today(),
                                    timezone=ext.settings.get("TIMEZONE", "Asia/Makassar"),
                                    records=actor.can("record.read"))
        return self.render_template("lemari/home.html", actor=actor, roles=roles,
                                    setup_problem=problem, desa_names=desa, worklists=lists,
                                    backup_problems=_backup_problems(actor))


def _backup_problems(actor) -> list[str]:
    """A missed or failed backup or drill, for the Admin and the Camat (cadangan.read)."""
    from pathlib import Path

    from records.extensions import db
    from records.services.backup_targets import status

    if not actor.can("cadangan.read"):
        return []
    settings = lemari().settings
    return status(db.session, home=Path(settings["HOME"]), settings=settings).problems
