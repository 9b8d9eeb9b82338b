"""A unit's Excel sheet for a period: downloaded pre-filled, filled in Excel, uploaded back.

Sheet "月度填报" (``SPEC``, on the Excel kit ``core.excel``): row 1 the headers (the grid's
labels), one project per row from row 2. The read-only columns (name, stage, total investment,
last period's figures, the derived totals) are for reading and are ignored on upload; the key is
项目编号. The second sheet "填报说明" starts with a stamp naming the unit and the period, so a
file of another period or unit, or one whose 填报说明 was deleted or emptied, is refused instead
of being read into this one.

The upload is all or nothing (``core.excel.run_import``): the file checks and the cell parsers
are the kit's; every row is checked with the grid's rules (``dispatch.reporting.checks``) and only a file
without errors is saved, in one transaction. Rows left blank and projects not in the file are
not changed, so the same file uploaded twice changes nothing the second time.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_
from openpyxl.utils import get_column_letter

from core.excel import cells
from core.excel.guard import FileRejected
from core.excel.parsers import parse_date, parse_text, shown
from core.excel.reader import ImportReport, ImportSheet, Issue, run_import
from core.excel.spec import Column, SheetSpec, decimal_at_least, whole_between
from core.excel.writer import SheetWriter
from dispatch.models import UnitReport
from dispatch.periods.services import DispatchError
from dispatch.reporting import checks
from dispatch.reporting import grid as reporting
from dispatch.reporting.checks import ACTUAL_START, CODE, INVESTED, PERCENT, PHYSICAL, PROBLEMS, SINCE_START, YTD
from projects.excel import parse_money

SHEET = "月度填报"
NOTES_SHEET = "填报说明"
UNIT_LABEL = "填报单位"
PERIOD_LABEL = "调度期"
KEY_LABEL = "期号"


def _context(key: str, header: str, width: int, number_format: str | None = None) -> Column:
    return Column(key, header, None, width=width, number_format=number_format, read_only=True)


COLUMNS: tuple[Column, ...] = (
    Column(CODE, checks.LABELS[CODE], parse_text, True, width=16, user_text=True),
    _context("name", N_("项目名称"), 30),
    _context("stage", N_("阶段"), 8),
    _context("total", N_("总投资(万元)"), 14, cells.MONEY_FORMAT),
    _context("ytd_before", N_("上期末年度累计(万元)"), 14, cells.MONEY_FORMAT),
    _context("last_invested", N_("上期完成投资(万元)"), 14, cells.MONEY_FORMAT),
    Column(INVESTED, checks.LABELS[INVESTED], parse_money, True, width=14, number_format=cells.MONEY_FORMAT,
           validation=decimal_at_least(0, gettext_lazy("本期完成投资应为不小于 0 的数字，单位万元。"))),
    _context(YTD, checks.LABELS[YTD], 14, cells.MONEY_FORMAT),
    _context(SINCE_START, checks.LABELS[SINCE_START], 14, cells.MONEY_FORMAT),
    _context("last_percent", N_("上期形象进度(%)"), 10, cells.INTEGER_FORMAT),
    Column(PERCENT, checks.LABELS[PERCENT], reporting.parse_percent, True, width=10,
           number_format=cells.INTEGER_FORMAT,
           validation=whole_between(0, 100, gettext_lazy("形象进度(%)应为 0 至 100 的整数。"))),
    Column(PHYSICAL, checks.LABELS[PHYSICAL], parse_text, True, width=40, user_text=True),
    Column(PROBLEMS, checks.LABELS[PROBLEMS], parse_text, width=30, user_text=True),
    Column(ACTUAL_START, checks.LABELS[ACTUAL_START], parse_date, width=12, number_format=cells.DATE_FORMAT),
)
SPEC = SheetSpec(
    title=SHEET, columns=COLUMNS, notes_title=NOTES_SHEET, column_table=False, notes_widths=(14, 90),
    stamp=(UNIT_LABEL, PERIOD_LABEL, KEY_LABEL), freeze="C2", template_name=gettext_lazy("本页下载的填报表"),
)
LETTER = {column.key: get_column_letter(index) for index, column in enumerate(COLUMNS, start=1)}


def period_key(unit_report: UnitReport) -> str:
    period = unit_report.period
    return f"{period.year}-{period.month:02d}-{period.half}"


def filename(unit_report: UnitReport) -> str:
    """The download's name: "东城街道-2026-12月度填报.xlsx", a half "东城街道-2026-12上半月填报.xlsx".

    Not the stamp's ``period_key``: its "-0" of a whole month means nothing to whoever files the download.
    """
    period = unit_report.period
    values = {"unit": unit_report.unit.name, "key": f"{period.year}-{period.month:02d}"}
    if period.half == 1:
        return _("%(unit)s-%(key)s上半月填报.xlsx") % values
    if period.half == 2:
        return _("%(unit)s-%(key)s下半月填报.xlsx") % values
    return _("%(unit)s-%(key)s月度填报.xlsx") % values


# --- writing ------------------------------------------------------------------------------

def write_unit_sheet(target: IO[bytes], *, unit_report: UnitReport) -> int:
    """The unit's sheet with its projects, this period's saved figures and last period's; returns the row count."""
    rows = reporting.unit_rows(unit_report)
    with translation.override(settings.LANGUAGE_CODE):
        label = unit_report.period.label
    spec = dataclasses.replace(SPEC, instructions=_instructions(unit_report, label))
    writer = SheetWriter(spec, validation_rows=len(rows))
    with translation.override(settings.LANGUAGE_CODE):
        for number, row in enumerate(rows, start=spec.first_data_row):
            writer.append([_cell_value(row, column.key, number) for column in COLUMNS])
    writer.write_notes(stamp=[
        (UNIT_LABEL, unit_report.unit.name), (PERIOD_LABEL, label), (KEY_LABEL, period_key(unit_report)),
        (_("截止日期"), unit_report.period.deadline),
    ])
    writer.save(target)
    return len(rows)


