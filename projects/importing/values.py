"""Reading the values of a district's own list as they are written there.

Every parser takes a cell's value (text, number, date or None, as openpyxl read it) and returns a typed
result, None for a blank cell (or a placeholder such as "—", "/", "无"), or raises
``core.excel.parsers.CellError`` (a ``ValueError``) whose ``message`` says in Chinese what was expected
and what was found, for the page to show beside the row and the column.

- ``parse_amount``: "5亿元", "1.2亿", "3000万元", "3,000.5", "３０００万元", "1亿2000万元", a number in
  the column's unit ("总投资（亿元）": 5 is 5亿元), foreign currencies with a rate → ``Amount`` in 万元.
  Exact decimal arithmetic; rounded to 2 places half-up once, at the end.
- ``parse_period``: "2022-2023", "2022.3-2024.12", "2022年3月-2023年6月", "建设工期2年", "预计2018年12月建成",
  "2024" → ``PlannedPeriod`` (start and end year and month, the text as written, the planned dates).
- ``split_units``: "县水利局牵头，各乡镇配合" → the lead unit(s) and the co-units, "各乡镇" kept as a group.
- ``fold``, ``unit_key``, ``unit_candidates``: search keys (traditional → simplified, full-width →
  half-width) and suggested units for a name as written (縣教育局, 教体局 → 教育和体育局), with a score;
  the user decides.
- ``parse_level``: "省重点", "市级", "县重点" → a level code, "亿元以上" → a size class.
- ``make_code``: project codes from a pattern ("{year}-{seq:04d}"); ``looks_like_sequence`` spots a
  column of row numbers (序号 is never a code).
"""
from __future__ import annotations

import calendar
import datetime as dt
import difflib
import math
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, Inexact, InvalidOperation, localcontext
from functools import lru_cache
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

from core.excel.layout import section_title
from core.excel.parsers import EARLIEST_DATE, LATEST_DATE, CellError, is_blank, parse_date, parse_text, shown

# Written where a list has nothing to say.
PLACEHOLDERS = frozenset({"-", "--", "—", "——", "–", "/", "\\", "无", "暂无", "空"})


def _text(value: Any) -> str:
    """The cell as text, full-width forms to half-width, whitespace at the ends removed."""
    return unicodedata.normalize("NFKC", parse_text(value)).strip()


def _blank(value: Any) -> bool:
    return is_blank(value) or (isinstance(value, str) and _text(value) in PLACEHOLDERS)


def clean_text(value: Any, *, max_length: int | None = None, one_line: bool = False) -> str:
    """A text cell: blank and placeholders are "", line breaks (Alt+Enter) joined with ``one_line``,
    longer than ``max_length`` is an error."""
    if _blank(value):
        return ""
    text = parse_text(value)
    if one_line:
        text = re.sub(r"\s*[\r\n]+\s*", "", text)
    if max_length is not None and len(text) > max_length:
        raise CellError(
            _("最多 %(max)d 个字，实际 %(count)d 个字：“%(value)s”")
            % {"max": max_length, "count": len(text), "value": shown(text)}
        )
    return text


# --- folding: search keys ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _t2s() -> Any:
    # Pure Python, offline (the dictionaries ship in the package); loaded once, on first use.
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=16384)
def _fold(text: str) -> str:
    if text.isascii():  # numbers, codes, Latin names: nothing to convert
        return re.sub(r"\s+", "", text).casefold()
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return _t2s().convert(text).casefold() if text else ""


def fold(text: Any) -> str:
    """A search key: traditional to simplified characters, full-width to half-width, case folded,
    whitespace removed. "醫院" and "医院", "ＡＢＣ 公司" and "abc公司" fold the same."""
    if text is None:
        return ""
    return _fold(text if isinstance(text, str) else parse_text(text))


# --- amounts ----------------------------------------------------------------------------------------

CNY = "CNY"
# Currency code → the names written for it (after folding), longest tried first.
CURRENCIES: dict[str, tuple[str, ...]] = {
    CNY: ("元人民币", "人民币", "元", "rmb", "cny", "¥"),
    "USD": ("美元", "美金", "usd", "us$", "$"),
    "EUR": ("欧元", "eur", "€"),
    "HKD": ("港元", "港币", "hkd", "hk$"),
    "JPY": ("日元", "jpy"),
    "GBP": ("英镑", "gbp", "£"),
    "AUD": ("澳元", "澳大利亚元", "aud"),
    "CAD": ("加元", "加拿大元", "cad"),
    "SGD": ("新加坡元", "新元", "sgd"),
    "KRW": ("韩元", "krw"),
    "TWD": ("新台币", "台币", "twd"),
    "MOP": ("澳门元", "mop"),
    "CHF": ("瑞士法郎", "chf"),
}
# How a unit and a message name the currency: 万元, 万美元; "1美元折合人民币多少元".
CURRENCY_NAMES = {code: "元" if code == CNY else names[0] for code, names in CURRENCIES.items()}
_CURRENCY_WORDS = sorted(
    ((name, code) for code, names in CURRENCIES.items() for name in names), key=lambda pair: -len(pair[0])
)
# Magnitudes in 万 of the currency.
MAGNITUDES: dict[str, Decimal] = {
    "千亿": Decimal(10) ** 7, "百亿": Decimal(10) ** 6, "十亿": Decimal(10) ** 5, "亿": Decimal(10) ** 4,
    "千万": Decimal(1000), "百万": Decimal(100), "十万": Decimal(10), "万": Decimal(1),
    "千": Decimal("0.1"), "百": Decimal("0.01"),
}
YUAN = Decimal("0.0001")  # one 元 in 万元
WAN = "万元"
# The ledger's money: DecimalField(max_digits=14, decimal_places=2).
MAX_WAN = Decimal(10) ** 12
CENT = Decimal("0.01")
_MAGNITUDE = "|".join(MAGNITUDES)
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_PART_RE = re.compile(rf"(?P<number>{_NUMBER})(?P<magnitude>{_MAGNITUDE})?零?")


