"""From lead to key project (入库), the lineage both ways, and whether signings become starts (落在项目开工上).

Conversion. A lead that has started (开工) or is producing (投产) becomes a key project in the ledger with one
action: the project form of the ledger, filled from the lead, completed by the user and saved through
``projects.services.project_save`` in the same transaction that links the lead to it (``Lead.project``). The
office's project goes straight into the ledger; a unit's is an 入库 proposal (``ProjectChange``) that the office
approves or rejects on the ledger's own pages. A lead is converted once: again only when the office rejected its
project (未获入库), so that a unit can correct and propose it anew.

Lineage. The project page says where the project came from (investment/hooks.py) and the lead page shows the
project's state in the ledger, its year's progress against its plan and its light (:func:`lineage`).

Signed to started (招引成效落在项目开工上). Of the amounts signed in a window of years, the share whose lead
started within 6 and within 12 months of signing (:func:`signed_to_started`); the rule in words is
:func:`start_share_rule`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_snapshot
from core import clock
from core.policies import can
from investment import funds, rules
from investment.models import Lead, Stage
from org.models import Unit, User
from projects import rules as project_rules
from projects import services as project_services
from projects.models import (
    Construction,
    LedgerState,
    Level,
    Project,
    ProjectChange,
    ProjectType,
)
from projects.models import Stage as ProjectStage

# The stages from which a lead may be turned into a key project.
CONVERTIBLE: frozenset[str] = frozenset({rules.STARTED, rules.PRODUCING})
# The windows of "落在项目开工上", in months after signing.
START_WINDOWS: tuple[int, ...] = (6, 12)
_NAME_LENGTH = 100  # Project.name


# --- conversion ---------------------------------------------------------------------------------

def conversion_refusals(lead: Lead) -> list[str]:
    """Why ``lead`` cannot be turned into a key project now (empty: it can), in words."""
    if lead.stage not in CONVERTIBLE:
        return [_("只有已开工或已投产的线索可以转入重点项目库；该线索处于“%(stage)s”阶段。")
                % {"stage": rules.stage_name(lead.stage)}]
    project = lead.project
    if project is not None and project.ledger_state != LedgerState.REJECTED:
        return [_("该线索已转为重点项目“%(project)s”（%(state)s），不能重复转入。")
                % {"project": project, "state": project.get_ledger_state_display()}]
    return []


def project_name(lead: Lead) -> str:
    """A name for the project: the first line of the lead's content (what is built), led by the enterprise's
    name unless it already names it; without content, the enterprise's name and 项目."""
    first = next((line.strip() for line in lead.content.splitlines() if line.strip()), "")
    if not first:
        name = _("%(enterprise)s项目") % {"enterprise": lead.enterprise}
    elif lead.enterprise in first:
        name = first
    else:
        name = f"{lead.enterprise}{first}"
    return name[:_NAME_LENGTH]


def default_reason(lead: Lead) -> str:
    """The 入库 proposal's reason as the lead gives it: who signed, for how much, when it started."""
    values = {
        "enterprise": lead.enterprise, "unit": lead.source_unit,
        "signed": lead.signed_on.isoformat() if lead.signed_on else "—",
        "amount": project_rules.money_text(lead.signed_amount) if lead.signed_amount is not None else "—",
        "started": lead.started_on.isoformat() if lead.started_on else "—",
    }
    return _("招商引资项目：%(unit)s引进%(enterprise)s，%(signed)s 签约，签约金额 %(amount)s 万元，"
             "%(started)s 开工。") % values


def project_initial(lead: Lead) -> dict[str, Any]:
    """The ledger's project form filled from ``lead``: what the lead knows, the rest left to the user."""
    initial: dict[str, Any] = {
        "name": project_name(lead),
        "level": Level.DISTRICT,
        "project_type": ProjectType.INDUSTRY,
        "industry": lead.industry,
        "stage": ProjectStage.PRODUCING if lead.stage == Stage.PRODUCING else ProjectStage.BUILDING,
        "construction": Construction.NEW,
        "owner": lead.counterpart or lead.enterprise,
        "owner_contact": lead.contact_person,
        "content": lead.content,
        "total_investment": lead.signed_amount if lead.signed_amount is not None else lead.intended_investment,
        "planned_start": lead.started_on,
        "actual_start": lead.started_on,
        "lead_unit": lead.source_unit_id,
        "reason": default_reason(lead),
    }
    if lead.source_unit.kind == Unit.Kind.TOWN:
        initial["town"] = lead.source_unit_id
    chain = lead.chain_node.chain if lead.chain_node is not None else None
    if chain is not None and chain.chief is not None and chain.chief.is_active:
        # The chain chief is a district leader: the natural 包靠区领导 of the project.
        initial["responsible_leader"] = chain.chief_id
    return initial


