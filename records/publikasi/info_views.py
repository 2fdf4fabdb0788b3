"""Public information pages under /info/ (no login): standards, flowcharts, notices, posters, TV.

Light pages for a cheap phone: one small stylesheet, no scripts except the TV slideshow's own
file, printable. Only published items in force are shown; anything else answers 404, so a
draft's existence does not leak. Pages and files carry cache headers (files by their hash).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from records.exceptions import NotFoundError
from records.extensions import db, lemari
from records.publikasi.flowchart import build_chart
from records.publikasi.services import publishing, slides, standards
from records.publikasi.views import desk, file_name, send_bytes

info = Blueprint("info", __name__, url_prefix="/info")
PAGE_MAX_AGE = 300
FILE_MAX_AGE = 86400
#: Seconds each poster stays on the waiting-room TV; the page reloads its list every 10 minutes.
SLIDE_SECONDS = 12


def _page(template: str, **context):
    """A public page with its cache header."""
    html = render_template(template, office=lemari().settings, **context)
    return Response(html, headers={"Cache-Control": f"public, max-age={PAGE_MAX_AGE}"})


def _today():
    return desk().today()


@info.route("/")
def index():
    """What the office publishes, with links to tracking and verification."""
    items = publishing.public_items(session=db.session, today=_today())
    return _page("lemari/info_index.html", notices=[i for i in items if i.jenis == "pengumuman"][:5],
                 posters=[i for i in items if i.jenis == "poster"][:6],
                 services=standards.list_current(session=db.session))


@info.route("/layanan")
def layanan_list():
    """Every service standard: time, fee, product."""
    return _page("lemari/info_layanan.html", services=standards.list_current(session=db.session))


@info.route("/layanan/<code>")
def layanan_show(code: str):
    """One service's standard in full, its flowchart and its published posters."""
    standard = standards.current_standard(code, session=db.session)
    return _show(standard)


@info.route("/layanan/<code>/versi/<int:versi>")
def layanan_version(code: str, versi: int):
    """An older version of a standard (kept readable for transparency)."""
    return _show(standards.get_version(code, versi, session=db.session))


def _show(standard):
    posters = [p for p in publishing.public_items(session=db.session, today=_today(), jenis="poster")
               if p.layanan_code == standard.layanan_code]
    history = standards.versions(standard.layanan_code, session=db.session)
    return _page("lemari/info_layanan_show.html", s=standards.standard_dict(standard),
                 posters=posters, history=history, latest=history[0].versi)


@info.route("/layanan/<code>/bagan.svg")
def layanan_chart(code: str):
    """The procedure flowchart as SVG (drawn from the current steps)."""
    standard = standards.standard_dict(standards.current_standard(code, session=db.session))
    chart = build_chart(standard["nama"], standard["prosedur"], list(standards.PELAKSANA.items()))
    svg = chart.sized(f"{chart.width:g}", f"{chart.height:g}")
    return Response(svg, mimetype="image/svg+xml", headers={
        "Cache-Control": f"public, max-age={PAGE_MAX_AGE}",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


@info.route("/pengumuman")
def notices():
    """Published notices in force."""
    return _page("lemari/info_pengumuman.html",
                 items=publishing.public_items(session=db.session, today=_today(), jenis="pengumuman"))


@info.route("/pengumuman/<int:item_id>")
def notice(item_id: int):
    """One published notice."""
    item = publishing.public_item(item_id, session=db.session, today=_today())
    return _page("lemari/info_pengumuman_show.html", item=item)


@info.route("/poster")
def posters():
    """Published posters with their previews and PDFs."""
    return _page("lemari/info_poster.html",
                 items=publishing.public_items(session=db.session, today=_today(), jenis="poster"))


@info.route("/berkas/<int:item_id>/<kind>")
def item_file(item_id: int, kind: str):
    """The PDF, preview or slideshow image of a published item."""
    item = publishing.public_item(item_id, session=db.session, today=_today())
    data, mimetype, sha = publishing.item_file(item, kind, blobs=desk().blobs)
    return send_bytes(data, mimetype, file_name(item.id, kind, mimetype), sha, max_age=FILE_MAX_AGE)


@info.route("/layar")
def slideshow():
    """Full-screen slideshow of the notices and posters in force, drawn for a landscape TV from
    their text (the queue's TV, /antrian/layar, shows the same slides beside the queue)."""
    return _page("lemari/info_layar.html", items=slides.screen_slides(session=db.session, today=_today()),
                 seconds=SLIDE_SECONDS)


@info.errorhandler(NotFoundError)
def not_found(exc: NotFoundError):
    """A light 404 page instead of the staff layout."""
    db.session.rollback()
    return render_template("lemari/info_error.html", office=lemari().settings,
                           message=str(exc)), 404

