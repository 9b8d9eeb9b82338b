"""Reading an upload with a ``SheetSpec``: one header reader and one all-or-nothing import runner.

``run_import`` opens the upload through the guard (``core.excel.guard``), finds the spec's sheet,
maps row 1's headers (and their synonyms) to the spec's columns, parses every cell of every row
with its column's parser and collects every problem as an ``Issue`` (row, column letter, header,
message in Chinese). The caller's ``check`` then validates the rows as a whole (unknown codes,
duplicates, the module's rules) and adds its own issues; only when there is none does the
caller's ``apply`` run, in one transaction, and an issue it adds rolls that transaction back.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from core.excel.guard import FileRejected, ReadCell, hidden_sheets, hidden_warning, open_upload, read_sheet
from core.excel.parsers import REJECTED, CellError, is_blank, normalize_header, shown
from core.excel.spec import Column, SheetSpec

log = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 1_000

T = TypeVar("T")


@dataclass(frozen=True)
class Issue:
    """One problem: ``row`` is the Excel row number (None for the whole file), ``column`` the header
    as written, ``position`` the column's number (0 when the problem is not in one column)."""

    row: int | None
    column: str
    message: str
    position: int = 0

    @property
    def letter(self) -> str:
        return get_column_letter(self.position) if self.position else ""

    def __str__(self) -> str:
        if self.row is None:
            return f"「{self.column}」：{self.message}" if self.column else self.message
        if self.letter:
            return _("第 %(row)d 行 %(letter)s列「%(column)s」：%(message)s") % {
                "row": self.row, "letter": self.letter, "column": self.column or "—", "message": self.message,
            }
        return _("第 %(row)d 行「%(column)s」：%(message)s") % {
            "row": self.row, "column": self.column or "—", "message": self.message,
        }


@dataclass
class ImportReport:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted_errors(self) -> list[Issue]:
        return sorted(self.errors, key=lambda issue: (issue.row or 0, issue.position, issue.column, issue.message))

    def fail(self, message: str) -> ImportReport:
        self.errors.append(Issue(None, "", message))
        return self


# --- the header ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bound:
    """A column of the spec found in the file: its number, the column (a family's member expanded)
    and the header as the messages name it."""

    col: int
    column: Column
    label: str

    @property
    def key(self) -> str:
        return self.column.key


@dataclass
class Header:
    bound: dict[int, Bound] = field(default_factory=dict)  # column number -> the column read there
    labels: dict[int, str] = field(default_factory=dict)  # column number -> every header as written

    def find(self, key: str) -> Bound | None:
        return next((b for b in self.bound.values() if b.key == key), None)

    def keys(self) -> set[str]:
        return {b.key for b in self.bound.values()}

    def family(self, key: str) -> list[Bound]:
        """The members of a family found in the file, left to right."""
        return [self.bound[col] for col in sorted(self.bound) if self.bound[col].column.family == key]


def read_header(spec: SheetSpec, cells: Mapping[int, ReadCell], report: ImportReport) -> Header:
    """Map the header row to the spec's columns; unknown, missing and duplicate headers go to the report."""
    row = spec.header_row
    header = Header()
    seen: dict[str, int] = {}
    for col in sorted(cells):
        cell = cells[col]
        letter = get_column_letter(col)
        if cell.data_type == "f":
            report.errors.append(Issue(row, letter, _("列名不能是公式"), col))
            continue
        label = normalize_header(cell.value)
        if not label:
            continue
        header.labels[col] = label
        found = spec.match(label)
        key = label if found is None else found[0].key if found[1] is None else f"{found[0].key}:{found[1]}"
        if key in seen:
            report.errors.append(Issue(
                row, label,
                _("列名重复（第 %(first)s 列和第 %(second)s 列）")
                % {"first": get_column_letter(seen[key]), "second": letter}, col,
            ))
            continue
        seen[key] = col
        if found is None:
            report.warnings.append(
                _("未识别的列“%(label)s”（第 %(letter)s 列）已忽略。") % {"label": label, "letter": letter}
            )
            continue
        column, param = found
        if param is not None:
            if column.param_check is not None and (message := column.param_check(param)):
                report.errors.append(Issue(row, label, message, col))
            column = column.expand(param)
        if column.read_only:
            continue  # written for reading; ignored on upload
        header.bound[col] = Bound(col, column, label if column.family else column.header)
    present = header.keys()
    missing = [c.header for c in spec.fixed() if c.required and c.key not in present]
    if missing:
        report.errors.append(Issue(
            row, "",
            _("缺少必填列：%(columns)s。请使用%(template)s，第%(row)d行为列名。")
            % {"columns": "、".join(missing), "template": spec.template_name, "row": row},
        ))
    absent = [c.header for c in spec.fixed() if not c.required and c.key not in present]
    if absent and not missing:
        report.warnings.append(
            _("文件中没有以下列，已有的这些内容保持不变：%(columns)s。") % {"columns": "、".join(absent)}
        )
    return header


