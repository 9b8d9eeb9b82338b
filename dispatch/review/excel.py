"""Who has reported in a period, as an .xlsx for the office and the leaders (报送情况).

One row per unit with a report in the period, in the period board's order: the unit, its kind,
its reporters, the state (a draft reads 未报: the unit has not handed anything in), when it was
submitted and approved, when it was last reminded (any reminder of the log, automatic or the
office's), and how many of its projects have a row this period. The sheet is written by the Excel
kit (``core.excel``) like every other, so a unit or person named "=…" stays text. It is a reading
copy, not an import template: every column is read-only.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.excel import cells
from core.excel.spec import Column, SheetSpec
from core.excel.writer import SheetWriter
from core.models import Period
from dispatch.models import UnitReport
from dispatch.notify import reporters_of_units
from dispatch.periods import reminders, services

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _column(key: str, header: str, width: int, number_format: str | None = None) -> Column:
    return Column(key, header, None, width=width, number_format=number_format, read_only=True)


COLUMNS: tuple[Column, ...] = (
    _column("unit", N_("单位"), 22),
    _column("kind", N_("类型"), 8),
    _column("reporters", N_("填报员"), 24),
    _column("state", N_("状态"), 8),
    _column("submitted_at", N_("报送时间"), 17, DATETIME_FORMAT),
    _column("approved_at", N_("审核通过时间"), 17, DATETIME_FORMAT),
    _column("reminded_at", N_("最近催报时间"), 17, DATETIME_FORMAT),
    _column("projects", N_("项目数"), 8, cells.INTEGER_FORMAT),
    _column("reported", N_("已填报项目数"), 10, cells.INTEGER_FORMAT),
)


def _instructions() -> list[str]:
    return [
        _("每个单位一行，顺序与调度期看板相同。"),
        _("状态：未报＝尚未报送；已报送＝已报送、待项目办审核；已退回＝项目办已退回、待单位修改后重新报送；"
          "已审核＝项目办已审核通过。"),
        _("报送时间为最近一次报送的时间（已退回的月报为退回前的那次报送）；审核通过时间只对已审核的月报填写。"),
        _("最近催报时间为本期最近一次向该单位发出催报的时间（截止前提醒、截止日提醒或项目办手动催报），未催报过的为空。"),
        _("填报员为该单位已启用的填报员账号，即催报和通知的接收人。"),
        _("项目数为该单位牵头的在库项目数，已填报项目数为其中本期已填写月报的项目数。"),
    ]


SPEC = SheetSpec(title="报送情况", columns=COLUMNS, notes_title="说明", column_table=False, notes_widths=(14, 90),
                 freeze="B2", instructions=_instructions)


@dataclass(frozen=True)
class Row:
    report: UnitReport
    reporters: tuple[str, ...]
    reminded_at: dt.datetime | None
    projects: int
    reported: int

    @property
    def state(self) -> str:
        if self.report.state == UnitReport.State.DRAFT:
            return _("未报")
        return str(self.report.get_state_display())

    @property
    def approved_at(self) -> dt.datetime | None:
        # reviewed_at is also the moment of a return; only an approval is "approved at".
        return self.report.reviewed_at if self.report.state == UnitReport.State.APPROVED else None


def rows(period: Period) -> list[Row]:
    """Every unit report of ``period`` with its figures: a fixed number of queries, whatever the number of units."""
    reports = list(
        period.unit_reports.select_related("unit").order_by("unit__kind", "unit__order", "unit__name")
    )
    unit_ids = [report.unit_id for report in reports]
    counts = services.unit_project_counts(period=period, unit_ids=unit_ids)
    reminded = reminders.last_reminded(period=period, unit_ids=unit_ids)
    names: dict[int, list[str]] = defaultdict(list)
    # The reporters the notifications and reminders reach, by name.
    for person in reporters_of_units(unit_ids).order_by("unit_id", "full_name", "username"):
        if person.unit_id is not None:
            names[person.unit_id].append(str(person))
    return [
        Row(
            report=report,
            reporters=tuple(names.get(report.unit_id, ())),
            reminded_at=reminded.get(report.unit_id),
            projects=counts.projects.get(report.unit_id, 0),
            reported=counts.reported.get(report.unit_id, 0),
        )
        for report in reports
    ]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: the district's wall-clock time, as the board shows it.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _values(row: Row) -> Iterator[Any]:
    report = row.report
    yield str(report.unit)
    yield str(report.unit.get_kind_display())
    yield "、".join(row.reporters)
    yield row.state
    yield _local(report.submitted_at)
    yield _local(row.approved_at)
    yield _local(row.reminded_at)
    yield row.projects
    yield row.reported


def filename(period: Period) -> str:
    return _("%(period)s月报报送情况.xlsx") % {"period": period.label}


def write_reporting(target: IO[bytes], *, period: Period, now: dt.datetime | None = None) -> int:
    """The period's sheet and its notes, in the district's language (files travel between offices); the row count."""
    with translation.override(settings.LANGUAGE_CODE):
        found = rows(period)
        writer = SheetWriter(SPEC, validation_rows=0)
        for row in found:
            writer.append(list(_values(row)))
        moment = timezone.localtime(now or timezone.now())
        writer.write_notes(stamp=[
            (_("调度期"), period.label),
            (_("截止日期"), period.deadline),
            (_("导出时间"), moment.strftime("%Y-%m-%d %H:%M")),
            (_("单位数"), str(len(found))),
        ])
        writer.save(target)
    return len(found)
