"""A unit's Excel sheet for a period: downloaded pre-filled, filled in Excel, uploaded back.

Sheet "月度填报": row 1 the headers (the grid's labels), one project per row from row 2. The
context columns (name, stage, total investment, last period's figures, the derived totals)
are for reading and are ignored on upload; the key is 项目编号. A second sheet "填报说明"
names the unit and the period, so a file of another period or unit, or one whose 填报说明 was
deleted or emptied, is refused instead of being read into this one.

The upload is all or nothing: the file checks and the cell parsers are the ledger's
(``projects.excel``); every row is checked with the grid's rules (``dispatch.checks``) and
only a file without errors is saved, in one transaction. Rows left blank and projects not in
the file are not changed, so the same file uploaded twice changes nothing the second time.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dispatch import checks, reporting
from dispatch.checks import ACTUAL_START, CODE, INVESTED, PERCENT, PHYSICAL, PROBLEMS, SINCE_START, YTD
from dispatch.models import UnitReport
from dispatch.services import DispatchError
from projects import excel, xlsx

SHEET = "月度填报"
NOTES_SHEET = "填报说明"
UNIT_LABEL = "填报单位"
PERIOD_LABEL = "调度期"
KEY_LABEL = "期号"

INPUT, CONTEXT = "input", "context"


@dataclass(frozen=True)
class SheetColumn:
    key: str
    label: str
    kind: str  # INPUT (read on upload) or CONTEXT (ignored)
    width: int
    number_format: str | None = None
    required: bool = False


COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn(CODE, checks.LABELS[CODE], INPUT, 16, excel.TEXT_FORMAT, True),
    SheetColumn("name", N_("项目名称"), CONTEXT, 30),
    SheetColumn("stage", N_("阶段"), CONTEXT, 8),
    SheetColumn("total", N_("总投资(万元)"), CONTEXT, 14, excel.MONEY_FORMAT),
    SheetColumn("ytd_before", N_("上期末年度累计(万元)"), CONTEXT, 14, excel.MONEY_FORMAT),
    SheetColumn("last_invested", N_("上期完成投资(万元)"), CONTEXT, 14, excel.MONEY_FORMAT),
    SheetColumn(INVESTED, checks.LABELS[INVESTED], INPUT, 14, excel.MONEY_FORMAT, True),
    SheetColumn(YTD, checks.LABELS[YTD], CONTEXT, 14, excel.MONEY_FORMAT),
    SheetColumn(SINCE_START, checks.LABELS[SINCE_START], CONTEXT, 14, excel.MONEY_FORMAT),
    SheetColumn("last_percent", N_("上期形象进度(%)"), CONTEXT, 10, "0"),
    SheetColumn(PERCENT, checks.LABELS[PERCENT], INPUT, 10, "0", True),
    SheetColumn(PHYSICAL, checks.LABELS[PHYSICAL], INPUT, 40, excel.TEXT_FORMAT, True),
    SheetColumn(PROBLEMS, checks.LABELS[PROBLEMS], INPUT, 30, excel.TEXT_FORMAT),
    SheetColumn(ACTUAL_START, checks.LABELS[ACTUAL_START], INPUT, 12, excel.DATE_FORMAT),
)
BY_LABEL = {column.label: column for column in COLUMNS}
LETTER = {column.key: get_column_letter(index) for index, column in enumerate(COLUMNS, start=1)}
WRAP = Alignment(wrap_text=True, vertical="top")


def period_key(unit_report: UnitReport) -> str:
    period = unit_report.period
    return f"{period.year}-{period.month:02d}-{period.half}"


def filename(unit_report: UnitReport) -> str:
    return _("%(unit)s-%(key)s月度填报.xlsx") % {"unit": unit_report.unit.name, "key": period_key(unit_report)}


# --- writing ------------------------------------------------------------------------------

def write_unit_sheet(target: IO[bytes], *, unit_report: UnitReport) -> int:
    """The unit's sheet with its projects, this period's saved figures and last period's; returns the row count."""
    rows = reporting.unit_rows(unit_report)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
        cell = xlsx.put(ws, 1, index, column.label)
        cell.font = excel.HEADER_FONT
        cell.alignment = WRAP
        if column.kind == CONTEXT:
            cell.fill = excel.DERIVED_FILL
        else:
            cell.fill = excel.REQUIRED_FILL if column.required else excel.OPTIONAL_FILL
    ws.freeze_panes = "C2"
    with translation.override(settings.LANGUAGE_CODE):
        for number, row in enumerate(rows, start=2):
            for index, column in enumerate(COLUMNS, start=1):
                # Through projects.xlsx: a project's name or text starting with "=" stays text.
                cell = xlsx.put(ws, number, index, _cell_value(row, column.key, number))
                if column.number_format:
                    cell.number_format = column.number_format
    last = max(len(rows) + 1, 2)
    percent = DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True)
    percent.error = _("形象进度(%)应为 0 至 100 的整数。")
    percent.showErrorMessage = True
    percent.add(f"{LETTER[PERCENT]}2:{LETTER[PERCENT]}{last}")
    money = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    money.error = _("本期完成投资应为不小于 0 的数字，单位万元。")
    money.showErrorMessage = True
    money.add(f"{LETTER[INVESTED]}2:{LETTER[INVESTED]}{last}")
    ws.data_validations.append(percent)
    ws.data_validations.append(money)
    _write_notes(wb, unit_report)
    wb.save(target)
    return len(rows)


