"""Investment attraction (招商引资): industry chains, leads and their way to a key project.

A lead (线索) is an investor a unit is talking to. It moves lead → negotiating → signed → started →
producing (线索 → 在谈 → 签约 → 开工 → 投产), or is dropped, one step at a time with the evidence each
step needs (``investment.rules``); every step is a ``StageChange``. Leads are commercial secrets: see
``LeadQuerySet.visible_to`` and ``investment.policies``.

The first unit to report an investor has priority (首报首谈): when a second lead looks like the same
enterprise (the same credit code, or a name alike by ``investment.names``) a ``Collision`` (撞单) is
opened for the office, who rules which lead keeps it and how the credit is split between the two units,
so that a project is counted once.

Money is Decimal 万元; an amount given in 亿元 or a foreign currency is kept as given beside it.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from investment import rules

if TYPE_CHECKING:
    from org.models import User

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
PERCENT: dict[str, Any] = {
    "max_digits": 5, "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class Position(models.TextChoices):
    UPSTREAM = "upstream", _("上游")
    MIDSTREAM = "midstream", _("中游")
    DOWNSTREAM = "downstream", _("下游")
    KEY = "key", _("关键环节")


class TargetKind(models.TextChoices):
    FILL = "fill", _("补链")
    STRENGTHEN = "strengthen", _("强链")
    EXTEND = "extend", _("延链")


class Stage(models.TextChoices):
    LEAD = rules.LEAD, _("线索")
    NEGOTIATING = rules.NEGOTIATING, _("在谈")
    SIGNED = rules.SIGNED, _("签约")
    STARTED = rules.STARTED, _("开工")
    PRODUCING = rules.PRODUCING, _("投产")
    DROPPED = rules.DROPPED, _("终止")


class Light(models.TextChoices):
    GREEN = rules.GREEN, _("绿灯")
    YELLOW = rules.YELLOW, _("黄灯")
    RED = rules.RED, _("红灯")
    GREY = rules.GREY, _("不评")


class Origin(models.TextChoices):
    DOMESTIC = "domestic", _("国内")
    FOREIGN = "foreign", _("境外")


class AmountUnit(models.TextChoices):
    WAN = rules.WAN, _("万元")
    YI = rules.YI, _("亿元")


class Chain(models.Model):
    """An industry chain the district builds up (产业链), with its chief (链长), a district leader."""

    name = models.CharField(_("产业链"), max_length=60, unique=True)
    chief = models.ForeignKey(
        "org.User", verbose_name=_("链长"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="chains", limit_choices_to={"role": "leader"},
    )
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("产业链")
        verbose_name_plural = _("产业链")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ChainNode(models.Model):
    """A link of a chain (环节): where it sits, the local enterprises already in it and what the district
    wants there (补链: missing, 强链: weak, 延链: to extend)."""

    chain = models.ForeignKey(Chain, verbose_name=_("产业链"), on_delete=models.CASCADE, related_name="nodes")
    name = models.CharField(_("环节"), max_length=60)
    position = models.CharField(_("位置"), max_length=12, choices=Position.choices)
    order = models.PositiveIntegerField(_("排序"), default=0)
    # Names as typed, one a line on the page; a list, not a model: they are shown, not managed here
    # (the enterprises module keeps the district's enterprises).
    local_enterprises: models.JSONField[list[str], list[str]] = models.JSONField(
        _("本地企业"), default=list, blank=True,
    )
    target_kind = models.CharField(_("招商方向"), max_length=12, choices=TargetKind.choices, blank=True)

    class Meta:
        verbose_name = _("产业链环节")
        verbose_name_plural = _("产业链环节")
        ordering = ["chain", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["chain", "name"], name="chain_node_unique_name")]

    def __str__(self) -> str:
        return f"{self.chain.name}·{self.name}"


class LeadQuerySet(models.QuerySet["Lead"]):
    def visible_to(self, user: User) -> LeadQuerySet:
        """The leads ``user`` may see (rule ``investment.view`` for one lead says the same): the office and
        the district leaders all; anyone else those of his or her unit (viewers excepted) and those of the
        chains he or she is chief of; nobody else any."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if rules.sees_every_lead(user.role, is_superuser=user.is_superuser):
            return self.all()
        scope = Q(chain_node__chain__chief_id=user.pk)
        if rules.sees_unit_leads(user.role) and user.unit_id is not None:
            scope |= Q(source_unit_id=user.unit_id)
        return self.filter(scope)

    def open(self) -> LeadQuerySet:
        return self.exclude(stage=Stage.DROPPED)


