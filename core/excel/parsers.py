"""Cell parsers: pure functions from a cell's value to a typed value, raising only ``CellError``.

A parser takes what openpyxl read (text, number, date, bool, or None for a blank cell) and
returns the value, or raises ``CellError`` with the message shown to the user beside the row and
the column. Numbers and dates are taken in the forms people type them (full-width digits,
thousands separators, 2026/3/1, 2026年3月1日, Excel serial numbers).
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel

EARLIEST_DATE = dt.date(1950, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
YES, NO = "是", "否"

# A formula or error cell, already reported; its row is checked without it.
REJECTED: Any = object()


def normalize_header(value: Any) -> str:
    """Full-width brackets and digits to ASCII, whitespace removed: "总投资（万元）" is "总投资(万元)"."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(value: Any, limit: int = 30) -> str:
    """The cell as the user sees it, shortened for a message."""
    try:
        text = _number_text(value) if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else (
            value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
        )
    except (ValueError, ArithmeticError):  # an integer too long to print
        text = "…"
    return text if len(text) <= limit else text[:limit] + "…"


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: float | int | Decimal) -> str:
    """12345.0 as "12345", 0.1 as "0.1": how Excel shows a number in a general cell."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        value = Decimal(repr(value))
    if not value.is_finite() or abs(value.adjusted()) > 30:
        return str(value)
    text = format(value, "f")
    return text.split(".")[0] if "." in text and value == value.to_integral_value() else text


def parse_text(value: Any) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, (int, float, Decimal)):
        # A code or a phone number typed without a text format arrives as a number.
        try:
            return _number_text(value)
        except ValueError as error:  # an integer longer than Python will print
            raise CellError(_("数字过长")) from error
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _not_a_number(value: Any) -> CellError:
    return CellError(_("应为数字，实际为“%(value)s”") % {"value": shown(value)})


def _not_a_date(value: Any) -> CellError:
    return CellError(_("应为日期（如 2026-03-01），实际为“%(value)s”") % {"value": shown(value)})


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, (bool, dt.date, dt.time, dt.timedelta)):
        raise _not_a_number(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _not_a_number(value)
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _not_a_number(value)
        return value
    if isinstance(value, str):
        # Thousands separators, spaces and full-width digits are how people type numbers as text.
        text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", value))
        if _NUMBER_RE.match(text):
            return Decimal(text)
    raise _not_a_number(value)


def parse_number(
    value: Any, *, places: int, max_digits: int, allow_negative: bool = False
) -> Decimal | None:
    """A number with at most ``places`` decimals and ``max_digits`` digits in all, or None if blank.

    A float that is a decimal number plus binary noise (0.30000000000000004 for a cell showing
    0.30) is taken as the decimal; a typed third decimal is an error, never rounded away.
    """
    if is_blank(value):
        return None
    number = _to_decimal(value)
    if not allow_negative and number < 0:
        raise CellError(_("不能为负数，实际为“%(value)s”") % {"value": shown(value)})
    if abs(number) >= Decimal(10) ** (max_digits - places):
        raise CellError(_("数值过大，实际为“%(value)s”") % {"value": shown(value)})
    step = Decimal(1).scaleb(-places)
    # Adding zero turns a -0.00 into 0.00.
    rounded = number.quantize(step) + 0
    if rounded != number:
        noise = isinstance(value, float) and abs(rounded - number) <= max(abs(number), Decimal(1)) * Decimal("1e-12")
        if not noise:
            raise CellError(
                _("最多保留 %(places)d 位小数，实际为“%(value)s”") % {"places": places, "value": shown(value)}
            )
    return rounded


_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(\s+\d{1,2}:\d{2}(:\d{2})?)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)


def _in_range(day: dt.date, value: Any) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(
            _("日期应在 %(first)s 至 %(last)s 之间，实际为“%(value)s”")
            % {"first": EARLIEST_DATE.year, "last": LATEST_DATE.year, "value": shown(value)}
        )
    return day


def _from_serial(serial: float | int | Decimal, value: Any) -> dt.date:
    # Serials of 1950..2100 only; anything else (a year typed alone, 2026) is not a date.
    if not 18264 <= serial <= 73415:
        raise _not_a_date(value)
    try:
        converted = from_excel(float(serial), WINDOWS_EPOCH)
    except (ValueError, OverflowError, TypeError) as error:
        raise _not_a_date(value) from error
    return _in_range(converted.date() if isinstance(converted, dt.datetime) else converted, value)


def parse_date(value: Any) -> dt.date | None:
    """A date cell, an Excel serial number, or text as 2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日, 20260301."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return _in_range(value.date(), value)
    if isinstance(value, dt.date):
        return _in_range(value, value)
    if isinstance(value, bool):
        raise _not_a_date(value)
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _not_a_date(value)
        if isinstance(value, Decimal) and not value.is_finite():
            raise _not_a_date(value)
        return _from_serial(value, value)
    if not isinstance(value, str):
        raise _not_a_date(value)
    text = unicodedata.normalize("NFKC", value).strip()
    if re.fullmatch(r"\d{1,5}", text):
        return _from_serial(int(text), value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError as error:
                raise CellError(_("日期不存在：“%(value)s”") % {"value": shown(value)}) from error
            return _in_range(day, value)
    raise _not_a_date(value)


def parse_choice(value: Any, options: Mapping[str, str], labels: Sequence[str]) -> str | None:
    """The stored value for a display label (or an accepted alias); None if blank."""
    if is_blank(value):
        return None
    text = unicodedata.normalize("NFKC", parse_text(value)).strip()
    if text in options:
        return options[text]
    raise CellError(
        _("应为以下之一：%(choices)s，实际为“%(value)s”") % {"choices": "、".join(labels), "value": shown(value)}
    )


def parse_bool(value: Any) -> bool:
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = parse_text(value).strip()
    if text == YES:
        return True
    if text == NO:
        return False
    raise CellError(_("应为“是”或“否”，实际为“%(value)s”") % {"value": shown(value)})


def parse_money(value: Any, *, places: int = 2, max_digits: int = 14) -> Decimal | None:
    """万元, not negative."""
    return parse_number(value, places=places, max_digits=max_digits)


def choice_parser(options: Mapping[str, str], labels: Sequence[str]) -> Any:
    """A parser for a choice column: accepted text (labels and aliases) → stored value."""
    def parse(value: Any) -> str | None:
        return parse_choice(value, options, labels)

    return parse
