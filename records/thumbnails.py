"""PNG previews of PDF pages, drawn with PDFium (pypdfium2); the only pypdfium2 importer.

PDFium is not thread-safe, and waitress serves with several threads, so every call holds one
process-wide lock. Previews are only drawn from PDFs Lemari rendered itself, once per saved
publication or kit file, never per page view.
"""

from __future__ import annotations

import io
import threading

import pypdfium2
from PIL import Image

_LOCK = threading.Lock()
#: Largest preview edge in pixels: a 4K TV is 3840 wide, anything bigger is a mistake.
MAX_EDGE = 4000


def png_preview(pdf: bytes, width: int, page: int = 0) -> bytes:
    """One page of a PDF as an optimised palette PNG `width` pixels wide (height follows)."""
    if not 16 <= width <= MAX_EDGE:
        raise ValueError(f"preview width must be 16..{MAX_EDGE} pixels, not {width}")
    with _LOCK:
        document = pypdfium2.PdfDocument(pdf)
        try:
            sheet = document[page]
            try:
                scale = width / sheet.get_width()
                image = sheet.render(scale=scale, may_draw_forms=False).to_pil()
            finally:
                sheet.close()
        finally:
            document.close()
    output = io.BytesIO()
    # A poster has few flat colours: a 128-colour palette keeps text crisp at a third of the
    # size of true colour, which matters on a phone's data plan.
    # Fast octree quantisation: 5× quicker than median cut here and a smaller file.
    palette = image.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=0)
    palette.save(output, "PNG")
    return output.getvalue()
