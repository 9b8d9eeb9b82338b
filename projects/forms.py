"""Forms for the ledger, with Chinese validation messages."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import clock
from core.district import district
from core.policies import can
from org.models import Unit, User
from projects import rules
from projects.models import (
    FundingSource,
    LedgerState,
    Level,
    Milestone,
    MilestoneTemplate,
    OpeningBalance,
    ProgressReport,
    Project,
    ProjectCategory,
    ProjectType,
    Stage,
)
from projects.services import ADJUSTABLE_FIELDS, OFFICE_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The ledger filter's values for "without a category / funding source" and for the 民生实事 choice.
UNSET, YES, NO = "none", "yes", "no"


def _model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class ProjectForm(forms.ModelForm[Project]):
    plan_this_year = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )
    plan_next_year = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )

    class Meta:
        model = Project
        fields = [
            "code", "name", "level", "project_type", "category", "livelihood", "funding_source", "industry", "stage",
            "construction", "is_special_bond", "owner", "owner_contact", "owner_phone", "content", "location",
            "latitude", "longitude",
            "total_investment", "invested_before", "planned_start", "planned_completion", "actual_start",
            "period_text", "responsible_leader", "lead_unit", "co_units", "town", "service_officer", "remarks",
        ]
        error_messages = {
            "code": {"unique": gettext_lazy("这个项目编号已被其他项目使用（可能是您无权查看的项目），请换一个编号。")},
        }
        widgets = {
            "planned_start": DATE_WIDGET,
            "planned_completion": DATE_WIDGET,
            "actual_start": DATE_WIDGET,
            "content": forms.Textarea(attrs={"rows": 3}),
            "remarks": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: User, year: int, ask_reason: bool = False, **kwargs: Any) -> None:
        """``ask_reason``: a unit's new project on the web form asks why it should enter the ledger
        (an Excel import has no such column; its proposals say they came from the import)."""
        super().__init__(*args, **kwargs)
        self.year = year
        # A unit's new project, or one still awaiting the office's decision, is a proposal.
        self.proposing = not can(user, "projects.decide_changes") and (
            not self.instance.pk or self.instance.ledger_state == LedgerState.PROPOSED
        )
        if ask_reason and self.proposing and not self.instance.pk:
            self.fields["reason"] = forms.CharField(
                label=_("入库申请理由"), widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("单位新增的项目经项目办审核通过后纳入项目库。"),
            )
        self.fields["plan_this_year"].label = _("%(year)d年计划投资(万元)") % {"year": year}
        self.fields["plan_next_year"].label = _("%(year)d年计划投资(万元)") % {"year": year + 1}
        _model_choice(self, "responsible_leader").queryset = User.objects.filter(role=User.Role.LEADER, is_active=True)
        units = Unit.objects.filter(is_active=True)
        if can(user, "projects.unit_scoped") and not (user.unit and user.unit.kind == Unit.Kind.TOWN):
            # A department's reporter files the department's own projects. A town's reporter
            # also files projects located in the town but led by a department, so every unit is
            # offered and clean() keeps the project within the reporter's scope.
            _model_choice(self, "lead_unit").queryset = units.filter(pk=user.unit.pk) if user.unit else units.none()
        else:
            _model_choice(self, "lead_unit").queryset = units
        _model_choice(self, "town").queryset = Unit.objects.filter(kind=Unit.Kind.TOWN, is_active=True)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length:
                # Django's own wording ("确保该变量包含不超过…") names no field and reads like a program's.
                field.error_messages["max_length"] = _(
                    "最多 %(limit_value)d 个字，现有 %(show_value)d 个字，请删减后再提交。"
                )
        _model_choice(self, "category").queryset = ProjectCategory.objects.filter(is_active=True)
        _model_choice(self, "funding_source").queryset = FundingSource.objects.filter(is_active=True)
        if can(user, "projects.decide_changes"):
            self.fields["co_units"].queryset = units  # type: ignore[attr-defined]
        else:
            # Who else sees and reports on a project is the office's decision (shown on the project page).
            del self.fields["co_units"]
        self.user = user
        if not can(user, "projects.decide_changes") and self.instance.pk and not self.proposing:
            # Shown read-only: Django ignores a disabled field's posted value and keeps the
            # project's, so a value posted by hand (or typed into an imported sheet) is never read.
            # A unit asks for these through a 调整 request; only the office moves a project to
            # another unit. (Disabled, not removed: the Excel import reports errors by field.)
            for name in OFFICE_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("由项目办确定；如需调整，请在项目页面提交调整申请。")
            # The current lead unit is valid whatever the unit's reporter may choose (or if since deactivated).
            _model_choice(self, "lead_unit").queryset = Unit.objects.filter(pk=self.instance.lead_unit_id)
        if self.instance.pk:
            plans = dict(self.instance.plans.values_list("year", "amount"))
            self.fields["plan_this_year"].initial = plans.get(year)
            self.fields["plan_next_year"].initial = plans.get(year + 1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("planned_start"), data.get("planned_completion")
        if start and end and end < start:
            self.add_error("planned_completion", _("计划竣工日期不能早于计划开工日期。"))
        stage = data.get("stage")
        if stage in {Stage.BUILDING, Stage.COMPLETED, Stage.PRODUCING} and not data.get("actual_start"):
            self.add_error("actual_start", _("项目阶段为在建、竣工或投产时，必须填写实际开工日期。"))
        actual = data.get("actual_start")
        if actual and actual > clock.today() + dt.timedelta(days=1):
            self.add_error("actual_start", _("实际开工日期不能晚于今天。"))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("经度和纬度须同时填写或同时留空。"))
        if can(self.user, "projects.unit_scoped") and self.user.unit_id not in {
            getattr(data.get("lead_unit"), "pk", None), getattr(data.get("town"), "pk", None)
        }:
            self.add_error("lead_unit", _("只能填报本单位牵头或属地在本镇街的项目。"))
        total = data.get("total_investment")
        for key in ("plan_this_year", "plan_next_year"):
            plan = data.get(key)
            if plan is not None and total is not None and plan > total:
                self.add_error(key, _("年度计划投资不能超过总投资。"))
        return data

    def plans(self) -> dict[int, Decimal | None]:
        return {
            self.year: self.cleaned_data.get("plan_this_year"),
            self.year + 1: self.cleaned_data.get("plan_next_year"),
        }


class AdjustRequestForm(forms.Form):
    """A unit's 调整 request: the new values of the fields the office controls, and why."""

    reason = forms.CharField(label=gettext_lazy("调整理由"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        fields: dict[str, forms.Field] = {}
        for name in ADJUSTABLE_FIELDS:
            model_field = Project._meta.get_field(name)
            assert hasattr(model_field, "formfield")
            field = model_field.formfield()
            assert field is not None
            field.initial = getattr(project, name)
            if name in {"planned_start", "planned_completion"}:
                field.widget = DATE_WIDGET
            fields[name] = field
        self.fields = {**fields, "reason": self.fields["reason"]}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("planned_start"), data.get("planned_completion")
        if start and end and end < start:
            self.add_error("planned_completion", _("计划竣工日期不能早于计划开工日期。"))
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("退库原因"), widget=forms.Textarea(attrs={"rows": 3}))


class ChangeDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("批准")), ("reject", gettext_lazy("驳回"))])
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("驳回时请填写审核意见。"))
        return data


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python rather than through one template per option.

    The ledger's filter lists every unit, town and leader (a province has hundreds), and the
    template renderer spent more time on those options than the ledger on its SQL, on every page.
    Same markup as ``forms.Select`` without option groups, which these fields do not have.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = set(self.format_value(value))
        options = format_html_join(
            "\n", '<option value="{}"{}>{}</option>',
            ((str(key), mark_safe(" selected") if str(key) in chosen else "", label) for key, label in self.choices),
        )
        return format_html('<select name="{}"{}>\n{}\n</select>', name, flatatt(self.build_attrs(self.attrs, attrs)),
                           options)


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索"), required=False)
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)
    level = forms.ChoiceField(label=gettext_lazy("级别"), required=False, widget=QuickSelect)
    project_type = forms.ChoiceField(label=gettext_lazy("类型"), required=False, widget=QuickSelect)
    stage = forms.ChoiceField(label=gettext_lazy("阶段"), required=False, widget=QuickSelect)
    light = forms.ChoiceField(label=gettext_lazy("红黄绿灯"), required=False, widget=QuickSelect)
    lead_unit = forms.ModelChoiceField(
        label=gettext_lazy("牵头单位"), queryset=Unit.objects.none(), required=False, widget=QuickSelect
    )
    town = forms.ModelChoiceField(
        label=gettext_lazy("属地镇街"), queryset=Unit.objects.none(), required=False, widget=QuickSelect
    )
    leader = forms.ModelChoiceField(
        label=gettext_lazy("包靠领导"), queryset=User.objects.none(), required=False, widget=QuickSelect
    )
    category = forms.ChoiceField(label=gettext_lazy("项目类别"), required=False, widget=QuickSelect)
    funding = forms.ChoiceField(label=gettext_lazy("资金来源"), required=False, widget=QuickSelect)
    # 民生实事: the project's own flag or its category's (selectors.livelihood_q).
    livelihood = forms.ChoiceField(
        label=gettext_lazy("民生实事"), required=False, widget=QuickSelect,
        choices=[("", gettext_lazy("全部")), (YES, gettext_lazy("是")), (NO, gettext_lazy("否"))],
    )
    ledger_state = forms.ChoiceField(
        label=gettext_lazy("在库状态"), required=False, widget=QuickSelect,
        choices=[("", gettext_lazy("在库项目")), (LedgerState.WITHDRAWN.value, gettext_lazy("已退库项目")),
                 ("all", gettext_lazy("在库及已退库"))],
    )
    sort = forms.CharField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from projects.models import Light

        everything = [("", _("全部"))]
        _choice(self, "level").choices = everything + list(Level.choices)
        _choice(self, "project_type").choices = everything + list(ProjectType.choices)
        _choice(self, "stage").choices = everything + list(Stage.choices)
        _choice(self, "light").choices = everything + list(Light.choices)
        _model_choice(self, "lead_unit").queryset = Unit.objects.filter(is_active=True)
        _model_choice(self, "town").queryset = Unit.objects.filter(kind=Unit.Kind.TOWN, is_active=True)
        _model_choice(self, "leader").queryset = User.objects.filter(role=User.Role.LEADER)
        for name in ("lead_unit", "town", "leader"):
            _model_choice(self, name).empty_label = _("全部")
        # The widgets list the same rows as the fields validate against, read as (pk, label) tuples
        # when rendered: building hundreds of model instances per page cost more than the ledger's rows.
        units = Unit.objects.filter(is_active=True)
        self.fields["lead_unit"].widget.choices = _Options(units.values_list("pk", "short_name", "name"))
        self.fields["town"].widget.choices = _Options(
            units.filter(kind=Unit.Kind.TOWN).values_list("pk", "short_name", "name")
        )
        self.fields["leader"].widget.choices = _Options(
            User.objects.filter(role=User.Role.LEADER).values_list("pk", "full_name", "username")
        )
        # Every category and funding source, retired ones too (marked): projects keep the ones they were given,
        # and the office looks for those to reassign them. UNSET finds the projects without one (未分类 / 未填).
        _choice(self, "category").choices = _Named(
            ProjectCategory.objects.values_list("pk", "name", "is_active"), unset=_("未分类")
        )
        _choice(self, "funding").choices = _Named(
            FundingSource.objects.values_list("pk", "name", "is_active"), unset=_("未填")
        )


