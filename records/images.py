"""Checking uploaded images before they reach a template or a public page.

Only PNG and JPEG are accepted: both are what phones and scanners produce, WeasyPrint draws
them without any further fetch, and neither can carry script or external references (SVG
can). The file size and the pixel count are capped, so a small file that decompresses to a
giant bitmap (a "decompression bomb") is refused before it is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from records.exceptions import ValidationError

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg"}
MAX_BYTES = 3 * 1024 * 1024
MAX_PIXELS = 25_000_000  # e.g. 5000 × 5000
MAX_EDGE = 8000


@dataclass(frozen=True)
class ImageInfo:
    """What an accepted image is: format, MIME type, extension and size in pixels."""

    format: str
    mime: str
    extension: str
    width: int
    height: int


def check_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Accept a PNG or JPEG of sane size, or raise ValidationError saying why not."""
    if not data:
        raise ValidationError("Berkas gambar kosong.", {"gambar": "Berkas gambar kosong."})
    if len(data) > max_bytes:
        message = (f"Gambar terlalu besar ({len(data) / 1048576:.1f} MB); "
                   f"paling besar {max_bytes / 1048576:.0f} MB.")
        raise ValidationError(message, {"gambar": message})
    info = _identify(data)
    if info.width * info.height > max_pixels or max(info.width, info.height) > MAX_EDGE:
        message = (f"Ukuran gambar {info.width}×{info.height} piksel terlalu besar; paling banyak "
                   f"{max_pixels // 1_000_000} juta piksel dan sisi {MAX_EDGE} piksel.")
        raise ValidationError(message, {"gambar": message})
    return info


def _identify(data: bytes) -> ImageInfo:
    """Read the header and check the whole file decodes, without trusting the extension."""
    message = "Berkas bukan gambar PNG atau JPEG yang utuh."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in FORMATS:
                    raise ValidationError(message, {"gambar": message})
                if width * height <= MAX_PIXELS:
                    image.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        too_big = "Ukuran gambar (piksel) terlalu besar."
        raise ValidationError(too_big, {"gambar": too_big}) from None
    except Exception:
        raise ValidationError(message, {"gambar": message}) from None
    return ImageInfo(kind, FORMATS[kind], EXTENSIONS[kind], width, height)