@dataclass(frozen=True)
class MoneyUnit:
    """A unit of money: ``scale`` is one unit in 万 of ``currency`` (亿元: 10000, CNY; 万美元: 1, USD)."""

    scale: Decimal
    currency: str
    text: str


def parse_unit(text: str) -> MoneyUnit:
    """"亿元", "万元", "元", "万美元", "人民币万元", "亿" → ``MoneyUnit``; anything else is an error."""
    key = fold(text)
    magnitude, rest = "", key
    for prefix in ("人民币", "rmb"):
        if rest.startswith(prefix) and rest != prefix:
            rest = rest[len(prefix):]
    for name in MAGNITUDES:
        if rest.startswith(name):
            magnitude, rest = name, rest[len(name):]
            break
    code = _currency(rest) if rest else CNY
    if code is None:
        raise CellError(_("无法识别金额单位“%(unit)s”，应为元、万元、亿元或万美元等") % {"unit": shown(text)})
    return MoneyUnit(MAGNITUDES[magnitude] if magnitude else YUAN, code, text)


def _currency(word: str) -> str | None:
    key = fold(word)
    return next((code for name, code in _CURRENCY_WORDS if name == key), None)


@dataclass(frozen=True)
class Amount:
    """An amount read from a list. ``wan`` is in 万元 (人民币), rounded to 2 places half-up; ``exact``
    before rounding. ``currency`` is the currency written ("CNY", "USD"…), ``foreign`` the amount in 万
    of it and ``rate`` the 元 per unit used (both None for 人民币); ``unit`` the unit the number was
    read in ("亿元" written, or the column's), ``text`` the cell as written."""

    wan: Decimal
    exact: Decimal
    currency: str
    unit: str
    text: str
    rate: Decimal | None = None
    foreign: Decimal | None = None

    @property
    def rounded(self) -> bool:
        return self.wan != self.exact


class MissingRate(CellError):
    """A foreign amount without a rate for its currency; ``currency`` is the code the page asks a rate for."""

    def __init__(self, message: str, currency: str) -> None:
        super().__init__(message)
        self.currency = currency


def _decimal(number: Any) -> Decimal:
    if isinstance(number, Decimal):
        return number
    if isinstance(number, float):
        return Decimal(repr(number))  # the decimal the cell shows, not the binary float's expansion
    return Decimal(number)


def rate_value(currency: str, rates: Mapping[str, Any] | None) -> Decimal:
    """The rate (元 per unit) for ``currency`` from ``rates`` (keys: codes such as "USD", or names such
    as "美元"); ``MissingRate`` when there is none, an error when it is not a positive number."""
    name = CURRENCY_NAMES.get(currency, currency)
    for key, value in (rates or {}).items():
        if str(key).upper() == currency or _currency(str(key)) == currency:
            try:
                rate = _decimal(value if not isinstance(value, str) else unicodedata.normalize("NFKC", value).strip())
            except (InvalidOperation, ValueError, TypeError):
                rate = Decimal(-1)
            if not rate.is_finite() or rate <= 0:
                raise CellError(_("%(name)s的汇率应为大于 0 的数字（1%(name)s折合人民币多少元），实际为“%(value)s”")
                                % {"name": name, "value": shown(value)})
            return rate
    raise MissingRate(
        _("金额是%(name)s，请填写%(name)s的汇率（1%(name)s折合人民币多少元）") % {"name": name}, currency,
    )


def _amount_error(value: Any, unit: MoneyUnit) -> CellError:
    return CellError(
        _("应为金额，如“5亿元”“3000万元”，或只写数字（按%(unit)s），实际为“%(value)s”")
        % {"unit": unit.text, "value": shown(value)}
    )


