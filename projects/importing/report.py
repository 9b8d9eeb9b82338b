"""The error report of a list import: the Excel kit's (``core.excel.report``), under its old address."""
from __future__ import annotations

from core.excel.report import ERROR_FILL, ERROR_SHEET_TITLE, MAX_COMMENT, error_report_bytes, write_error_report

__all__ = ["ERROR_FILL", "ERROR_SHEET_TITLE", "MAX_COMMENT", "error_report_bytes", "write_error_report"]
