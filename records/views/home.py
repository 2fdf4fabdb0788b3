"""The landing page: what this user can do today, by role."""

from flask import g, redirect
from flask_appbuilder import IndexView, expose
from sqlalchemy import select

from records.extensions import db, lemari
from records.models import Wilayah
from records.services import worklists
from records.services.kantor import setup_problem
from records.web_common import current_actor, current_worklists


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
        ext = lemari()
        roles = [ext.registry.roles[r] for r in sorted(actor.roles) if r in ext.registry.roles]
        problem = (setup_problem(ext.settings) if actor.can("konfigurasi.write") else None)
        desa = desa_names(actor.desa_scope or ())
        declared, counts = current_worklists()  # the menu's badges read the same counts
        lists = worklists.fill(declared, counts, desa_note=", ".join(desa))
        return self.render_template("lemari/home.html", actor=actor, roles=roles,
                                    setup_problem=problem, desa_names=desa, worklists=lists,
                                    backup_problems=_backup_problems(actor))


def desa_names(codes) -> list[str]:
    """The desa of a scope by name ("Loleng"), never by code, in one statement."""
    if not codes:
        return []
    found = dict(db.session.execute(select(Wilayah.code, Wilayah.name)
                                    .where(Wilayah.code.in_(sorted(codes)))).all())
    return sorted(found.get(code, code) for code in codes)


def _backup_problems(actor) -> list[str]:
    """A missed or failed backup or drill, for the Admin and the Camat (cadangan.read)."""
    from pathlib import Path

    from records.extensions import db
    from records.services.backup_targets import status

    if not actor.can("cadangan.read"):
        return []
    settings = lemari().settings
    return status(db.session, home=Path(settings["HOME"]), settings=settings).problems
