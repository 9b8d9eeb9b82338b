"""One Excel kit: declarative sheet specs, one header reader, one decompression guard, one styled
writer that writes user text as strings, and an all-or-nothing import with errors by row and column.

A module declares a ``SheetSpec`` of ``Column``s and gets its template and export
(``write_workbook`` / ``SheetWriter``) and its import (``run_import``) from it:

- ``guard``: is an uploaded .xlsx safe to open (sizes, ratios, cells counted in the raw XML,
  macros, encryption), the safe open and the streaming reader;
- ``cells``: every text written as a string cell, formulas only when the code means them;
- ``parsers``: cell parsers raising only ``CellError`` with the message for the user;
- ``spec``: ``Column`` and ``SheetSpec``;
- ``reader``: the header reader and the import runner (``Issue``, ``ImportReport``);
- ``writer``: the styled writer and the instructions sheet;
- ``report``: the error report (the user's file with every problem cell marked, and the list of every
  error) and ``KeptUploads``, which keeps an upload with errors for its uploader's report.
"""
from __future__ import annotations

from core.excel.cells import Formula, append, put, set_value, text_cell
from core.excel.guard import (
    MAX_ROWS,
    XLSX_CONTENT_TYPE,
    FileRejected,
    hidden_sheets,
    hidden_warning,
    open_upload,
    read_sheet,
)
from core.excel.parsers import (
    REJECTED,
    CellError,
    choice_parser,
    is_blank,
    normalize_header,
    parse_bool,
    parse_choice,
    parse_date,
    parse_money,
    parse_number,
    parse_text,
    shown,
)
from core.excel.reader import MAX_ERRORS_SHOWN, ImportReport, ImportSheet, Issue, Row, read_header, run_import
from core.excel.report import KeptUploads, error_report_bytes, write_error_report
from core.excel.spec import Column, SheetSpec, decimal_at_least, whole_between
from core.excel.writer import TEMPLATE_ROWS, SheetWriter, write_workbook

__all__ = [
    "MAX_ERRORS_SHOWN", "MAX_ROWS", "REJECTED", "TEMPLATE_ROWS", "XLSX_CONTENT_TYPE",
    "CellError", "Column", "FileRejected", "Formula", "ImportReport", "ImportSheet", "Issue", "KeptUploads", "Row",
    "SheetSpec", "SheetWriter", "append", "choice_parser", "decimal_at_least", "error_report_bytes", "hidden_sheets",
    "hidden_warning", "is_blank", "normalize_header", "open_upload", "parse_bool", "parse_choice", "parse_date",
    "parse_money", "parse_number", "parse_text", "put", "read_header", "read_sheet", "run_import", "set_value",
    "shown", "text_cell",
    "whole_between", "write_error_report", "write_workbook",
]