# --- the rows -----------------------------------------------------------------------------------

@dataclass
class Row:
    """A data row: ``values`` holds every column of the header parsed (``REJECTED`` for a refused
    cell, whose key is in ``bad``), ``raw`` the cells as read."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)

    def good(self) -> dict[str, Any]:
        return {key: value for key, value in self.values.items() if key not in self.bad}


@dataclass
class ImportSheet:
    """What the caller's ``check`` and ``apply`` get: the header, the rows, and the report to add to."""

    spec: SheetSpec
    header: Header
    rows: list[Row]
    report: ImportReport
    stamp: dict[str, Any] | None = None

    def position(self, key: str | None) -> int:
        bound = self.header.find(key) if key else None
        return bound.col if bound else 0

    def label(self, key: str | None) -> str:
        if not key:
            return ""
        if bound := self.header.find(key):
            return bound.label
        try:
            return self.spec.column(key).header
        except KeyError:
            return ""

    def error(self, row: int | None, key: str | None, message: str) -> None:
        """An issue in the column ``key`` (a column of the spec; None or unknown: the whole row)."""
        self.report.errors.append(Issue(row, self.label(key), message, self.position(key)))

    def warn(self, text: str) -> None:
        self.report.warnings.append(text)


def _stamp(spec: SheetSpec, workbook: Any, names: list[str]) -> dict[str, Any] | None:
    """The stamp rows of the instructions sheet ({label: value}), or None without that sheet."""
    notes = normalize_header(spec.notes_title)
    if notes not in names:
        return None
    cells = read_sheet(workbook.worksheets[names.index(notes)], max_rows=100, first_data_row=1).cells
    stamp: dict[str, Any] = {}
    for r in range(1, len(spec.stamp) + 1):
        label = normalize_header(getattr(cells.get((r, 1)), "value", None))
        if label in spec.stamp:
            stamp[label] = getattr(cells.get((r, 2)), "value", None)
    return stamp


