"""The snapshots a published dispatch period is read from: one :class:`ProjectFigures` per project
(ProjectSnapshot.data) and one :class:`PeriodFigures` per period (PeriodSnapshot.data).

Publishing builds them through the publication registry (core.publication): dispatch registers
two builders in its AppConfig.ready, ``dispatch.projects`` and ``dispatch.period``
(``services.SNAPSHOT_BUILDERS``, written by ``services.project_snapshots_take`` and
``services.period_snapshot_take``, read back typed by :func:`read_projects` and :func:`read_period`).
The bulletin (and anything else that reports a published period) reads them with ``from_data``.
The JSON is the one written since the first release, key for key, so version 2 only adds a
guarantee: every field is there.

Version 1 is every row written before these schemas (the migration that added ``schema_version``
marked them so). Those rows were read leniently, a missing key taken as empty; the upgrades
below fill exactly those defaults, so an old period's bulletin reads as it always did:

- projects before the bulletin lacked ``milestones_behind``; before issue 6, ``unreviewed``;
- periods before issue 6 lacked ``as_of`` (their figures are as of the period's last day) and
  the units' ``reported`` (a submitted or approved report said it); the first release lacked
  the units' ``late_days``.

Version 3 of the projects (issue 8) records the project's category (ProjectCategory's name) and
funding source (FundingSource's name) at publication, for the bulletin's splits. A project without
one is recorded as ""; a row of version 2 or before did not record them, and reads as None ("not
recorded"), which the bulletin counts under 未分类 / 未填 and says so.

The bulletin's own words (存在的主要问题, 下步工作安排: dispatch.models.BulletinNarrative) are frozen
with the period too, as a :class:`BulletinText` in the shared store, by the ``dispatch.narrative``
builder registered at the end of this module; the bulletin reads them from there, never from the
live model.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from core import publication as pub
from core.district import District, district
from core.models import Period, PublishedRecord
from dispatch.models import (
    BulletinNarrative,
    BulletinTemplate,
    PeriodSnapshot,
    ProjectSnapshot,
    default_sections,
    section_errors,
)


def _required(value: dt.date | None) -> dt.date:
    if value is None:
        raise ValueError("date is required")
    return value


def _required_money(value: Decimal | None) -> Decimal:
    if value is None:
        raise ValueError("amount is required")
    return value


# --- projects -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotReason:
    """One reason of the project's light, with the light it gives."""

    light: str
    text: str


@dataclass(frozen=True)
class SnapshotMilestone:
    """A milestone still open past its planned date at the snapshot's date."""

    name: str
    planned: dt.date
    days_overdue: int


# What the lenient reader of version 1 took for a missing key (falsy values read as "no").
_PROJECT_V1_DEFAULTS: dict[str, Any] = {
    "name": "", "level": "", "level_label": "", "project_type": "", "type_label": "", "industry": "",
    "stage": "", "stage_label": "", "construction": "", "is_special_bond": False, "lead_unit_id": None,
    "lead_unit": "", "lead_unit_kind": "", "town_id": None, "town": "", "leader": "", "total_investment": None,
    "annual_plan": None, "invested_period": None, "invested_ytd": "0.00", "invested_since_start": None,
    "planned_start": None, "actual_start": None, "planned_completion": None, "started": False,
    "started_in_period": False, "completed": False, "completed_in_period": False, "light": "", "reasons": [],
    "milestones_behind": [], "progress_percent": None, "physical_progress": "", "problems": "",
    "reported": False, "unit_report_state": None, "unreviewed": [],
}
_PROJECT_V1_FLAGS = ("is_special_bond", "started", "started_in_period", "completed", "completed_in_period",
                     "reported")


def _project_1_to_2(data: pub.JSON, _period: Period | None) -> pub.JSON:
    upgraded = {**_PROJECT_V1_DEFAULTS, **data}
    if upgraded["invested_ytd"] is None:
        upgraded["invested_ytd"] = "0.00"
    # The old reader asked "is it truthy?"; a flag is a flag from version 2 on.
    for key in _PROJECT_V1_FLAGS:
        upgraded[key] = bool(upgraded[key])
    return upgraded


