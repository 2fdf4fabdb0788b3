"""The one module that imports openpyxl: reads the first sheet of an upload, writes exports.

Registry import reads through `open_first_sheet`; dashboard exports write through
`workbook_bytes`. Keeping both here means the XLSX engine can be swapped in one place.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font


class SpreadsheetError(ValueError):
    """The bytes are not a readable XLSX workbook."""


@contextmanager
def open_first_sheet(data: bytes) -> Iterator:
    """The first worksheet of an XLSX (read-only, values not formulas); closed afterwards."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many types on a damaged or disguised file
        raise SpreadsheetError("not an xlsx workbook") from None
    try:
        yield sheet
    finally:
        book.close()


def workbook_bytes(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]]) -> bytes:
    """An XLSX with one sheet per (title, header, rows); the header row is bold and frozen."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append(list(row))
        # columns past the header (rows wider than it) keep the default width
        for column, name in zip(sheet.columns, header, strict=False):
            sheet.column_dimensions[column[0].column_letter].width = max(10, min(48, len(str(name)) + 4))
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def first_sheet_grid(data: bytes, max_rows: int) -> tuple[list[tuple[int, list]], list[tuple[str, int, int]]]:
    """The first sheet's non-empty rows as (sheet row number, cell values), and its merged
    ranges as (A5:A7, first row, last row). Loaded in full (not read-only), since only then does
    openpyxl know the merged cells; a sheet with more than `max_rows` rows is refused by the
    caller from the count returned before any row is parsed further."""
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many types on a damaged or disguised file
        raise SpreadsheetError("not an xlsx workbook") from None
    try:
        merged = [(str(r.coord), r.min_row, r.max_row) for r in sheet.merged_cells.ranges]
        rows: list[tuple[int, list]] = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if any(c is not None and str(c).strip() for c in cells):
                rows.append((number, list(cells)))
                if len(rows) > max_rows + 1:
                    break
        return rows, merged
    finally:
        book.close()