@transaction.atomic
def lead_convert(
    *,
    by: User,
    lead: Lead,
    project: Project,
    plans: Mapping[int, Decimal | None] | None = None,
    reason: str = "",
    co_units: Iterable[Any] | None = None,
    source: str = "form",
) -> Project:
    """Turn ``lead`` into the key project ``project`` (a new instance carrying the form's values): saved through
    ``project_save`` (the office's into the ledger, a unit's as an 入库 proposal with ``reason``), and the lead
    linked to it, both audited. Refused, with reasons, for a lead that has not started, one converted already
    (unless its project was rejected) and a user who does not follow the lead."""
    stored = Lead.objects.select_for_update(of=("self",)).select_related("source_unit", "project").get(pk=lead.pk)
    if not can(by, "investment.convert", stored):
        raise PermissionDenied
    refusals = conversion_refusals(stored)
    if refusals:
        raise ValidationError(refusals)
    if project.pk is not None:
        raise ValidationError(_("转入重点项目须新建项目。"))
    project.full_clean(exclude=["initials", "search_name"])
    saved = project_services.project_save(
        by=by, project=project, plans=plans, reason=reason.strip() or default_reason(stored), co_units=co_units,
        source=source,
    )
    before = audit_snapshot(stored)
    stored.project = saved
    stored.version += 1
    stored.save(update_fields=["project", "version", "updated_at"])
    audit_record(by=by, instance=stored, before=before, source=source)
    lead.project, lead.version = saved, stored.version
    return saved


# --- lineage on the lead's page -------------------------------------------------------------------

@dataclass(frozen=True)
class Lineage:
    """The project a lead became, as the lead's page shows it."""

    project: Project
    visible: bool  # whether the user may open the project
    state: str
    state_name: str
    year: int
    plan: Decimal | None
    invested_ytd: Decimal
    rate: Decimal | None
    light: str | None  # None: not assessed (not in the ledger)
    light_name: str
    reasons: list[list[str]]
    light_as_of: dt.date | None
    entry: ProjectChange | None  # the latest 入库 proposal, if any
    explanation: str


def lineage(lead: Lead, user: User, *, as_of: dt.date | None = None) -> Lineage | None:
    """The project ``lead`` became with its ledger state, its year's progress (completed investment against the
    year's plan, from the ledger's figures ``ProjectYear`` as the ledger list reads them) and its light with its
    reasons; None when the lead has not been converted."""
    if lead.project_id is None:
        return None
    as_of = as_of or clock.today()
    project = (Project.objects.with_year_figures(as_of.year).select_related("lead_unit")
               .get(pk=lead.project_id))
    plan: Decimal | None = getattr(project, "plan_amount", None)
    ytd: Decimal = getattr(project, "invested_ytd", None) or Decimal("0.00")
    entry = (ProjectChange.objects.filter(project=project, kind=ProjectChange.Kind.ENTER)
             .select_related("decided_by").order_by("-requested_at", "-pk").first())
    active = project.ledger_state == LedgerState.ACTIVE
    rate = project_rules.investment_rate(ytd, plan) if plan else None
    if plan:
        explanation = _("%(year)s年计划投资 %(plan)s 万元，截至 %(day)s 完成 %(ytd)s 万元，完成率 %(rate)s%%"
                        "（按项目月报和开账累计，与项目库一致）。") % {
            "year": as_of.year, "plan": project_rules.money_text(plan), "ytd": project_rules.money_text(ytd),
            "rate": rate, "day": as_of.isoformat()}
    else:
        explanation = _("%(year)s年尚无年度计划投资，截至 %(day)s 完成 %(ytd)s 万元，不计算完成率。") % {
            "year": as_of.year, "ytd": project_rules.money_text(ytd), "day": as_of.isoformat()}
    if active:
        light: str | None = project.light
        light_name = project.get_light_display()
        reasons = list(project.light_reasons)
    else:
        light, reasons = None, []
        light_name = {
            LedgerState.PROPOSED: _("待项目办审核入库，入库后开始评灯。"),
            LedgerState.REJECTED: _("未获入库，不评灯；可修改后重新转入。"),
            LedgerState.WITHDRAWN: _("已退库，不再评灯。"),
        }.get(LedgerState(project.ledger_state), "")
    return Lineage(
        project=project, visible=can(user, "projects.view", project), state=project.ledger_state,
        state_name=project.get_ledger_state_display(), year=as_of.year, plan=plan, invested_ytd=ytd, rate=rate,
        light=light, light_name=light_name, reasons=reasons, light_as_of=project.light_as_of if active else None,
        entry=entry, explanation=explanation,
    )


def lead_page_context(lead: Lead, user: User) -> dict[str, Any]:
    """What the lead's page adds for conversion and funds: the lineage, whether (or why not) the user may convert
    the lead now, and the money that arrived with its form."""
    may_convert = can(user, "investment.convert", lead)
    refusals = conversion_refusals(lead)
    return {
        "lineage": lineage(lead, user),
        "can_convert": may_convert and not refusals,
        # Shown to those who may convert once the lead has started, so they know why the button is missing.
        "convert_refusals": refusals if may_convert and lead.stage in CONVERTIBLE else [],
        **funds.funds_context(lead, user),
    }


# --- 落在项目开工上: the share of signed amounts that started ---------------------------------------

