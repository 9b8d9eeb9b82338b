"""Forms of the lead pages. They collect and type what a person enters; the rules (who, which step, which
evidence, the credit code, the version) are the services' (investment.services), whose refusals the views
put back on these forms."""
from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.district import district
from investment import heatmap, rules
from investment.models import Chain, ChainNode, Collision, Contact, Lead, Light, Stage
from org.models import Unit, User

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The list's sorts: the name in the link -> the ordering (the stage and the light in their own order).
SORTS: dict[str, str] = {
    "created": "-created_at", "-created": "created_at",
    "enterprise": "enterprise", "-enterprise": "-enterprise",
    "investment": "-intended_investment", "-investment": "intended_investment",
    "contact": "-last_contact_on", "-contact": "last_contact_on",
    "stage": "stage_order", "-stage": "-stage_order",
    "light": "-light_order", "-light": "light_order",
}


# What a place name may end with that a person may leave off: "广东省" and "广东" are one province.
_PLACE_SUFFIXES = (
    "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "自治州", "地区", "省", "市", "盟",
)


def place_stem(name: str) -> str:
    """The name without its administrative suffix ("广东省" -> "广东", "深圳市" -> "深圳"), to match leads
    whichever form was typed; a name that is nothing but a suffix is kept."""
    name = name.strip()
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


class NodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.chain.name}·{obj.name}"


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("企业名称"), required=False, max_length=100)
    stage = forms.ChoiceField(label=_("阶段"), required=False, choices=[("", _("全部")), *Stage.choices])
    light = forms.ChoiceField(label=_("灯色"), required=False, choices=[("", _("全部")), *Light.choices])
    source_unit = forms.ModelChoiceField(label=_("招商单位"), required=False, queryset=Unit.objects.none(),
                                         empty_label=_("全部"))
    chain = forms.ModelChoiceField(label=_("产业链"), required=False, queryset=Chain.objects.all(),
                                   empty_label=_("全部"))
    node = NodeChoiceField(label=_("产业链环节"), required=False,
                           queryset=ChainNode.objects.select_related("chain"), empty_label=_("全部"))
    province = forms.CharField(label=_("来源省份/国家"), required=False, max_length=30)
    city = forms.CharField(label=_("来源城市"), required=False, max_length=30)
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput)

    def __init__(self, *args: Any, every_unit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if every_unit:
            self.fields["source_unit"].queryset = Unit.objects.all()  # type: ignore[attr-defined]
        else:
            # A unit sees its own leads only: choosing a unit would say nothing.
            del self.fields["source_unit"]

    def apply(self, qs: QuerySet[Lead]) -> QuerySet[Lead]:
        """``qs`` narrowed to what the form chose (the list, its export and the maps' links share it); an
        invalid form narrows nothing."""
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["q"].strip():
            qs = qs.filter(enterprise__icontains=data["q"].strip())
        if data["stage"]:
            qs = qs.filter(stage=data["stage"])
        if data["light"]:
            qs = qs.filter(light=data["light"])
        if data.get("source_unit"):
            qs = qs.filter(source_unit=data["source_unit"])
        if data["chain"]:
            qs = qs.filter(chain_node__chain=data["chain"])
        if data["node"]:
            qs = qs.filter(chain_node=data["node"])
        province, city = data["province"].strip(), data["city"].strip()
        if province or city:
            # A region of the heat map picks the leads the map counted there (粤, 广东 and 广东省 alike; a
            # city of the home province); any other place matches the text as typed, suffix or not.
            region = heatmap.region_q(qs, province=province, city=city, home_province=district().province)
            if region is not None:
                return qs.filter(region)
            if province:
                qs = qs.filter(origin_province__startswith=place_stem(province))
            if city:
                qs = qs.filter(origin_city__startswith=place_stem(city))
        return qs


class LeadForm(forms.ModelForm[Lead]):
    """The facts a unit enters about an investor; the stage and its evidence go through the stage form."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput, label=_("版本"))

    class Meta:
        model = Lead
        fields = [
            "enterprise", "credit_code", "source_unit", "origin", "origin_province", "origin_city", "industry",
            "chain_node", "amount_original", "amount_unit", "currency", "exchange_rate", "content",
            "source_person", "contact_person", "next_step", "next_step_due",
        ]
        labels = {"amount_original": _("意向投资额")}
        help_texts = {"amount_original": _("按企业给出的金额和单位填写，外币另填币种和汇率，系统折算为万元。")}
        widgets = {"next_step_due": DATE_WIDGET, "content": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chain_node"].queryset = ChainNode.objects.select_related("chain")  # type: ignore[attr-defined]
        if not user.is_office:
            # A reporter enters the unit's leads; only the office names or changes the unit.
            del self.fields["source_unit"]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class ContactForm(forms.Form):
    date = forms.DateField(label=_("洽谈日期"), widget=DATE_WIDGET)
    form = forms.ChoiceField(label=_("洽谈方式"), choices=Contact.Form.choices)
    participants = forms.CharField(label=_("参加人员"), max_length=200, required=False)
    result = forms.CharField(label=_("洽谈结果"), widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("下一步工作"), max_length=200, required=False)
    next_step_due = forms.DateField(label=_("下一步完成时限"), required=False, widget=DATE_WIDGET)


# The evidence each target stage asks for (rules.evidence_refusals), in the order the form shows it.
EVIDENCE: dict[str, tuple[str, ...]] = {
    rules.NEGOTIATING: (),
    rules.SIGNED: ("signed_on", "signed_amount", "counterpart"),
    rules.STARTED: ("started_on",),
    rules.PRODUCING: ("producing_on",),
    rules.DROPPED: ("dropped_reason",),
}


class StageForm(forms.Form):
    """A step of a lead: the target, the facts of the stages it reaches, and (the office's skip) why."""

    to = forms.ChoiceField(label=_("推进到"), choices=Stage.choices)
    on = forms.DateField(label=_("日期"), required=False, widget=DATE_WIDGET,
                         help_text=_("不填为今天。"))
    signed_on = forms.DateField(label=_("签约日期"), required=False, widget=DATE_WIDGET)
    signed_amount = forms.DecimalField(label=_("签约金额(万元)"), required=False, max_digits=14, decimal_places=2)
    counterpart = forms.CharField(label=_("签约主体"), required=False, max_length=100)
    started_on = forms.DateField(label=_("开工日期"), required=False, widget=DATE_WIDGET)
    producing_on = forms.DateField(label=_("投产日期"), required=False, widget=DATE_WIDGET)
    dropped_reason = forms.CharField(label=_("终止原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    skip_decision = forms.CharField(label=_("跨阶段决定理由"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, label=_("版本"))

    def __init__(self, *args: Any, lead: Lead, office: bool, drop: bool = False, **kwargs: Any) -> None:
        if drop:
            kwargs.setdefault("auto_id", "id_drop_%s")  # beside the step's form on one page
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = lead.version
        targets = targets_for(lead.stage, office=office)
        if drop:
            keep = {"to", "dropped_reason", "on", "version"}
            self.fields["to"].choices = [(rules.DROPPED, Stage.DROPPED.label)]  # type: ignore[attr-defined]
            self.fields["to"].widget = forms.HiddenInput()
            self.fields["dropped_reason"].required = False  # the service says it is missing, in its words
        else:
            self.fields["to"].choices = [(t, Stage(t).label) for t in targets]  # type: ignore[attr-defined]
            keep = {"to", "on", "note", "version"}
            for target in targets:
                keep.update(EVIDENCE[target])
            if office and len(targets) > 1:
                keep.add("skip_decision")
            if len(targets) == 1:
                self.fields["to"].widget = forms.HiddenInput()
        self.fields["to"].initial = targets[0] if targets and not drop else rules.DROPPED
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]


def targets_for(stage: str, *, office: bool) -> list[str]:
    """The stages a lead in ``stage`` may go up to: the next one, or for the office any higher one."""
    if stage in rules.FINAL or stage not in rules.ORDER:
        return []
    ahead = list(rules.ORDER[rules.ORDER.index(stage) + 1:])
    return ahead if office else ahead[:1]


class CollisionRuleForm(forms.Form):
    keeper = forms.ChoiceField(label=_("保留线索"))
    lead_share = forms.DecimalField(label=_("后报单位分成(%)"), max_digits=5, decimal_places=2, min_value=0,
                                    max_value=100)
    existing_share = forms.DecimalField(label=_("先报单位分成(%)"), max_digits=5, decimal_places=2, min_value=0,
                                        max_value=100)
    note = forms.CharField(label=_("裁定说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, collision: Collision, **kwargs: Any) -> None:
        kwargs["prefix"] = f"c{collision.pk}"
        super().__init__(*args, **kwargs)
        self.fields["keeper"].choices = [  # type: ignore[attr-defined]
            (str(collision.existing_id), _("先报：%(unit)s") % {"unit": collision.existing.source_unit}),
            (str(collision.lead_id), _("后报：%(unit)s") % {"unit": collision.lead.source_unit}),
        ]
        self.fields["keeper"].initial = str(collision.existing_id)
        self.fields["lead_share"].initial = 0
        self.fields["existing_share"].initial = 100


class CollisionDismissForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