def parse_amount(
    value: Any,
    *,
    unit: str | None = None,
    rates: Mapping[str, Any] | None = None,
    max_wan: Decimal = MAX_WAN,
) -> Amount | None:
    """An amount in 万元, or None for a blank cell; see ``Amount``.

    ``unit`` is the unit of a number written alone: the column's ("总投资（亿元）") or the title's
    ("单位：亿元"), by default 万元. A unit written in the cell wins over it ("5000万元" in an 亿元 column
    is 5000万元). A foreign amount ("2000万美元", or any number in a "（万美元）" column) needs a rate in
    ``rates`` (currency code → 元 per unit); without one ``MissingRate`` names the currency.
    """
    default = parse_unit(unit or WAN)
    if _blank(value):
        return None
    if isinstance(value, (bool, dt.date, dt.time)):
        raise _amount_error(value, default)
    if isinstance(value, (int, float, Decimal)):
        number = _decimal(value)
        if not number.is_finite():
            raise _amount_error(value, default)
        parts: list[tuple[Decimal, str]] = [(number, "")]
        currency: str | None = None
        text = shown(value, 60)
    else:
        text = parse_text(value).strip()
        parts, currency = _amount_parts(text, default)
    if any(number < 0 for number, _m in parts):
        raise CellError(_("金额不能为负数，实际为“%(value)s”") % {"value": shown(value)})
    written = any(magnitude for _n, magnitude in parts)
    code = currency or default.currency
    if written:
        scale_unit = "".join(m for _n, m in parts[:1]) + CURRENCY_NAMES[code]
    elif currency is not None:
        scale_unit = CURRENCY_NAMES[code]  # "5000元": 元, whatever the column's unit
    else:
        scale_unit = default.text
    try:
        with localcontext() as context:
            # Enough digits for any amount a cell can hold; an inexact step would be a bug, so it traps.
            context.prec = 60
            context.traps[Inexact] = True
            if written:
                amount = sum((number * MAGNITUDES[m] for number, m in parts), Decimal(0))
            elif currency is not None:
                amount = parts[0][0] * YUAN
            else:
                amount = parts[0][0] * default.scale
            rate = None if code == CNY else rate_value(code, rates)
            exact = amount if rate is None else amount * rate
    except (Inexact, InvalidOperation) as error:
        raise CellError(_("金额数值过大：“%(value)s”") % {"value": shown(value)}) from error
    if exact >= max_wan:
        raise CellError(
            _("金额过大（应小于 %(max)s 万元）：“%(value)s”") % {"max": f"{max_wan:f}", "value": shown(value)}
        )
    wan = exact.quantize(CENT, rounding=ROUND_HALF_UP) + 0
    return Amount(wan, exact, code, scale_unit, text, rate, None if rate is None else amount)


def _amount_parts(text: str, default: MoneyUnit) -> tuple[list[tuple[Decimal, str]], str | None]:
    """The numbers with their magnitudes, and the currency written, of an amount typed as text."""
    key = fold(text)
    # Thousands separators between digits: "3,000.5", "1,200万元".
    key = re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", key)
    if key.startswith("-"):
        raise CellError(_("金额不能为负数，实际为“%(value)s”") % {"value": shown(text)})
    currencies: list[str] = []
    # "人民币5亿元", "US$2000万", "5亿元人民币": a currency before the number, after it, or both.
    prefix = next(((name, code) for name, code in _CURRENCY_WORDS if key.startswith(name) and key != name), None)
    if prefix is not None:
        key = key[len(prefix[0]):]
        currencies.append(prefix[1])
    suffix = next(((name, code) for name, code in _CURRENCY_WORDS if key.endswith(name) and key != name), None)
    if suffix is not None:
        key = key[: -len(suffix[0])]
        currencies.append(suffix[1])
    if len(set(currencies)) > 1:
        raise CellError(_("金额中写了两种币种：“%(value)s”") % {"value": shown(text)})
    parts: list[tuple[Decimal, str]] = []
    position = 0
    for found in _PART_RE.finditer(key):
        if found.start() != position:
            break
        parts.append((Decimal(found["number"]), found["magnitude"] or ""))
        position = found.end()
    if not parts or position != len(key):
        raise _amount_error(text, default)
    if len(parts) > 1:
        # "1亿2000万": each part a smaller magnitude than the one before, every part with one.
        if not all(m for _n, m in parts):
            raise _amount_error(text, default)
        factors = [MAGNITUDES[m] for _n, m in parts]
        if any(a <= b for a, b in pairwise(factors)):
            raise _amount_error(text, default)
    return parts, currencies[0] if currencies else None


# --- periods ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class YearMonth:
    """A year, and a month when the list gives one."""

    year: int
    month: int | None = None

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    def last_day(self) -> dt.date:
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"


@dataclass(frozen=True)
class PlannedPeriod:
    """A construction period (建设年限) as read from a list: ``start`` and ``end`` (either may be None:
    "预计2018年12月建成" has only an end), ``text`` as written, ``months`` the duration when the list
    gave one ("建设工期2年": 24, counted from the list's year), ``note`` something to check."""

    text: str
    start: YearMonth | None
    end: YearMonth | None
    months: int | None = None
    note: str = ""

    @property
    def planned_start(self) -> dt.date | None:
        """The first day of the start's month (or of its year, when no month is given)."""
        return self.start.first_day() if self.start else None

    @property
    def planned_completion(self) -> dt.date | None:
        """The last day of the end's month (or of its year, when no month is given)."""
        return self.end.last_day() if self.end else None

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        return self.planned_start, self.planned_completion


_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# Parts of a year: (first month, last month).
_YEAR_PARTS = {
    "上半年": (1, 6), "下半年": (7, 12), "底": (12, 12), "末": (12, 12), "初": (1, 1), "中": (6, 7),
    "一季度": (1, 3), "二季度": (4, 6), "三季度": (7, 9), "四季度": (10, 12),
}
_POINT_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2}|2100)"
    r"(?:年度?(?:第?(?P<part>上半年|下半年|[一二三四1-4]季度|底|末|初|中))?"
    r"(?:(?P<m>\d{1,2})月份?(?:(?P<d>\d{1,2})日)?(?P<mpart>底|末|初|中旬|上旬|下旬)?)?"
    r"|[./-](?P<m2>\d{1,2})(?!\d)(?:[./-](?P<d2>\d{1,2})(?!\d))?)?"
)
_RANGE_SEPARATORS = re.compile(r"[—–－~～]+|至|到")
# Two months of one year: "2026年3-12月", "2026年3月至12月", "2026.3-12".
_MONTH_RANGE_RE = re.compile(r"(?P<y>(?:19|20)\d{2}|2100)年(?P<a>\d{1,2})月?[~-](?P<b>\d{1,2})月")
_DOT_MONTH_RANGE_RE = re.compile(r"(?P<y>(?:19|20)\d{2}|2100)[./](?P<a>\d{1,2})[~-](?P<b>\d{1,2})(?![\d./年月])")
_DURATION_RE = re.compile(r"(?P<n>\d+(?:\.\d+)?|[一二两三四五六七八九十])(?:(?P<u>个月|月)|年(?P<half>半)?)")
_END_MARKERS = re.compile(r"建成|竣工|完工|完成|投产|投用|交付|结束|办结|达产")
_START_MARKERS = re.compile(r"开工|启动|开始|动工|起")


