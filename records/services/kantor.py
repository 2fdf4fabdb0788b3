"""First-run office setup: names, contacts, logo, public address, time zone, paper size.

Every value is stored in `pengaturan_kantor`; a key the office never saved falls back to
config.py / LEMARI_* (so an office configured by environment keeps working). A save is
validated whole and written in one transaction: bad input saves nothing. Changes are audited
by the model's `__audit_area__`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.actor import Actor
from records.exceptions import SetupRequiredError, ValidationError
from records.models import PengaturanKantor
from records.ports import BlobStore
from records.services.audit import record_event

#: Keys the setup stores. KECAMATAN and KABUPATEN give the kop lines (OFFICE_NAME,
#: OFFICE_GOVERNMENT) and the place of signing; the others are settings of the same name.
DIRECT_KEYS = ("OFFICE_ADDRESS", "OFFICE_PHONE", "OFFICE_EMAIL", "OFFICE_WEBSITE",
               "PUBLIC_BASE_URL", "TIMEZONE", "PAPER_SIZE")
SETUP_KEYS = ("KECAMATAN", "KABUPATEN", *DIRECT_KEYS, "DEMO_MODE")
LOGO_KEY = "OFFICE_LOGO"
#: Paper sizes the letters are printed on (F4 is 215 × 330 mm, A4 210 × 297 mm).
PAPER_SIZES = ("F4", "A4")

#: The three time zones of Indonesia and the provinces in each (first two digits of the
#: Kemendagri code). Keppres 41/1987 tentang Pembagian Wilayah Republik Indonesia Menjadi
#: 3 (Tiga) Wilayah Waktu, Pasal 2 (WIB, WITA, WIT) and Pasal 3 (the provinces in each).
ZONA_WAKTU = {
    "Asia/Jakarta": ("WIB", ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31",
                             "32", "33", "34", "35", "36", "61", "62")),
    "Asia/Makassar": ("WITA", ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75",
                               "76")),
    "Asia/Jayapura": ("WIT", ("81", "82", "91", "92", "93", "94", "95", "96", "97")),
}
ZONA_DASAR = "Keppres 41/1987 Pasal 2 dan Pasal 3"

#: Logo files: what the kop accepts and how large (a lambang is a small image).
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}
LOGO_MAX_PIXELS = 4096 * 4096
_SVG_FORBIDDEN = re.compile(rb"<script|<foreignObject|<!ENTITY|<!DOCTYPE|\bon[a-z]+\s*=|"
                            rb"(?:href|src)\s*=\s*[\"'](?!#|data:image/)", re.IGNORECASE)
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^[0-9+() .\-/]{5,40}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{1,58}[A-Za-z.]$")


@dataclass(frozen=True)
class Logo:
    """An uploaded logo: its bytes and the kind they were recognised as (png, jpg, svg)."""

    data: bytes
    kind: str

    @property
    def mime(self) -> str:
        """The media type of the data URI the kop prints."""
        return LOGO_TYPES[self.kind]


def zona_wilayah(kode: str) -> str:
    """The legal time zone of a region code (default for the setup; WITA when unknown,
    the zone of the reference office)."""
    provinsi = (kode or "")[:2]
    for zone, (_label, provinces) in ZONA_WAKTU.items():
        if provinsi in provinces:
            return zone
    return "Asia/Makassar"


def zona_label(zone: str) -> str:
    """WIB, WITA or WIT; the zone name itself for any other zone."""
    return ZONA_WAKTU.get(zone, (zone, ()))[0]


def stored(session: Session) -> dict[str, PengaturanKantor]:
    """The saved setup rows by key."""
    return {row.kunci: row for row in session.scalars(select(PengaturanKantor))}


def kecamatan_name(settings: Mapping[str, Any]) -> str:
    """"Kota Bangun": the kecamatan's name, from the setup or from the kop line in config."""
    name = settings.get("KECAMATAN") or ""
    if name:
        return name
    return _strip_prefix(settings.get("OFFICE_NAME", ""), "KECAMATAN ").title()


