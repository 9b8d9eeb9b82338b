"""The key-project ledger (重点项目库): projects, annual plans, milestones, monthly progress.

Money is Decimal 万元 everywhere. Year-to-date and since-start investment are sums of the
monthly reports (plus what was invested before the project entered diaodu, and a year's opening
balance, 开账, where a project joined mid-year: ``OpeningBalance``). The one copy
kept is ``ProjectYear``, the ledger's per-year figures, which the services that write reports
and plans rewrite in their own transaction (``services.year_figures_refresh``) and a test
checks against the sums after every kind of write.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.tracking.decisions import Decision
from projects import rules

if TYPE_CHECKING:
    from org.models import User

MONEY_DIGITS, MONEY_PLACES = 14, 2
MONEY: dict[str, Any] = {"max_digits": MONEY_DIGITS, "decimal_places": MONEY_PLACES}
ZERO = Decimal("0.00")


class Level(models.TextChoices):
    NATIONAL = "national", _("国家重点")
    PROVINCE = "province", _("省重点")
    CITY = "city", _("市重点")
    DISTRICT = "district", _("区重点")


class ProjectType(models.TextChoices):
    INDUSTRY = "industry", _("产业")
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    LIVELIHOOD = "livelihood", _("社会民生")
    OTHER = "other", _("其他")


class Stage(models.TextChoices):
    PLANNING = "planning", _("谋划")
    PREPARING = "preparing", _("前期")
    BUILDING = "building", _("在建")
    COMPLETED = "completed", _("竣工")
    PRODUCING = "producing", _("投产")


class Construction(models.TextChoices):
    NEW = "new", _("新开工")
    CONTINUING = "continuing", _("续建")


class Light(models.TextChoices):
    GREEN = rules.GREEN, _("绿灯")
    YELLOW = rules.YELLOW, _("黄灯")
    RED = rules.RED, _("红灯")


class LedgerState(models.TextChoices):
    """Whether a project is in the ledger. Only the office puts a project in or takes it out."""

    PROPOSED = "proposed", _("待审核入库")
    ACTIVE = "active", _("在库")
    REJECTED = "rejected", _("未获入库")
    WITHDRAWN = "withdrawn", _("已退库")


class ProjectCategory(models.Model):
    """A finer category of projects (工业, 文旅, 现代农业, 商贸物流, 基础设施, 民生实事…), kept by the
    administrator, beside the fixed project type the rules use. ``livelihood`` marks the categories
    whose projects count as 民生实事; a project's own flag is set from it when it is imported."""

    # A starting list comes from a data migration: a restore (core.backup) replaces it with the archive's.
    seeded_by_migrations = True

    name = models.CharField(_("类别名称"), max_length=30, unique=True)
    livelihood = models.BooleanField(_("民生实事类别"), default=False)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("项目类别")
        verbose_name_plural = _("项目类别")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class FundingSource(models.Model):
    """Where a project's money comes from (政府投资, 社会投资, 专项债…), kept by the administrator."""

    seeded_by_migrations = True

    name = models.CharField(_("资金来源"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("资金来源")
        verbose_name_plural = _("资金来源")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ProjectQuerySet(models.QuerySet["Project"]):
    def in_ledger(self) -> ProjectQuerySet:
        """The live ledger: approved and not withdrawn. What is listed, mapped, reported and counted."""
        return self.filter(ledger_state=LedgerState.ACTIVE)

    def visible_to(self, user: User) -> ProjectQuerySet:
        """Projects the user may see: a unit reporter only those led by or located in the unit."""
        from core.policies import can  # the rules are registered once the apps are ready

        if not user.is_authenticated:
            return self.none()
        if can(user, "projects.unit_scoped"):
            if user.unit_id is None:
                return self.none()
            scope = Q(lead_unit_id=user.unit_id) | Q(town_id=user.unit_id)
            # A co-unit (配合单位) sees the project too. Its few projects are read first: an OR with a
            # subquery would keep PostgreSQL from the unit and town indexes (a scan of the province).
            co_projects = list(
                Project.co_units.through.objects.filter(unit_id=user.unit_id).values_list("project_id", flat=True)
            )
            return self.filter(scope | Q(pk__in=co_projects) if co_projects else scope)
        return self.all()

    def editable_by(self, user: User) -> ProjectQuerySet:
        """Projects the user may change: the office all, a reporter those of the unit, others none."""
        from core.policies import can

        if not user.is_authenticated:
            return self.none()
        if can(user, "projects.decide_changes"):
            return self.all()
        if can(user, "projects.unit_scoped"):
            return self.visible_to(user)
        return self.none()

    def with_figures(self, year: int) -> ProjectQuerySet:
        """Annotate the year's plan and year-to-date investment computed from the plans, reports and openings (开账),
        one subquery each: the live definition ``ProjectYear`` keeps (``with_year_figures`` reads it)."""
        # order_by(): there is one plan per year, and the default ordering ("project")
        # would join the projects table for its code once per ledger row.
        plan = AnnualPlan.objects.filter(project=OuterRef("pk"), year=year).order_by().values("amount")[:1]
        ytd = (
            ProgressReport.objects.filter(project=OuterRef("pk"), year=year)
            .order_by()
            .values("project")
            .annotate(total=Sum("invested"))
            .values("total")
        )
        opening = OpeningBalance.objects.filter(project=OuterRef("pk"), year=year).order_by().values("invested")[:1]
        return self.annotate(
            plan_amount=Subquery(plan, output_field=models.DecimalField(**MONEY)),
            invested_ytd=Coalesce(
                Subquery(ytd, output_field=models.DecimalField(**MONEY)),
                Value(ZERO),
                output_field=models.DecimalField(**MONEY),
            ) + Coalesce(
                Subquery(opening, output_field=models.DecimalField(**MONEY)),
                Value(ZERO),
                output_field=models.DecimalField(**MONEY),
            ),
        )


    def with_year_figures(self, year: int) -> ProjectQuerySet:
        """Annotate ``plan_amount`` and ``invested_ytd`` from ``ProjectYear``: one outer join, no sums.

        A project without a row for the year has no plan and nothing invested in it.
        """
        row = FilteredRelation("years", condition=Q(years__year=year))
        return self.annotate(
            year_row=row,
            plan_amount=F("year_row__plan"),
            invested_ytd=Coalesce(F("year_row__invested_ytd"), Value(ZERO), output_field=models.DecimalField(**MONEY)),
        )


class Project(models.Model):
    code = models.CharField(_("项目编号"), max_length=30, unique=True)
    name = models.CharField(_("项目名称"), max_length=100)
    # Pinyin initials of the name, derived on save, so "gxq" finds 高新区….
    initials = models.CharField(max_length=100, editable=False, db_index=True, blank=True)
    # The name folded (simplified characters, half-width, lower case), derived on save, so that 医院
    # finds a list's 醫院 and "ａｂｃ" finds "ABC", and a list's row finds its project; the name stays as typed.
    search_name = models.CharField(max_length=100, editable=False, blank=True, db_index=True)
    level = models.CharField(_("项目级别"), max_length=10, choices=Level.choices)
    project_type = models.CharField(_("项目类型"), max_length=16, choices=ProjectType.choices)
    industry = models.CharField(_("所属行业"), max_length=40, blank=True)
    stage = models.CharField(_("项目阶段"), max_length=10, choices=Stage.choices, default=Stage.PLANNING)
    construction = models.CharField(
        _("建设性质"), max_length=10, choices=Construction.choices, default=Construction.NEW
    )
    is_special_bond = models.BooleanField(_("专项债项目"), default=False)
    category = models.ForeignKey(
        ProjectCategory, verbose_name=_("项目类别"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="projects",
    )
    livelihood = models.BooleanField(_("民生实事项目"), default=False)
    funding_source = models.ForeignKey(
        FundingSource, verbose_name=_("资金来源"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="projects",
    )
    owner = models.CharField(_("业主单位"), max_length=100, blank=True)
    owner_contact = models.CharField(_("业主联系人"), max_length=30, blank=True)
    owner_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    content = models.TextField(_("建设内容及规模"), blank=True)
    location = models.CharField(_("建设地点"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("纬度"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    total_investment = models.DecimalField(_("总投资(万元)"), validators=[MinValueValidator(ZERO)], **MONEY)
    invested_before = models.DecimalField(
        _("以前年度累计完成投资(万元)"), default=ZERO, validators=[MinValueValidator(ZERO)],
        help_text=_("项目纳入本系统之前已完成的投资；此后按月报累加。"), **MONEY,
    )
    planned_start = models.DateField(_("计划开工日期"), null=True, blank=True)
    planned_completion = models.DateField(_("计划竣工日期"), null=True, blank=True)
    actual_start = models.DateField(_("实际开工日期"), null=True, blank=True)
    responsible_leader = models.ForeignKey(
        "org.User", verbose_name=_("包靠区领导"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="led_projects", limit_choices_to={"role": "leader"},
    )
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_projects"
    )
    town = models.ForeignKey(
        "org.Unit", verbose_name=_("属地镇街"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="town_projects", limit_choices_to={"kind": "town"},
    )
    co_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("配合单位"), blank=True, related_name="co_projects",
        help_text=_("与牵头单位一起负责的单位：能看到项目，也可以填报进度。"),
    )
    # 建设年限 as the list wrote it ("2022-2023", "建设工期2年"); the planned dates are what it was read as.
    period_text = models.CharField(_("建设年限(原文)"), max_length=60, blank=True)
    service_officer = models.CharField(_("服务专员"), max_length=30, blank=True)
    remarks = models.TextField(_("备注"), blank=True)

    # Set only by the office's services (never by a form), and editable so the audit records them.
    ledger_state = models.CharField(
        _("入库状态"), max_length=10, choices=LedgerState.choices, default=LedgerState.ACTIVE, db_index=True
    )
    withdrawn_on = models.DateField(_("退库日期"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "org.User", verbose_name=_("退库经办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(_("退库原因"), blank=True)

    # The light is derived (projects/rules.py); it is stored so the ledger can filter and
    # count by it, and refreshed whenever its inputs change and daily as time passes.
    light = models.CharField(_("红黄绿灯"), max_length=6, choices=Light.choices, default=Light.GREEN, editable=False)
    light_reasons: models.JSONField[list[Any], list[Any]] = models.JSONField(default=list, editable=False)
    light_as_of = models.DateField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["light", "code"]),
            models.Index(fields=["lead_unit", "code"]),
            models.Index(fields=["town", "code"]),
            # What the ledger filters, sorts and totals by: PostgreSQL reads them from this index instead of
            # the wide rows (an index-only scan); other databases build it without the included columns.
            models.Index(
                fields=["ledger_state", "code"], name="project_ledger_cover",
                include=["id", "total_investment", "light", "level", "project_type", "stage", "lead_unit",
                         "town", "responsible_leader", "planned_start", "initials"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def in_ledger(self) -> bool:
        return self.ledger_state == LedgerState.ACTIVE

    @property
    def alert_reasons(self) -> list[list[str]]:
        """The stored reasons that are not green: what the ledger shows beside the light."""
        return [reason for reason in self.light_reasons if reason[0] != rules.GREEN]

    @property
    def has_started(self) -> bool:
        return self.actual_start is not None or self.stage in rules.STARTED_STAGES

    def invested_since_start(self) -> Decimal:
        months = self.reports.aggregate(total=Sum("invested"))["total"] or ZERO
        openings = self.openings.aggregate(total=Sum("invested"))["total"] or ZERO
        return self.invested_before + openings + months

    def invested_in_year(self, year: int) -> Decimal:
        """The year's cumulative: its opening balance (开账), if any, and its monthly reports."""
        months = self.reports.filter(year=year).aggregate(total=Sum("invested"))["total"] or ZERO
        opening = self.openings.filter(year=year).values_list("invested", flat=True).first() or ZERO
        return opening + months


class ProjectChange(models.Model):
    """A unit's request to put a project in the ledger (入库), change what the office controls
    (调整: level, total investment, planned dates) or take it out (退库); the office decides.

    ``proposed`` and ``current`` hold field name -> value as text (the form's own format), so a
    request reads the same after the project has changed. ``version`` goes up on every write,
    so two office users deciding at once cannot both win.
    """

    class Kind(models.TextChoices):
        ENTER = "enter", _("入库")
        ADJUST = "adjust", _("调整")
        WITHDRAW = "withdraw", _("退库")

    # The states every request the office decides has (core.tracking.decisions).
    State = Decision

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("申请类型"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    proposed: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(
        _("申请的新值"), default=dict, blank=True
    )
    current: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(
        _("申请时的原值"), default=dict, blank=True
    )
    reason = models.TextField(_("申请理由"))
    requested_by = models.ForeignKey(
        "org.User", verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="project_changes"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "org.User", verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("项目入库、调整、退库申请")
        verbose_name_plural = _("项目入库、调整、退库申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"], condition=Q(state="pending"), name="change_one_pending_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["state", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_kind_display()}"


class AnnualPlan(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="plans", verbose_name=_("项目"))
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    amount = models.DecimalField(_("年度计划投资(万元)"), validators=[MinValueValidator(ZERO)], **MONEY)

    class Meta:
        verbose_name = _("年度计划投资")
        verbose_name_plural = _("年度计划投资")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="plan_one_per_year")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year}"


class ProjectYear(models.Model):
    """One project's figures for one year as the ledger lists, sorts and totals them.

    ``invested_ytd`` is the sum of the year's monthly reports, ``plan`` the year's annual plan.
    A copy, so that a province of 100,000 projects sorts and totals them without summing a
    million reports per page: ``services.year_figures_refresh`` rewrites the rows of what a
    service changed in the same transaction, ``manage.py rebuild_year_figures`` rebuilds them
    all, and tests compare them with ``ProjectQuerySet.with_figures``. A row exists only while
    the year has a plan or something invested; no row reads as no plan and nothing invested.
    """

    # No index of its own: the unique (project, year) constraint's index starts with it.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="years", verbose_name=_("项目"), db_index=False
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    invested_ytd = models.DecimalField(_("年度累计完成投资(万元)"), default=ZERO, **MONEY)
    plan = models.DecimalField(_("年度计划投资(万元)"), null=True, blank=True, **MONEY)
    # 完成率 for sorting only (the page rounds its own with rules.rate_percent): year-to-date × 100 ÷ plan to
    # eight places, none without a plan above zero. Derived from the two above whenever they are written.
    rate = models.DecimalField(_("年度完成率(%)"), null=True, blank=True, max_digits=20, decimal_places=8)

    class Meta:
        verbose_name = _("项目年度数据")
        verbose_name_plural = _("项目年度数据")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="project_year_one")]
        # The ledger's join, sorts by 年度完成 and 年度计划 and totals within a year, from the index alone.
        indexes = [
            models.Index(fields=["year", "project"], include=["invested_ytd", "plan"], name="project_year_cover"),
            # The ledger's first pages by 年度完成 or 年度计划, descending, read from the top of these
            # (selectors._page_ids) instead of sorting the province.
            models.Index(fields=["year", "invested_ytd"], include=["project"], name="project_year_by_ytd"),
            models.Index(fields=["year", "plan"], include=["project"], name="project_year_by_plan"),
            models.Index(fields=["year", "rate"], include=["project"], name="project_year_by_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"

    @staticmethod
    def rate_of(invested_ytd: Decimal, plan: Decimal | None) -> Decimal | None:
        if not plan or plan <= 0:
            return None
        return (invested_ytd * 100 / plan).quantize(Decimal("0.00000001"))


class OpeningBalance(models.Model):
    """年初至今累计 (开账): what a project invested in a year before it reported month by month.

    A project added to the ledger in December cannot report January to November: those months'
    periods are published and frozen, and a correction needs a row that exists. The office
    enters the year's cumulative investment up to the end of ``through_month`` once, with where
    the figure comes from; from then on the year's cumulative is this amount plus the monthly
    reports after it (``services.opening_save`` refuses an opening that overlaps a report, and
    ``progress_save`` a report inside an opening). Every change is audited; published periods keep
    the figures they were published with.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="openings", verbose_name=_("项目"))
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    through_month = models.PositiveSmallIntegerField(
        _("截至月份"), validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("开账数是年初至该月月底的累计完成投资；此后各月按月报累加。"),
    )
    invested = models.DecimalField(
        _("年初至今累计完成投资(万元)"), validators=[MinValueValidator(ZERO)], **MONEY,
    )
    note = models.TextField(
        _("数据来源及说明"), max_length=500,
        help_text=_("如“据县统计局投资统计联网直报，1—10月累计完成”；记入审计记录。"),
    )
    entered_by = models.ForeignKey(
        "org.User", verbose_name=_("录入人"), null=True, blank=True, on_delete=models.SET_NULL, editable=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年初累计（开账）")
        verbose_name_plural = _("年初累计（开账）")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="opening_one_per_year")]

    def __str__(self) -> str:
        return str(_("%(code)s %(months)s开账") % {"code": self.project.code, "months": self.months_text})

    @property
    def months_text(self) -> str:
        if self.through_month == 1:
            return str(_("%(year)d年1月") % {"year": self.year})
        return str(_("%(year)d年1—%(month)d月") % {"year": self.year, "month": self.through_month})


class MilestoneTemplate(models.Model):
    """A standard sequence of milestones for a project type, for reverse scheduling."""

    # Filled by a data migration: a restore (core.backup) replaces these rows with the archive's.
    seeded_by_migrations = True

    name = models.CharField(_("模板名称"), max_length=60, unique=True)
    project_type = models.CharField(_("适用项目类型"), max_length=16, choices=ProjectType.choices)

    class Meta:
        verbose_name = _("节点模板")
        verbose_name_plural = _("节点模板")
        ordering = ["project_type", "name"]

    def __str__(self) -> str:
        return self.name

    def step_pairs(self) -> list[tuple[str, int]]:
        return [(step.name, step.duration_workdays) for step in self.steps.all()]


class MilestoneTemplateStep(models.Model):
    seeded_by_migrations = True

    template = models.ForeignKey(MilestoneTemplate, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("节点名称"), max_length=40)
    duration_workdays = models.PositiveSmallIntegerField(
        _("标准工期(工作日)"), help_text=_("从上一节点到本节点需要的工作日数")
    )

    class Meta:
        verbose_name = _("模板节点")
        verbose_name_plural = _("模板节点")
        ordering = ["template", "order"]
        constraints = [models.UniqueConstraint(fields=["template", "order"], name="template_step_order")]

    def __str__(self) -> str:
        return f"{self.template.name} {self.order}.{self.name}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("项目"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    name = models.CharField(_("节点名称"), max_length=40)
    planned_date = models.DateField(_("计划完成日期"), null=True, blank=True)
    actual_date = models.DateField(_("实际完成日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["project", "order", "id"]

    def __str__(self) -> str:
        return f"{self.project.code} {self.name}"

    def overdue_days(self, today: dt.date) -> int:
        return 0 if self.actual_date else rules.days_overdue(self.planned_date, today)


class ProgressReport(models.Model):
    """One month's progress of one project (the monthly cycle with review comes with `dispatch`)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports", verbose_name=_("项目"))
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(_("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    # 0 for a whole month; 1 and 2 for half-month periods in districts that report twice a month.
    half = models.PositiveSmallIntegerField(_("半月"), default=0, validators=[MaxValueValidator(2)])
    period = models.ForeignKey(
        "core.Period", verbose_name=_("调度期"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="progress_reports", editable=False,
    )
    invested = models.DecimalField(_("本月完成投资(万元)"), validators=[MinValueValidator(ZERO)], **MONEY)
    physical_progress = models.TextField(_("形象进度"), blank=True)
    progress_percent = models.PositiveSmallIntegerField(
        _("形象进度(%)"), default=0, validators=[MaxValueValidator(100)]
    )
    problems = models.TextField(_("存在问题"), blank=True)
    reported_by = models.ForeignKey(
        "org.User", verbose_name=_("填报人"), null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Reviewed by the project office: set when the office approves the unit's report of the month
    # (or enters the row itself), cleared when the report is returned or a unit changes the row.
    # The light uses every row, and says when some of them were not reviewed (rules.py, rule 6).
    approved = models.BooleanField(_("已审核"), default=False, editable=False)

    class Meta:
        verbose_name = _("月度进度")
        verbose_name_plural = _("月度进度")
        ordering = ["project", "year", "month", "half"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "month", "half"], name="report_one_per_period"),
        ]
        indexes = [models.Index(fields=["period", "project"])]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year}-{self.month:02d}"


class ImportProfile(models.Model):
    """How the lists from one source are read (导入方案): which column is which field, what each
    unknown value in them stands for, the defaults for fields the list lacks and the exchange rates
    used, saved under a name so that next month's file from the same source imports in one step.

    ``mapping``: the column header as written → field key ("" for a column deliberately ignored).
    ``values``: field key → {value as written → what it maps to (a unit's id, a choice's code, a
    category's id)}. ``defaults``: field key → value for every row. ``rates``: currency → 元 per unit.
    """

    name = models.CharField(_("方案名称"), max_length=60, unique=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    mapping: models.JSONField[dict[str, str], dict[str, str]] = models.JSONField(_("列对应"), default=dict)
    values: models.JSONField[dict[str, dict[str, Any]], dict[str, dict[str, Any]]] = models.JSONField(
        _("取值对应"), default=dict
    )
    defaults: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(_("缺省值"), default=dict)
    rates: models.JSONField[dict[str, str], dict[str, str]] = models.JSONField(_("汇率"), default=dict)
    amount_unit = models.CharField(
        _("金额单位"), max_length=4, blank=True, help_text=_("表中未写单位的金额按此单位读。")
    )
    code_pattern = models.CharField(
        _("项目编号规则"), max_length=40, blank=True,
        help_text=_("清单没有项目编号时按此生成，如“{year}-{seq:04d}”；序号不是项目编号。"),
    )
    updated_by = models.ForeignKey(
        "org.User", verbose_name=_("修改人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("导入方案")
        verbose_name_plural = _("导入方案")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
