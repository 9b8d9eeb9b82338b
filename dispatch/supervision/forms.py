"""Forms of the problem pages: the list filters, a new problem, the steps, extensions and returns."""
from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import Period
from core.policies import can
from dispatch import rules
from dispatch.models import Problem
from dispatch.policies import responsible_leaders
from dispatch.supervision import services as problems
from org.models import Unit, User
from projects.importing.values import fold
from projects.models import ProgressReport, Project

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVEL_CHOICES = [
    ("", gettext_lazy("全部")),
    (rules.RED, gettext_lazy("红牌督办")),
    (rules.YELLOW, gettext_lazy("黄色预警")),
    (rules.BLUE, gettext_lazy("蓝色提醒")),
    (rules.NONE, gettext_lazy("未到提醒期或已办结")),
]
# Instead of Django's "确保该变量包含不超过 5000 字符 (目前字符数 5001)。"
TOO_LONG = gettext_lazy("最多 %(limit_value)d 个字，现有 %(show_value)d 个字，请删减后再提交。")
TEXT_ERRORS = {"max_length": TOO_LONG}
# Instead of Django's "选择一个有效的选项： 该选择不在可用的选项中。": which choice, and what to do.
UNIT_GONE = gettext_lazy("所选责任单位不存在或已停用，请重新选择。")
LEADER_GONE = gettext_lazy("所选责任领导不存在、已停用或不是区领导，请重新选择。")
PROJECT_SEARCH_LIMIT = 20


def project_label(project: Project) -> str:
    """How the picker shows a project, and the text it accepts back: "2026-T-001 东城污水处理厂"."""
    return f"{project.code} {project.name}"


