"""Print materials from the service catalogue: posters, pamphlets, flowcharts, maklumat, notices.

Each material is a template plus a context built from the current standards. Rendering goes
through the publishing desk's sandboxed, time-limited render pool; before each render the live
template folder is brought in line with the database (the database holds every template
version, the folder is a cache of the live ones). A material that must fit a number of pages
is rendered again with denser type until it does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.blobstore.atomic import atomic_write_bytes, ensure_dir
from records.exceptions import NotFoundError, ValidationError
from records.models import Pejabat
from records.ports import BlobStore, PagePreview, Renderer
from records.publikasi.flowchart import fill_box
from records.publikasi.models import TemplatAset, TemplatVersi
from records.publikasi.services.standards import PELAKSANA, current_standard, list_current, standard_dict
from records.services.kantor import require_setup
from records.services.penandatangan import camat_on

if TYPE_CHECKING:
    from records.pdf import PdfMetadata

ASSET_DIR, IMAGE_DIR, TRIAL_DIR = "_aset", "_gambar", "_uji"
THUMB_WIDTH, LARGE_WIDTH = 480, 1400
MAX_DENSITY = 3
#: Content box of the flowchart page in mm: A4 landscape less margins, title and footer.
CHART_BOX = (273.0, 156.0)


@dataclass
class PublishDesk:
    """What publishing needs besides the database (built by `records.publikasi.desk`)."""

    renderer: Renderer
    blobs: BlobStore
    folder: Path  # live edited templates and their images, first on the template path
    office: dict
    base_url: str
    hours: str
    metadata_factory: Callable[..., PdfMetadata]
    preview: PagePreview
    shipped: tuple[Path, ...] = ()  # the shipped template folders (for "restore the original")
    timezone: str = "Asia/Makassar"
    demo_mode: bool = False  # a demo office may print its loopback address

    def today(self) -> dt.date:
        """Today at the office (publication dates are local dates)."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def close(self) -> None:
        """Stop the render workers."""
        self.renderer.close()


@dataclass(frozen=True)
class Material:
    """A kind of print: its template, what it is made for, its sizes and how many pages fit."""

    key: str
    title: str
    template: str
    per: str  # "layanan", "kelompok", "kantor" (one for the office) or "publikasi"
    sizes: tuple[str, ...] = ("A4",)
    pages: int | None = 1  # pages it must fit on; None = as many as the text needs


MATERIALS = {m.key: m for m in (
    Material("poster_layanan", "Poster standar pelayanan", "poster_layanan/document.html",
             "layanan", ("A3", "A4")),
    Material("bagan_alur", "Bagan alur prosedur", "bagan_alur/document.html", "layanan"),
    Material("pamflet", "Pamflet lipat tiga", "pamflet/document.html", "kelompok", pages=2),
    Material("poster_ktp_el", "Poster Pentingnya KTP-el", "poster_ktp_el/document.html",
             "kantor", ("A3", "A4")),
    Material("maklumat", "Maklumat pelayanan", "maklumat/document.html", "kantor", ("A3", "A4")),
    Material("pengumuman", "Pengumuman", "pengumuman/document.html", "publikasi", pages=None),
    Material("poster_bebas", "Poster bebas (judul, teks, gambar)", "poster_bebas/document.html",
             "publikasi", ("A3", "A4")),
)}


@dataclass(frozen=True)
class Rendered:
    """A rendered material: the PDF, its page count and the fingerprint of its templates."""

    pdf: bytes
    pages: int
    template_sha256: str
    density: int


def material(key: str) -> Material:
    """The material called `key`."""
    try:
        return MATERIALS[key]
    except KeyError:
        raise NotFoundError(f"Jenis materi '{key}' tidak dikenal.") from None


def kelompok_list(*, session: Session) -> list[str]:
    """The service groups, each of which gets a pamphlet."""
    return sorted({s.kelompok or "Layanan" for s in list_current(session=session)})


def build_context(key: str, *, session: Session, desk: PublishDesk, layanan_code: str | None = None,
                  kelompok: str | None = None, ukuran: str = "A4",
                  publikasi: dict | None = None) -> dict:
    """Everything the material's template prints, from the current catalogue."""
    spec = material(key)
    if ukuran not in spec.sizes:
        raise ValidationError(f"Ukuran {ukuran} tidak tersedia untuk {spec.title}.",
                              {"ukuran": f"Pilih salah satu: {', '.join(spec.sizes)}."})
    context: dict[str, Any] = {"office": desk.office, "hours": desk.hours, "today": desk.today(),
                               "place": desk.office.get("place", ""), "format": ukuran,
                               "density": 0, "base_url": desk.base_url,
                               "url": f"{desk.base_url}/info/layanan",
                               # the free-service notice on the service posters links here
                               "pengaduan_url": f"{desk.base_url}/pengaduan"}
    if spec.per == "layanan":
        standard = standard_dict(current_standard(layanan_code or "", session=session))
        context.update(layanan=standard, url=f"{desk.base_url}/info/layanan/{standard['code']}")
        if key == "bagan_alur":
            context["chart"] = chart_markup(standard)
    elif spec.per == "kelompok":
        services = [standard_dict(s) for s in list_current(session=session)
                    if (s.kelompok or "Layanan") == kelompok]
        if not services:
            raise NotFoundError(f"Kelompok layanan '{kelompok}' tidak ditemukan.")
        context.update(kelompok=kelompok, services=services)
    elif spec.per == "kantor":
        context.update(services=[standard_dict(s) for s in list_current(session=session)],
                       signer=camat_signature(session, on=desk.today(),
                                              kecamatan=desk.office.get("kecamatan", "")))
        if key == "poster_ktp_el":
            context["url"] = f"{desk.base_url}/info/layanan/ktp_el"
    else:
        context["publikasi"] = publikasi or {}
        if publikasi and publikasi.get("id"):
            context["url"] = f"{desk.base_url}/info/pengumuman/{publikasi['id']}"
    return context