def _project_2_to_3(data: pub.JSON, _period: Period | None) -> pub.JSON:
    # Not recorded before version 3: None, which the bulletin reads as 未分类 / 未填 and says so.
    return {**data, "category": None, "funding_source": None}


@pub.register
@dataclass(frozen=True)
class ProjectFigures(pub.Snapshot):
    """A project as published in a period. Money in 万元, Decimal with two places."""

    KIND = "dispatch.project"
    VERSION = 3
    UPGRADES = {1: _project_1_to_2, 2: _project_2_to_3}

    name: str
    level: str
    level_label: str
    project_type: str
    type_label: str
    industry: str
    stage: str
    stage_label: str
    construction: str
    is_special_bond: bool
    lead_unit_id: int | None
    lead_unit: str
    lead_unit_kind: str
    town_id: int | None
    town: str
    leader: str
    total_investment: Decimal | None
    annual_plan: Decimal | None  # None: no plan for the year
    invested_period: Decimal | None  # None: nothing reported for the period
    invested_ytd: Decimal
    invested_since_start: Decimal | None
    planned_start: dt.date | None
    actual_start: dt.date | None
    planned_completion: dt.date | None
    started: bool
    started_in_period: bool
    completed: bool
    completed_in_period: bool
    light: str
    reasons: tuple[SnapshotReason, ...]
    milestones_behind: tuple[SnapshotMilestone, ...]
    progress_percent: int | None
    physical_progress: str
    problems: str
    reported: bool
    unit_report_state: str | None
    # Months whose progress fed these figures without the office's review (projects.rules rule 6).
    unreviewed: tuple[str, ...]
    # The category's and the funding source's names at publication, "" for none; None: not recorded
    # (rows before version 3). Defaults only until the ``dispatch.projects`` builder passes them.
    category: str | None = None
    funding_source: str | None = None

    def to_data(self) -> pub.JSON:
        return {
            "name": self.name,
            "level": self.level,
            "level_label": self.level_label,
            "project_type": self.project_type,
            "type_label": self.type_label,
            "industry": self.industry,
            "stage": self.stage,
            "stage_label": self.stage_label,
            "construction": self.construction,
            "is_special_bond": self.is_special_bond,
            "lead_unit_id": self.lead_unit_id,
            "lead_unit": self.lead_unit,
            "lead_unit_kind": self.lead_unit_kind,
            "town_id": self.town_id,
            "town": self.town,
            "leader": self.leader,
            "total_investment": pub.money_text(self.total_investment),
            "annual_plan": pub.money_text(self.annual_plan),
            "invested_period": pub.money_text(self.invested_period),
            "invested_ytd": pub.money_text(self.invested_ytd),
            "invested_since_start": pub.money_text(self.invested_since_start),
            "planned_start": pub.date_text(self.planned_start),
            "actual_start": pub.date_text(self.actual_start),
            "planned_completion": pub.date_text(self.planned_completion),
            "started": self.started,
            "started_in_period": self.started_in_period,
            "completed": self.completed,
            "completed_in_period": self.completed_in_period,
            "light": self.light,
            "reasons": [[r.light, r.text] for r in self.reasons],
            "milestones_behind": [[m.name, m.planned.isoformat(), m.days_overdue] for m in self.milestones_behind],
            "progress_percent": self.progress_percent,
            "physical_progress": self.physical_progress,
            "problems": self.problems,
            "reported": self.reported,
            "unit_report_state": self.unit_report_state,
            "unreviewed": list(self.unreviewed),
            "category": self.category,
            "funding_source": self.funding_source,
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ProjectFigures:
        t = pub.text
        return cls(
            name=t(data["name"]),
            level=t(data["level"]),
            level_label=t(data["level_label"]),
            project_type=t(data["project_type"]),
            type_label=t(data["type_label"]),
            industry=t(data["industry"]),
            stage=t(data["stage"]),
            stage_label=t(data["stage_label"]),
            construction=t(data["construction"]),
            is_special_bond=pub.flag(data["is_special_bond"]),
            lead_unit_id=pub.optional_integer(data["lead_unit_id"]),
            lead_unit=t(data["lead_unit"]),
            lead_unit_kind=t(data["lead_unit_kind"]),
            town_id=pub.optional_integer(data["town_id"]),
            town=t(data["town"]),
            leader=t(data["leader"]),
            total_investment=pub.money_value(data["total_investment"]),
            annual_plan=pub.money_value(data["annual_plan"]),
            invested_period=pub.money_value(data["invested_period"]),
            invested_ytd=_required_money(pub.money_value(data["invested_ytd"])),
            invested_since_start=pub.money_value(data["invested_since_start"]),
            planned_start=pub.date_value(data["planned_start"]),
            actual_start=pub.date_value(data["actual_start"]),
            planned_completion=pub.date_value(data["planned_completion"]),
            started=pub.flag(data["started"]),
            started_in_period=pub.flag(data["started_in_period"]),
            completed=pub.flag(data["completed"]),
            completed_in_period=pub.flag(data["completed_in_period"]),
            light=t(data["light"]),
            reasons=tuple(SnapshotReason(t(light), t(why)) for light, why in data["reasons"]),
            milestones_behind=tuple(
                SnapshotMilestone(t(name), _required(pub.date_value(planned)), pub.integer(days))
                for name, planned, days in data["milestones_behind"]
            ),
            progress_percent=pub.optional_integer(data["progress_percent"]),
            physical_progress=t(data["physical_progress"]),
            problems=t(data["problems"]),
            reported=pub.flag(data["reported"]),
            unit_report_state=None if data["unit_report_state"] is None else t(data["unit_report_state"]),
            unreviewed=tuple(t(label) for label in data["unreviewed"]),
            category=None if data["category"] is None else t(data["category"]),
            funding_source=None if data["funding_source"] is None else t(data["funding_source"]),
        )


# --- the period -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotUnit:
    """A unit's report as it stood at publication."""

    unit_id: int
    unit: str
    kind: str
    state: str
    state_label: str
    submitted_at: dt.datetime | None  # local time, as the bulletin prints it
    late: bool
    late_days: int | None  # None only in rows of the first release, which did not record it
    reported: bool  # submitted or approved at publication

    def to_data(self) -> pub.JSON:
        return {
            "unit_id": self.unit_id,
            "unit": self.unit,
            "kind": self.kind,
            "state": self.state,
            "state_label": self.state_label,
            "submitted_at": pub.datetime_text(self.submitted_at),
            "late": self.late,
            "late_days": self.late_days,
            "reported": self.reported,
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> SnapshotUnit:
        return cls(
            unit_id=pub.integer(data["unit_id"]), unit=pub.text(data["unit"]), kind=pub.text(data["kind"]),
            state=pub.text(data["state"]), state_label=pub.text(data["state_label"]),
            submitted_at=pub.datetime_value(data["submitted_at"]), late=pub.flag(data["late"]),
            late_days=pub.optional_integer(data["late_days"]), reported=pub.flag(data["reported"]),
        )


@dataclass(frozen=True)
class SnapshotProblem:
    """A supervised problem (督办) open in the period or closed during it, as of the snapshot's date."""

    id: int
    project: str
    description: str
    unit: str
    leader: str
    deadline: dt.date
    state: str
    state_label: str
    overdue_days: int
    escalation: str
    escalation_text: str
    closed_at: dt.datetime | None

    def to_data(self) -> pub.JSON:
        return {
            "id": self.id,
            "project": self.project,
            "description": self.description,
            "unit": self.unit,
            "leader": self.leader,
            "deadline": self.deadline.isoformat(),
            "state": self.state,
            "state_label": self.state_label,
            "overdue_days": self.overdue_days,
            "escalation": self.escalation,
            "escalation_text": self.escalation_text,
            "closed_at": pub.datetime_text(self.closed_at),
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> SnapshotProblem:
        t = pub.text
        return cls(
            id=pub.integer(data["id"]), project=t(data["project"]), description=t(data["description"]),
            unit=t(data["unit"]), leader=t(data["leader"]), deadline=_required(pub.date_value(data["deadline"])),
            state=t(data["state"]), state_label=t(data["state_label"]), overdue_days=pub.integer(data["overdue_days"]),
            escalation=t(data["escalation"]), escalation_text=t(data["escalation_text"]),
            closed_at=pub.datetime_value(data["closed_at"]),
        )


_UNIT_V1_DEFAULTS: dict[str, Any] = {"unit": "", "kind": "", "state_label": "", "submitted_at": None,
                                     "late": False, "late_days": None}
_PROBLEM_V1_DEFAULTS: dict[str, Any] = {
    "project": "", "description": "", "unit": "", "leader": "", "state": "", "state_label": "",
    "overdue_days": 0, "escalation": "none", "escalation_text": "", "closed_at": None,
}


def _period_1_to_2(data: pub.JSON, period: Period | None) -> pub.JSON:
    if period is None:
        raise pub.SnapshotError("a version 1 period snapshot needs its period to be read")
    units = []
    for unit in data.get("units", []):
        upgraded = {**_UNIT_V1_DEFAULTS, **unit}
        upgraded["late"] = bool(upgraded["late"])
        # Before publication decisions were stored, a submitted or approved report said "reported".
        upgraded.setdefault("reported", unit.get("state") in {"submitted", "approved"})
        units.append(upgraded)
    problems = [{**_PROBLEM_V1_DEFAULTS, **problem} for problem in data.get("problems", [])]
    for problem in problems:
        problem["overdue_days"] = int(problem["overdue_days"])
    return {
        "units": units,
        "problems": problems,
        "taken_on": data.get("taken_on"),
        # Old snapshots did not store their date: they were computed as of the period's last day.
        "as_of": data.get("as_of") or period.last_day.isoformat(),
    }


@pub.register
@dataclass(frozen=True)
class PeriodFigures(pub.Snapshot):
    """What a published period says beyond single projects: the units' reporting and the problems."""

    KIND = "dispatch.period"
    VERSION = 2
    UPGRADES = {1: _period_1_to_2}

    units: tuple[SnapshotUnit, ...]
    problems: tuple[SnapshotProblem, ...]
    taken_on: dt.date | None  # the publication day; None only for a period published without a snapshot row
    # Every "截至" date, the schedule and the lights of the period are as of this day.
    as_of: dt.date

    def to_data(self) -> pub.JSON:
        return {
            "units": [u.to_data() for u in self.units],
            "problems": [p.to_data() for p in self.problems],
            "taken_on": pub.date_text(self.taken_on),
            "as_of": self.as_of.isoformat(),
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> PeriodFigures:
        return cls(
            units=tuple(SnapshotUnit.parse(u) for u in data["units"]),
            problems=tuple(SnapshotProblem.parse(p) for p in data["problems"]),
            taken_on=pub.date_value(data["taken_on"]),
            as_of=_required(pub.date_value(data["as_of"])),
        )


# --- the letterhead ------------------------------------------------------------------------------

# The sections version 1 printed, in its order: every one (the office's two only when written).
_LETTERHEAD_V1_SECTIONS = (
    "overview", "investment", "rankings", "lights", "started", "supervision", "reporting",
    "narrative_problems", "narrative_next_steps",
)


def _letterhead_1_to_2(data: pub.JSON, _period: Period | None) -> pub.JSON:
    # Before the bulletin template (dispatch.models.BulletinTemplate) the bulletin printed the office's
    # name from the district's in every place, 抄送 the district's leading bodies, every section in
    # order: a blank text prints exactly that, so an old period's bulletin keeps its bytes.
    return {
        **data, "issuing_body": "", "header_text": "", "sections": list(_LETTERHEAD_V1_SECTIONS), "signature": "",
        "copy_to": "", "issued_by": "",
    }


def _sections(value: Any) -> tuple[str, ...]:
    errors = section_errors(value)
    if errors:
        raise ValueError("; ".join(errors))
    return tuple(value)


@pub.register
@dataclass(frozen=True)
class Letterhead(pub.Snapshot):
    """The district's names and the bulletin's template as they stood at publication, which the documents print.

    The names are the administrator's to change (core.district), the template the office's
    (dispatch.models.BulletinTemplate); a bulletin regenerated after either changed must still print
    what it printed on its day, so both are frozen with the figures. Kept in the shared store
    (core.models.PublishedRecord), one per period.

    Version 2 (the bulletin template) added everything after ``document_prefix``. A blank text is
    the template's "as before": the bulletin prints its default, derived from the frozen district
    name (dispatch.bulletins.figures); version 1 rows read as blank texts with every section, so
    they print exactly what they printed. ``document_prefix`` is the prefix printed, the template's
    or the district's.
    """

    KIND = "dispatch.letterhead"
    VERSION = 2
    UPGRADES = {1: _letterhead_1_to_2}

    district_name: str
    document_prefix: str  # the 文号 prefix, e.g. 寒重项办 or 寒调度
    issuing_body: str = ""  # 发文机关; "": the office's name from the district's
    header_text: str = ""  # 红头文字 (发文机关标志); "": the issuing body
    # The sections printed (dispatch.models.BulletinSection keys), in order; numbered 一、二、… as printed.
    sections: tuple[str, ...] = _LETTERHEAD_V1_SECTIONS
    signature: str = ""  # 落款; "": the issuing body
    copy_to: str = ""  # 抄送 recipients; "": the district's four leading bodies
    issued_by: str = ""  # 印发机关; "": the issuing body

    def to_data(self) -> pub.JSON:
        return {
            "district_name": self.district_name,
            "document_prefix": self.document_prefix,
            "issuing_body": self.issuing_body,
            "header_text": self.header_text,
            "sections": list(self.sections),
            "signature": self.signature,
            "copy_to": self.copy_to,
            "issued_by": self.issued_by,
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Letterhead:
        t = pub.text
        return cls(
            district_name=t(data["district_name"]), document_prefix=t(data["document_prefix"]),
            issuing_body=t(data["issuing_body"]), header_text=t(data["header_text"]),
            sections=_sections(data["sections"]), signature=t(data["signature"]), copy_to=t(data["copy_to"]),
            issued_by=t(data["issued_by"]),
        )


def letterhead_of(template: BulletinTemplate | None, current: District) -> Letterhead:
    """The letterhead ``template`` gives with the district's settings ``current``; without a template
    (none saved yet), the district's names and every section (``default_sections``)."""
    if template is None:
        return Letterhead(district_name=current.district_name, document_prefix=current.document_prefix,
                          sections=tuple(default_sections()))
    return Letterhead(
        district_name=current.district_name,
        document_prefix=template.document_prefix or current.document_prefix,
        issuing_body=template.issuing_body,
        header_text=template.header_text,
        sections=tuple(template.sections),
        signature=template.signature,
        copy_to=template.copy_to,
        issued_by=template.issued_by,
    )


def letterhead_now() -> Letterhead:
    """What a period published now freezes: the district's names and the office's bulletin template."""
    return letterhead_of(BulletinTemplate.objects.filter(pk=BulletinTemplate.SINGLETON_PK).first(), district())


def read_letterheads(period: Period) -> list[Letterhead]:
    return [letterhead for _key, letterhead in pub.records_read(period, Letterhead)]


def letterhead(period: Period) -> Letterhead:
    """The names a document of ``period`` prints: those frozen at publication, or, for a period
    published before they were frozen, the district's current ones with the bulletin as it was then
    (what such documents always printed; the template does not reach back to them)."""
    stored = read_letterheads(period)
    if stored:
        return stored[0]
    current = district()
    return Letterhead(district_name=current.district_name, document_prefix=current.document_prefix)


# --- reading back ---------------------------------------------------------------------------------

def read_projects(period: Period) -> list[ProjectFigures]:
    """Every project's figures of ``period``, typed, by project code (one query)."""
    rows = ProjectSnapshot.objects.filter(period=period).order_by("code").values_list("schema_version", "data")
    return [ProjectFigures.from_data(data, version=version, period=period) for version, data in rows]


def read_period(period: Period) -> list[PeriodFigures]:
    """The period's own figures, typed: one, or none for a period published without its row."""
    stored = PeriodSnapshot.objects.filter(period=period).values_list("schema_version", "data").first()
    if stored is None:
        return []
    version, data = stored
    return [PeriodFigures.from_data(data, version=version, period=period)]


# --- the bulletin's own words --------------------------------------------------------------------

@pub.register
@dataclass(frozen=True)
class BulletinText(pub.Snapshot):
    """存在的主要问题 and 下步工作安排 as the office left them when the period was published.

    The office writes them (dispatch.models.BulletinNarrative, dispatch.bulletins.narrative) while the
    period is not published; publishing copies them here, and the bulletin prints this copy, so the
    bulletin of March reads the same whatever happens to the live row. A period published without
    any text has no row: its bulletin has no such sections. Kept in the shared store, one per period.
    """

    KIND = "dispatch.narrative"
    VERSION = 1

    problems: str  # "" when the office wrote only the other text
    next_steps: str

    def to_data(self) -> pub.JSON:
        return {"problems": self.problems, "next_steps": self.next_steps}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> BulletinText:
        return cls(problems=pub.text(data["problems"]), next_steps=pub.text(data["next_steps"]))


def narrative_take(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
    """The ``dispatch.narrative`` builder: the office's text of the period into the shared store (1), or
    nothing when there is none (0).

    The period's row is locked first, as every save of the text locks it (dispatch.bulletins.narrative):
    a save that began before stays or waits until it has committed, and one that comes after finds the
    period published and is refused, so what is frozen here is the last text anybody saved.
    """
    with transaction.atomic():  # publishing holds one; a lone run (a test, a rebuild) gets its own
        Period.objects.select_for_update().filter(pk=period.pk).first()
        pub.records_clear(period=period, schema=BulletinText)
        narrative = BulletinNarrative.objects.filter(period=period).first()
        if narrative is None or not (narrative.problems.strip() or narrative.next_steps.strip()):
            return 0
        pub.record_write(
            period=period,
            snapshot=BulletinText(problems=narrative.problems.strip(), next_steps=narrative.next_steps.strip()),
        )
        return 1


def read_narratives(period: Period) -> list[BulletinText]:
    return [text for _key, text in pub.records_read(period, BulletinText)]


def bulletin_text(period: Period) -> BulletinText | None:
    """The text frozen with ``period``, or None (no text when published, or not published)."""
    stored = read_narratives(period)
    return stored[0] if stored else None


def bulletin_words(period: Period) -> tuple[Letterhead, BulletinText | None]:
    """What a bulletin prints besides figures, as frozen with ``period``: :func:`letterhead` and
    :func:`bulletin_text`, in one query."""
    head: Letterhead | None = None
    text: BulletinText | None = None
    rows = PublishedRecord.objects.filter(period=period, kind__in=(Letterhead.KIND, BulletinText.KIND), key="")
    for kind, version, data in rows.values_list("kind", "schema_version", "data"):
        if kind == Letterhead.KIND:
            head = Letterhead.from_data(data, version=version, period=period)
        else:
            text = BulletinText.from_data(data, version=version, period=period)
    if head is None:
        current = district()
        head = Letterhead(district_name=current.district_name, document_prefix=current.document_prefix)
    return head, text


# Registered here, where its schema is, when dispatch's snapshots are first imported (DispatchConfig.ready
# imports them through dispatch.periods.services); after the letterhead, as nothing reads it meanwhile.
NARRATIVE_BUILDER = pub.register_builder(
    pub.Builder(
        name="dispatch.narrative", schema=BulletinText, build=narrative_take, read=read_narratives,
        step=gettext_lazy("正在冻结通报正文（存在的主要问题、下步工作安排）"), order=40,
    )
)