def _period_error(value: Any) -> CellError:
    return CellError(
        _("应为建设年限，如“2022-2023”“2022.3-2024.12”“2022年3月-2023年6月”“建设工期2年”“2024年底建成”，实际为“%(value)s”")
        % {"value": shown(value)}
    )


@dataclass(frozen=True)
class _Point:
    year: int
    first: int | None
    last: int | None
    start: int
    end: int


def _check_year(year: int, value: Any) -> int:
    if not EARLIEST_DATE.year <= year <= LATEST_DATE.year:
        raise CellError(
            _("年份应在 %(first)d 至 %(last)d 之间，实际为“%(value)s”")
            % {"first": EARLIEST_DATE.year, "last": LATEST_DATE.year, "value": shown(value)}
        )
    return year


def _check_month(month: int, value: Any) -> int:
    if not 1 <= month <= 12:
        raise CellError(_("月份应在 1 至 12 之间，实际为“%(value)s”") % {"value": shown(value)})
    return month


def _points(text: str, value: Any) -> list[_Point]:
    points = []
    for found in _POINT_RE.finditer(text):
        year = _check_year(int(found["y"]), value)
        month = found["m"] or found["m2"]
        if month is not None:
            m = _check_month(int(month), value)
            points.append(_Point(year, m, m, found.start(), found.end()))
        elif found["part"]:
            part = found["part"]
            part = {"1季度": "一季度", "2季度": "二季度", "3季度": "三季度", "4季度": "四季度"}.get(part, part)
            first, last = _YEAR_PARTS[part]
            points.append(_Point(year, first, last, found.start(), found.end()))
        else:
            points.append(_Point(year, None, None, found.start(), found.end()))
    return points


def parse_period(value: Any, *, year: int | None = None) -> PlannedPeriod | None:
    """A construction period as lists write it, or None for a blank cell; see ``PlannedPeriod``.

    Two dates are the start and the end ("2022-2023", "2022.3-2024.12", "2022年3月-2023年6月",
    "2026年3-12月"); one is both ("2024", "2022年3月"), or only the end when it says 建成/竣工/投产
    ("预计2018年12月建成", "2025年底竣工"), or only the start with 开工 ("2026年3月开工"). A duration
    ("建设工期2年", "工期18个月") counts from January of ``year``, the list's year, which it needs.
    A number cell is a year (2024) or year.month (2022.3); a date cell is its month.
    """
    if _blank(value):
        return None
    original = value.strip() if isinstance(value, str) else parse_text(value)
    if isinstance(value, bool):
        raise _period_error(value)
    if isinstance(value, (dt.date, dt.datetime)):
        day = value.date() if isinstance(value, dt.datetime) else value
        month = YearMonth(_check_year(day.year, value), day.month)
        return PlannedPeriod(original, month, month)
    if isinstance(value, (int, float, Decimal)):
        return _number_period(value, original)
    text = _RANGE_SEPARATORS.sub("~", fold(value))
    text = _MONTH_RANGE_RE.sub(lambda m: f"{m['y']}年{m['a']}月~{m['y']}年{m['b']}月", text)
    text = _DOT_MONTH_RANGE_RE.sub(lambda m: f"{m['y']}.{m['a']}~{m['y']}.{m['b']}", text)
    points = _points(text, value)
    if not points:
        return _duration_period(text, original, value, year)
    # A number left over is something not understood ("2022.3-12.5"): better an error than a guess.
    gaps = [text[: points[0].start], *(text[a.end: b.start] for a, b in pairwise(points)), text[points[-1].end:]]
    if re.search(r"\d", _DURATION_RE.sub("", "".join(gaps))):
        raise _period_error(value)
    if len(points) > 2:
        raise CellError(_("写了两个以上的时间，无法判断起止：“%(value)s”") % {"value": shown(value)})
    if len(points) == 2:
        first, last = points
        start, end = YearMonth(first.year, first.first), YearMonth(last.year, last.last)
        if end.last_day() < start.first_day():
            raise CellError(_("结束时间早于开始时间：“%(value)s”") % {"value": shown(value)})
        return PlannedPeriod(original, start, end)
    point = points[0]
    start, end = YearMonth(point.year, point.first), YearMonth(point.year, point.last)
    after, before = text[point.end:], text[: point.start]
    if _END_MARKERS.search(after) or _END_MARKERS.search(before):
        return PlannedPeriod(original, None, end)
    if _START_MARKERS.search(after) or _START_MARKERS.search(before):
        return PlannedPeriod(original, start, None)
    return PlannedPeriod(original, start, end)