def _cell_value(row: reporting.Row, key: str, number: int) -> Any:
    project, report, context = row.project, row.report, row.context
    invested_cell = f"{LETTER[INVESTED]}{number}"
    if key == CODE:
        return project.code
    if key == "name":
        return project.name
    if key == "stage":
        return project.get_stage_display()
    if key == "total":
        return project.total_investment
    if key == "ytd_before":
        return context.ytd_before
    if key == "last_invested":
        return context.recent[0][0] if context.recent else None
    if key == "last_percent":
        return context.last_percent
    # Formulas, so the totals follow what is typed; the upload ignores these columns.
    if key == YTD:
        return xlsx.Formula(f"={context.ytd_before}+N({invested_cell})")
    if key == SINCE_START:
        return xlsx.Formula(f"={context.invested_before_period}+N({invested_cell})")
    if key == ACTUAL_START:
        return project.actual_start
    if report is None:
        return None
    return {
        INVESTED: report.invested,
        PERCENT: report.progress_percent,
        PHYSICAL: report.physical_progress or None,
        PROBLEMS: report.problems or None,
    }[key]


def _write_notes(wb: Workbook, unit_report: UnitReport) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 90
    with translation.override(settings.LANGUAGE_CODE):
        label = unit_report.period.label
    xlsx.append(ws, [UNIT_LABEL, unit_report.unit.name])
    xlsx.append(ws, [PERIOD_LABEL, label])
    xlsx.append(ws, [KEY_LABEL, period_key(unit_report)])
    xlsx.append(ws, [_("截止日期"), unit_report.period.deadline])
    ws.cell(row=4, column=2).number_format = excel.DATE_FORMAT
    xlsx.append(ws, [])
    lines = [
        _("1. 只填写“%(sheet)s”工作表中的“本期完成投资(万元)”“形象进度(%%)”“形象进度描述”“存在问题”，"
          "项目尚未开工而本期有投资或进度的，再填“实际开工日期”。灰色列只供参考，上传时忽略。") % {"sheet": SHEET},
        _("2. 不要修改第1行列名和“项目编号”；以项目编号识别项目，只能填报本单位牵头的项目。"),
        _("3. 本期完成投资必填（没有投资填 0），单位万元，最多2位小数；形象进度为 0 至 100 的整数，不能低于上期。"),
        _("4. 上传时先检查全部行，有任何错误则全部不保存，并列出错误所在的行和列；全部正确才一次性保存。"),
        _("5. 整行留空的项目不会被修改；不要使用公式、不要合并单元格；请保存为 .xlsx 格式。"),
        _("6. 本表只能上传到“%(unit)s %(period)s”的月报；本工作表前三行用于核对，请勿修改。")
        % {"unit": unit_report.unit.name, "period": label},
    ]
    for line in lines:
        xlsx.append(ws, [None, line])
        ws.cell(row=ws.max_row, column=2).alignment = WRAP


# --- reading ------------------------------------------------------------------------------