class Lead(models.Model):
    enterprise = models.CharField(_("企业名称"), max_length=100)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, db_index=True,
        help_text=_("18 位；不知道可以留空，填写时检查校验位。"),
    )
    # ``names.normalise_name`` and ``names.name_key`` of the name, derived on save, for matching (撞单).
    name_normalised = models.CharField(max_length=120, editable=False, db_index=True)
    name_key = models.CharField(max_length=120, editable=False, db_index=True)
    # The value of the name counter when the name or code last changed: the process-level name index
    # reads only the rows changed since it was built (services.collision_candidates).
    name_stamp = models.BigIntegerField(default=0, editable=False, db_index=True)
    origin = models.CharField(_("境内外"), max_length=10, choices=Origin.choices, default=Origin.DOMESTIC)
    origin_province = models.CharField(_("来源省份/国家"), max_length=30, blank=True)
    origin_city = models.CharField(_("来源城市"), max_length=30, blank=True)
    industry = models.CharField(_("所属行业"), max_length=40, blank=True)
    chain_node = models.ForeignKey(
        ChainNode, verbose_name=_("产业链环节"), null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    intended_investment = models.DecimalField(
        _("意向投资额(万元)"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    # The amount as the investor gave it, kept when it was in 亿元 or a foreign currency; the 万元 figure
    # above is computed from it (rules.amount_in_wan).
    amount_original = models.DecimalField(
        _("原始金额"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], max_digits=16,
        decimal_places=4,
    )
    amount_unit = models.CharField(_("原始金额单位"), max_length=4, choices=AmountUnit.choices, default=AmountUnit.WAN)
    currency = models.CharField(_("币种"), max_length=3, default=rules.CNY, help_text=_("如 CNY、USD、EUR、HKD、JPY。"))
    exchange_rate = models.DecimalField(
        _("汇率(1 单位外币折人民币)"), null=True, blank=True, max_digits=12, decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    content = models.TextField(_("项目内容"), blank=True)
    source_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("招商单位"), on_delete=models.PROTECT, related_name="leads"
    )
    source_person = models.CharField(_("招商责任人"), max_length=60, blank=True,
                                     help_text=_("招商单位负责这条线索的人。"))
    contact_person = models.CharField(_("企业联系人"), max_length=60, blank=True)

    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, default=Stage.LEAD, db_index=True)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    signed_amount = models.DecimalField(
        _("签约金额(万元)"), null=True, blank=True, validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    counterpart = models.CharField(_("签约主体"), max_length=100, blank=True)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    producing_on = models.DateField(_("投产日期"), null=True, blank=True)
    dropped_reason = models.TextField(_("终止原因"), blank=True)

    next_step = models.CharField(_("下一步工作"), max_length=200, blank=True)
    next_step_due = models.DateField(_("下一步完成时限"), null=True, blank=True)
    # The latest Contact's date, kept by services.contact_add (the light reads it for every lead).
    last_contact_on = models.DateField(_("最近洽谈日期"), null=True, blank=True, editable=False)
    light = models.CharField(_("红黄绿灯"), max_length=6, choices=Light.choices, default=Light.GREEN, editable=False)
    light_reasons: models.JSONField[list[Any], list[Any]] = models.JSONField(default=list, editable=False)
    light_as_of = models.DateField(null=True, editable=False)

    # The key project this lead became (入库), for the later conversion.
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("转入重点项目"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="leads",
    )
    created_by = models.ForeignKey(
        "org.User", verbose_name=_("录入人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    # Optimistic locking: a form sends the version it showed; a save from an older page is refused.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("招商线索")
        verbose_name_plural = _("招商线索")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["source_unit", "stage"]),
            models.Index(fields=["stage", "light"]),
            # The list's default order, newest first: its first page read from the top of this index.
            models.Index(fields=["-created_at", "-id"], name="lead_newest_first"),
        ]

    def __str__(self) -> str:
        return self.enterprise

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.DROPPED


class NameCounter(models.Model):
    """One row: a counter raised whenever a lead's name or credit code changes, so that every process's
    name index can tell at the cost of one query whether it is behind (services.collision_candidates)."""

    SINGLETON_PK = 1

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class Contact(models.Model):
    class Form(models.TextChoices):
        VISIT = "visit", _("上门拜访")
        RECEPTION = "reception", _("来访接待")
        PHONE = "phone", _("电话")
        VIDEO = "video", _("视频")
        FAIR = "fair", _("展会")
        OTHER = "other", _("其他")

    lead = models.ForeignKey(Lead, verbose_name=_("线索"), on_delete=models.CASCADE, related_name="contacts")
    date = models.DateField(_("洽谈日期"))
    form = models.CharField(_("洽谈方式"), max_length=12, choices=Form.choices)
    participants = models.CharField(_("参加人员"), max_length=200, blank=True)
    result = models.TextField(_("洽谈结果"))
    next_step = models.CharField(_("下一步工作"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        "org.User", verbose_name=_("录入人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("洽谈记录")
        verbose_name_plural = _("洽谈记录")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_form_display()}"


class StageChange(models.Model):
    """One step of a lead. A skip (more than one step up) is made only by the office, which says why."""

    lead = models.ForeignKey(Lead, verbose_name=_("线索"), on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("原阶段"), max_length=12, choices=Stage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=12, choices=Stage.choices)
    on = models.DateField(_("日期"))
    by = models.ForeignKey("org.User", verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    skipped = models.BooleanField(_("跨阶段"), default=False)
    decided_by = models.ForeignKey(
        "org.User", verbose_name=_("跨阶段决定人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")
        ordering = ["lead", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"


class Collision(models.Model):
    """Two leads that may be the same enterprise (撞单): ``lead`` the one entered later, ``existing`` the one
    entered first. The office rules which keeps it and how the credit is split between the two units."""

    class State(models.TextChoices):
        OPEN = "open", _("待裁定")
        RESOLVED = "resolved", _("已裁定")
        DISMISSED = "dismissed", _("非同一企业")

    lead = models.ForeignKey(Lead, verbose_name=_("后报线索"), on_delete=models.CASCADE, related_name="collisions")
    existing = models.ForeignKey(
        Lead, verbose_name=_("先报线索"), on_delete=models.CASCADE, related_name="collided_by"
    )
    score = models.DecimalField(_("相似度"), max_digits=4, decimal_places=3)
    certain = models.BooleanField(_("信用代码相同"), default=False)
    reason = models.CharField(_("判断依据"), max_length=300)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    keeper = models.ForeignKey(
        Lead, verbose_name=_("保留线索"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_share = models.DecimalField(_("后报单位分成(%)"), null=True, blank=True, **PERCENT)
    existing_share = models.DecimalField(_("先报单位分成(%)"), null=True, blank=True, **PERCENT)
    decided_by = models.ForeignKey(
        "org.User", verbose_name=_("裁定人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)
    note = models.TextField(_("裁定说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("撞单")
        verbose_name_plural = _("撞单")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "existing"], name="collision_unique_pair"),
            models.CheckConstraint(condition=~Q(lead=models.F("existing")), name="collision_two_leads"),
            # A ruling splits all of the credit: the shares are both there and sum to 100, or both absent.
            models.CheckConstraint(
                condition=(Q(lead_share__isnull=True, existing_share__isnull=True)
                           | Q(lead_share__isnull=False, existing_share__isnull=False,
                               lead_share__lte=100, existing_share__lte=100)),
                name="collision_shares_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead} / {self.existing}"


class Funds(models.Model):
    """Money of a signed lead that has arrived (到位资金), entered as it arrives: the targets count it by the
    date it arrived."""

    lead = models.ForeignKey(Lead, verbose_name=_("线索"), on_delete=models.CASCADE, related_name="funds")
    on = models.DateField(_("到位日期"))
    amount = models.DecimalField(_("到位资金(万元)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        "org.User", verbose_name=_("录入人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("到位资金")
        verbose_name_plural = _("到位资金")
        ordering = ["lead", "on", "pk"]
        indexes = [models.Index(fields=["on"])]

    def __str__(self) -> str:
        return f"{self.on:%Y-%m-%d} {self.amount}"


class Attachment(models.Model):
    """A file kept with a lead (意向书, 协议, 会议纪要). Kept in the database, so that a backup holds it and a
    lead's secrets stay behind the same rule as the lead."""

    lead = models.ForeignKey(Lead, verbose_name=_("线索"), on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小(字节)"))
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        "org.User", verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["lead", "-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """A unit's investment targets for a year (招商引资年度目标任务). Money in 万元; a blank target is not set
    (the unit is not measured on it)."""

    year = models.PositiveIntegerField(_("年度"))
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="investment_targets"
    )
    signed_count = models.PositiveIntegerField(_("签约项目数(个)"), null=True, blank=True)
    big_count = models.PositiveIntegerField(_("亿元以上项目数(个)"), null=True, blank=True)
    signed_amount = models.DecimalField(_("签约额(万元)"), null=True, blank=True,
                                        validators=[MinValueValidator(Decimal(0))], **MONEY)
    started_amount = models.DecimalField(_("开工额(万元)"), null=True, blank=True,
                                         validators=[MinValueValidator(Decimal(0))], **MONEY)
    funds_amount = models.DecimalField(_("到位资金(万元)"), null=True, blank=True,
                                       validators=[MinValueValidator(Decimal(0))], **MONEY)
    updated_by = models.ForeignKey(
        "org.User", verbose_name=_("修改人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("招商引资目标")
        verbose_name_plural = _("招商引资目标")
        ordering = ["year", "unit"]
        constraints = [models.UniqueConstraint(fields=["year", "unit"], name="investment_target_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"