@dataclass(frozen=True)
class SignedLead:
    """One signed lead in the measure: counted in a window's cohort or not, and why, in words."""

    lead: Lead
    deadline: dt.date  # signing date plus the window's months
    reached: bool
    reason: str


@dataclass(frozen=True)
class StartShare:
    """The share of signed amounts that reached 开工 within ``months`` of signing."""

    months: int
    counted: list[SignedLead] = field(default_factory=list)
    not_counted: list[SignedLead] = field(default_factory=list)
    signed_amount: Decimal = Decimal("0.00")
    started_amount: Decimal = Decimal("0.00")
    share: Decimal | None = None
    explanation: str = ""

    @property
    def started_count(self) -> int:
        return sum(1 for item in self.counted if item.reached)


def start_share_rule(months: int, *, as_of: dt.date, year_from: int, year_to: int) -> str:
    """The rule of one window in words."""
    return _("口径：统计对象为 %(from)s—%(to)s 年签约、截至 %(as_of)s 签约已满 %(months)s 个月的线索"
             "（签约日期加 %(months)s 个月不晚于 %(as_of)s，到期日遇月末按该月最后一天），含签约后终止的；"
             "其中在到期日当天或之前开工的，其签约金额计入“已开工”；%(as_of)s 之后的开工此时尚不知道，不计。"
             "比例 = 已开工签约金额 ÷ 统计对象签约金额，按四舍五入保留一位小数。"
             "签约未满 %(months)s 个月的线索不计入，单独列出。") % {
        "from": year_from, "to": year_to, "as_of": as_of.isoformat(), "months": months,
    }


def _judge(lead: Lead, months: int, as_of: dt.date) -> tuple[bool, SignedLead]:
    """(in the cohort, the lead judged) for one window."""
    assert lead.signed_on is not None
    deadline = project_rules.add_months(lead.signed_on, months)
    values = {"months": months, "deadline": deadline.isoformat(), "as_of": as_of.isoformat(),
              "started": lead.started_on.isoformat() if lead.started_on else ""}
    if deadline > as_of:
        text = _("签约至 %(as_of)s 未满 %(months)s 个月（%(deadline)s 满期），暂不计入。") % values
        return False, SignedLead(lead, deadline, False, text)
    started = lead.started_on is not None and lead.started_on <= as_of
    if started and lead.started_on is not None and lead.started_on <= deadline:
        days = (lead.started_on - lead.signed_on).days
        text = _("%(started)s 开工，签约后 %(days)s 天，在 %(months)s 个月内。") % {**values, "days": days}
        return True, SignedLead(lead, deadline, True, text)
    if started:
        text = _("%(started)s 开工，晚于签约后 %(months)s 个月（%(deadline)s）。") % values
    elif lead.stage == Stage.DROPPED:
        text = _("签约后终止，未开工。")
    else:
        text = _("截至 %(as_of)s 尚未开工。") % values
    return True, SignedLead(lead, deadline, False, text)


def signed_to_started(
    user: User, *, as_of: dt.date, year_from: int, year_to: int, windows: Sequence[int] = START_WINDOWS,
) -> list[StartShare]:
    """For each window of months, the share of the signed amounts of the leads ``user`` may see, signed from
    ``year_from`` to ``year_to``, that reached 开工 within that many months of signing, as of ``as_of``
    (:func:`start_share_rule`). A start after ``as_of`` is not yet known on that day and does not count."""
    leads = list(
        Lead.objects.visible_to(user)
        .filter(signed_on__isnull=False, signed_amount__isnull=False, signed_on__year__gte=year_from,
                signed_on__year__lte=year_to, signed_on__lte=as_of)
        .select_related("source_unit")
        .only("enterprise", "stage", "signed_on", "signed_amount", "started_on", "source_unit__name",
              "source_unit__short_name")
        .order_by("signed_on", "pk")
    )
    shares = []
    for months in windows:
        counted: list[SignedLead] = []
        not_counted: list[SignedLead] = []
        for lead in leads:
            in_cohort, judged = _judge(lead, months, as_of)
            (counted if in_cohort else not_counted).append(judged)
        signed = sum((item.lead.signed_amount or Decimal(0) for item in counted), Decimal("0.00"))
        started = sum((item.lead.signed_amount or Decimal(0) for item in counted if item.reached), Decimal("0.00"))
        share = project_rules.rate_percent(started, signed)
        if share is None:
            explanation = _("没有签约已满 %(months)s 个月的线索，不计算比例。") % {"months": months}
        else:
            explanation = _("统计对象 %(count)s 个、签约金额 %(signed)s 万元，其中 %(started_count)s 个在签约后 "
                            "%(months)s 个月内开工、签约金额 %(started)s 万元，占 %(share)s%%。") % {
                "count": len(counted), "signed": project_rules.money_text(signed), "months": months,
                "started_count": sum(1 for item in counted if item.reached),
                "started": project_rules.money_text(started), "share": share}
        shares.append(StartShare(
            months=months, counted=counted, not_counted=not_counted,
            signed_amount=signed, started_amount=started, share=share, explanation=explanation,
        ))
    return shares