class _Reader:
    def __init__(self, unit_report: UnitReport) -> None:
        self.unit_report = unit_report
        self.report = excel.ImportReport()
        self.columns: dict[int, SheetColumn] = {}

    def error(self, row: int | None, column: str, message: str, position: int = 0) -> None:
        self.report.errors.append(excel.Issue(row, column, message, position))

    def read(self, workbook: Any) -> list[tuple[int, dict[str, Any]]]:
        names = [excel.normalize_header(name) for name in workbook.sheetnames]
        if SHEET not in names:
            raise excel.FileRejected(
                _("找不到名为“%(sheet)s”的工作表（文件中的工作表：%(names)s）。请使用本页下载的填报表。")
                % {"sheet": SHEET, "names": "、".join(workbook.sheetnames) or "—"}
            )
        # The notes sheet names the unit and the period; without it a sheet of another unit or
        # period would be read into this report.
        if NOTES_SHEET not in names:
            raise excel.FileRejected(
                _("文件中没有“%(sheet)s”工作表，无法核对填报单位和调度期。请在本页重新下载填报表，填好后上传。")
                % {"sheet": NOTES_SHEET}
            )
        self._check_notes(workbook.worksheets[names.index(NOTES_SHEET)])
        ws = workbook.worksheets[names.index(SHEET)]
        if ws.sheet_state != "visible":
            raise excel.FileRejected(
                _("工作表“%(sheet)s”被隐藏了。请在 Excel 中取消隐藏，核对其中的内容后再上传。") % {"sheet": ws.title}
            )
        # The notes sheet is only read for the check above, so hiding it changes nothing.
        notes_title = workbook.sheetnames[names.index(NOTES_SHEET)]
        if hidden := xlsx.hidden_sheets(workbook, but=[notes_title]):
            self.report.warnings.append(xlsx.hidden_warning(hidden))
        # The cells that hold something, streamed and stopped at the row limit (see projects.xlsx).
        sheet = xlsx.read_sheet(ws)
        cells = sheet.cells
        self._header({col: cell for (row, col), cell in cells.items() if row == 1})
        for merged in sorted(sheet.merged, key=lambda r: (r.min_row, r.min_col)):
            column = self.columns.get(merged.min_col)
            self.error(
                merged.min_row, column.label if column else get_column_letter(merged.min_col),
                _("有合并单元格 %(range)s，请取消合并后再上传") % {"range": merged.coord}, merged.min_col,
            )
        if self.report.errors:
            return []
        inputs = {col: column for col, column in self.columns.items() if column.kind == INPUT}
        found: dict[int, dict[str, Any]] = {}
        for (row, col), cell in cells.items():
            if row < 2 or col not in inputs or excel.parse_text(cell.value) == "":
                continue
            column = inputs[col]
            if cell.data_type == "f":
                self.error(row, column.label, _("单元格是公式“%(formula)s”，请复制后“选择性粘贴-数值”再上传")
                           % {"formula": excel.shown(cell.value)}, col)
                found.setdefault(row, {})[column.key] = excel.REJECTED
            elif cell.data_type == "e":
                self.error(row, column.label, _("单元格是错误值“%(value)s”") % {"value": excel.shown(cell.value)}, col)
                found.setdefault(row, {})[column.key] = excel.REJECTED
            else:
                found.setdefault(row, {})[column.key] = cell.value
        if not found:
            raise excel.FileRejected(_("“%(sheet)s”工作表中没有数据行（第2行起）。") % {"sheet": SHEET})
        return sorted(found.items())

    def _check_notes(self, ws: Any) -> None:
        cells = xlsx.read_sheet(ws, max_rows=100, first_data_row=1).cells
        notes = {
            excel.normalize_header(getattr(cells.get((r, 1)), "value", None)): getattr(cells.get((r, 2)), "value", None)
            for r in range(1, 4)
        }
        key = excel.parse_text(notes.get(KEY_LABEL))
        unit = excel.parse_text(notes.get(UNIT_LABEL))
        if not key or not unit:
            raise excel.FileRejected(
                _("“%(sheet)s”工作表前三行的填报单位或期号被删改，无法核对。请在本页重新下载填报表，填好后上传。")
                % {"sheet": NOTES_SHEET}
            )
        if key != period_key(self.unit_report):
            raise excel.FileRejected(
                _("这是“%(label)s”期（期号 %(key)s）的填报表，不能上传到%(period)s的月报。请在本页重新下载填报表。")
                % {"label": excel.shown(notes.get(PERIOD_LABEL) or key), "key": key,
                   "period": self.unit_report.period.label}
            )
        if unit != self.unit_report.unit.name:
            raise excel.FileRejected(
                _("这是“%(file_unit)s”的填报表，不能上传到%(unit)s的月报。")
                % {"file_unit": excel.shown(unit), "unit": self.unit_report.unit.name}
            )

    def _header(self, cells: Mapping[int, Any]) -> None:
        seen: dict[str, int] = {}
        for col in sorted(cells):
            cell = cells[col]
            if cell.data_type == "f":
                self.error(1, get_column_letter(col), _("列名不能是公式"), col)
                continue
            label = excel.normalize_header(cell.value)
            if not label:
                continue
            if label in seen:
                self.error(1, label, _("列名重复（第 %(first)s 列和第 %(second)s 列）")
                           % {"first": get_column_letter(seen[label]), "second": get_column_letter(col)}, col)
                continue
            seen[label] = col
            if label in BY_LABEL:
                self.columns[col] = BY_LABEL[label]
            else:
                self.report.warnings.append(
                    _("未识别的列“%(label)s”（第 %(letter)s 列）已忽略。")
                    % {"label": label, "letter": get_column_letter(col)}
                )
        present = {column.key for column in self.columns.values()}
        missing = [column.label for column in COLUMNS if column.required and column.key not in present]
        if missing:
            self.error(1, "", _("缺少必填列：%(columns)s。请使用本页下载的填报表，第1行为列名。")
                       % {"columns": "、".join(missing)})

    def position(self, key: str) -> int:
        return next((col for col, column in self.columns.items() if column.key == key), 0)


