"""Editing the print templates of posters and notices, safely.

A new version is only stored after it compiled and rendered a sample in the sandboxed,
time-limited render pool: a syntax error is reported with its line, a sandbox escape, a
forbidden file or URL, a loop that never ends or a memory bomb is refused, and in every such
case the last good version stays live. Every version is kept; restoring one (or the shipped
original) makes a new version, so the history reads like the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.blobstore.atomic import atomic_write_bytes, ensure_dir
from records.actor import Actor
from records.exceptions import NotFoundError, ValidationError
from records.images import check_image
from records.publikasi.models import TemplatAset, TemplatVersi
from records.publikasi.services import materials
from records.publikasi.services.materials import PublishDesk
from records.publikasi.services.standards import list_current
from records.services.audit import record_event
from records.services.clock import utc_now

MAX_SOURCE = 100_000
MAX_NOTE = 300
ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")


@dataclass(frozen=True)
class TemplateStatus:
    """An editable template and its live version (0 = the shipped original)."""

    key: str
    title: str
    versi: int
    updated_at: dt.datetime | None
    updated_by: str


def editable() -> list[materials.Material]:
    """Every material whose template Admin and Humas may edit."""
    return list(materials.MATERIALS.values())


def statuses(*, actor: Actor, session: Session) -> list[TemplateStatus]:
    """Each editable template with its live version."""
    actor.require("templat.edit")
    live = materials.live_versions(session)
    return [TemplateStatus(m.key, m.title, live[m.key].versi if m.key in live else 0,
                           live[m.key].created_at if m.key in live else None,
                           live[m.key].created_by if m.key in live else "")
            for m in editable()]


def live_source(key: str, *, actor: Actor, session: Session, desk: PublishDesk) -> tuple[str, int]:
    """The live source of a template and its version number (0 = shipped original)."""
    actor.require("templat.edit")
    live = materials.live_versions(session).get(materials.material(key).key)
    return (live.source, live.versi) if live else (shipped_source(key, desk=desk), 0)


def shipped_source(key: str, *, desk: PublishDesk) -> str:
    """The template as shipped with Lemari (or its plugin)."""
    relative = materials.material(key).template
    for root in desk.shipped:
        path = root / relative
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise NotFoundError(f"Templat bawaan '{relative}' tidak ditemukan.")


def versions(key: str, *, actor: Actor, session: Session) -> list[TemplatVersi]:
    """Saved versions of a template, newest first."""
    actor.require("templat.edit")
    return list(session.scalars(select(TemplatVersi).where(TemplatVersi.nama == key)
                                .order_by(TemplatVersi.versi.desc())))


def save_template(key: str, source: str, *, catatan: str = "", actor: Actor, session: Session,
                  desk: PublishDesk) -> TemplatVersi:
    """Store a new live version after it rendered a sample; refuse it with the reason otherwise."""
    actor.require("templat.edit")
    spec = materials.material(key)
    source = _check_source(source)
    if len(catatan or "") > MAX_NOTE:
        raise ValidationError("Catatan terlalu panjang.", {"catatan": f"Paling banyak {MAX_NOTE} karakter."})
    trial_render(key, source, session=session, desk=desk)
    last = session.scalar(select(func.max(TemplatVersi.versi)).where(TemplatVersi.nama == key)) or 0
    version = TemplatVersi(nama=spec.key, versi=last + 1, source=source,
                           sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
                           catatan=(catatan or "").strip(), created_at=utc_now(),
                           created_by=actor.username)
    session.add(version)
    record_event(session, actor, "templat.ubah", object_type="templat", object_id=key,
                 detail={"versi": version.versi, "sha256": version.sha256})
    session.commit()
    materials.sync_folder(session, desk)
    return version


def restore_version(key: str, versi: int, *, actor: Actor, session: Session,
                    desk: PublishDesk) -> TemplatVersi:
    """Make an earlier version (0 = the shipped original) live again, as a new version."""
    actor.require("templat.edit")
    if versi == 0:
        source = shipped_source(key, desk=desk)
    else:
        old = session.scalar(select(TemplatVersi).where(TemplatVersi.nama == key,
                                                        TemplatVersi.versi == versi))
        if old is None:
            raise NotFoundError(f"Versi {versi} templat '{key}' tidak ditemukan.")
        source = old.source
    return save_template(key, source, catatan=f"Dipulihkan dari versi {versi}", actor=actor,
                         session=session, desk=desk)


def trial_render(key: str, source: str, *, session: Session, desk: PublishDesk) -> materials.Rendered:
    """Render a candidate source with sample data, without making it live."""
    spec = materials.material(key)
    source = _check_source(source)
    trial = f"{materials.TRIAL_DIR}/{uuid.uuid4().hex}"
    path = desk.folder / trial / spec.template
    ensure_dir(path.parent)
    atomic_write_bytes(path, source.encode("utf-8"))
    try:
        return materials.render(key, sample_context(key, session=session, desk=desk),
                                session=session, desk=desk, template_name=f"{trial}/{spec.template}")
    finally:
        shutil.rmtree(desk.folder / trial, ignore_errors=True)


def sample_context(key: str, *, session: Session, desk: PublishDesk) -> dict:
    """Realistic data to try a template with: the first service, group or a sample notice."""
    spec = materials.material(key)
    current = list_current(session=session)
    if not current and spec.per in ("layanan", "kelompok"):
        raise ValidationError("Belum ada standar pelayanan untuk mencoba templat.")
    sample = {"id": 0, "judul": "Contoh pengumuman", "berlaku_mulai": desk.today(),
              "berlaku_sampai": None, "gambar": "",
              "paragraphs": ["Paragraf contoh untuk mencoba templat.", "Paragraf kedua."]}
    return materials.build_context(key, session=session, desk=desk,
                                   layanan_code=current[0].layanan_code if current else None,
                                   kelompok=(current[0].kelompok or "Layanan") if current else None,
                                   ukuran=spec.sizes[0], publikasi=sample)


def upload_asset(name: str, data: bytes, *, actor: Actor, session: Session,
                 desk: PublishDesk) -> TemplatAset:
    """Keep an image for templates as _aset/<name>.<ext>; refuse non-images and huge files."""
    actor.require("templat.edit")
    base = (name or "").strip().lower().rsplit(".", 1)[0]
    if not ASSET_NAME.fullmatch(base):
        message = "Nama gambar: huruf kecil, angka, - dan _ (paling banyak 60 karakter)."
        raise ValidationError(message, {"nama": message})
    info = check_image(data)
    ref = desk.blobs.put(data)
    filename = f"{base}.{info.extension}"
    asset = session.get(TemplatAset, filename) or TemplatAset(nama=filename)
    asset.sha256, asset.mime, asset.size = ref.sha256, info.mime, len(data)
    asset.width, asset.height = info.width, info.height
    asset.uploaded_by, asset.uploaded_at = actor.username, utc_now()
    session.add(asset)
    record_event(session, actor, "templat.aset", object_type="templat_aset", object_id=filename,
                 detail={"sha256": ref.sha256, "size": len(data)})
    session.commit()
    materials.sync_folder(session, desk)
    return asset


def assets(*, actor: Actor, session: Session) -> list[TemplatAset]:
    """Uploaded template images."""
    actor.require("templat.edit")
    return list(session.scalars(select(TemplatAset).order_by(TemplatAset.nama)))


def _check_source(source: str) -> str:
    """Refuse an empty or oversized template before any rendering."""
    source = (source or "").replace("\r\n", "\n")
    if not source.strip():
        raise ValidationError("Templat kosong.", {"source": "Templat tidak boleh kosong."})
    if len(source.encode("utf-8")) > MAX_SOURCE:
        message = f"Templat terlalu besar (paling besar {MAX_SOURCE // 1000} KB)."
        raise ValidationError(message, {"source": message})
    return source
