"""Numbers as Indonesian readers write them: 90.000.000, 1,5 MB, Rp 10.000.

Python and the browser's defaults print English separators (90,000,000; 1.5); a clerk reads
"90,000,000" as ninety with decimals. Every number shown to people goes through one of these
(Jinja filters `angka`, `ukuran`, `rupiah`), so screens and messages agree.
"""

from __future__ import annotations

#: Units for file sizes, decimal as disks and operating systems show them to users.
SIZE_UNITS = (("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000))


def angka(value: float | int | None, decimals: int = 0) -> str:
    """A number with '.' between thousands and ',' before decimals; '—' for nothing."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def ukuran(size: int | None) -> str:
    """A file size in words a clerk knows: '153 KB', '2,4 MB', '512 byte'."""
    if size is None:
        return "—"
    for unit, factor in SIZE_UNITS:
        if size >= factor:
            value = size / factor
            return f"{angka(value, 1 if value < 10 else 0)} {unit}"
    return f"{angka(size)} byte"


def rupiah(value: int | None) -> str:
    """An amount of money: 'Rp 90.000.000'; 'Rp 0' for a free service."""
    return f"Rp {angka(value or 0)}"