def _number_period(value: int | float | Decimal, original: str) -> PlannedPeriod:
    number = _decimal(value)
    if not number.is_finite() or number < 0:
        raise _period_error(value)
    if number == number.to_integral_value():
        whole = int(number)
        if whole > LATEST_DATE.year:  # a date typed into a cell formatted as a number: an Excel serial
            day = parse_date(whole)
            assert day is not None
            point = YearMonth(day.year, day.month)
            return PlannedPeriod(original, point, point)
        point = YearMonth(_check_year(whole, value))
        return PlannedPeriod(original, point, point)
    year_part, _dot, month_part = format(number, "f").partition(".")
    if len(month_part) > 2:
        raise _period_error(value)
    month = _check_month(int(month_part), value)
    point = YearMonth(_check_year(int(year_part), value), month)
    note = ""
    if month_part == "1":
        # Excel keeps 2022.10 typed as a number as 2022.1.
        note = _("“%(value)s”按 %(year)s年1月读取；若是 %(year)s年10月，请写成文本“%(year)s.10”或“%(year)s年10月”") % {
            "value": original, "year": year_part,
        }
    return PlannedPeriod(original, point, point, note=note)


def _duration_period(text: str, original: str, value: Any, year: int | None) -> PlannedPeriod:
    found = _DURATION_RE.search(text)
    if found is None:
        raise _period_error(value)
    n = found["n"]
    count = Decimal(_CN_DIGITS[n]) if n in _CN_DIGITS else Decimal(n)
    if found["half"]:
        count += Decimal("0.5")
    months = count if found["u"] else count * 12
    if months != months.to_integral_value():
        raise CellError(_("工期应为整月数，实际为“%(value)s”") % {"value": shown(value)})
    if not 1 <= months <= 600:
        raise CellError(_("工期应在 1 个月至 50 年之间，实际为“%(value)s”") % {"value": shown(value)})
    if year is None:
        raise CellError(
            _("“%(value)s”只写了工期，需要知道开工年份：请在页面上填写清单的年度") % {"value": shown(value)}
        )
    total = int(months)
    _check_year(year, year)
    start = YearMonth(year)
    end_year = year + (total - 1) // 12
    end = YearMonth(_check_year(end_year, value), None if total % 12 == 0 else (total - 1) % 12 + 1)
    return PlannedPeriod(original, start, end, months=total)


# --- units (单位) -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitName:
    """A unit as named in a list; ``group`` for several units named at once ("各乡镇", "各相关部门",
    "属地镇街"), which the mapping page resolves."""

    name: str
    group: bool = False


@dataclass(frozen=True)
class UnitList:
    """The units of a cell such as "县水利局牵头，各乡镇配合": ``leads`` (usually one; several when
    "A、B牵头"), ``co`` the co-units, ``text`` as written."""

    text: str
    leads: tuple[UnitName, ...]
    co: tuple[UnitName, ...] = ()

    @property
    def lead(self) -> UnitName | None:
        return self.leads[0] if self.leads else None

    @property
    def names(self) -> tuple[UnitName, ...]:
        return (*self.leads, *self.co)


_LEAD, _CO = "lead", "co"
# The words below are matched in traditional characters too: "縣水利局牽頭" reads as it would simplified.
_TRADITIONAL = dict(zip("牵头负责协办参与单门关县区乡镇属项", "牽頭負責協辦參與單門關縣區鄉鎮屬項", strict=True))


def _either(pattern: str) -> str:
    """``pattern`` with each simplified character that has a traditional form matching both."""
    return "".join(f"[{ch}{_TRADITIONAL[ch]}]" if ch in _TRADITIONAL else ch for ch in pattern)


_CO_WORDS = _either("配合|协办|协助|参与|协同")
_LEAD_WORDS = _either("牵头负责|牵头|负责|主责")
_LABEL_RE = re.compile(
    _either(r"(?P<label>(?:牵头|责任|主责|主办)(?:单位|部门)?|(?:配合|协办|协助|参与|协同)(?:单位|部门)?)") + "[:：]"
)
_CLAUSE_SPLIT = re.compile(r"[，,;；。\n\r]+")
_NAME_SPLIT = re.compile(r"[、/|｜\s]+")
# After the names of a clause ("县水利局牵头"); in brackets after one name ("县水利局（牵头）") it marks that name only.
_LEAD_MARK = re.compile(f"(?:{_LEAD_WORDS})$")
_CO_MARK = re.compile(f"等?(?:{_CO_WORDS})$")
_LEAD_BRACKET = re.compile(rf"[(\[【](?:{_LEAD_WORDS})[)\]】]$")
_CO_BRACKET = re.compile(rf"[(\[【](?:{_CO_WORDS})[)\]】]$")
_GROUP_RE = re.compile(
    _either(r"^(?:各|相关|有关|全县|全区|全市|所在|属地|项目所在)|各(?:乡镇|镇街|街道|部门|单位)|成员单位$")
)
_AND_OTHERS = re.compile(_either(r"^(?P<named>.+?)等(?P<group>(?:相关|有关|其他)?(?:部门|单位|乡镇|镇街)?)$"))


def _unit_names(clause: str) -> list[UnitName]:
    names: list[UnitName] = []
    for raw in _NAME_SPLIT.split(clause):
        name = raw.strip("、，,;；:：.。 ")
        name = re.sub(r"^由", "", name)
        if not name or name in PLACEHOLDERS:
            continue
        others = _AND_OTHERS.match(name)
        if others is not None:
            names.append(UnitName(others["named"], bool(_GROUP_RE.search(others["named"]))))
            if others["group"]:
                names.append(UnitName(others["group"], True))
            continue
        names.append(UnitName(name, bool(_GROUP_RE.search(name))))
    return names