def _instructions(unit_report: UnitReport, label: str) -> list[str]:
    return [
        _("1. 只填写“%(sheet)s”工作表中的“本期完成投资(万元)”“形象进度(%%)”“形象进度描述”“存在问题”，"
          "项目尚未开工而本期有投资或进度的，再填“实际开工日期”。灰色列只供参考，上传时忽略。") % {"sheet": SHEET},
        _("2. 不要修改第1行列名和“项目编号”；以项目编号识别项目，只能填报本单位牵头的项目。"),
        _("3. 本期完成投资必填（没有投资填 0），单位万元，最多2位小数；形象进度为 0 至 100 的整数，不能低于上期。"),
        _("4. 上传时先检查全部行，有任何错误则全部不保存，并列出错误所在的行和列；全部正确才一次性保存。"),
        _("5. 整行留空的项目不会被修改；不要使用公式、不要合并单元格；请保存为 .xlsx 格式。"),
        _("6. 本表只能上传到“%(unit)s %(period)s”的月报；本工作表前三行用于核对，请勿修改。")
        % {"unit": unit_report.unit.name, "period": label},
    ]


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
        return cells.Formula(f"={context.ytd_before}+N({invested_cell})")
    if key == SINCE_START:
        return cells.Formula(f"={context.invested_before_period}+N({invested_cell})")
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


# --- reading ------------------------------------------------------------------------------

@dataclass
class _Plan:
    inputs: dict[int, dict[str, Any]] = field(default_factory=dict)  # project id -> {column key: parsed cell}
    row_of: dict[int, int] = field(default_factory=dict)  # project id -> row number


