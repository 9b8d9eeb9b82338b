"""A unit's report for a period (单位月度填报): its rows, their checks, saving them and submitting.

A row is one project led by the unit and its ProgressReport for the period. The grid, the
"save all" form and the unit's Excel sheet all go through ``unit_report_rows_save``: every
row given is parsed and checked first (``dispatch.reporting.checks``), and only when none has an error
are they saved, together, in one transaction, through ``projects.services``. A row whose
input cells are all blank is left as it is, so a half-filled sheet never erases anything.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Period
from dispatch.models import ProjectSnapshot, UnitReport, UnitReportEvent
from dispatch.periods.services import DispatchError, unit_report_editable, unit_report_submit
from dispatch.periods.snapshots import ProjectFigures
from dispatch.reporting import checks
from dispatch.reporting.checks import ACTUAL_START, INVESTED, PERCENT, PHYSICAL, PROBLEMS, Issue, RowContext, RowInput
from projects import excel
from projects import services as project_services
from projects.models import ZERO, OpeningBalance, ProgressReport, Project, Stage

INPUTS = (INVESTED, PERCENT, PHYSICAL, PROBLEMS, ACTUAL_START)
NOT_STARTED = {Stage.PLANNING, Stage.PREPARING}


@dataclass
class Row:
    """One project's line as the page shows it: what is stored or what was typed, and its issues."""

    project: Project
    report: ProgressReport | None
    context: RowContext
    # The inputs' text: the stored values, or what the user typed when it could not be saved.
    values: dict[str, str]
    issues: list[Issue] = field(default_factory=list)
    parsed: RowInput | None = None
    saved: bool = False  # saved by this request
    blank: bool = False  # nothing typed: left unchanged

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if not issue.is_error]

    @property
    def cell_issues(self) -> dict[str, list[Issue]]:
        by_column: dict[str, list[Issue]] = defaultdict(list)
        for issue in self.issues:
            by_column[issue.column].append(issue)
        return dict(by_column)

    @property
    def ytd(self) -> Decimal | None:
        row = self._figures()
        return checks.ytd(row, self.context) if row is not None else None

    @property
    def since_start(self) -> Decimal | None:
        row = self._figures()
        return checks.since_start(row, self.context) if row is not None else None

    @property
    def needs_start_date(self) -> bool:
        """The start date cell is asked for: the project has not started yet."""
        return not self.context.started

    def _figures(self) -> RowInput | None:
        if self.parsed is not None and self.parsed.invested is not None:
            return self.parsed
        if self.report is not None:
            return stored_input(self.project, self.report)
        return None


# --- loading ------------------------------------------------------------------------------

def before_period(period: Period) -> Q:
    """Reports of the periods before ``period``, of any year."""
    return (
        Q(year__lt=period.year)
        | Q(year=period.year, month__lt=period.month)
        | Q(year=period.year, month=period.month, half__lt=period.half)
    )


def unit_projects(unit_report: UnitReport) -> Any:
    """The projects the unit reports: those it leads."""
    return Project.objects.in_ledger().filter(lead_unit_id=unit_report.unit_id)