def split_units(value: Any) -> UnitList | None:
    """The units a cell names, or None for a blank cell; see ``UnitList``.

    Names are split on 、，,;；/ and line breaks; "牵头"/"负责" (or "（牵头）") after names marks them
    leads, "配合"/"协办" co-units; "牵头单位：A；配合单位：B、C" is read by its labels. With no lead
    marked, the first name is the lead and the others co-units.
    """
    if _blank(value):
        return None
    text = parse_text(value).strip()
    norm = unicodedata.normalize("NFKC", text)
    sections: list[tuple[str | None, str]] = []
    labels = list(_LABEL_RE.finditer(norm))
    if labels:
        if labels[0].start() > 0:
            sections.append((None, norm[: labels[0].start()]))
        for i, label in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(norm)
            sections.append((_CO if re.match(_CO_WORDS, label["label"]) else _LEAD,
                             norm[label.end(): end]))
    else:
        sections = [(None, norm)]
    leads: list[UnitName] = []
    co: list[UnitName] = []
    unmarked: list[UnitName] = []
    for role, part in sections:
        for clause in _CLAUSE_SPLIT.split(part):
            clause = clause.strip()
            if not clause:
                continue
            clause_role = role
            if clause_role is None and (mark := _LEAD_MARK.search(clause)):
                clause_role, clause = _LEAD, clause[: mark.start()]
            elif clause_role is None and (mark := _CO_MARK.search(clause)):
                clause_role, clause = _CO, clause[: mark.start()]
            for name in _unit_names(clause):
                # A mark in brackets on one name: "县财政局、县水利局（牵头）".
                bare = _LEAD_BRACKET.sub("", name.name)
                if bare != name.name:
                    leads.append(UnitName(bare, name.group))
                    continue
                bare = _CO_BRACKET.sub("", name.name)
                if bare != name.name:
                    co.append(UnitName(bare, name.group))
                    continue
                {_LEAD: leads, _CO: co, None: unmarked}[clause_role].append(name)
    if not leads and unmarked:
        leads, unmarked = unmarked[:1], unmarked[1:]
    co = [*unmarked, *co] if leads else co
    seen: set[str] = set()
    result: dict[str, list[UnitName]] = {_LEAD: [], _CO: []}
    for role, names in ((_LEAD, leads), (_CO, co)):
        for name in names:
            if name.name not in seen:
                seen.add(name.name)
                result[role].append(name)
    if not result[_LEAD] and not result[_CO]:
        raise CellError(_("没有读出单位名称：“%(value)s”") % {"value": shown(value)})
    return UnitList(text, tuple(result[_LEAD]), tuple(result[_CO]))


def split_list(value: Any) -> tuple[str, ...]:
    """Several names in one cell ("中央预算内、专项债+自筹"), split on 、，,;；/+ and line breaks."""
    if _blank(value):
        return ()
    parts = re.split(r"[、，,;；/+＋\n\r]+", unicodedata.normalize("NFKC", parse_text(value)))
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip() and p.strip() not in PLACEHOLDERS))


# --- matching unit names ----------------------------------------------------------------------------

# Names of before the 2018 reorganisation still written in lists (folded key → today's name).
FORMER_NAMES = {
    "环保局": "生态环境局", "环境保护局": "生态环境局",
    "国土局": "自然资源局", "国土资源局": "自然资源局",
    "规划局": "自然资源和规划局", "国土资源和规划局": "自然资源和规划局",
    "安监局": "应急管理局", "安全生产监督管理局": "应急管理局",
    "工商局": "市场监督管理局", "质监局": "市场监督管理局", "食药监局": "市场监督管理局",
    "工商行政管理局": "市场监督管理局", "食品药品监督管理局": "市场监督管理局",
    "卫计局": "卫生健康局", "卫生和计划生育局": "卫生健康局", "卫生局": "卫生健康局",
    "农业局": "农业农村局", "农委": "农业农村局", "农业委员会": "农业农村局",
    "文广新局": "文化和旅游局", "旅游局": "文化和旅游局", "文化局": "文化和旅游局",
    "文化广电新闻出版局": "文化和旅游局",
    "经信局": "工业和信息化局", "经济和信息化局": "工业和信息化局",
}
_ZONES = ("新区", "开区", "开发区", "园区", "城区", "景区", "工业区", "保税区", "示范区", "试验区", "经济区", "功能区",
          "社区", "片区", "管理区", "度假区", "合作区", "集聚区")
_PLACE_RE = re.compile(r"^[\u4e00-\u9fff]{2,4}?(?:省|市|县|区|旗)")
# A leading 县/区/市 is the place unless it begins a word: 市场, 市容, 市政(工程), 市民(中心), 区域, 区划,
# 县委, 县直, 县属, 县级, 县长 (but 县民政局 and 县政府办 are the 县's).
_ADMIN_RE = re.compile(r"^(?:县|区|市)(?!场|容|域|划|委|直|属|级|长|政(?!府)|民(?!政))")
_SUFFIXES = (("管理委员会", "管委会"), ("人民政府", ""), ("办事处", ""))


def unit_key(name: Any, *, places: Sequence[str] = ()) -> str:
    """A key to compare unit names: folded (``fold``), without "中共", the place ("XX县", "区", the
    district's own names in ``places``), a trailing bracket ("（本级）") and "人民政府"/"办事处".
    "縣教育局", "教育局", "区教育局" and "山亭区教育局" have the same key; "市场监管局" keeps its 市,
    "县委办" its 县 (the 县委 is not the 县's office)."""
    return _unit_key(fold(name), tuple(sorted({fold(p) for p in places if p}, key=len, reverse=True)))


