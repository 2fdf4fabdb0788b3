"""The waiting-room TV's slides: published notices and posters in force today, as text.

A poster is printed on A3 portrait; shrunk onto a landscape TV its body text is about 18 px,
unreadable from the benches. The TV gets the publication's fields instead and draws them
itself, large (`lemari/_slides.html`): the title, a short text, up to `MAX_LINES` lines (a
service's requirements, a group's services) and a service's time, fee and product. What does
not fit says where to read the rest (/info/pengumuman/<id>).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from records.exceptions import NotFoundError
from records.publikasi.models import Publikasi
from records.publikasi.services.publishing import public_items
from records.publikasi.services.standards import current_standard, list_current, standard_dict

#: What one slide shows at ≥ 48 px on a 1920×1080 TV beside the queue.
MAX_TEXT = 220
MAX_LINES = 5


def screen_slides(*, session: Session, today: dt.date) -> list[dict]:
    """One slide per publication in force today (notices first, then posters), newest first."""
    items = public_items(session=session, today=today)
    items.sort(key=lambda i: i.jenis != "pengumuman")
    return [slide(item, session=session) for item in items]


def slide(item: Publikasi, *, session: Session) -> dict:
    """The slide of one publication."""
    text, cut = shorten(item.isi, MAX_TEXT)
    lines: list[str] = []
    facts: dict = {}
    if item.layanan_code:
        try:
            standard = standard_dict(current_standard(item.layanan_code, session=session))
        except NotFoundError:
            standard = None
        if standard is not None:
            lines = [entry["nama"] for entry in standard["persyaratan"]]
            facts = {"waktu_hari": standard["waktu_hari"], "gratis": standard["gratis"],
                     "biaya": standard["biaya"], "produk": standard["produk"]}
    elif item.kelompok:
        lines = [s.nama for s in list_current(session=session) if (s.kelompok or "Layanan") == item.kelompok]
    more = max(0, len(lines) - MAX_LINES)
    return {"id": item.id, "jenis": item.jenis, "judul": item.judul, "isi": text,
            "terpotong": cut or more > 0, "daftar": lines[:MAX_LINES], "lainnya": more,
            "fakta": facts, "sampai": item.berlaku_sampai}


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """`text` as one paragraph of at most `limit` characters, cut at a word; and whether it was cut."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat, False
    head = flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:")
    return head + " …", True
