"""The rules of investment attraction (招商引资), pure: no ORM, so they are tested on plain values and
said to people in the words of :func:`rules_in_words`.

Stages. A lead goes lead → negotiating → signed → started → producing (线索 → 在谈 → 签约 → 开工 → 投产),
one step up at a time. It may be dropped (终止) from any stage before producing, with a reason; a
dropped or producing lead moves no more, and no lead goes back (a wrong step is corrected by the office
in the data, with its audit record, not by a step down that would hide that the step was reported).
More than one step up at once (a lead signed at a fair without talks in between) is a skip: only the
office makes one, and writes down why (``skip_decision``).

Evidence. Reaching a stage needs its facts, also when a skip passes over the stage:
签约 a signing date, a signed amount above 0 and the signing party (签约主体); 开工 a start date on or
after the signing date; 投产 a production date on or after the start date. Dropping needs a reason. No
date may lie in the future. Each missing fact is one reason, in words.

The light (红黄绿灯) of a lead says whether anybody is still working on it: the days since the last
contact (洽谈记录), or since the lead was entered when it has none. At least ``red_days`` (default 60)
is red, at least ``yellow_days`` (default 30) yellow, else green. Leads in talks and signed leads that
have not started are assessed so (a signed lead that nobody visits does not start); a started or
producing lead is green (it is followed as a project from then on), a dropped lead is not assessed
(grey, 不评).

Credit. When two units report the same investor (撞单) the office rules which lead keeps it and splits
the credit between the two units in percent: two shares from 0 to 100 that sum to 100; a share
other than 100/0 needs a note saying what it rests on (到位资金分割证明).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

LEAD: Final = "lead"
NEGOTIATING: Final = "negotiating"
SIGNED: Final = "signed"
STARTED: Final = "started"
PRODUCING: Final = "producing"
DROPPED: Final = "dropped"
# The way up, in order; DROPPED is beside it.
ORDER: Final = (LEAD, NEGOTIATING, SIGNED, STARTED, PRODUCING)
FINAL: Final = frozenset({PRODUCING, DROPPED})
# Stages whose light is the contact rule's.
ASSESSED: Final = frozenset({LEAD, NEGOTIATING, SIGNED})

GREEN: Final = "green"
YELLOW: Final = "yellow"
RED: Final = "red"
GREY: Final = "grey"
SEVERITY: Final = {GREY: -1, GREEN: 0, YELLOW: 1, RED: 2}

DEFAULT_YELLOW_DAYS: Final = 30
DEFAULT_RED_DAYS: Final = 60

CNY: Final = "CNY"
WAN: Final = "wan"
YI: Final = "yi"
_UNIT_IN_WAN: Final = {WAN: Decimal(1), YI: Decimal(10000)}

_STAGE_NAMES: Final = {
    LEAD: gettext_noop("线索"), NEGOTIATING: gettext_noop("在谈"), SIGNED: gettext_noop("签约"),
    STARTED: gettext_noop("开工"), PRODUCING: gettext_noop("投产"), DROPPED: gettext_noop("终止"),
}

# Roles, as org.User.Role spells them (pure here: the rule for one lead and the QuerySet share these).
_EVERY_LEAD_ROLES: Final = frozenset({"admin", "office", "leader"})
_UNIT_LEAD_ROLES: Final = frozenset({"reporter"})


def stage_name(stage: str) -> str:
    return _(_STAGE_NAMES[stage])


# --- who sees leads -----------------------------------------------------------------------------

def sees_every_lead(role: str, *, is_superuser: bool = False) -> bool:
    """The office (and administrators) and the district leaders see every lead."""
    return is_superuser or role in _EVERY_LEAD_ROLES


def sees_unit_leads(role: str) -> bool:
    """A unit's reporters see the unit's leads. A viewer (只读查看) never sees a lead, whatever unit he or
    she belongs to: leads are commercial secrets and viewers are the public side of the system."""
    return role in _UNIT_LEAD_ROLES


# --- stages -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    """The facts a step rests on, as the lead will hold them after the step."""

    signed_on: dt.date | None = None
    signed_amount: Decimal | None = None
    counterpart: str = ""
    started_on: dt.date | None = None
    producing_on: dt.date | None = None
    dropped_reason: str = ""


def is_skip(current: str, target: str) -> bool:
    """Whether going from ``current`` to ``target`` passes over a stage."""
    if current not in ORDER or target not in ORDER:
        return False
    return ORDER.index(target) - ORDER.index(current) > 1


def step_refusals(current: str, target: str, *, skip_decided: bool = False) -> list[str]:
    """Why ``current`` → ``target`` may not be taken (empty: it may). ``skip_decided``: the office decided
    a skip and said why."""
    if current == target:
        return [_("线索已处于“%(stage)s”阶段。") % {"stage": stage_name(current)}]
    if current in FINAL:
        return [_("线索已“%(stage)s”，不能再变更阶段。") % {"stage": stage_name(current)}]
    if target == DROPPED:
        return []
    if ORDER.index(target) < ORDER.index(current):
        return [_("阶段不能回退（%(current)s → %(target)s）；如有录入错误，请项目办更正。")
                % {"current": stage_name(current), "target": stage_name(target)}]
    if is_skip(current, target) and not skip_decided:
        return [_("只能逐级推进（%(current)s → %(next)s）；跨阶段（→ %(target)s）须由项目办决定并说明理由。")
                % {"current": stage_name(current), "next": stage_name(ORDER[ORDER.index(current) + 1]),
                   "target": stage_name(target)}]
    return []


def passed_stages(current: str, target: str) -> tuple[str, ...]:
    """The stages a step reaches, each needing its evidence: the target and any it skips over."""
    if target == DROPPED:
        return (DROPPED,)
    return ORDER[ORDER.index(current) + 1: ORDER.index(target) + 1]


def evidence_refusals(current: str, target: str, evidence: Evidence, *, today: dt.date) -> list[str]:
    """The facts missing or wrong for ``current`` → ``target``, one reason each (empty: all there)."""
    reasons: list[str] = []
    stages = passed_stages(current, target) if target == DROPPED or current in ORDER else ()

    def not_future(day: dt.date, label: str) -> None:
        if day > today:
            reasons.append(_("%(label)s（%(day)s）不能晚于今天。") % {"label": label, "day": day.isoformat()})

    if DROPPED in stages and not evidence.dropped_reason.strip():
        reasons.append(_("终止线索须写明终止原因。"))
    if SIGNED in stages:
        if evidence.signed_on is None:
            reasons.append(_("签约须填写签约日期。"))
        else:
            not_future(evidence.signed_on, _("签约日期"))
        if evidence.signed_amount is None or evidence.signed_amount <= 0:
            reasons.append(_("签约须填写大于 0 的签约金额（万元）。"))
        if not evidence.counterpart.strip():
            reasons.append(_("签约须填写签约主体。"))
    if STARTED in stages:
        if evidence.started_on is None:
            reasons.append(_("开工须填写开工日期。"))
        else:
            not_future(evidence.started_on, _("开工日期"))
            if evidence.signed_on is not None and evidence.started_on < evidence.signed_on:
                reasons.append(_("开工日期（%(started)s）不能早于签约日期（%(signed)s）。")
                               % {"started": evidence.started_on.isoformat(), "signed": evidence.signed_on.isoformat()})
    if PRODUCING in stages:
        if evidence.producing_on is None:
            reasons.append(_("投产须填写投产日期。"))
        else:
            not_future(evidence.producing_on, _("投产日期"))
            if evidence.started_on is not None and evidence.producing_on < evidence.started_on:
                reasons.append(_("投产日期（%(producing)s）不能早于开工日期（%(started)s）。")
                               % {"producing": evidence.producing_on.isoformat(),
                                  "started": evidence.started_on.isoformat()})
    return reasons


# --- the light ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaleThresholds:
    yellow_days: int = DEFAULT_YELLOW_DAYS
    red_days: int = DEFAULT_RED_DAYS

    def __post_init__(self) -> None:
        if not 0 < self.yellow_days < self.red_days:
            raise ValueError(f"0 < yellow_days < red_days expected, got {self.yellow_days}, {self.red_days}")


@dataclass(frozen=True)
class LightResult:
    light: str
    reasons: tuple[tuple[str, str], ...]  # (light, text), never empty


def lead_light(
    stage: str, *, last_contact_on: dt.date | None, entered_on: dt.date, as_of: dt.date,
    thresholds: StaleThresholds = StaleThresholds(),
) -> LightResult:
    """The light of a lead in ``stage`` on ``as_of`` (see the module docstring)."""
    if stage == DROPPED:
        return LightResult(GREY, ((GREY, _("线索已终止，不再评灯。")),))
    if stage not in ASSESSED:
        return LightResult(GREEN, ((GREEN, _("已%(stage)s，此后按项目调度，不再按洽谈记录评灯。")
                                    % {"stage": stage_name(stage)}),))
    since = last_contact_on or entered_on
    days = max(0, (as_of - since).days)
    limits = {"yellow": thresholds.yellow_days, "red": thresholds.red_days}
    if last_contact_on is None:
        text = _("录入已 %(days)s 天，尚无洽谈记录（黄灯阈值 %(yellow)s 天，红灯 %(red)s 天）")
    else:
        text = _("已 %(days)s 天没有洽谈记录（黄灯阈值 %(yellow)s 天，红灯 %(red)s 天）")
    text = text % {"days": days, **limits}
    if days >= thresholds.red_days:
        light = RED
    elif days >= thresholds.yellow_days:
        light = YELLOW
    else:
        light = GREEN
    return LightResult(light, ((light, text),))


# --- money --------------------------------------------------------------------------------------

def amount_in_wan(amount: Decimal, unit: str, currency: str, rate: Decimal | None) -> Decimal:
    """An amount given in ``unit`` (万元 or 亿元) of ``currency``, in 万元 of renminbi, to the fen. A foreign
    currency needs its rate (renminbi for one unit of it): ValueError without one."""
    value = amount * _UNIT_IN_WAN[unit]
    if currency.upper() != CNY:
        if rate is None or rate <= 0:
            raise ValueError(f"a rate is needed for {currency}")
        value *= rate
    return value.quantize(Decimal("0.01"))


# --- collisions ---------------------------------------------------------------------------------

def split_refusals(lead_share: Decimal | None, existing_share: Decimal | None, note: str) -> list[str]:
    """Why a credit split may not be recorded (empty: it may)."""
    if lead_share is None or existing_share is None:
        return [_("须填写两个单位各自的分成比例。")]
    reasons: list[str] = []
    for share in (lead_share, existing_share):
        if not Decimal(0) <= share <= Decimal(100):
            reasons.append(_("分成比例须在 0 到 100 之间，%(share)s 不在此范围。") % {"share": share})
    if lead_share + existing_share != Decimal(100):
        reasons.append(_("两个单位的分成比例之和须为 100，现为 %(total)s。") % {"total": lead_share + existing_share})
    if not reasons and Decimal(0) < lead_share < Decimal(100) and not note.strip():
        reasons.append(_("共享业绩须在裁定说明中写明依据（如到位资金分割证明）。"))
    return reasons


def rules_in_words(thresholds: StaleThresholds) -> Sequence[str]:
    """The rules as the pages show them, with the configured thresholds."""
    return (
        _("线索按 线索 → 在谈 → 签约 → 开工 → 投产 逐级推进；跨阶段须由项目办决定并说明理由；"
          "投产前的任何阶段均可终止，须写明原因。"),
        _("签约须有签约日期、大于 0 的签约金额和签约主体；开工日期不早于签约日期；投产日期不早于开工日期。"),
        _("线索、在谈和已签约未开工的线索：距最近一次洽谈（无洽谈记录的，距录入）满 %(yellow)s 天为黄灯，"
          "满 %(red)s 天为红灯；已开工、已投产的为绿灯，已终止的不评灯。")
        % {"yellow": thresholds.yellow_days, "red": thresholds.red_days},
        _("首报首谈：同一企业由先录入的单位优先跟进；撞单由项目办裁定保留哪条线索及两个单位的分成比例（合计 100%），"
          "共享业绩须写明依据。"),
    )
