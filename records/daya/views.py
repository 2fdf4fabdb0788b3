"""The power banners (hook `register_page_notices`): every staff page and the waiting-room TV
while the office runs on the UPS battery; the Admin also sees when the UPS is not watched."""

from __future__ import annotations

from flask_babel import gettext as _

from records.daya import services
from records.extensions import db, lemari
from records.web_common import current_actor

ADMIN = "Admin"


def state() -> services.Keadaan:
    settings = lemari().settings
    return services.current(db.session, configured=bool(settings["UPS_HOST"]),
                            poll_seconds=float(settings["UPS_POLL_SECONDS"]))


def notices(screen: bool) -> list[dict]:
    """The banners for this page: staff pages (screen False) or a public screen (True)."""
    now = state()
    if not now.dipantau:
        return []
    found = []
    charge = f" {now.muatan}%" if now.muatan is not None else ""
    if now.rendah:
        found.append({"level": "danger", "text": _(
            "Listrik padam dan baterai UPS hampir habis. Server dimatikan dengan aman sebentar "
            "lagi; pelayanan kembali setelah listrik menyala.") if screen else _(
            "Baterai UPS hampir habis%(muatan)s: server segera dimatikan dengan aman. Simpan "
            "pekerjaan Anda sekarang.", muatan=charge)})
    elif now.baterai:
        found.append({"level": "danger" if not screen else "warning", "text": _(
            "Listrik padam. Pelayanan tetap berjalan dengan daya cadangan; mohon bersabar.")
            if screen else _(
            "Listrik padam: server berjalan dengan baterai UPS%(muatan)s. Simpan pekerjaan Anda; "
            "pekerjaan panjang (OCR) ditunda sampai listrik kembali.", muatan=charge)})
    if not screen and not now.terpantau and ADMIN in current_actor().roles:
        found.append({"level": "warning", "text": _("UPS tidak terpantau: %(alasan)s",
                                                    alasan=now.galat or "-")})
    return found