def read_upload(
    spec: SheetSpec, workbook: Any, report: ImportReport,
    check_stamp: Callable[[dict[str, Any] | None], None] | None = None,
) -> ImportSheet | None:
    """Read the spec's sheet of an opened workbook: None when the header or the layout is wrong."""
    names = [normalize_header(name) for name in workbook.sheetnames]
    title = normalize_header(spec.title)
    if title not in names:
        raise FileRejected(
            _("找不到名为“%(sheet)s”的工作表（文件中的工作表：%(names)s）。请使用%(template)s，不要修改工作表名称。")
            % {"sheet": spec.title, "names": "、".join(workbook.sheetnames) or "—", "template": spec.template_name}
        )
    stamp = None
    but: list[str] = []
    if spec.stamp:
        # The sheet says what it was made for; without the check a sheet of another unit or period
        # would be read into this one.
        stamp = _stamp(spec, workbook, names)
        if check_stamp is not None:
            check_stamp(stamp)
        if stamp is not None:
            # Only read for the check, so hiding it changes nothing.
            but.append(workbook.sheetnames[names.index(normalize_header(spec.notes_title))])
    ws = workbook.worksheets[names.index(title)]
    if ws.sheet_state != "visible":
        raise FileRejected(
            _("工作表“%(sheet)s”被隐藏了。请在 Excel 中取消隐藏，核对其中的内容后再上传。") % {"sheet": ws.title}
        )
    if hidden := hidden_sheets(workbook, but=but):
        report.warnings.append(hidden_warning(hidden))
    # Only the cells that hold something, streamed: a stray value in row 1,000,000 is one cell,
    # not a million empty rows, and a file over the row limit stops at the limit.
    data = read_sheet(ws, first_data_row=spec.first_data_row)
    header = read_header(spec, {c: cell for (r, c), cell in data.cells.items() if r == spec.header_row}, report)
    for merged in sorted(data.merged, key=lambda r: (r.min_row, r.min_col)):
        label = header.labels.get(merged.min_col) or get_column_letter(merged.min_col)
        report.errors.append(Issue(
            merged.min_row, label, _("有合并单元格 %(range)s，请取消合并后再上传") % {"range": merged.coord},
            merged.min_col,
        ))
    if report.errors:
        return None
    found: dict[int, dict[int, ReadCell]] = {}
    stray: set[int] = set()
    for (r, c), cell in data.cells.items():
        if r < spec.first_data_row or is_blank(cell.value):
            continue
        if c in header.bound:
            found.setdefault(r, {})[c] = cell
        elif c not in header.labels:
            stray.add(c)
    for c in sorted(stray):
        report.warnings.append(_("第 %(letter)s 列没有列名，其中的内容已忽略。") % {"letter": get_column_letter(c)})
    if not found:
        raise FileRejected(
            _("“%(sheet)s”工作表中没有数据行（第%(row)d行起）。") % {"sheet": spec.title, "row": spec.first_data_row}
        )
    sheet = ImportSheet(spec, header, [], report, stamp)
    for number in sorted(found):
        sheet.rows.append(_parse_row(sheet, number, found[number]))
    return sheet


def _parse_row(sheet: ImportSheet, number: int, cells: Mapping[int, ReadCell]) -> Row:
    row = Row(number)
    for col, bound in sheet.header.bound.items():
        key, cell = bound.key, cells.get(col)
        message = None
        if cell is not None and cell.data_type == "f":
            message = _("单元格是公式“%(formula)s”，请复制后“选择性粘贴-数值”再上传") % {"formula": shown(cell.value)}
        elif cell is not None and cell.data_type == "e":
            message = _("单元格是错误值“%(value)s”") % {"value": shown(cell.value)}
        if message is not None:
            # The other cells of the row are still checked, so every problem shows at once.
            sheet.report.errors.append(Issue(number, bound.label, message, col))
            row.raw[key] = row.values[key] = REJECTED
            row.bad.add(key)
            continue
        raw = row.raw[key] = cell.value if cell is not None else None
        parser = bound.column.parser
        try:
            row.values[key] = parser(raw) if parser is not None else raw
        except CellError as error:
            sheet.report.errors.append(Issue(number, bound.label, error.message, col))
            row.values[key] = REJECTED
            row.bad.add(key)
    return row


class _RollBack(Exception):
    pass


def run_import(
    spec: SheetSpec,
    upload: Any,
    *,
    check: Callable[[ImportSheet], T],
    apply: Callable[[ImportSheet, T], None],
    check_stamp: Callable[[dict[str, Any] | None], None] | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Read, check and (only when there is no issue at all) apply an upload; see the module's docstring.

    ``check(sheet)`` adds the issues of the rows as a whole and returns what ``apply(sheet, plan)``
    needs; ``apply`` runs in one transaction and sets the report's counts. ``check_stamp`` gets the
    instructions sheet's stamp (None without that sheet) and raises ``FileRejected`` to refuse it.
    """
    report = report if report is not None else ImportReport()
    try:
        workbook = open_upload(upload)
    except FileRejected as rejected:
        return report.fail(rejected.message)
    try:
        sheet = read_upload(spec, workbook, report, check_stamp)
    except FileRejected as rejected:
        return report.fail(rejected.message)
    finally:
        workbook.close()
    if sheet is None:  # the header or the layout is wrong: the rows cannot be read
        return report
    plan = check(sheet)
    if report.errors:
        return report
    try:
        with transaction.atomic():
            apply(sheet, plan)
            if report.errors:
                raise _RollBack
    except _RollBack:
        pass
    except DatabaseError as error:
        log.warning("excel import: saving failed, rolled back: %r", error)
        report.fail(_("保存时数据库报错（可能有人同时修改了这些数据），没有保存任何数据，请稍后重新上传。"))
    return report