def project_search(user: User, text: str) -> QuerySet[Project]:
    """The ledger's projects the user may see whose code, name, pinyin initials or folded name
    contain ``text``, as the ledger's search finds them; an exact code first, then codes and names
    starting with it, then the rest, each by code."""
    text = text.strip()
    found = Project.objects.visible_to(user).in_ledger().filter(
        Q(code__icontains=text) | Q(name__icontains=text) | Q(initials__contains=text.lower())
        | Q(search_name__contains=fold(text))
    )
    rank = Case(
        When(code__iexact=text, then=Value(0)),
        When(Q(code__istartswith=text) | Q(name__startswith=text), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return found.annotate(rank=rank).order_by("rank", "code")


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
    """A new problem. The project is picked by typing (static/js/problem_form.js asks
    ``dispatch:problem_projects``, 20 at a time, and fills the unit and leader from the project):
    the picked project's id comes in ``project``; without the script, ``project_text`` takes a
    project's exact code or name, and the project's lead unit and leader stand in for the ones
    not chosen."""

    report = forms.ModelChoiceField(ProgressReport.objects.all(), required=False, widget=forms.HiddenInput)
    project_text = forms.CharField(
        label=gettext_lazy("项目"), required=False, max_length=200, error_messages=TEXT_ERRORS,
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
            "aria-controls": "project-results", "placeholder": gettext_lazy("输入项目名称、编号或拼音首字母搜索"),
        }),
        help_text=gettext_lazy("可不选：与具体项目无关的问题直接交办责任单位。"),
    )
    field_order = [
        "source", "project_text", "period", "description", "responsible_unit", "responsible_leader", "deadline",
    ]

    class Meta:
        model = Problem
        fields = ["source", "project", "period", "description", "responsible_unit", "responsible_leader", "deadline"]
        widgets = {
            "deadline": DATE_WIDGET, "description": forms.Textarea(attrs={"rows": 4}), "project": forms.HiddenInput,
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        fields = self.fields
        project = fields["project"]
        assert isinstance(project, forms.ModelChoiceField)
        # Any project the user sees (a project page's "新增督办问题" may be a withdrawn one's); the search
        # offers the ledger's.
        project.queryset = Project.objects.visible_to(user)
        project.error_messages["invalid_choice"] = _("所选项目不存在或您无权查看，请重新搜索选择。")
        unit = fields["responsible_unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = Unit.objects.filter(is_active=True)
        unit.error_messages["invalid_choice"] = UNIT_GONE
        # Checked in clean(): without the script, the project's lead unit may stand in.
        unit.required = False
        leader = fields["responsible_leader"]
        assert isinstance(leader, forms.ModelChoiceField)
        leader.queryset = leaders()
        leader.error_messages["invalid_choice"] = LEADER_GONE
        period = fields["period"]
        assert isinstance(period, forms.ModelChoiceField)
        period.queryset = Period.objects.all()
        period.help_text = _("来源为调度会议时，选择召开会议的调度期。")
        period.error_messages["invalid_choice"] = _("所选调度期不存在，请重新选择。")
        # The picked project's label in the search box (not in ``initial``, which says what was prefilled).
        chosen = self.initial.get("project")
        if not self.is_bound and chosen:
            found = project.queryset.filter(pk=chosen).first()
            if found is not None:
                fields["project_text"].initial = project_label(found)

    def _project_from_text(self, text: str) -> Project | None:
        """The ledger's project whose code (any case), label or name is ``text``; else None, with the error said."""
        visible = Project.objects.visible_to(self.user).in_ledger()
        first_word = text.split(" ", 1)[0]
        for found in visible.filter(Q(code__iexact=text) | Q(code__iexact=first_word))[:2]:
            if text.casefold() in (found.code.casefold(), _spaced(project_label(found)).casefold()):
                return found
        named = list(visible.filter(name=text)[:2])
        if len(named) == 1:
            return named[0]
        if named:
            self.add_error("project_text", _("有多个项目名为“%(text)s”，请输入项目编号。") % {"text": text})
        else:
            self.add_error(
                "project_text",
                _("找不到项目“%(text)s”：请输入完整的项目编号或名称，或从搜索结果中选择。") % {"text": text},
            )
        return None

    @staticmethod
    def _stand_in(data: dict[str, Any], project: Project) -> None:
        """No unit chosen (nothing filled it in without the script): the project's lead unit and
        leader, each if it may still be chosen."""
        if not project.lead_unit.is_active:
            return
        data["responsible_unit"] = project.lead_unit
        leader = project.responsible_leader
        if data.get("responsible_leader") or leader is None:
            return
        if leader.is_active and can(leader, "dispatch.be_responsible_leader"):
            data["responsible_leader"] = leader

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        project = data.get("project")
        text = _spaced(data.get("project_text") or "")
        picked_wrong = self.errors.pop("project", None)
        if picked_wrong:
            # The hidden field's error is shown at the search box, the field the user sees.
            for error in picked_wrong:
                self.add_error("project_text", error)
        elif "project_text" in self.data and (project is None or text != _spaced(project_label(project))):
            # The box was changed after the pick, or typed in without one: the text says which project.
            project = self._project_from_text(text) if text else None
            data["project"] = project
        if project is not None and not data.get("responsible_unit") and "responsible_unit" not in self.errors:
            self._stand_in(data, project)
        if not data.get("responsible_unit") and "responsible_unit" not in self.errors:
            self.add_error("responsible_unit", _("请选择责任单位。"))
        deadline = data.get("deadline")
        if deadline and deadline < problems.today():
            self.add_error("deadline", _("办结时限不能早于今天。"))
        if data.get("source") == Problem.Source.MEETING and not data.get("period"):
            self.add_error("period", _("来源为调度会议时，请选择会议所在的调度期。"))
        report = data.get("report")
        if report is not None and project is not None and report.project_id != project.pk:
            self.add_error("project_text", _("来源月报不属于所选项目。"))
        return data


def _spaced(text: str) -> str:
    """``text`` with its runs of white space made one space and its ends trimmed, as typed text is compared."""
    return " ".join(text.split())


class ProblemActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(name, name) for name in problems.ACT_ACTIONS], widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
        error_messages=TEXT_ERRORS,
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
    reason = forms.CharField(
        label=gettext_lazy("延期理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
        error_messages=TEXT_ERRORS,
    )


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
        label=gettext_lazy("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000,
        error_messages=TEXT_ERRORS,
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
        error_messages=TEXT_ERRORS,
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
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000,
        error_messages=TEXT_ERRORS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["responsible_unit"]
        assert isinstance(unit, forms.ModelChoiceField)
        unit.queryset = Unit.objects.filter(is_active=True)
        unit.error_messages["invalid_choice"] = UNIT_GONE
        leader = self.fields["responsible_leader"]
        assert isinstance(leader, forms.ModelChoiceField)
        leader.queryset = leaders()
        leader.error_messages["invalid_choice"] = LEADER_GONE

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline < problems.today():
            raise forms.ValidationError(_("办结时限不能早于今天。"))
        return deadline
