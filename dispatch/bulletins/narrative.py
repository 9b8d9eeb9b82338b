"""The bulletin's own words (通报正文): 存在的主要问题 and 下步工作安排, written by the office before publishing.

The figures of a bulletin come from snapshots; these two texts are the office's. They live in
``BulletinNarrative`` (one per period) while the period is not published, are edited on the
narrative page (office only, rule ``dispatch.write_narrative``) with the version the page showed, so
a save from an older page is refused rather than silently undoing someone else's, and every save is
audited. Publishing freezes them (``dispatch.narrative`` builder, dispatch.periods.snapshots): the
bulletin prints the frozen copy, and the service refuses any change once the period is published.

"起草" fills the form from the month: :func:`narrative_draft` is pure (it takes the red and yellow
projects with their reasons and the open problems, and gives the two texts); :func:`draft_for` reads
them from the ledger as of the period (the lights computed by projects.rules as of the day the
period's snapshot would be taken, reasons with their rule) and calls it. The draft is only put in the
form: nothing is saved until the office saves.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditEntry
from audit.services import audit_record, audit_snapshot
from core import publication
from core.models import Period
from core.policies import require
from dispatch.access import current_user
from dispatch.models import BulletinNarrative, Problem
from dispatch.periods.services import ConcurrentChange, DispatchError, period_months_before
from dispatch.periods.snapshots import bulletin_text
from projects import rules as light_rules
from projects.models import AnnualPlan, ProgressReport, Project
from projects.services import project_light_of

# --- drafting (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftProject:
    """A project of the ledger with its light as of the period, and every reason with its rule."""

    name: str
    lead_unit: str
    light: str
    reasons: tuple[light_rules.Reason, ...]


@dataclass(frozen=True)
class DraftProblem:
    """A supervised problem still open, with its days overdue as of the period (0: not overdue)."""

    description: str
    project: str
    unit: str
    deadline: dt.date
    overdue_days: int


@dataclass(frozen=True)
class Draft:
    problems: str
    next_steps: str


@dataclass(frozen=True)
class _Topic:
    """One kind of problem the lights name: the rules that say it, and the words for it."""

    rules: frozenset[str]
    title: str
    lead: str  # %(n)d projects, %(red)d, %(yellow)d, %(names)s
    title_next: str
    step: str  # %(units)s, %(names)s


def _topics() -> tuple[_Topic, ...]:
    """In the order used when two topics name as many projects (investment first, as bulletins do)."""
    return (
        _Topic(
            frozenset({light_rules.RULE_INVESTMENT_BEHIND}), _("投资进度滞后"),
            _("%(n)d 个项目年度投资完成率落后序时进度（红灯 %(red)d 个、黄灯 %(yellow)d 个）：%(names)s。"),
            _("加快投资进度"),
            _("请%(units)s督促%(names)s对照年度计划倒排工期、挂图作战，加快投资完成，尽快追上序时进度。"),
        ),
        _Topic(
            frozenset({light_rules.RULE_START_LATE, light_rules.RULE_START_DUE}), _("部分项目未按期开工"),
            _("%(n)d 个项目到计划开工日期仍未开工（红灯 %(red)d 个、黄灯 %(yellow)d 个）：%(names)s。"),
            _("推动项目尽快开工"),
            _("请%(units)s加快%(names)s的前期手续办理，落实开工条件，尽快开工建设。"),
        ),
        _Topic(
            frozenset({light_rules.RULE_MILESTONE_OVERDUE}), _("节点推进滞后"),
            _("%(n)d 个项目有节点逾期未完成（红灯 %(red)d 个、黄灯 %(yellow)d 个）：%(names)s。"),
            _("抓好节点推进"),
            _("请%(units)s督促%(names)s限期完成逾期节点，按倒排工期推进后续节点。"),
        ),
        _Topic(
            frozenset({light_rules.RULE_COMPLETION_OVERDUE}), _("项目逾期未竣工"),
            _("%(n)d 个项目已过计划竣工日期仍未竣工（红灯 %(red)d 个、黄灯 %(yellow)d 个）：%(names)s。"),
            _("加快竣工投产"),
            _("请%(units)s督促%(names)s加快收尾，尽快完成竣工验收、投入使用。"),
        ),
    )


ORDINALS = "一二三四五六七八九十"
NAMES_SHOWN = 20  # as many names as the bulletin's own lists show before "等"


def _join(names: Sequence[str]) -> str:
    shown = "、".join(names[:NAMES_SHOWN])
    return shown + _("等") if len(names) > NAMES_SHOWN else shown


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _problem_words(problem: DraftProblem) -> str:
    where = "，".join(_distinct([problem.project, problem.unit]))
    if problem.overdue_days:
        when = _("逾期 %(days)d 天") % {"days": problem.overdue_days}
    else:
        when = _("%(day)s 到期") % {"day": problem.deadline.isoformat()}
    if not where:
        return _("%(what)s（%(when)s）") % {"what": problem.description, "when": when}
    return _("%(what)s（%(where)s，%(when)s）") % {"what": problem.description, "where": where, "when": when}


def narrative_draft(projects: Sequence[DraftProject], problems: Sequence[DraftProblem]) -> Draft:
    """The two texts drafted from the month's lights and open problems.

    存在的主要问题: one paragraph per kind of problem the red and yellow lights name (investment behind
    the schedule, not started on time, milestones overdue, completion overdue), the kind that names
    the most projects first; each counts its projects (red and yellow) and names them, red first, with
    the reasons of that kind. Then the open problems, overdue first (longest overdue at the top), each
    with its project, unit and days overdue or deadline. 下步工作安排: one paragraph per paragraph
    above, asking the lead units (or the responsible units) by name to act on the projects named.
    Projects are named in the order given (the ledger's, by code), red before yellow; at most
    :data:`NAMES_SHOWN` names, then "等". Green projects and green reasons, and the note on unreviewed
    figures, name no problem.
    """
    lit = [p for p in projects if p.light in {light_rules.RED, light_rules.YELLOW}]
    lit.sort(key=lambda p: -light_rules.SEVERITY[p.light])  # stable: red first, the given order within
    found: list[tuple[_Topic, list[tuple[DraftProject, list[str]]]]] = []
    for topic in _topics():
        named = []
        for project in lit:
            texts = [r.text for r in project.reasons if r.rule in topic.rules and r.light != light_rules.GREEN]
            if texts:
                named.append((project, texts))
        if named:
            found.append((topic, named))
    found.sort(key=lambda item: -len(item[1]))  # stable: ties keep the order of _topics()

    issues: list[tuple[str, str]] = []
    steps: list[tuple[str, str]] = []
    for topic, named in found:
        red = sum(1 for project, _texts in named if project.light == light_rules.RED)
        issues.append((topic.title, topic.lead % {
            "n": len(named), "red": red, "yellow": len(named) - red,
            "names": _join([_("%(name)s（%(why)s）") % {"name": p.name, "why": "；".join(why)} for p, why in named]),
        }))
        steps.append((topic.title_next, topic.step % {
            "units": "、".join(_distinct(p.lead_unit for p, _texts in named)) or _("各牵头单位"),
            "names": _join([p.name for p, _texts in named]),
        }))
    waiting = sorted(problems, key=lambda p: (-p.overdue_days, p.deadline, p.description))
    if waiting:
        overdue = [p for p in waiting if p.overdue_days]
        issues.append((_("督办问题办理不及时") if overdue else _("督办问题尚未办结"), _(
            "未办结督办问题 %(n)d 个，其中逾期 %(overdue)d 个：%(names)s。"
        ) % {"n": len(waiting), "overdue": len(overdue), "names": _join([_problem_words(p) for p in waiting])}))
        if overdue:
            values = {"units": "、".join(_distinct(p.unit for p in overdue)),
                      "names": _join([p.description for p in overdue])}
            if len(overdue) < len(waiting):
                step = _("请%(units)s于下期调度前办结逾期问题（%(names)s），其余问题按期办结。") % values
            else:
                step = _("请%(units)s于下期调度前办结逾期问题（%(names)s）。") % values
        else:
            step = _("请%(units)s在办结时限内办结督办问题。") % {"units": "、".join(_distinct(p.unit for p in waiting))}
        steps.append((_("加快督办问题办理"), step))
    if not issues:
        return Draft(
            problems=_("本期没有红灯、黄灯项目和未办结的督办问题。"),
            next_steps=_("继续按计划推进各项目建设，确保完成年度目标任务。"),
        )

    def numbered(items: list[tuple[str, str]]) -> str:
        return "\n".join(
            _("%(n)s是%(title)s。%(text)s") % {"n": ORDINALS[i] if i < len(ORDINALS) else str(i + 1),
                                               "title": title, "text": text}
            for i, (title, text) in enumerate(items)
        )

    return Draft(problems=numbered(issues), next_steps=numbered(steps))


# --- reading the month for a draft -------------------------------------------------------------------

def draft_day(period: Period, now: dt.datetime | None = None) -> dt.date:
    """The day the draft describes: the day the period's snapshot would be taken now (never after its end)."""
    return publication.as_of(period=period, now=now or timezone.now())


@translation.override(settings.LANGUAGE_CODE)
def draft_for(period: Period, *, now: dt.datetime | None = None) -> Draft:
    """:func:`narrative_draft` of the ledger as of :func:`draft_day`, in the district's language (the
    bulletin's). Lights by projects.rules from the plans, the reports up to the period and the
    milestones (five queries, whatever the number of projects); problems not closed."""
    day = draft_day(period, now)
    projects = (
        Project.objects.in_ledger().select_related("lead_unit").order_by("code")
        .prefetch_related(
            "milestones",
            Prefetch("plans", queryset=AnnualPlan.objects.filter(year=day.year)),
            Prefetch("reports", queryset=ProgressReport.objects.filter(period_months_before(period))),
        )
    )
    drafted = []
    for project in projects:
        result = project_light_of(
            project, milestones=project.milestones.all(), plans=project.plans.all(), reports=project.reports.all(),
            as_of=day,
        )
        drafted.append(DraftProject(project.name, str(project.lead_unit), result.light, result.reasons))
    open_problems = (
        Problem.objects.exclude(state=Problem.State.CLOSED).select_related("project", "responsible_unit")
        .order_by("deadline", "pk")
    )
    waiting = [
        DraftProblem(
            description=problem.description, project=problem.project.name if problem.project else "",
            unit=str(problem.responsible_unit), deadline=problem.deadline,
            overdue_days=light_rules.days_overdue(problem.deadline, day),
        )
        for problem in open_problems
    ]
    return narrative_draft(drafted, waiting)


# --- saving ---------------------------------------------------------------------------------------

NOT_AUDITED = frozenset({"updated_by"})


def frozen_message(period: Period) -> str:
    return _("%(period)s已发布，通报正文已随本期冻结，不能再修改。") % {"period": period.label}


def _clean(text: str) -> str:
    """As typed, with the browser's line ends made one kind and the blank edges taken off."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


@transaction.atomic
def narrative_save(*, period: Period, problems: str, next_steps: str, version: int, by: Any) -> BulletinNarrative:
    """Save the period's two texts (the first save creates the row), audited with old and new values.

    ``version`` is the one the page showed (0 before the first save): a save from an older page is
    refused. The period's row is locked first, as publishing locks it before freezing the text, so a
    save either comes before the freeze (and is frozen) or finds the period published and is refused.
    """
    locked = Period.objects.select_for_update().get(pk=period.pk)
    if locked.is_frozen:
        raise DispatchError(frozen_message(locked))
    narrative = BulletinNarrative.objects.select_for_update().filter(period=locked).first()
    current = narrative.version if narrative is not None else 0
    if version != current:
        who = narrative.updated_by if narrative is not None and narrative.updated_by else _("他人")
        raise ConcurrentChange(
            _("%(period)s的通报正文刚被%(who)s修改，您的修改未保存，请刷新页面后再改。")
            % {"period": locked.label, "who": who}
        )
    problems, next_steps = _clean(problems), _clean(next_steps)
    if narrative is not None and (narrative.problems, narrative.next_steps) == (problems, next_steps):
        return narrative
    before = audit_snapshot(narrative, exclude=NOT_AUDITED)
    if narrative is None:
        narrative = BulletinNarrative(period=locked)
    narrative.problems, narrative.next_steps = problems, next_steps
    narrative.updated_by = by if getattr(by, "pk", None) else None
    narrative.version = current + 1
    try:
        with transaction.atomic():
            narrative.save()
    except IntegrityError as exc:
        # Two first saves at once, where the database did not make the second wait (SQLite).
        raise ConcurrentChange(
            _("%(period)s的通报正文刚被他人保存，您的修改未保存，请刷新页面后再改。") % {"period": locked.label}
        ) from exc
    audit_record(
        by=by, instance=narrative, before=before, subject=locked, source=AuditEntry.Source.BULLETIN,
        exclude=NOT_AUDITED,
    )
    return narrative


# --- the page -------------------------------------------------------------------------------------

class NarrativeForm(forms.Form):
    problems = forms.CharField(
        label=gettext_lazy("存在的主要问题"), required=False, widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy("每段一行；留空则通报不印此节。"),
    )
    next_steps = forms.CharField(
        label=gettext_lazy("下步工作安排"), required=False, widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy("每段一行；留空则通报不印此节。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def narrative_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The office writes the period's two texts, drafts them from the month, saves them; read-only once published."""
    user = current_user(request)
    require(user, "dispatch.write_narrative")
    period = get_object_or_404(Period, pk=pk)
    narrative = BulletinNarrative.objects.select_related("updated_by").filter(period=period).first()
    version = narrative.version if narrative is not None else 0
    saved = {
        "problems": narrative.problems if narrative else "", "next_steps": narrative.next_steps if narrative else "",
        "version": version,
    }
    form = NarrativeForm(initial=saved)
    if request.method == "POST":
        if "draft" in request.POST:
            if period.is_frozen:
                messages.error(request, frozen_message(period))
                return redirect("dispatch:bulletin_narrative", pk=period.pk)
            draft = draft_for(period)
            # The version of the page the office is on: saving the draft still checks nobody saved since.
            shown = request.POST.get("version", "")
            form = NarrativeForm({"problems": draft.problems, "next_steps": draft.next_steps,
                                  "version": shown if shown.isdigit() else version})
            messages.info(request, _(
                "已按%(day)s的红黄灯原因和未办结的督办问题起草，尚未保存：修改后请点“保存”。"
            ) % {"day": draft_day(period).isoformat()})
        else:
            form = NarrativeForm(request.POST)
            if form.is_valid():
                try:
                    narrative_save(
                        period=period, problems=form.cleaned_data["problems"],
                        next_steps=form.cleaned_data["next_steps"], version=form.cleaned_data["version"], by=user,
                    )
                except DispatchError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _("%(period)s的通报正文已保存。") % {"period": period.label})
                    return redirect("dispatch:bulletin_narrative", pk=period.pk)
    return render(request, "dispatch/bulletin_narrative.html", {
        "period": period, "form": form, "narrative": narrative,
        "frozen": bulletin_text(period) if period.is_frozen else None,
    })