def _without_place(place: str, rest: str) -> str:
    # "山亭区委组织部" is the 区委's department: the 区 stays.
    return place[-1] + rest if rest.startswith("委") and place[-1] in "省市县区旗" else rest


@lru_cache(maxsize=16384)
def _unit_key(key: str, places: tuple[str, ...]) -> str:
    key = re.sub(r"[(\[【][^()\[\]【】]*[)\]】]$", "", key) or key
    key = re.sub(r"^中共", "", key)
    for _round in range(3):
        before = key
        for place in places:
            if key.startswith(place) and len(key) - len(place) >= 2:
                key = _without_place(place, key[len(place):])
                break
        found = _PLACE_RE.match(key)
        if found is not None and not found[0].endswith(_ZONES) and len(key) - found.end() >= 2:
            key = _without_place(found[0], key[found.end():])
        if key == before:
            break
    if _ADMIN_RE.match(key) and len(key) >= 3:
        key = key[1:]
    for suffix, replacement in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            key = key[: -len(suffix)] + replacement
    return key


@dataclass(frozen=True)
class UnitCandidate:
    """A unit proposed for a name as written: ``value`` as given in the choices (an id), ``name`` the
    choice's name that matched, ``score`` from 0 to 1, ``how``: "same" (same key), "former" (an old
    name, 环保局 → 生态环境局), "abbreviation" (教体局 → 教育和体育局), "similar"."""

    value: Any
    name: str
    score: float
    how: str


def _is_subsequence(short: str, long: str) -> bool:
    chars = iter(long)
    return all(ch in chars for ch in short)


def name_similarity(a: str, b: str) -> tuple[float, str]:
    """How alike two unit keys (``unit_key``) are, and why; see ``UnitCandidate``."""
    if not a or not b:
        return 0.0, ""
    if a == b:
        return 1.0, "same"
    if FORMER_NAMES.get(a) == b or FORMER_NAMES.get(b) == a:
        return 0.9, "former"
    short, long = sorted((a, b), key=len)
    if len(short) >= 2 and short[0] == long[0] and short[-1] == long[-1] and _is_subsequence(short, long):
        return round(0.7 + 0.2 * len(short) / len(long), 3), "abbreviation"
    return round(difflib.SequenceMatcher(None, a, b).ratio(), 3), "similar"


def unit_candidates(
    name: Any,
    choices: Mapping[Any, str | Sequence[str]] | Iterable[str],
    *,
    places: Sequence[str] = (),
    limit: int = 5,
    cutoff: float = 0.6,
) -> list[UnitCandidate]:
    """The units most like ``name``, best first, at most ``limit``, none below ``cutoff``.

    ``choices``: {value: name or names} (a unit's id → its name and short name) or plain names.
    """
    items: list[tuple[Any, Sequence[str]]]
    if isinstance(choices, Mapping):
        items = [(value, [names] if isinstance(names, str) else list(names)) for value, names in choices.items()]
    else:
        items = [(choice, [choice]) for choice in choices]
    key = unit_key(name, places=places)
    best: dict[int, UnitCandidate] = {}
    for index, (value, names) in enumerate(items):
        for choice in names:
            if not choice:
                continue
            score, how = name_similarity(key, unit_key(choice, places=places))
            if score >= cutoff and (index not in best or score > best[index].score):
                best[index] = UnitCandidate(value, choice, score, how)
    return sorted(best.values(), key=lambda c: (-c.score, len(c.name), c.name))[:limit]


# --- levels and categories --------------------------------------------------------------------------

NATIONAL, PROVINCE, CITY, DISTRICT = "national", "province", "city", "district"  # projects.models.Level
LEVEL_ORDER = (NATIONAL, PROVINCE, CITY, DISTRICT)
_LEVEL_WORDS = (
    (NATIONAL, re.compile(r"国家|全国|中央")),
    (PROVINCE, re.compile(r"省")),
    (CITY, re.compile(r"市(?!场)")),
    (DISTRICT, re.compile(r"县|区|旗|本级")),
)
_SIZE_RE = re.compile(rf"(?P<number>\d+(?:\.\d+)?)?(?P<magnitude>{_MAGNITUDE})元?(?:以上|及以上|级)")


@dataclass(frozen=True)
class LevelResult:
    """A level cell: ``level`` (the highest named: "national", "province", "city", "district"),
    ``levels`` every one named ("省市重点"), ``size_min`` a size class in 万元 ("亿元以上": 10000)."""

    text: str
    level: str | None
    levels: tuple[str, ...] = ()
    size_min: Decimal | None = None

    @property
    def kind(self) -> str:
        """"level", "size" or "both"."""
        if self.level and self.size_min is not None:
            return "both"
        return "level" if self.level else "size"


def parse_level(value: Any) -> LevelResult | None:
    """"省重点", "省级", "市级重点", "县重点", "区级", "国家级" → a level; "亿元以上", "10亿元以上",
    "5000万元以上" → a size class, which is not a level; None for a blank cell."""
    if _blank(value):
        return None
    text = parse_text(value).strip()
    key = fold(text)
    size = None
    found = _SIZE_RE.search(key)
    if found is not None:
        size = Decimal(found["number"] or 1) * MAGNITUDES[found["magnitude"]]
        key = key[: found.start()] + key[found.end():]
    levels = tuple(code for code, pattern in _LEVEL_WORDS if pattern.search(key))
    if not levels and size is None:
        raise CellError(
            _("应为项目级别（国家级、省级、市级、县（区）级，或“省重点”等），或规模档次（如“亿元以上”），实际为“%(value)s”")
            % {"value": shown(value)}
        )
    return LevelResult(text, levels[0] if levels else None, levels, size)