def chart_markup(standard: dict) -> Markup:
    """The flowchart of a standard as inline SVG, sized to fill the chart box of the page."""
    chart = fill_box(standard["nama"], standard["prosedur"], list(PELAKSANA.items()), *CHART_BOX)
    width, height = chart.fit(*CHART_BOX)
    return Markup(chart.sized(f"{width}mm", f"{height}mm"))


def camat_signature(session: Session, *, on: dt.date | None = None,
                    kecamatan: str = "") -> dict | None:
    """The Camat's signature block for the maklumat: the roster's Camat (or Plt. Camat) on
    `on`, else the `pejabat` data (a Plt./Plh. Camat when none is set)."""
    holder = camat_on(on or dt.date.today(), session=session, kecamatan=kecamatan)
    if holder is not None:
        return holder
    rows = session.scalars(select(Pejabat).where(Pejabat.jabatan.like("Camat%")))
    ranked = sorted(rows, key=lambda p: ("", "Plt.", "Plh.").index(p.prefix)
                    if p.prefix in ("", "Plt.", "Plh.") else 9)
    return ranked[0].signature_block() if ranked and ranked[0].prefix != "a.n." else None


def render(key: str, context: dict, *, session: Session, desk: PublishDesk,
           template_name: str | None = None) -> Rendered:
    """Render a material, denser step by step until it fits its page count.

    A template failure (syntax, sandbox refusal, time limit, memory ceiling) becomes a
    ValidationError naming the template line, never a 500.
    """
    spec = material(key)
    require_setup({"PUBLIC_BASE_URL": desk.base_url, "DEMO_MODE": desk.demo_mode})
    sync_folder(session, desk)
    title = context.get("layanan", {}).get("nama") or context.get("kelompok") or spec.title
    metadata = desk.metadata_factory(title=f"{spec.title} — {title}", author=desk.office["name"],
                                     subject=spec.title, document_type=key,
                                     office=desk.office["name"], keywords=("publikasi", key))
    name = template_name or spec.template
    for density in range(MAX_DENSITY + 1):
        result = _render_once(desk, name, {**context, "density": density}, metadata)
        if spec.pages is None or result.pages <= spec.pages:
            break
    return Rendered(result.pdf, result.pages, result.template_sha256, density)


def _render_once(desk: PublishDesk, name: str, context: dict, metadata):
    """One render in the pool; failures become an Indonesian message with the line number."""
    from records.pdf import TemplateRenderError, TemplateSecurityError
    from records.render_worker import RenderTimeoutError, RenderWorkerError

    try:
        return desk.renderer.render(name, context, paper="A4", metadata=metadata)
    except TemplateSecurityError as exc:
        message = f"Templat ditolak oleh sandbox{_where(exc)}: {exc.message}"
    except TemplateRenderError as exc:
        # A MemoryError inside Jinja arrives without a message of its own.
        reason = exc.message or "kehabisan memori (hasil templat terlalu besar)"
        message = f"Templat tidak dapat dijalankan{_where(exc)}: {reason}"
    except RenderTimeoutError:
        message = "Templat terlalu lama dirender (batas waktu habis); periksa perulangan di templat."
    except RenderWorkerError:
        message = "Templat memakan memori terlalu besar dan dihentikan."
    raise ValidationError(message, {"templat": message})


def _where(exc) -> str:
    """' (baris 12)' for a located error."""
    return f" (baris {exc.lineno})" if exc.lineno else ""


def preview_png(pdf: bytes, *, desk: PublishDesk, width: int = THUMB_WIDTH, page: int = 0) -> bytes:
    """One page (the first by default) as a PNG preview."""
    return desk.preview(pdf, width, page)


# ----- the live template folder -----

def live_versions(session: Session) -> dict[str, TemplatVersi]:
    """The newest saved version of each edited template."""
    rows = session.scalars(select(TemplatVersi).order_by(TemplatVersi.nama, TemplatVersi.versi))
    return {row.nama: row for row in rows}


def sync_folder(session: Session, desk: PublishDesk) -> None:
    """Write live template versions and uploaded assets into the folder; drop stale overrides."""
    live = live_versions(session)
    for key, spec in MATERIALS.items():
        path = desk.folder / spec.template
        if key in live:
            _ensure_file(path, live[key].source.encode("utf-8"))
        elif path.exists():
            path.unlink()
    for asset in session.scalars(select(TemplatAset)):
        path = desk.folder / ASSET_DIR / asset.nama
        if not path.exists() or _sha(path.read_bytes()) != asset.sha256:
            _ensure_file(path, desk.blobs.read_bytes(asset.sha256))


def place_image(sha256: str, extension: str, *, desk: PublishDesk) -> str:
    """Put an archived image where templates can load it; returns its template-relative path."""
    relative = f"{IMAGE_DIR}/{sha256}.{extension}"
    path = desk.folder / relative
    if not path.exists():
        _ensure_file(path, desk.blobs.read_bytes(sha256))
    return relative


def _ensure_file(path: Path, data: bytes) -> None:
    """Atomically write `data` to `path` unless it already holds exactly that."""
    if path.exists() and path.read_bytes() == data:
        return
    ensure_dir(path.parent)
    atomic_write_bytes(path, data)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