def _load(
    unit_report: UnitReport, project_ids: Iterable[int] | None = None
) -> list[tuple[Project, ProgressReport | None, RowContext]]:
    """The unit's projects with their report of the period and what came before, in a fixed number of queries."""
    period = unit_report.period
    earlier = before_period(period)
    last_percent = (
        ProgressReport.objects.filter(earlier, project=OuterRef("pk"))
        .order_by("-year", "-month", "-half")
        .values("progress_percent")[:1]
    )
    projects_qs = unit_projects(unit_report).annotate(last_percent=Subquery(last_percent)).order_by("code")
    if project_ids is not None:
        projects_qs = projects_qs.filter(pk__in=list(project_ids))
    projects = list(projects_qs)
    scope = Q(project__lead_unit_id=unit_report.unit_id)
    current = {
        r.project_id: r
        for r in ProgressReport.objects.filter(scope, year=period.year, month=period.month, half=period.half)
    }
    # The year so far, and the year before for the "three periods in a row" rule in January.
    recent_rows = (
        ProgressReport.objects.filter(scope, earlier, year__gte=period.year - 1)
        .order_by("project_id", "-year", "-month", "-half")
        .values_list("project_id", "year", "invested", "progress_percent")
    )
    year_amounts: dict[int, list[Decimal]] = defaultdict(list)
    recent: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for project_id, year, invested, percent in recent_rows:
        if year == period.year:
            year_amounts[project_id].insert(0, invested)
        if len(recent[project_id]) < checks.STILL_PERIODS:
            recent[project_id].append((invested, percent))
    before_year = dict(
        ProgressReport.objects.filter(scope, year__lt=period.year)
        .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
    )
    published = (
        Period.objects.filter(state=Period.State.PUBLISHED, year=period.year)
        .filter(Q(month__lt=period.month) | Q(month=period.month, half__lt=period.half))
        .order_by("-month", "-half")
        .first()
    )
    published_ytd: dict[int, Decimal] = {}
    if published is not None:
        for project_id, version, data in ProjectSnapshot.objects.filter(
            period=published, project__lead_unit_id=unit_report.unit_id
        ).values_list("project_id", "schema_version", "data"):
            if project_id is not None:
                figures = ProjectFigures.from_data(data, version=version, period=published)
                published_ytd[project_id] = figures.invested_ytd
    # Openings (开账): the year's, of months before this period, count in its cumulative; earlier years' since start.
    ids = [project.pk for project in projects]
    openings: dict[int, Decimal] = dict(
        OpeningBalance.objects.filter(project_id__in=ids, year=period.year, through_month__lt=period.month)
        .values_list("project_id", "invested")
    )
    for project_id, total in (
        OpeningBalance.objects.filter(project_id__in=ids, year__lt=period.year)
        .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
    ):
        before_year[project_id] = (before_year.get(project_id) or ZERO) + total
    loaded = []
    for project in projects:
        ytd_before = sum(year_amounts.get(project.pk, []), openings.get(project.pk) or ZERO)
        context = RowContext(
            total_investment=project.total_investment,
            invested_before_period=project.invested_before + (before_year.get(project.pk) or ZERO) + ytd_before,
            ytd_before=ytd_before,
            stage=project.stage,
            started=project.has_started,
            year_amounts=tuple(year_amounts.get(project.pk, [])),
            last_percent=project.last_percent,
            recent=tuple(recent.get(project.pk, [])),
            published_ytd=published_ytd.get(project.pk),
            actual_start=project.actual_start,
        )
        loaded.append((project, current.get(project.pk), context))
    return loaded


def stored_input(project: Project, report: ProgressReport) -> RowInput:
    return RowInput(
        invested=report.invested,
        progress_percent=report.progress_percent,
        physical_progress=report.physical_progress,
        problems=report.problems,
        actual_start=project.actual_start,
    )


def stored_values(project: Project, report: ProgressReport | None) -> dict[str, str]:
    """The inputs' text for what is stored."""
    return {
        INVESTED: str(report.invested) if report else "",
        PERCENT: str(report.progress_percent) if report else "",
        PHYSICAL: report.physical_progress if report else "",
        PROBLEMS: report.problems if report else "",
        ACTUAL_START: project.actual_start.isoformat() if project.actual_start else "",
    }


def unit_rows(unit_report: UnitReport) -> list[Row]:
    """Every row as stored, with the issues of the stored figures (none for a row not yet filled)."""
    today = timezone.localdate()
    rows = []
    for project, report, context in _load(unit_report):
        issues = checks.row_issues(stored_input(project, report), context, today=today) if report else []
        rows.append(Row(project, report, context, stored_values(project, report), issues))
    return rows


def _stored_issues(unit_report: UnitReport) -> list[tuple[Project, list[Issue]]]:
    today = timezone.localdate()
    result = []
    for project, report, context in _load(unit_report):
        if report is None:
            result.append((project, [checks.missing_row()]))
        else:
            result.append((project, checks.row_issues(stored_input(project, report), context, today=today)))
    return result


def unit_report_issues(unit_report: UnitReport) -> dict[int, list[Issue]]:
    """{project id: issues} of the stored figures; a project not yet reported has the error "本期尚未填报".

    The review page shows these beside each row; submission is refused while any is an error.
    """
    return {project.pk: issues for project, issues in _stored_issues(unit_report)}


# --- parsing ------------------------------------------------------------------------------

def parse_percent(value: Any) -> int | None:
    number = excel.parse_number(value, places=2, max_digits=8)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise excel.CellError(_("应为 0 至 100 的整数，实际为“%(value)s”") % {"value": excel.shown(value)})
    return int(number)


def _blank(value: Any) -> bool:
    return value is None or value is excel.REJECTED or (isinstance(value, str) and not value.strip())