def kabupaten_name(settings: Mapping[str, Any]) -> str:
    """"Kabupaten Kutai Kartanegara": from the setup or from the kop line in config."""
    name = settings.get("KABUPATEN") or ""
    if name:
        return name
    return _strip_prefix(settings.get("OFFICE_GOVERNMENT", ""), "PEMERINTAH ").title()


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix):] if text.upper().startswith(prefix) else text


def effective(base: Mapping[str, Any], rows: Mapping[str, str], logo: str = "") -> dict[str, Any]:
    """The settings the office's saved setup overrides (`rows`: key → value), derived as the
    letters print them: the kop lines from the names, the place of signing from the kecamatan."""
    found: dict[str, Any] = {key: rows[key] for key in DIRECT_KEYS if rows.get(key)}
    if rows.get("KECAMATAN"):
        found.update(KECAMATAN=rows["KECAMATAN"], OFFICE_PLACE=rows["KECAMATAN"],
                     OFFICE_NAME=f"KECAMATAN {rows['KECAMATAN'].upper()}")
    if rows.get("KABUPATEN"):
        found.update(KABUPATEN=rows["KABUPATEN"],
                     OFFICE_GOVERNMENT=f"PEMERINTAH {rows['KABUPATEN'].upper()}")
    if "DEMO_MODE" in rows:
        found["DEMO_MODE"] = rows["DEMO_MODE"] == "1"
    if logo:
        found["OFFICE_LOGO"] = logo
    return found


def form_values(settings: Mapping[str, Any]) -> dict[str, str]:
    """The setup form's values: what is in force now (saved, or config/env), the time zone
    from the region when nothing says otherwise."""
    values = {key: str(settings.get(key) or "") for key in DIRECT_KEYS}
    values.update(KECAMATAN=kecamatan_name(settings), KABUPATEN=kabupaten_name(settings),
                  DEMO_MODE="1" if settings.get("DEMO_MODE") else "")
    values["TIMEZONE"] = values["TIMEZONE"] or zona_wilayah(settings.get("KECAMATAN_CODE", ""))
    values["PAPER_SIZE"] = values["PAPER_SIZE"] or "F4"
    return values


# --- validation -------------------------------------------------------------------------------

