"""The monthly dispatch cycle (月度调度): periods, unit reports and their review, problems and
their supervision (督办), and bulletins (调度通报).

A period is open while units report, closed at the deadline, and published by the project
office. Publishing freezes it: the figures of every project are copied into snapshots that
bulletins, rankings and screens read, so March's bulletin can be reproduced in December.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Period
from core.tracking import items as tracking

# Decision is re-exported under its old address: code outside dispatch still imports it from here.
from core.tracking.decisions import Decision as Decision
from core.tracking.decisions import DecisionRequest
from core.tracking.items import ExtensionRequestBase, ReturnRequestBase, TrackedEvent, TrackedItem


class UnitReport(models.Model):
    """One unit's report for one period: the rows are the ProgressReports of the unit's projects.

    ``version`` goes up on every state change, so two reviewers acting at once cannot
    overwrite each other: the second one's change finds a newer version and is refused.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    period = models.ForeignKey(Period, verbose_name=_("调度期"), on_delete=models.CASCADE, related_name="unit_reports")
    unit = models.ForeignKey("org.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="reports")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报送人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.TextField(_("退回原因"), blank=True)

    class Meta:
        verbose_name = _("单位月报")
        verbose_name_plural = _("单位月报")
        ordering = ["period", "unit__kind", "unit__order", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="unit_report_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.unit}"

    def late_days(self, today: dt.date) -> int:
        """Days past the deadline: until submission for a report handed in, until ``today`` for one still owed.

        A returned report is owed again, so its earlier (perhaps timely) submission does not count.
        """
        if self.state in {self.State.SUBMITTED, self.State.APPROVED} and self.submitted_at:
            from django.utils import timezone

            end = timezone.localdate(self.submitted_at)
        else:
            end = today
        return max(0, (end - self.period.deadline).days)


class UnitReportEvent(models.Model):
    """Every step of a unit report: saved, submitted, approved, returned (with the reason)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("报送")
        APPROVE = "approve", _("审核通过")
        RETURN = "return", _("退回")
        REOPEN = "reopen", _("重新打开")

    unit_report = models.ForeignKey(UnitReport, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("月报流转记录")
        verbose_name_plural = _("月报流转记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.unit_report} {self.get_action_display()}"


class ProjectSnapshot(models.Model):
    """A project's figures as published in a period; never changed after publication."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="snapshots")
    # PROTECT: published history is never detached from its project (a project with history is
    # withdrawn, not deleted). Null only for rows detached before this rule.
    project = models.ForeignKey(
        "projects.Project", null=True, on_delete=models.PROTECT, related_name="snapshots"
    )
    code = models.CharField(max_length=30)
    # A dispatch.periods.snapshots.ProjectFigures: read it with ProjectFigures.from_data(data, version=schema_version).
    data: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField()
    # The schema version the row was written with; 1 is every row written before the schemas.
    schema_version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("项目快照")
        verbose_name_plural = _("项目快照")
        ordering = ["period", "code"]
        constraints = [models.UniqueConstraint(fields=["period", "code"], name="snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.code}"


class PeriodSnapshot(models.Model):
    """What a published period says beyond single projects: units' reporting, problems."""

    period = models.OneToOneField(Period, on_delete=models.CASCADE, related_name="snapshot")
    taken_at = models.DateTimeField(auto_now_add=True)
    # A dispatch.periods.snapshots.PeriodFigures, read like ProjectSnapshot.data.
    data: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField()
    schema_version = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.period}"


class CorrectionRequest(DecisionRequest):
    """A change to a published period's report, applied only when the project office approves it."""

    report = models.ForeignKey(
        "projects.ProgressReport", verbose_name=_("月度进度"), on_delete=models.CASCADE, related_name="corrections"
    )
    # {field name: new value as text}; the old values are read from the report when deciding.
    changes: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(_("更正内容"))
    reason = models.TextField(_("更正理由"))

    class Meta:
        verbose_name = _("更正申请")
        verbose_name_plural = _("更正申请")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.report} {self.get_state_display()}"


class ReminderLog(models.Model):
    """One reminder sent to one unit for one period: the scheduled ones (before the deadline, on it) at
    most once each, which makes sending them safe to repeat; the office's 催报 (``MANUAL``) each time,
    with who sent it."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("截止前提醒")
        DEADLINE = "deadline", _("截止日提醒")
        MANUAL = "manual", _("手动催报")

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    channels = models.CharField(max_length=60, blank=True)
    # Who pressed 催报; empty for the scheduled reminders.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit", "kind"], condition=models.Q(kind__in=["before", "deadline"]),
                name="reminder_once",
            ),
        ]
        indexes = [models.Index(fields=["period", "unit", "-sent_at"], name="reminder_latest")]

    def __str__(self) -> str:
        return f"{self.period} {self.unit} {self.kind}"


class Problem(TrackedItem):
    """A problem found in a report, at a dispatch meeting or entered directly, supervised to closure.

    A tracked item (core.tracking): its steps are ProblemSteps, its requests ExtensionRequests and
    ReturnRequests, its transitions table ``dispatch.supervision.services.TRANSITIONS``.
    """

    EVENTS = "dispatch.ProblemStep"
    EXTENSIONS = "dispatch.ExtensionRequest"
    RETURNS = "dispatch.ReturnRequest"
    ITEM_FIELD = "problem"

    class Source(models.TextChoices):
        REPORT = "report", _("月报反映")
        MEETING = "meeting", _("调度会议")
        DIRECT = "direct", _("直接录入")

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("已交办")
        HANDLING = "handling", _("办理中")
        ANSWERED = "answered", _("已反馈")
        CLOSED = "closed", _("已办结")
        # The office approved the unit's return request: the office assigns it again.
        RETURNED = "returned", _("已退回")

    CLOSED_STATE = State.CLOSED

    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="supervised_problems",
    )
    period = models.ForeignKey(
        Period, verbose_name=_("调度期"), null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.DIRECT)
    report = models.ForeignKey(
        "projects.ProgressReport", verbose_name=_("来源月报"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.TextField(_("问题描述"))
    responsible_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="problems"
    )
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任领导"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="supervised_problems", limit_choices_to={"role": "leader"},
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.ASSIGNED)

    class Meta:
        verbose_name = _("督办问题")
        verbose_name_plural = _("督办问题")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["state", "deadline"]), models.Index(fields=["responsible_unit", "state"])]

    def __str__(self) -> str:
        return self.description[:40]

    def audit_subject(self) -> models.Model:
        """History is read on the project page when there is a project."""
        return self.project if self.project_id else self  # type: ignore[return-value]


class ProblemStep(TrackedEvent):
    """Every step of a problem with its time, person and text."""

    class Action(models.TextChoices):
        ASSIGN = "assign", _("交办")
        ACCEPT = "accept", _("签收办理")
        ANSWER = "answer", _("反馈")
        CLOSE = "close", _("办结")
        SEND_BACK = "send_back", _("退回重办")
        EXTEND_REQUEST = tracking.EXTEND_REQUEST, _("申请延期")
        EXTEND_APPROVE = tracking.EXTEND_APPROVE, _("批准延期")
        EXTEND_REJECT = tracking.EXTEND_REJECT, _("驳回延期")
        RETURN_REQUEST = tracking.RETURN_REQUEST, _("申请退回")
        RETURN_APPROVE = tracking.RETURN_APPROVE, _("同意退回")
        RETURN_REJECT = tracking.RETURN_REJECT, _("驳回退回")
        REASSIGN = "reassign", _("重新交办")
        ESCALATE = "escalate", _("升级督办")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    state_after = models.CharField(_("操作后状态"), max_length=10, choices=Problem.State.choices)

    class Meta:
        verbose_name = _("督办记录")
        verbose_name_plural = _("督办记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.get_action_display()}"


class ExtensionRequest(ExtensionRequestBase):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="extensions")

    def __str__(self) -> str:
        return f"{self.problem_id} → {self.new_deadline}"


class ReturnRequest(ReturnRequestBase):
    """The responsible unit says a problem is not theirs; approved, it goes back to the office to reassign."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="returns")

    def __str__(self) -> str:
        return f"{self.problem_id} {self.get_state_display()}"


def bulletin_path(instance: Bulletin, filename: str) -> str:
    return f"bulletins/{instance.period.year}/{instance.period.month:02d}-{instance.period.half}/{filename}"


class Bulletin(models.Model):
    """The bulletin of a published period; its files are kept so it can be downloaded again unchanged."""

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已生成")
        FAILED = "failed", _("生成失败")

    period = models.OneToOneField(Period, on_delete=models.PROTECT, related_name="bulletin")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    step = models.CharField(_("当前步骤"), max_length=100, blank=True)
    error = models.TextField(_("错误"), blank=True)
    docx = models.FileField(_("通报(Word)"), upload_to=bulletin_path, blank=True)
    xlsx = models.FileField(_("附表(Excel)"), upload_to=bulletin_path, blank=True)
    docx_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    # The Word document converted by LibreOffice, when the server has it (dispatch.bulletins.pdf);
    # empty otherwise, and when the conversion failed (then ``error`` says why, the state is done).
    pdf = models.FileField(_("通报(PDF)"), upload_to=bulletin_path, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    # Written at every step of a generation: a job whose heartbeat stops has died with its process.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("调度通报")
        verbose_name_plural = _("调度通报")

    def __str__(self) -> str:
        return f"{self.period}"


class Instruction(models.Model):
    """A district leader's instruction (批示) on a problem or on a project: kept for good in the item's
    history (published history is never deleted), and sent to the unit responsible."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), null=True, blank=True, on_delete=models.PROTECT, related_name="instructions"
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="instructions",
    )
    text = models.TextField(_("批示内容"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("批示领导"), on_delete=models.PROTECT, related_name="instructions"
    )
    at = models.DateTimeField(_("批示时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(problem__isnull=False, project__isnull=True)
                | models.Q(problem__isnull=True, project__isnull=False),
                name="instruction_on_one_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.by} {self.at:%Y-%m-%d}"


class BulletinNarrative(models.Model):
    """The bulletin's own words for a period: 存在的主要问题 and 下步工作安排, drafted from the month's red and
    yellow reasons and open problems, edited by the office before publishing, and frozen with the period
    (published with its snapshots; no change once the period is published)."""

    period = models.OneToOneField(Period, on_delete=models.PROTECT, related_name="bulletin_narrative")
    problems = models.TextField(_("存在的主要问题"), blank=True)
    next_steps = models.TextField(_("下步工作安排"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("通报正文")
        verbose_name_plural = _("通报正文")

    def __str__(self) -> str:
        return f"{self.period}"


class BulletinSection(models.TextChoices):
    """The bulletin's level-1 sections, in the order bulletins printed them before the template existed.

    The value is the key a :class:`BulletinTemplate` (and the letterhead frozen with a period) lists;
    the label is the heading's words, numbered 一、二、… in the printed order by
    dispatch.bulletins.figures. The first seven are the figures', the last two the office's own words
    (BulletinNarrative), printed only when the period was published with them. Between them, the
    sections other modules write (core.hooks.bulletin_parts, 招商引资 by the investment module),
    printed only when a module answers with a part for the period; they are not in the defaults
    (:func:`default_sections`), so the office turns them on in the template.
    """

    OVERVIEW = "overview", _("总体情况")
    INVESTMENT = "investment", _("投资完成情况")
    RANKINGS = "rankings", _("镇街和部门排名")
    LIGHTS = "lights", _("红黄灯项目")
    STARTED = "started", _("新开工和竣工项目")
    SUPERVISION = "supervision", _("问题督办情况")
    REPORTING = "reporting", _("报送情况")
    ATTRACTION = "attraction", _("招商引资")
    NARRATIVE_PROBLEMS = "narrative_problems", _("存在的主要问题")
    NARRATIVE_NEXT_STEPS = "narrative_next_steps", _("下步工作安排")


# The sections other modules write (core.hooks.bulletin_parts), by key.
PART_SECTIONS = frozenset({BulletinSection.ATTRACTION.value})


def default_sections() -> list[str]:
    """Every section in its usual order, other modules' (招商引资) included: what a district that never saved a
    template prints. A part prints only when its module has something for the period (figures.py), so a
    district without the module prints what it always printed. A template saved before a module's section
    existed keeps its own list: the office ticks the new section on the template page."""
    return list(BulletinSection.values)


def section_errors(sections: Any) -> list[str]:
    """What is wrong with a list of section keys, in words; empty when it can be printed."""
    if not isinstance(sections, list) or not all(isinstance(key, str) for key in sections):
        return [str(_("章节须为章节代码的列表。"))]
    errors = []
    unknown = [key for key in sections if key not in BulletinSection.values]
    if unknown:
        errors.append(str(_("未知的章节：%(keys)s。")) % {"keys": "、".join(unknown)})
    repeated = list(dict.fromkeys(key for key in sections if sections.count(key) > 1))
    if repeated:
        errors.append(str(_("章节重复：%(keys)s。")) % {"keys": "、".join(
            str(BulletinSection(key).label) if key in BulletinSection.values else key for key in repeated
        )})
    if not sections:
        errors.append(str(_("至少要印一节。")))
    return errors


class BulletinTemplate(models.Model):
    """How the district's bulletin is shaped: its names, its 版记 and which sections it prints in what order.

    One row (pk 1), edited by the office on /dispatch/bulletin-template/ (dispatch.bulletins.template)
    with the version the page showed, every change audited. Until the row exists, and for every text
    left blank, the bulletin prints what it printed before the template existed: the office's name
    from the district's (dispatch.bulletins.docx_style.office_name), the district's 文号 prefix, all
    the sections in their usual order, 抄送 the district's four leading bodies. Publishing a period
    freezes the template with the district's names (dispatch.periods.snapshots.Letterhead), so a
    bulletin regenerated later prints what it printed on its day.
    """

    SINGLETON_PK = 1

    issuing_body = models.CharField(
        _("发文机关"), max_length=60, blank=True,
        help_text=_("留空则为区县名称加“重点项目建设指挥部办公室”；也是红头、落款和印发机关留空时的文字。"),
    )
    header_text = models.CharField(
        _("红头文字"), max_length=60, blank=True,
        help_text=_("文件首页红色的发文机关标志，如“重点项目建设调度通报”；留空则与发文机关相同。"),
    )
    document_prefix = models.CharField(
        _("文号前缀"), max_length=20, blank=True,
        help_text=_("如“寒重项办”，文号印为“寒重项办〔2026〕4号”；留空则用区县设置中的通报文号前缀。"),
    )
    sections: models.JSONField[list[str], list[str]] = models.JSONField(
        # Blank allowed here only so an empty list gets clean()'s words ("至少要印一节") instead of Django's.
        _("通报章节"), default=default_sections, blank=True,
        help_text=_("印出的章节及其顺序；标题按印出的顺序编为一、二、三……"),
    )
    signature = models.CharField(
        _("落款"), max_length=60, blank=True, help_text=_("正文末尾、成文日期之上的署名；留空则与发文机关相同。"),
    )
    copy_to = models.CharField(
        _("抄送"), max_length=200, blank=True,
        help_text=_("版记中“抄送：”之后的机关，以顿号分隔、句号结尾；"
                    "留空则为区委、区人大、区政府、区政协领导（县、市为县委、市委……）。"),
    )
    issued_by = models.CharField(
        _("印发机关"), max_length=60, blank=True, help_text=_("版记中印发日期之前的机关；留空则与发文机关相同。"),
    )
    # Optimistic locking: the page sends the version it showed; a save from an older page is refused.
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )

    class Meta:
        verbose_name = _("通报模板")
        verbose_name_plural = _("通报模板")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="bulletin_template_single_row")]

    def __str__(self) -> str:
        return str(_("通报模板"))

    def clean(self) -> None:
        errors = section_errors(self.sections)
        if errors:
            raise ValidationError({"sections": errors})
