"""Forms of the problem pages: the list filters, a new problem, the steps, extensions and returns."""
from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Period
from core.policies import can
from dispatch import rules
from dispatch.models import Problem
from dispatch.policies import responsible_leaders
from dispatch.supervision import services as problems
from org.models import Unit, User
from projects.models import ProgressReport, Project

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVEL_CHOICES = [
    ("", gettext_lazy("全部")),
    (rules.RED, gettext_lazy("红牌督办")),
    (rules.YELLOW, gettext_lazy("黄色预警")),
    (rules.BLUE, gettext_lazy("蓝色提醒")),
    (rules.NONE, gettext_lazy("未到提醒期或已办结")),
]


def leaders() -> Any:
    return responsible_leaders().filter(is_active=True)


class ProblemFilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        Unit.objects.all(), label=gettext_lazy("责任单位"), required=False, empty_label=gettext_lazy("全部")
    )
    leader = forms.ModelChoiceField(
        User.objects.none(), label=gettext_lazy("责任领导"), required=False, empty_label=gettext_lazy("全部")
    )
    state = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *Problem.State.choices]
    )
    level = forms.ChoiceField(label=gettext_lazy("督办等级"), required=False, choices=LEVEL_CHOICES)
    mine = forms.BooleanField(label=gettext_lazy("我负责的"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leader = self.fields["leader"]
        assert isinstance(leader, forms.ModelChoiceField)
        # Inactive leaders stay selectable: their problems are still on the list.
        leader.queryset = responsible_leaders()
        if not can(user, "dispatch.follow_own_problems"):
            del self.fields["mine"]


class ProblemForm(forms.ModelForm[Problem]):
    report = forms.ModelChoiceField(ProgressReport.objects.all(), required=False, widget=forms.HiddenInput)

    class Meta:
        model = Problem
        fields = ["source", "project", "period", "description", "responsible_unit", "responsible_leader", "deadline"]
        widgets = {"deadline": DATE_WIDGET, "description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        project = fields["project"]
        assert isinstance(project, forms.ModelChoiceField)
        project.queryset = Project.objects.order_by("code")
        project.help_text = _("可不选：与具体项目无关的问题直接交办责任单位。")
        unit = fields["responsible_unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = Unit.objects.filter(is_active=True)
        leader = fields["responsible_leader"]
        assert isinstance(leader, forms.ModelChoiceField)
        leader.queryset = leaders()
        period = fields["period"]
        assert isinstance(period, forms.ModelChoiceField)
        period.queryset = Period.objects.all()
        period.help_text = _("来源为调度会议时，选择召开会议的调度期。")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deadline = data.get("deadline")
        if deadline and deadline < problems.today():
            self.add_error("deadline", _("办结时限不能早于今天。"))
        if data.get("source") == Problem.Source.MEETING and not data.get("period"):
            self.add_error("period", _("来源为调度会议时，请选择会议所在的调度期。"))
        report, project = data.get("report"), data.get("project")
        if report is not None and project is not None and report.project_id != project.pk:
            self.add_error("project", _("来源月报不属于所选项目。"))
        return data


class ProblemActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(name, name) for name in problems.ACT_ACTIONS], widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        transition = problems.TRANSITIONS[action] if action else None
        if transition and transition.needs_text and not (data.get("text") or "").strip():
            self.add_error("text", str(transition.missing_text))
        return data


class ExtensionRequestForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    new_deadline = forms.DateField(label=gettext_lazy("申请延至"), widget=DATE_WIDGET)
    reason = forms.CharField(label=gettext_lazy("延期理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class DecideForm(forms.Form):
    """The office's decision on a request: approve, or reject with the reason."""

    reject_needs_note = gettext_lazy("驳回时必须写明原因。")

    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=gettext_lazy("审批"),
        choices=[("approve", gettext_lazy("批准")), ("reject", gettext_lazy("驳回"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", str(self.reject_needs_note))
        return data


class ExtensionDecideForm(DecideForm):
    reject_needs_note = gettext_lazy("驳回延期时必须写明原因。")


class ReturnRequestForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("退回理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
        help_text=gettext_lazy("写明该问题为何不属于本单位职责，以及应由哪个单位办理。"),
    )


class ReturnDecideForm(DecideForm):
    reject_needs_note = gettext_lazy("驳回退回申请时必须写明原因。")


class ReassignForm(forms.Form):
    """The office assigns a returned problem again: to which unit, which leader, by when."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    responsible_unit = forms.ModelChoiceField(Unit.objects.none(), label=gettext_lazy("责任单位"))
    responsible_leader = forms.ModelChoiceField(User.objects.none(), label=gettext_lazy("责任领导"), required=False)
    deadline = forms.DateField(label=gettext_lazy("办结时限"), widget=DATE_WIDGET)
    text = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["responsible_unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = Unit.objects.filter(is_active=True)
        leader = self.fields["responsible_leader"]
        assert isinstance(leader, forms.ModelChoiceField)
        leader.queryset = leaders()

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline < problems.today():
            raise forms.ValidationError(_("办结时限不能早于今天。"))
        return deadline