def is_loopback_url(url: str) -> bool:
    """Whether the address only reaches this PC (localhost, 127.0.0.0/8, ::1, 0.0.0.0): a QR
    code printed with it cannot be opened by anybody else."""
    host = (urlsplit(url).hostname or "").lower()
    if host in {"", "localhost", "localhost.localdomain"} or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def check_public_url(url: str, *, demo: bool) -> str:
    """The public base URL without a trailing slash, or a ValidationError saying what is wrong."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError("URL publik tidak sah.", {"PUBLIC_BASE_URL": (
            "Tulis alamat lengkap yang dapat dibuka warga, diawali http:// atau https://, "
            "misalnya https://kotabangun.kukarkab.go.id.")})
    if parts.query or parts.fragment or " " in url or len(url) > 200:
        raise ValidationError("URL publik tidak sah.", {"PUBLIC_BASE_URL": (
            "URL publik tidak boleh memuat spasi, tanda tanya (?) atau pagar (#), "
            "dan paling panjang 200 karakter.")})
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ValidationError("URL publik tidak sah.", {
            "PUBLIC_BASE_URL": "Nomor port pada URL publik tidak sah."}) from None
    if is_loopback_url(url) and not demo:
        raise ValidationError("URL publik tidak sah.", {"PUBLIC_BASE_URL": (
            "Alamat ini hanya dapat dibuka dari komputer server sendiri (localhost/127.0.0.1); "
            "kode QR pada surat tidak akan dapat dibuka warga. Isi alamat publik kantor.")})
    return url


def _check_text(values: Mapping[str, str], errors: dict[str, str]) -> dict[str, str]:
    """Names, address and contacts, trimmed; problems go into `errors`."""
    clean = {key: (values.get(key) or "").strip() for key in SETUP_KEYS}
    if not _NAME.match(clean["KECAMATAN"]):
        errors["KECAMATAN"] = "Isi nama kecamatan (huruf saja), misalnya Kota Bangun."
    elif clean["KECAMATAN"].upper().startswith("KECAMATAN "):
        errors["KECAMATAN"] = "Tulis namanya saja tanpa kata 'Kecamatan', misalnya Kota Bangun."
    if not re.match(r"^(Kabupaten|Kota) [A-Za-z][A-Za-z .'\-]{1,58}$", clean["KABUPATEN"]):
        errors["KABUPATEN"] = ("Tulis 'Kabupaten …' atau 'Kota …', misalnya "
                               "Kabupaten Kutai Kartanegara.")
    if not 10 <= len(clean["OFFICE_ADDRESS"]) <= 200:
        errors["OFFICE_ADDRESS"] = "Isi alamat kantor lengkap (10–200 karakter)."
    if clean["OFFICE_PHONE"] and not _PHONE.match(clean["OFFICE_PHONE"]):
        errors["OFFICE_PHONE"] = "Nomor telepon hanya boleh berisi angka, spasi, +, -, ( dan )."
    if clean["OFFICE_EMAIL"] and not _EMAIL.match(clean["OFFICE_EMAIL"]):
        errors["OFFICE_EMAIL"] = "Alamat pos-el tidak sah, misalnya kec.kotabangun@kukarkab.go.id."
    if clean["OFFICE_WEBSITE"] and not _website_ok(clean["OFFICE_WEBSITE"]):
        errors["OFFICE_WEBSITE"] = "Alamat laman tidak sah, misalnya kotabangun.kukarkab.go.id."
    if clean["TIMEZONE"] not in ZONA_WAKTU:
        errors["TIMEZONE"] = "Pilih WIB (Asia/Jakarta), WITA (Asia/Makassar) atau WIT (Asia/Jayapura)."
    if clean["PAPER_SIZE"] not in PAPER_SIZES:
        errors["PAPER_SIZE"] = "Pilih ukuran kertas F4 atau A4."
    clean["DEMO_MODE"] = "1" if clean["DEMO_MODE"] in {"1", "on", "ya", "true"} else "0"
    return clean


def _website_ok(text: str) -> bool:
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url)
    return (parts.scheme in {"http", "https"} and "." in (parts.hostname or "")
            and " " not in text and len(text) <= 120)


def check_logo(data: bytes, filename: str, *, max_bytes: int) -> Logo:
    """Accept a PNG, JPEG or SVG lambang of at most `max_bytes`; anything else is refused
    with a message saying why (the file name's extension is not trusted, the content is)."""
    if not data:
        raise ValidationError("Berkas logo kosong.", {"logo": "Berkas logo kosong."})
    if len(data) > max_bytes:
        raise ValidationError("Berkas logo terlalu besar.", {"logo": (
            f"Berkas logo {len(data) // 1024} KB; paling besar {max_bytes // 1024} KB. "
            "Perkecil gambarnya (lebar 600 piksel sudah cukup untuk kop).")})
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        return _check_raster(data)
    if filename.lower().endswith(".svg") or data.lstrip()[:5] in (b"<?xml", b"<svg "):
        return _check_svg(data)
    raise ValidationError("Berkas logo bukan gambar.", {"logo": (
        "Logo harus berupa gambar PNG, JPEG atau SVG.")})


def _check_raster(data: bytes) -> Logo:
    """A PNG or JPEG that Pillow can read whole, of a sane size."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
            image.verify()
    except Exception:  # Pillow raises many types for a broken file
        raise ValidationError("Berkas logo rusak.", {"logo": (
            "Gambar logo tidak dapat dibaca (berkas rusak atau bukan PNG/JPEG).")}) from None
    if kind not in {"PNG", "JPEG"} or size[0] * size[1] > LOGO_MAX_PIXELS:
        raise ValidationError("Berkas logo tidak sesuai.", {"logo": (
            "Logo harus PNG atau JPEG dan paling besar 4096 × 4096 piksel.")})
    return Logo(data, "png" if kind == "PNG" else "jpg")


def _check_svg(data: bytes) -> Logo:
    """An SVG whose root is <svg>, with no script, entity, or link to another file."""
    from defusedxml import ElementTree  # type: ignore[import-untyped]
    from defusedxml.common import DefusedXmlException  # type: ignore[import-untyped]

    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise ValidationError("Berkas logo rusak.", {"logo": (
            "Berkas SVG tidak dapat dibaca (bukan XML yang utuh).")}) from None
    if root.tag not in {"svg", "{http://www.w3.org/2000/svg}svg"} or _SVG_FORBIDDEN.search(data):
        raise ValidationError("Berkas logo tidak aman.", {"logo": (
            "SVG logo harus berupa gambar saja: tanpa skrip, entitas, atau tautan ke berkas lain.")})
    return Logo(data, "svg")


def validate(values: Mapping[str, str]) -> dict[str, str]:
    """The whole form checked at once (every problem named), or a ValidationError."""
    errors: dict[str, str] = {}
    clean = _check_text(values, errors)
    try:
        clean["PUBLIC_BASE_URL"] = check_public_url(clean["PUBLIC_BASE_URL"],
                                                    demo=clean["DEMO_MODE"] == "1")
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError("Pengaturan kantor belum disimpan: periksa isian yang ditandai.",
                              errors)
    return clean


# --- saving -----------------------------------------------------------------------------------

def save_setup(values: Mapping[str, str], *, logo: Logo | None, actor: Actor, session: Session,
               blobs: BlobStore) -> dict[str, str]:
    """Validate and store the office setup in one transaction; returns the saved values.

    The logo is written to the archive's blob store before the commit (content-addressed, so
    a second save of the same image writes nothing); a refused form writes no file at all.
    """
    actor.require("konfigurasi.write")
    clean = validate(values)
    rows, now = stored(session), _now()
    for key in SETUP_KEYS:
        _put(session, rows, key, clean[key], actor=actor.username, now=now)
    written = None
    if logo is not None:
        written = blobs.put(logo.data)
        _put(session, rows, LOGO_KEY, logo.mime, actor=actor.username, now=now,
             berkas=f"{written.sha256}.{logo.kind}")
    record_event(session, actor, "kantor.setup", object_type="pengaturan_kantor",
                 detail={"kunci": sorted(clean) + ([LOGO_KEY] if logo else []),
                         "url_publik": clean["PUBLIC_BASE_URL"]})
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    return clean


def _put(session: Session, rows: dict[str, PengaturanKantor], key: str, value: str, *,
         actor: str, now: dt.datetime, berkas: str | None = None) -> None:
    """Insert or update one key (an unchanged value is left alone, so the audit shows only
    what changed)."""
    row = rows.get(key)
    if row is None:
        row = PengaturanKantor(kunci=key, nilai="", berkas="", diubah_oleh=actor, diubah_pada=now)
        session.add(row)
    if row.nilai == value and (berkas is None or row.berkas == berkas):
        return
    row.nilai, row.diubah_oleh, row.diubah_pada = value, actor, now
    if berkas is not None:
        row.berkas = berkas


def is_complete(rows: Mapping[str, PengaturanKantor]) -> bool:
    """Whether the Admin has saved the setup at least once."""
    return all(key in rows for key in ("KECAMATAN", "KABUPATEN", "PUBLIC_BASE_URL"))


def setup_problem(settings: Mapping[str, Any]) -> str | None:
    """Why nothing may be printed yet, or None: outside demo mode, a QR code or link with a
    loopback public address would send residents nowhere."""
    if settings.get("DEMO_MODE"):
        return None
    url = str(settings.get("PUBLIC_BASE_URL") or "")
    if not url or is_loopback_url(url):
        return (f"Pengaturan kantor belum lengkap: URL publik masih {url or '(kosong)'}, alamat "
                "yang hanya dapat dibuka dari komputer server. Kode QR dan tautan pada surat, "
                "tanda terima, poster dan maklumat tidak akan dapat dibuka warga. Admin perlu "
                "mengisi Pengaturan Kantor (/pengaturan-kantor/ atau `lemari setup kantor`) "
                "sebelum dokumen dicetak.")
    return None


def require_setup(settings: Mapping[str, Any]) -> None:
    """Refuse to print (SetupRequiredError) while `setup_problem` names a reason."""
    problem = setup_problem(settings)
    if problem:
        raise SetupRequiredError(problem)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