def is_blank(raw: Mapping[str, Any], project: Project) -> bool:
    """Nothing typed: the report's cells are blank and the start date, if any, is the project's own."""
    if any(not _blank(raw.get(key)) for key in (INVESTED, PERCENT, PHYSICAL, PROBLEMS)):
        return False
    start = raw.get(ACTUAL_START)
    if _blank(start):
        return True
    try:
        return excel.parse_date(start) == project.actual_start
    except excel.CellError:
        return False


def parse_row(raw: Mapping[str, Any]) -> tuple[RowInput, list[Issue], set[str]]:
    """Cells (text from the page, values from Excel) → the row, the cells' errors, and the columns with errors.

    ``excel.REJECTED`` marks a cell already reported (a formula): its column counts as bad.
    """
    issues: list[Issue] = []
    bad: set[str] = set()
    parsers: dict[str, Any] = {
        INVESTED: excel.parse_money, PERCENT: parse_percent, ACTUAL_START: excel.parse_date,
        PHYSICAL: excel.parse_text, PROBLEMS: excel.parse_text,
    }
    values: dict[str, Any] = {}
    for key, parse in parsers.items():
        value = raw.get(key)
        if value is excel.REJECTED:
            bad.add(key)
            values[key] = None
            continue
        try:
            values[key] = parse(value)
        except excel.CellError as error:
            issues.append(Issue(key, error.message))
            bad.add(key)
            values[key] = None
    row = RowInput(
        invested=values[INVESTED],
        progress_percent=values[PERCENT],
        physical_progress=values[PHYSICAL] or "",
        problems=values[PROBLEMS] or "",
        actual_start=values[ACTUAL_START],
    )
    return row, issues, bad


# --- saving -------------------------------------------------------------------------------

@dataclass
class SaveResult:
    rows: list[Row]
    saved: bool = False
    changed: int = 0
    unchanged: int = 0

    @property
    def errors(self) -> list[tuple[Row, Issue]]:
        return [(row, issue) for row in self.rows for issue in row.errors]


def _text(value: Any) -> str:
    if value is None or value is excel.REJECTED:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def unit_report_rows_check(
    *, unit_report: UnitReport, inputs: Mapping[int, Mapping[str, Any]]
) -> list[Row]:
    """Parse and check the rows given as {project id: {column key: cell}}; nothing is written."""
    loaded = {project.pk: (project, report, context) for project, report, context in _load(unit_report, inputs)}
    unknown = set(inputs) - set(loaded)
    if unknown:
        raise DispatchError(_("有 %(count)d 个项目不是本单位牵头的项目。") % {"count": len(unknown)})
    today = timezone.localdate()
    rows = []
    for project_id, raw in inputs.items():
        project, report, context = loaded[project_id]
        if is_blank(raw, project):
            rows.append(Row(project, report, context, stored_values(project, report), blank=True))
            continue
        # A sheet without the optional columns keeps what is stored for them.
        stored = stored_values(project, report)
        raw = {**{key: stored[key] for key in (PROBLEMS, ACTUAL_START) if key not in raw}, **raw}
        parsed, issues, bad = parse_row(raw)
        issues += [issue for issue in checks.row_issues(parsed, context, today=today) if issue.column not in bad]
        if context.started and parsed.actual_start not in (None, project.actual_start):
            issues.append(Issue(ACTUAL_START, _("项目已开工（%(day)s），开工日期请在项目页修改") % {
                "day": project.actual_start.isoformat() if project.actual_start else project.get_stage_display()
            }))
        values = {key: _text(raw.get(key)) for key in INPUTS}
        if context.started:
            values[ACTUAL_START] = stored[ACTUAL_START]
        rows.append(Row(project, report, context, values, issues, parsed=parsed))
    return rows


def _row_changed(row: Row) -> bool:
    parsed = row.parsed
    assert parsed is not None
    report = row.report
    starts = checks.needs_start_date(parsed, row.context) and parsed.actual_start != row.project.actual_start
    return starts or report is None or (
        report.invested != parsed.invested
        or report.progress_percent != parsed.progress_percent
        or report.physical_progress != parsed.physical_progress
        or report.problems != parsed.problems
    )


