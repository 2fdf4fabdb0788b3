"""Generated scans for trying the archive, for its tests and for `lemari bench archive`.

Nothing is downloaded: text pages are drawn with Pillow at 300 dpi in the shipped Liberation
fonts, born-digital PDFs are written by hand, and the broken files are made the way real ones
break (cut off, encrypted, mislabelled, decompression bombs). `lemari demo-scans DIR` writes
a mixed folder a new user can import with `lemari import-scans DIR --metadata DIR/metadata.csv`.
"""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

FONT = Path(__file__).resolve().parent.parent / "templates_pdf" / "fonts" / "LiberationSerif-Regular.ttf"
A4_300DPI = (2480, 3508)
WORDS = ("surat keterangan domisili kecamatan kota bangun kutai kartanegara penduduk desa "
         "loleng pela liang muhuran sebelimbingan keluarga nomor tanggal camat sekretaris "
         "arsip berita acara penyerahan berkas permohonan kartu tanda penduduk elektronik "
         "pelayanan administrasi kependudukan pindah datang kelahiran kematian").split()


def letter_lines(seed: int, count: int = 28) -> list[str]:
    """Deterministic Indonesian-looking lines; the first names the sample so each differs."""
    rng = random.Random(seed)
    lines = [f"ARSIP UJI NOMOR {seed:05d} KECAMATAN KOTA BANGUN"]
    for _ in range(count - 1):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 10))).capitalize())
    return lines


def text_page(seed: int, size: tuple[int, int] = A4_300DPI, lines: int = 28):
    """A clean 300-dpi grayscale A4 page of text (a Pillow image)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 44)
    y = 250
    for line in letter_lines(seed, lines):
        draw.text((220, y), line, font=font, fill=0)
        y += 100
    return image


def image_bytes(seed: int, fmt: str, pages: int = 1, lines: int = 28) -> bytes:
    """One scan as PNG, JPEG, TIFF (multi-page allowed) or an image-only PDF, at 300 dpi."""
    images = [text_page(seed * 100 + n, lines=lines) for n in range(pages)]
    out = io.BytesIO()
    extra = {"save_all": True, "append_images": images[1:]} if pages > 1 else {}
    if fmt == "PDF":
        images[0].save(out, "PDF", resolution=300.0, **extra)
    elif fmt == "TIFF":
        images[0].save(out, "TIFF", dpi=(300, 300), compression="tiff_deflate", **extra)
    else:
        images[0].save(out, fmt, dpi=(300, 300), **({"quality": 85} if fmt == "JPEG" else {}))
    return out.getvalue()


def text_pdf(seed: int, pages: int = 1) -> bytes:
    """A small born-digital PDF (real text objects, Helvetica), written by hand."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for page in range(pages):
        body = " ".join(f"({escape(line)}) '" for line in letter_lines(seed * 100 + page, 30))
        stream = f"BT /F1 11 Tf 60 800 Td 14 TL {body} ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def encrypted_pdf(seed: int) -> bytes:
    """A born-digital PDF locked with a user password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(seed))))
    writer.encrypt("rahasia", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bomb_png(side: int = 20000) -> bytes:
    """A tiny PNG claiming side×side pixels: a decompression bomb (1-bit, all white)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (side, side), 1).save(out, "PNG", optimize=True)
    return out.getvalue()


def good_samples(start: int = 1) -> dict[str, bytes]:
    """Files that must be archived: every accepted kind, scans and born-digital."""
    return {
        "surat-domisili-2019.png": image_bytes(start, "PNG"),
        "berita-acara-ktp.jpg": image_bytes(start + 1, "JPEG"),
        "kk-berkas-3-halaman.tif": image_bytes(start + 2, "TIFF", pages=3, lines=12),
        "undangan-rapat-pindaian.pdf": image_bytes(start + 3, "PDF"),
        "keputusan-camat-digital.pdf": text_pdf(start + 4),
    }


def broken_samples() -> dict[str, bytes]:
    """Files that must be refused with a reason, each broken the way real files break."""
    whole = text_pdf(9001)
    return {
        "kosong.pdf": b"",
        "terpotong.pdf": whole[: len(whole) // 3],
        "rusak.pdf": b"%PDF-1.7\n" + os.urandom(2048),
        "terkunci.pdf": encrypted_pdf(9002),
        "foto-bernama-pdf.pdf": image_bytes(9003, "JPEG", lines=4),
        "bom-dekompresi.png": bomb_png(),
        "bukan-pindaian.docx": b"PK\x03\x04 not a scan",
    }


def write_sample_folder(folder: Path) -> dict[str, str]:
    """A mixed folder (good and broken scans, a file named in invalid UTF-8, a CSV sidecar
    that also names a missing file); returns {file: expected status}."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, data in good_samples().items():
        (folder / name).write_bytes(data)
        expected[name] = "diimpor"
    for name, data in broken_samples().items():
        (folder / name).write_bytes(data)
        expected[name] = "gagal"
    bad_name = os.path.join(os.fsencode(folder), b"nama-\xff\xfe.png")
    with open(bad_name, "wb") as fh:
        fh.write(image_bytes(9004, "PNG", lines=3))
    expected[b"nama-\xff\xfe.png".decode("utf-8", "backslashreplace")] = "gagal"
    (folder / "ulang-surat-domisili.png").write_bytes(good_samples()["surat-domisili-2019.png"])
    expected["ulang-surat-domisili.png"] = "duplikat"
    (folder / "metadata.csv").write_text(
        "berkas,judul,klasifikasi,tanggal,desa,lemari,rak,boks,map,catatan\n"
        "surat-domisili-2019.png,Surat Keterangan Domisili 2019,400.12.2.1,2019-08-17,Loleng,1,2,14,3,\n"
        "keputusan-camat-digital.pdf,Keputusan Camat tentang Tim Pelayanan,100.3.3,2020-01-06,,2,1,1,1,\n"
        "undangan-rapat-pindaian.pdf,Undangan Rapat Musrenbang,000.1.5,2018-02-01,,1,1,2,5,\n"
        "hilang.pdf,Berkas yang tidak ada,400.12.2.1,2019-01-01,,,,,,disebut di CSV saja\n",
        encoding="utf-8")
    expected["hilang.pdf"] = "gagal"
    return expected