def unit_sheet_import(*, by: Any, unit_report: UnitReport, upload: Any) -> excel.ImportReport:
    """Read, check and (when there is no error at all) save an uploaded sheet; see the module's docstring."""
    reader = _Reader(unit_report)
    report = reader.report
    try:
        workbook = xlsx.open_upload(upload)
    except excel.FileRejected as rejected:
        report.errors.append(excel.Issue(None, "", rejected.message))
        return report
    try:
        rows = reader.read(workbook)
    except excel.FileRejected as rejected:
        report.errors.append(excel.Issue(None, "", rejected.message))
        return report
    finally:
        workbook.close()
    if not rows:
        return report
    projects = {project.code: project for project in reporting.unit_projects(unit_report).only("pk", "code")}
    code_label = checks.LABELS[CODE]
    inputs: dict[int, dict[str, Any]] = {}
    row_of: dict[int, int] = {}
    # A blank cell of a column in the sheet is blank; a column not in the sheet keeps what is stored.
    present = {column.key: None for column in reader.columns.values() if column.kind == INPUT}
    for number, found in rows:
        values = {**present, **found}
        cell = values.pop(CODE, None)
        code = excel.parse_text(cell) if cell is not excel.REJECTED else ""
        if cell is excel.REJECTED:
            continue
        project = projects.get(code)
        if not code:
            reader.error(number, code_label, _("必须填写项目编号"), reader.position(CODE))
        elif project is None:
            reader.error(number, code_label, _("项目编号“%(code)s”不是本单位牵头的项目，不能在本表填报")
                         % {"code": excel.shown(code)}, reader.position(CODE))
        elif project.pk in row_of:
            reader.error(number, code_label, _("项目编号“%(code)s”与第 %(row)d 行重复")
                         % {"code": excel.shown(code), "row": row_of[project.pk]}, reader.position(CODE))
        else:
            inputs[project.pk] = values
            row_of[project.pk] = number
    try:
        if report.errors:
            # Nothing will be saved; the rows are still checked, so every problem shows at once.
            checked = reporting.unit_report_rows_check(unit_report=unit_report, inputs=inputs)
            result = reporting.SaveResult(checked)
        else:
            result = reporting.unit_report_rows_save(by=by, unit_report=unit_report, inputs=inputs, source="excel")
    except DispatchError as error:
        report.errors.append(excel.Issue(None, "", str(error)))
        return report
    except ValidationError as error:
        report.errors.append(excel.Issue(None, "", " ".join(error.messages)))
        return report
    for row in result.rows:
        number = row_of[row.project.pk]
        for issue in row.issues:
            if issue.is_error:
                reader.error(number, issue.label, issue.text, reader.position(issue.column))
            elif result.saved:
                report.warnings.append(
                    _("第 %(row)d 行（%(code)s）「%(column)s」：%(text)s")
                    % {"row": number, "code": row.project.code, "column": issue.label, "text": issue.text}
                )
    if result.saved:
        report.updated = result.changed
        report.unchanged = result.unchanged
    return report