class _Options(BaseChoiceIterator):
    """``(pk, label)`` choices read when iterated: ``""`` → 全部, then each row's first non-empty
    label (``Unit.__str__``: short name or name; ``User.__str__``: full name or username).
    A ``BaseChoiceIterator`` so that Django keeps it lazy: the HTMX table alone never reads it."""

    def __init__(self, rows: QuerySet[Any, tuple[Any, ...]]) -> None:
        self.rows = rows

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        yield "", _("全部")
        for pk, label, fallback in self.rows:
            yield pk, label or fallback


class _Named(BaseChoiceIterator):
    """``(pk, name)`` choices of a short list (categories, funding sources) read when iterated: ``""`` → 全部,
    ``UNSET`` → ``unset`` (the projects without one), then each row, a retired one marked as such.
    Lazy like ``_Options``: the HTMX table validates a chosen value but never lists the choices."""

    def __init__(self, rows: QuerySet[Any, tuple[Any, ...]], *, unset: str) -> None:
        self.rows = rows
        self.unset = unset

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        yield "", _("全部")
        yield UNSET, self.unset
        for pk, name, active in self.rows:
            yield pk, name if active else _("%(name)s（已停用）") % {"name": name}


class MilestoneForm(forms.ModelForm[Milestone]):
    class Meta:
        model = Milestone
        fields = ["order", "name", "planned_date", "actual_date", "note"]
        widgets = {"planned_date": DATE_WIDGET, "actual_date": DATE_WIDGET}

    def clean_actual_date(self) -> dt.date | None:
        actual: dt.date | None = self.cleaned_data.get("actual_date")
        if actual and actual > clock.today() + dt.timedelta(days=1):
            raise forms.ValidationError(_("实际完成日期不能晚于今天。"))
        return actual