_TYPE_WORDS = (
    ("industry", ("产业", "工业", "制造", "服务业", "商贸", "物流", "文旅", "旅游", "农业", "招商", "科技", "数字经济",
                  "新能源", "企业", "园区")),
    ("infrastructure", ("基础设施", "交通", "道路", "公路", "铁路", "桥", "水利", "市政", "城建", "城市更新", "管网",
                        "电网", "燃气", "供热", "污水", "环境治理")),
    ("livelihood", ("民生", "社会事业", "教育", "学校", "医疗", "卫生", "医院", "养老", "文化", "体育", "保障房",
                    "安置", "棚户区", "就业")),
)


def guess_project_type(value: Any) -> str | None:
    """The project type ("industry", "infrastructure", "livelihood") a category's words suggest, or
    None: a guess for the page to propose. A type named outright wins ("文化旅游产业" is industry)."""
    key = category_key(value)
    for code, word in (("industry", "产业"), ("infrastructure", "基础设施"), ("livelihood", "民生")):
        if word in key:
            return code
    for code, words in _TYPE_WORDS:
        if any(word in key for word in words):
            return code
    return None


def category_key(value: Any) -> str:
    """A category as a key: folded, without numbering, count and "项目"/"类": "一、工业项目（12个）",
    "工业项目" and "工业类" are "工业"."""
    if _blank(value):
        return ""
    text = section_title([value]) or parse_text(value)
    key = fold(text)
    return re.sub(r"(?:类项目|项目|类)$", "", key) or key


# --- project codes ----------------------------------------------------------------------------------

CODE_FIELDS = ("year", "seq", "unit")
CODE_MAX_LENGTH = 30  # projects.models.Project.code


def check_code_pattern(pattern: str, *, unit_code: str = "X") -> None:
    """Raise ``CellError`` (in words) unless ``pattern`` makes codes: placeholders only {year},
    {seq} (required, it makes codes differ) and {unit}, with valid formats, no spaces, at most 30
    characters for 9999 projects."""
    if not pattern or not pattern.strip():
        raise CellError(_("项目编号规则不能为空，如“{year}-{seq:04d}”"))
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as error:
        raise CellError(_("项目编号规则中的花括号不成对：“%(pattern)s”") % {"pattern": pattern}) from error
    names = [name for _text, name, _spec, _conversion in parsed if name is not None]
    for _text, name, _spec, conversion in parsed:
        if name is None:
            continue
        if name not in CODE_FIELDS:
            raise CellError(
                _("项目编号规则中的“{%(name)s}”无法识别，只能用 {year}（年度）、{seq}（顺序号）、{unit}（单位代码）")
                % {"name": name}
            )
        if conversion:
            raise CellError(
                _("项目编号规则中的“{%(name)s!%(conversion)s}”无法识别") % {"name": name, "conversion": conversion}
            )
    if "seq" not in names:
        raise CellError(_("项目编号规则必须包含 {seq}（顺序号），否则各项目编号相同"))
    if any(ch.isspace() for ch in pattern):
        raise CellError(_("项目编号规则中不能有空格"))
    try:
        longest = pattern.format(year=2026, seq=9999, unit=unit_code or "X")
        first, second = pattern.format(year=2026, seq=1, unit="X"), pattern.format(year=2026, seq=2, unit="X")
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise CellError(_("项目编号规则的格式有误：“%(pattern)s”") % {"pattern": pattern}) from error
    if first == second:
        raise CellError(_("项目编号规则中的 {seq} 格式有误，各项目编号会相同"))
    if len(longest) > CODE_MAX_LENGTH:
        raise CellError(
            _("按此规则生成的编号超过 %(max)d 个字符：“%(code)s”") % {"max": CODE_MAX_LENGTH, "code": longest}
        )


def make_code(pattern: str, n: int, *, year: int, unit_code: str = "") -> str:
    """The ``n``-th code of ``pattern`` ("{year}-{seq:04d}" → "2026-0007"; "XM{year}{seq:05d}").
    ``n`` is the system's count of codes made (from 1), never the list's 序号."""
    check_code_pattern(pattern, unit_code=unit_code or "X")
    if "unit" in {name for _t, name, _s, _c in string.Formatter().parse(pattern)} and not unit_code:
        raise CellError(_("项目编号规则中有 {unit}，需要填写单位代码"))
    if n < 1:
        raise CellError(_("顺序号应从 1 开始"))
    code = pattern.format(year=year, seq=n, unit=unit_code)
    if len(code) > CODE_MAX_LENGTH:
        raise CellError(_("生成的编号超过 %(max)d 个字符：“%(code)s”") % {"max": CODE_MAX_LENGTH, "code": code})
    return code


def looks_like_sequence(values: Sequence[Any]) -> bool:
    """A column of row numbers (1, 2, 3…, restarting at 1 in each section) rather than codes: then
    it is 序号, whatever its header says, and must not become project codes."""
    numbers: list[int] = []
    for value in values:
        if _blank(value):
            continue
        if isinstance(value, bool):
            return False
        if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
            return False
        text = _text(value) if not isinstance(value, (int, float)) else str(int(value))
        if not re.fullmatch(r"\d{1,5}", text):
            return False
        numbers.append(int(text))
    if len(numbers) < 2 or numbers[0] != 1:
        return False
    return all(b == a + 1 or b == 1 for a, b in pairwise(numbers))