def _row_write(*, by: Any, unit_report: UnitReport, row: Row, source: str) -> None:
    parsed = row.parsed
    assert parsed is not None and parsed.invested is not None and parsed.progress_percent is not None
    project = row.project
    if checks.needs_start_date(parsed, row.context) and parsed.actual_start is not None:
        # The issue's rule: a project reported as started has a start date, and is under construction.
        project = Project.objects.get(pk=project.pk)
        project.actual_start = parsed.actual_start
        if project.stage in NOT_STARTED:
            project.stage = Stage.BUILDING
        project_services.project_save(by=by, project=project, source=source)
        row.project = project
    period = unit_report.period
    key = {"project": project, "year": period.year, "month": period.month, "half": period.half}
    # The row was read before this transaction began: another reporter of the unit may have filled
    # it since. Write over what is stored now (locked until commit), never over the stale copy.
    current = ProgressReport.objects.select_for_update().filter(**key).first()
    try:
        # A savepoint, so that losing the race to insert leaves the outer transaction usable.
        with transaction.atomic():
            row.report = project_services.progress_save(by=by, report=_filled(current, key, parsed), source=source)
    except IntegrityError:
        if current is not None:
            raise
        # Both saw the row empty and the other inserted first (report_one_per_period): on
        # PostgreSQL the insert waited for the other's commit. Save ours as an update of theirs.
        current = ProgressReport.objects.select_for_update().get(**key)
        row.report = project_services.progress_save(by=by, report=_filled(current, key, parsed), source=source)


def _filled(report: ProgressReport | None, key: Mapping[str, Any], parsed: RowInput) -> ProgressReport:
    assert parsed.invested is not None and parsed.progress_percent is not None
    report = report or ProgressReport(**key)
    report.project = key["project"]
    report.invested = parsed.invested
    report.progress_percent = parsed.progress_percent
    report.physical_progress = parsed.physical_progress
    report.problems = parsed.problems
    return report


def unit_report_rows_save(
    *, by: Any, unit_report: UnitReport, inputs: Mapping[int, Mapping[str, Any]], source: str = "grid"
) -> SaveResult:
    """Check the rows and, when none has an error, save them all in one transaction.

    Raises DispatchError when the report may not be changed now, and lets the ValidationError
    of ``progress_save`` (a report frozen or submitted meanwhile) through: nothing is saved then.
    """
    if not unit_report_editable(unit_report):
        raise DispatchError(not_editable_reason(unit_report))
    rows = unit_report_rows_check(unit_report=unit_report, inputs=inputs)
    result = SaveResult(rows)
    if result.errors:
        return result
    with transaction.atomic():
        for row in rows:
            if row.blank or not _row_changed(row):
                result.unchanged += 1
                continue
            _row_write(by=by, unit_report=unit_report, row=row, source=source)
            row.saved = True
            result.changed += 1
    for row in rows:
        if row.saved:
            row.values = stored_values(row.project, row.report)
            # The start date is now the project's: the row reads as started from here on.
            row.context = replace(row.context, started=row.project.has_started, actual_start=row.project.actual_start)
    result.saved = True
    return result


def not_editable_reason(unit_report: UnitReport) -> str:
    if unit_report.period.is_frozen:
        return unit_report.period.frozen_message()
    return _("本单位月报当前状态为“%(state)s”，不能修改；如需修改请联系项目办退回。") % {
        "state": unit_report.get_state_display()
    }


# --- submitting ---------------------------------------------------------------------------

@dataclass
class SubmitResult:
    unit_report: UnitReport
    submitted: bool
    # (project, issues with at least one error) for every row that blocks submission.
    blocking: list[tuple[Project, list[Issue]]]


def unit_report_submit_checked(*, unit_report: UnitReport, version: int, by: Any) -> SubmitResult:
    """Run every row's checks; with no error anywhere, submit (draft or returned → submitted).

    The version is the one the page was loaded with, so a report returned or submitted by
    someone else meanwhile raises ConcurrentChange instead of being overwritten.
    """
    if not unit_report_editable(unit_report):
        raise DispatchError(not_editable_reason(unit_report))
    rows = _stored_issues(unit_report)
    if not rows:
        raise DispatchError(_("本单位本期没有需要填报的项目。"))
    blocking = [(project, issues) for project, issues in rows if checks.has_errors(issues)]
    if blocking:
        return SubmitResult(unit_report, False, blocking)
    return SubmitResult(unit_report_submit(unit_report=unit_report, version=version, by=by), True, [])


def unit_report_events(unit_report: UnitReport) -> Sequence[UnitReportEvent]:
    return list(unit_report.events.select_related("by"))
