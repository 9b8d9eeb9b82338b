"""Shared formatting of rates and money, for templates (``{% load diaodu_format %}``) and documents.

A rate is computed and rounded once, by ``projects.rules.rate_percent``; these only write it:
"—" where there is no rate (no plan, nothing due), "73.3%" otherwise. Money is 万元 with two
decimals rounded half-up: on pages in the language's number format (no thousands separator in
Chinese, as the ledger always showed), in documents and messages with one
(``projects.rules.money_text``, "1,234.50"), as printed reports write it.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format

from projects.rules import money_text

register = template.Library()

NO_RATE = "—"
_CENT = Decimal("0.01")


def format_rate(value: Decimal | None) -> str:
    return NO_RATE if value is None or value == "" else f"{value}%"


def format_money(value: Decimal | int | None) -> str:
    """Money for documents (the bulletin's Word text and tables): "1,234.50"; blank when missing."""
    return "" if value is None or value == "" else money_text(Decimal(value))


@register.filter(name="rate")
def rate_filter(value: Decimal | None) -> str:
    return format_rate(value)


@register.filter(name="money")
def money_filter(value: Decimal | int | None) -> str:
    """Money on a page: two decimals, half-up, grouped the way the page's language groups numbers."""
    if value is None or value == "":
        return ""
    # Half-up before formatting: number_format alone would round half-even.
    return number_format(Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP), 2, force_grouping=True)
