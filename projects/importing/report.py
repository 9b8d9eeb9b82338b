"""The error report of a list import: the user's own file with every problem cell filled red and
commented, and a sheet listing every error (row, column letter, header, message), so that a list
with 3,000 errors can be fixed in Excel without a page that stops at the first thousand."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from core.excel import cells
from core.excel.reader import Issue

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_SHEET_TITLE = "导入错误"
MAX_COMMENT = 600


def write_error_report(source: IO[bytes], sheet: str, errors: Iterable[Issue], target: IO[bytes]) -> int:
    """Copy ``source`` to ``target`` with the errors marked on ``sheet``; returns the number of errors.

    A problem of a whole row (no column) marks the row's first cell; one of the whole file goes only
    to the list. The list is the first sheet, so the file opens on it.
    """
    workbook = load_workbook(source)  # the user's own file, already through the guard
    errors = sorted(errors, key=lambda issue: (issue.row or 0, issue.position))
    ws = workbook[sheet] if sheet in workbook.sheetnames else workbook.active
    by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
    for issue in errors:
        if issue.row:
            by_cell[(issue.row, issue.position or 1)].append(issue.message)
    for (row, column), messages in by_cell.items():
        cell = ws.cell(row=row, column=column)
        cell.fill = ERROR_FILL
        text = "\n".join(messages)
        cell.comment = Comment(text[:MAX_COMMENT], "diaodu")
    title = ERROR_SHEET_TITLE
    while title in workbook.sheetnames:
        title += "_"
    listing = workbook.create_sheet(title, 0)
    headers = [_("行"), _("列"), _("列名"), _("错误")]
    listing.append([cells.header_cell(listing, text, cells.REQUIRED_FILL) for text in headers])
    for issue in errors:
        cells.append(listing, [issue.row, issue.letter, issue.column, issue.message])
    for letter, width in zip("ABCD", (8, 8, 20, 80), strict=True):
        listing.column_dimensions[letter].width = width
    listing.freeze_panes = "A2"
    listing["A1"].font = Font(bold=True)
    workbook.active = 0
    workbook.save(target)
    return len(errors)


def error_report_bytes(path: Any, sheet: str, errors: Iterable[Issue]) -> bytes:
    import io

    out = io.BytesIO()
    with open(path, "rb") as handle:
        write_error_report(handle, sheet, errors, out)
    return out.getvalue()
