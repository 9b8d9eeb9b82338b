"""Forms of the targets grid (one form per unit) and the ranking's year and month chooser."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from investment import targets as tg
from investment.models import Target

YEARS = (2000, 2100)


class TargetForm(forms.Form):
    """One unit's targets for a year; a blank field is a target not set. ``version``: the target's version the
    page showed (0: the unit had none), so a save over someone else's newer change is refused."""

    signed_count = forms.IntegerField(label=_("签约项目数(个)"), required=False, min_value=0)
    big_count = forms.IntegerField(label=_("亿元以上项目数(个)"), required=False, min_value=0)
    signed_amount = forms.DecimalField(label=_("签约额(万元)"), required=False, max_digits=14, decimal_places=2,
                                       validators=[MinValueValidator(Decimal(0))])
    started_amount = forms.DecimalField(label=_("开工额(万元)"), required=False, max_digits=14, decimal_places=2,
                                        validators=[MinValueValidator(Decimal(0))])
    funds_amount = forms.DecimalField(label=_("到位资金(万元)"), required=False, max_digits=14, decimal_places=2,
                                      validators=[MinValueValidator(Decimal(0))])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, target: Target | None = None, **kwargs: Any) -> None:
        if target is not None:
            kwargs.setdefault("initial", {**{m: getattr(target, m) for m in tg.METRICS}, "version": target.version})
        else:
            kwargs.setdefault("initial", {"version": 0})
        super().__init__(*args, **kwargs)
        for name in tg.METRICS:
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "class": "num"})

    def values(self) -> dict[str, Decimal | int | None]:
        return {m: self.cleaned_data.get(m) for m in tg.METRICS}


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=YEARS[0], max_value=YEARS[1])


class MonthForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=YEARS[0], max_value=YEARS[1])
    month = forms.TypedChoiceField(label=_("月份"), coerce=int,
                                   choices=[(m, str(m)) for m in range(1, 13)])

    def month_end(self) -> dt.date:
        year, month = self.cleaned_data["year"], self.cleaned_data["month"]
        return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
