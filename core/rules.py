"""Pure rules of the platform: how a district writes its reporting deadline.

No ORM here. The district's settings page (core.district) validates the rule with this parser and
dispatch computes each period's deadline with it (dispatch/rules.py ``period_deadline``), so a rule
the page accepts is one the cycle understands.

A district sets one rule: either a day of the reported month ("day:25": the October report is due
on 25 October; a deadline on a holiday or weekend moves back to the working day before it, so
nobody is late because the office was closed) or a number of working days after the period ends
("workdays:5": the October report is due on the fifth working day of November).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class DeadlineRule:
    kind: str  # "day" or "workdays"
    value: int

    @classmethod
    def parse(cls, text: str) -> DeadlineRule:
        kind, _sep, number = text.strip().partition(":")
        if kind not in {"day", "workdays"} or not number.strip().isdigit():
            raise ValueError(_("截止规则应写成 day:25 或 workdays:5，实际为“%(text)s”") % {"text": text})
        value = int(number)
        if (kind == "day" and not 1 <= value <= 31) or (kind == "workdays" and not 0 <= value <= 30):
            raise ValueError(_("截止规则的数字超出范围：“%(text)s”") % {"text": text})
        return cls(kind, value)

    def in_words(self) -> str:
        if self.kind == "day":
            return _("每月 %(day)d 日前报送（逢节假日提前到前一个工作日）") % {"day": self.value}
        return _("期末后第 %(n)d 个工作日前报送") % {"n": self.value}