class _UnitImport:
    def __init__(self, *, by: Any, unit_report: UnitReport) -> None:
        self.by = by
        self.unit_report = unit_report

    def check_stamp(self, stamp: dict[str, Any] | None) -> None:
        if stamp is None:
            raise FileRejected(
                _("文件中没有“%(sheet)s”工作表，无法核对填报单位和调度期。请在本页重新下载填报表，填好后上传。")
                % {"sheet": NOTES_SHEET}
            )
        key = parse_text(stamp.get(KEY_LABEL))
        unit = parse_text(stamp.get(UNIT_LABEL))
        if not key or not unit:
            raise FileRejected(
                _("“%(sheet)s”工作表前三行的填报单位或期号被删改，无法核对。请在本页重新下载填报表，填好后上传。")
                % {"sheet": NOTES_SHEET}
            )
        if key != period_key(self.unit_report):
            raise FileRejected(
                _("这是“%(label)s”期（期号 %(key)s）的填报表，不能上传到%(period)s的月报。请在本页重新下载填报表。")
                % {"label": shown(stamp.get(PERIOD_LABEL) or key), "key": key,
                   "period": self.unit_report.period.label}
            )
        if unit != self.unit_report.unit.name:
            raise FileRejected(
                _("这是“%(file_unit)s”的填报表，不能上传到%(unit)s的月报。")
                % {"file_unit": shown(unit), "unit": self.unit_report.unit.name}
            )

    def check(self, sheet: ImportSheet) -> _Plan:
        projects = {p.code: p for p in reporting.unit_projects(self.unit_report).only("pk", "code")}
        plan = _Plan()
        for row in sheet.rows:
            if CODE in row.bad:
                continue
            # A blank cell of a column in the sheet is blank; a column not in the sheet keeps what is stored.
            values = dict(row.values)
            code = values.pop(CODE) or ""
            project = projects.get(code)
            if not code:
                sheet.error(row.number, CODE, _("必须填写项目编号"))
            elif project is None:
                sheet.error(row.number, CODE, _("项目编号“%(code)s”不是本单位牵头的项目，不能在本表填报")
                            % {"code": shown(code)})
            elif project.pk in plan.row_of:
                sheet.error(row.number, CODE, _("项目编号“%(code)s”与第 %(row)d 行重复")
                            % {"code": shown(code), "row": plan.row_of[project.pk]})
            else:
                plan.inputs[project.pk] = values
                plan.row_of[project.pk] = row.number
        if sheet.report.errors:
            # Nothing will be saved; the rows are still checked, so every problem shows at once.
            try:
                checked = reporting.unit_report_rows_check(unit_report=self.unit_report, inputs=plan.inputs)
            except DispatchError as error:
                sheet.report.fail(str(error))
            else:
                self._issues(sheet, plan, reporting.SaveResult(checked))
        return plan

    def apply(self, sheet: ImportSheet, plan: _Plan) -> None:
        report = sheet.report
        try:
            result = reporting.unit_report_rows_save(
                by=self.by, unit_report=self.unit_report, inputs=plan.inputs, source="excel"
            )
        except DispatchError as error:
            report.fail(str(error))
            return
        except ValidationError as error:
            report.fail(" ".join(error.messages))
            return
        self._issues(sheet, plan, result)
        if result.saved:
            report.updated = result.changed
            report.unchanged = result.unchanged

    @staticmethod
    def _issues(sheet: ImportSheet, plan: _Plan, result: reporting.SaveResult) -> None:
        for row in result.rows:
            number = plan.row_of[row.project.pk]
            for issue in row.issues:
                if issue.is_error:
                    sheet.report.errors.append(Issue(number, issue.label, issue.text, sheet.position(issue.column)))
                elif result.saved:
                    sheet.warn(
                        _("第 %(row)d 行（%(code)s）「%(column)s」：%(text)s")
                        % {"row": number, "code": row.project.code, "column": issue.label, "text": issue.text}
                    )


def unit_sheet_import(*, by: Any, unit_report: UnitReport, upload: Any) -> ImportReport:
    """Read, check and (when there is no error at all) save an uploaded sheet; see the module's docstring."""
    reading = _UnitImport(by=by, unit_report=unit_report)
    return run_import(SPEC, upload, check=reading.check, apply=reading.apply, check_stamp=reading.check_stamp)