class BaseMilestoneFormSet(forms.BaseModelFormSet):
    def clean(self) -> None:
        super().clean()
        # Django turns a row whose id is not among the project's milestones (deleted by someone
        # else meanwhile, or another project's) into a new milestone; refuse it instead.
        for form in self.initial_forms:
            if form.instance.pk is None and not getattr(form, "cleaned_data", {}).get("DELETE"):
                raise forms.ValidationError(_("有节点已被他人删除或不属于本项目，请刷新页面后重新填写。"))


class ScheduleForm(forms.Form):
    template = forms.ModelChoiceField(label=gettext_lazy("节点模板"), queryset=MilestoneTemplate.objects.all())
    target = forms.DateField(label=gettext_lazy("目标日期（最后一个节点）"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, project: Project | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if project is not None and project.planned_completion is not None:
            # The date the project answers for is where a schedule for it ends, unless the user
            # says otherwise; an empty target invited any date, and one years off went unnoticed.
            self.fields["target"].initial = project.planned_completion
            self.fields["target"].help_text = _("默认为项目计划竣工日期 %(date)s") % {
                "date": project.planned_completion.isoformat()
            }


class ProgressForm(forms.ModelForm[ProgressReport]):
    """One period's progress from the project page, under the same rules as the unit's report grid."""

    class Meta:
        model = ProgressReport
        fields = ["year", "month", "half", "invested", "progress_percent", "physical_progress", "problems"]
        widgets = {
            "physical_progress": forms.Textarea(attrs={"rows": 2}),
            "problems": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, project: Project, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.user = user
        self.half_month = district().report_half_month
        if self.half_month:
            # A district that reports twice a month says which half; 0 (a whole month) is not offered.
            self.fields["half"] = forms.TypedChoiceField(
                label=_("半月"), coerce=int, choices=[(1, _("上半月")), (2, _("下半月"))],
                initial=self.instance.half or None,
            )
        else:
            del self.fields["half"]

    def clean(self) -> dict[str, Any]:
        from projects.services import progress_before, progress_lock_reason

        data = super().clean() or {}
        year, month = data.get("year"), data.get("month")
        half = data.get("half", 0) if self.half_month else 0
        if not (year and month) or (self.half_month and not half):
            return data
        reason = progress_lock_reason(project=self.project, year=year, month=month, half=half, user=self.user)
        if reason:
            raise forms.ValidationError(reason)
        today = clock.today()
        if (year, month) > (today.year, today.month) or (
            (year, month) == (today.year, today.month) and half == 2 and today.day <= 15
        ):
            self.add_error("month", _("不能填报未来月份的进度。"))
        clash = ProgressReport.objects.filter(project=self.project, year=year, month=month, half=half)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error(
                "month", _("%(year)d年%(month)d月的进度已填报，请修改该月记录。") % {"year": year, "month": month}
            )
        # The rules the grid and corrections apply too, with their words (projects.rules).
        before = progress_before(
            project=self.project, year=year, month=month, half=half, exclude_pk=self.instance.pk
        )
        for problem in rules.progress_problems(
            invested=data.get("invested"), percent=data.get("progress_percent"), before=before
        ):
            name = "invested" if problem.field == rules.PROGRESS_SINCE_START else problem.field
            if name in self.fields and not self.has_error(name):
                self.add_error(name, problem.text)
        return data


class OpeningForm(forms.ModelForm[OpeningBalance]):
    """The office's opening balance (年初累计，开账) of one project and year; the service re-checks on saving."""

    class Meta:
        model = OpeningBalance
        fields = ["year", "through_month", "invested", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.instance.project = project

    def clean(self) -> dict[str, Any]:
        from projects.services import opening_refusal

        data = super().clean() or {}
        year, month = data.get("year"), data.get("through_month")
        if not (year and month):
            return data
        clash = OpeningBalance.objects.filter(project=self.project, year=year).exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error("year", _("该项目%(year)d年已有开账数，请修改原记录。") % {"year": year})
            return data
        self.instance.year, self.instance.through_month = year, month
        reason = opening_refusal(self.instance)
        if reason:
            raise forms.ValidationError(reason)
        return data
