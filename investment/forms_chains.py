"""Forms of the office's chain pages. They collect what is typed; the rules (who, a leader as chief, a link's
name once per chain, no deleting a link with leads) are the services' (investment.chains)."""
from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from investment import chains
from investment.models import Chain, ChainNode, TargetKind


class ChainForm(forms.ModelForm[Chain]):
    class Meta:
        model = Chain
        fields = ["name", "chief", "description", "order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"order": _("产业链列表按此数字从小到大排列。")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chief = self.fields["chief"]
        chief.queryset = chains.chief_choices()  # type: ignore[attr-defined]
        chief.required = True
        chief.help_text = _("在职的区领导。")


class ChainNodeForm(forms.ModelForm[ChainNode]):
    # The list of names, typed one a line.
    enterprises = forms.CharField(
        label=_("本地企业"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("已在本区的企业，每行一家。"),
    )

    class Meta:
        model = ChainNode
        fields = ["name", "position", "order", "target_kind"]
        help_texts = {
            "order": _("同一位置的环节按此数字从小到大排列。"),
            "target_kind": _("补链：本区缺少的环节；强链：已有但偏弱；延链：向上下游延伸。不招商的留空。"),
        }

    field_order = ["name", "position", "order", "enterprises", "target_kind"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["enterprises"].initial = "\n".join(self.instance.local_enterprises)
        self.fields["target_kind"].choices = [("", _("不招商")), *TargetKind.choices]  # type: ignore[attr-defined]

    def clean_enterprises(self) -> list[str]:
        return chains.enterprise_lines(self.cleaned_data["enterprises"])
