"""The platform's shared records: periods, jobs, notifications, the district's settings, published records.

A period is the time a module reports or is assessed for: a month (or half a month) for the
monthly dispatch, a quarter for assessment, a year for targets. It is open while data comes in,
closed at the deadline, and published by the office; publishing freezes it, and from then on its
figures are read from snapshots, so March's bulletin and rankings can be reproduced in December.
One freeze check and one message serve every module (:meth:`Period.frozen_message`).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Period(models.Model):
    class Kind(models.TextChoices):
        MONTH = "month", _("月度")
        HALF = "half", _("半月")
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年度")

    class State(models.TextChoices):
        OPEN = "open", _("填报中")
        CLOSED = "closed", _("已截止")
        PUBLISHED = "published", _("已发布")

    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.MONTH)
    year = models.PositiveSmallIntegerField(_("年度"))
    # The period's last month: the month itself, a quarter's third month (3, 6, 9, 12), or 12 for a year.
    month = models.PositiveSmallIntegerField(_("月份"))
    # 0 for a whole month (and for quarters and years); 1 and 2 for the halves of a month in
    # districts that report twice.
    half = models.PositiveSmallIntegerField(_("半月"), default=0)
    opens_on = models.DateField(_("开始填报日期"))
    deadline = models.DateField(_("截止日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Why the office published before the deadline or with units not (or not yet approved as)
    # reported; required then (dispatch.periods.services.period_publish), printed in the bulletin, audited.
    publish_reason = models.TextField(_("发布说明"), blank=True)

    class Meta:
        db_table = "dispatch_period"  # where the monthly periods were first kept; the rows are the same
        verbose_name = _("调度期")
        verbose_name_plural = _("调度期")
        ordering = ["-year", "-month", "-half"]
        constraints = [models.UniqueConstraint(fields=["kind", "year", "month", "half"], name="period_unique")]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A half of a month is its own kind, whoever creates it.
        if self.half and self.kind == self.Kind.MONTH:
            self.kind = self.Kind.HALF
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        values = {"year": self.year, "month": self.month}
        if self.kind == self.Kind.YEAR:
            return gettext("%(year)d年度") % values
        if self.kind == self.Kind.QUARTER:
            return gettext("%(year)d年第%(quarter)d季度") % {"year": self.year, "quarter": (self.month + 2) // 3}
        if self.half == 1:
            return gettext("%(year)d年%(month)d月上半月") % values
        if self.half == 2:
            return gettext("%(year)d年%(month)d月下半月") % values
        return gettext("%(year)d年%(month)d月") % values

    @property
    def is_frozen(self) -> bool:
        return self.state == self.State.PUBLISHED

    def frozen_message(self) -> str:
        """What every module says when a change would touch this published period."""
        text = gettext("%(period)s已发布，数据已冻结；如需更正，请提交更正申请，由项目办审批。")
        return text % {"period": self.label}

    @property
    def first_day(self) -> dt.date:
        if self.kind == self.Kind.YEAR:
            return dt.date(self.year, 1, 1)
        if self.kind == self.Kind.QUARTER:
            return dt.date(self.year, self.month - 2, 1)
        return dt.date(self.year, self.month, 16 if self.half == 2 else 1)

    @property
    def last_day(self) -> dt.date:
        if self.half == 1:
            return dt.date(self.year, self.month, 15)
        following = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - dt.timedelta(days=1)


class Job(models.Model):
    """One piece of background work as the pages see it: its state, progress 0–100 and step in words.

    The task itself runs in the worker process (core/tasks.py); this row is what a page polls, what
    a restart leaves behind to recover (the worker's pid and the heartbeat tell a live job from one
    whose process died), and what the retry button starts again (``task_path`` with ``args``).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=40)
    # What the job is about, e.g. "period:12", so a page finds the job of its object.
    key = models.CharField(_("对象"), max_length=100, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    step = models.CharField(_("步骤"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    task_path = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # Called (dotted path, with the job) when the job is given up after a restart, so the module's
    # own record (a bulletin, a period) does not stay "running" either.
    on_fail = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=2)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    host = models.CharField(max_length=100, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.state}"

    @property
    def active(self) -> bool:
        return self.state in {self.State.PENDING, self.State.RUNNING}

    @property
    def dead(self) -> bool:
        """Running, but its process has died (core.tasks.job_is_dead): shown as interrupted, with a retry."""
        from core.tasks import job_is_dead

        return job_is_dead(self)


class WorkerBeat(models.Model):
    """The worker's heartbeat: written by every worker loop (and every job step); /healthz reads it."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=100)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app message to one person: reminders, returned reports, corrections, assigned problems.

    Written by core.notify (the one way every module tells people), read by the bell and the list.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dispatch_notification"  # where dispatch first kept them; the rows are the same
        ordering = ["-created_at", "-id"]
        # The index keeps the name dispatch gave it, so moving the model changes nothing in the database.
        indexes = [models.Index(fields=["user", "read_at"], name="dispatch_no_user_id_0ca9ab_idx")]

    def __str__(self) -> str:
        return self.text


# The provincial-level divisions under their official names: the home province a district chooses
# (DistrictSettings.province); investment.heatmap matches them, and the forms leads are typed in, to its map.
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
    "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
    "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区",
    "新疆维吾尔自治区", "台湾省", "香港特别行政区", "澳门特别行政区",
)


class DistrictSettings(models.Model):
    """The district's own numbers: its name, the lights' thresholds and the dispatch cycle's rules.

    One row (pk 1), changed by the administrator on /settings/district/ and read through
    ``core.district.district()``. Until the row exists every value is the deployment's environment
    setting (``DIAODU_*`` in diaodu/settings.py), so a district that never opens the page keeps
    the behaviour it was installed with. Validation lives in ``clean``: a row the page saves is one
    the rules can use.
    """

    SINGLETON_PK = 1

    district_name = models.CharField(
        _("区县名称"), max_length=30, help_text=_("印在页面抬头、通报和督办单上，如“寒亭区”。"),
    )
    bulletin_prefix = models.CharField(
        _("通报文号前缀"), max_length=20, blank=True,
        help_text=_("如“寒重项办”；留空则为区县名称的第一个字加“调度”。"),
    )
    province = models.CharField(
        _("所在省份"), max_length=10, blank=True, choices=[(name, name) for name in PROVINCES],
        help_text=_("区县所在的省（自治区、直辖市）：招商合作热力图按此省的地市显示线索来源。"),
    )
    light_yellow_gap = models.DecimalField(
        _("投资进度黄灯阈值（百分点）"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("黄灯：投资完成率落后序时进度 X 个百分点至红灯阈值（含）；落后不足 X 个百分点为绿灯。"),
    )
    light_red_gap = models.DecimalField(
        _("投资进度红灯阈值（百分点）"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("红灯：投资完成率落后序时进度超过 X 个百分点；须大于黄灯阈值。"),
    )
    light_start_red_months = models.PositiveSmallIntegerField(
        _("开工红灯阈值（月）"), validators=[MaxValueValidator(120)],
        help_text=_("红灯：超过计划开工日期满 X 个月仍未开工。计划开工日期已到或在本月内仍未开工的为黄灯。"),
    )
    light_milestone_red_days = models.PositiveSmallIntegerField(
        _("节点红灯阈值（天）"), validators=[MaxValueValidator(3650)],
        help_text=_("节点或计划竣工日期逾期 1 至 X 天为黄灯，逾期超过 X 天为红灯。"),
    )
    report_deadline = models.CharField(
        _("月报截止规则"), max_length=20,
        help_text=_("“day:25”为每月 25 日前报送（逢节假日提前到前一个工作日）；"
                    "“workdays:5”为期末后第 5 个工作日前报送。只影响此后新开的调度期。"),
    )
    report_half_month = models.BooleanField(
        _("按半月报送"), help_text=_("每月分上、下半月两次报送。开设第一个调度期后不能再更改。"),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("截止前催报（工作日）"), validators=[MaxValueValidator(30)],
        help_text=_("截止日期前 X 个工作日提醒尚未报送的单位；截止当日和逾期后另有催报。"),
    )
    problem_remind_days = models.PositiveSmallIntegerField(
        _("督办蓝色提醒（天）"), validators=[MaxValueValidator(365)],
        help_text=_("距办结时限 X 天以内（含到期当日）：蓝色提醒。"),
    )
    problem_red_days = models.PositiveSmallIntegerField(
        _("督办红牌阈值（天）"), validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("逾期 1 至 X 天：黄色预警；逾期超过 X 天：红牌督办，约谈责任领导。"),
    )
    # Optimistic locking: the page sends the version it showed; a save from an older page is refused.
    version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )

    class Meta:
        verbose_name = _("区县设置")
        verbose_name_plural = _("区县设置")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="district_settings_single_row")]

    def __str__(self) -> str:
        return str(_("区县设置"))

    @classmethod
    def from_environment(cls) -> DistrictSettings:
        """An unsaved row holding the deployment's environment settings: what applies while no row exists."""
        thresholds: dict[str, Any] = settings.DIAODU_LIGHT_THRESHOLDS
        return cls(
            pk=cls.SINGLETON_PK,
            district_name=settings.DIAODU_DISTRICT_NAME,
            bulletin_prefix=getattr(settings, "DIAODU_BULLETIN_PREFIX", "") or "",
            light_yellow_gap=Decimal(str(thresholds.get("yellow_gap", 10))),
            light_red_gap=Decimal(str(thresholds.get("red_gap", 30))),
            light_start_red_months=int(thresholds.get("start_red_months", 3)),
            light_milestone_red_days=int(thresholds.get("milestone_red_days", 30)),
            report_deadline=settings.DIAODU_REPORT_DEADLINE,
            report_half_month=bool(settings.DIAODU_REPORT_HALF_MONTH),
            reminder_days_before=settings.DIAODU_REMINDER_DAYS_BEFORE,
            problem_remind_days=settings.DIAODU_PROBLEM_REMIND_DAYS,
            problem_red_days=settings.DIAODU_PROBLEM_RED_DAYS,
        )

    def clean(self) -> None:
        from core.rules import DeadlineRule

        errors: dict[str, str] = {}
        yellow, red = self.light_yellow_gap, self.light_red_gap
        if yellow is not None and red is not None and not yellow < red:
            errors["light_red_gap"] = gettext("红灯阈值（%(red)s）必须大于黄灯阈值（%(yellow)s）。") % {
                "red": red, "yellow": yellow,
            }
        if self.report_deadline:
            try:
                DeadlineRule.parse(self.report_deadline)
            except ValueError as exc:
                errors["report_deadline"] = str(exc)
        if errors:
            raise ValidationError(errors)


class PublishedRecord(models.Model):
    """A typed snapshot (core.publication) of a module that keeps no table of its own.

    A builder registered with ``core.publication.register_builder`` may write its snapshots here:
    one row per (period, kind, key), the JSON of its schema and the version it was written with.
    Dispatch keeps its own tables (ProjectSnapshot, PeriodSnapshot); later modules need not.
    """

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="published_records")
    kind = models.CharField(max_length=60)
    # What the row is about within the period ("" for one row per period), e.g. a unit's or a project's code.
    key = models.CharField(max_length=60, blank=True)
    data: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField()
    schema_version = models.PositiveSmallIntegerField()
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "kind", "key"]
        constraints = [
            models.UniqueConstraint(fields=["period", "kind", "key"], name="published_record_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.kind} {self.key}".strip()
