"""Reading the values of districts' own lists (``projects.importing.values``) and finding their columns
with the project fields (``projects.importing.fields``): amounts in 亿元/万元/foreign currencies,
construction periods, several units in a cell, traditional characters, levels, project codes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.excel.layout import guess_mapping
from core.excel.parsers import CellError, normalize_header, parse_text
from projects.importing import fields as F
from projects.importing.values import (
    CNY,
    FORMER_NAMES,
    MissingRate,
    UnitName,
    YearMonth,
    category_key,
    check_code_pattern,
    clean_text,
    fold,
    guess_project_type,
    looks_like_sequence,
    make_code,
    name_similarity,
    parse_amount,
    parse_level,
    parse_period,
    parse_unit,
    split_list,
    split_units,
    unit_candidates,
    unit_key,
)
from projects.models import Level, ProjectType

D = Decimal
FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


@pytest.fixture(autouse=True, scope="module")
def chinese() -> Iterator[None]:
    # Module scope so hypothesis tests do not trip the function-scoped fixture health check.
    with translation.override("zh-hans"):
        yield


def message(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(CellError) as error:
        call(*args, **kwargs)
    assert isinstance(error.value, ValueError)
    return error.value.message


# --- amounts ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "unit", "wan", "read_as"), [
    ("5亿元", None, "50000.00", "亿元"),
    ("1.2亿", None, "12000.00", "亿元"),
    ("3000万元", None, "3000.00", "万元"),
    ("3000万", None, "3000.00", "万元"),
    ("3000", None, "3000.00", "万元"),
    ("3,000.5", None, "3000.50", "万元"),
    ("1,234,567", None, "1234567.00", "万元"),
    ("0.5亿元", None, "5000.00", "亿元"),
    ("３０００万元", None, "3000.00", "万元"),
    ("３，０００．５", None, "3000.50", "万元"),
    (" 5 亿 元 ", None, "50000.00", "亿元"),
    ("1亿2000万元", None, "12000.00", "亿元"),
    ("5千万", None, "5000.00", "千万元"),
    ("5000元", None, "0.50", "元"),
    ("人民币5亿元", None, "50000.00", "亿元"),
    ("5亿元人民币", None, "50000.00", "亿元"),
    ("¥3000万", None, "3000.00", "万元"),
    # The column's or the title's unit for a number written alone; a unit in the cell wins.
    ("5", "亿元", "50000.00", "亿元"),
    ("0.35", "亿元", "3500.00", "亿元"),
    ("3000万元", "亿元", "3000.00", "万元"),
    ("5000", "元", "0.50", "元"),
    (5, "亿元", "50000.00", "亿元"),
    (1.2, "亿元", "12000.00", "亿元"),
    (0.1, None, "0.10", "万元"),
    (D("12.34"), None, "12.34", "万元"),
    (0, None, "0.00", "万元"),
])
def test_amounts_as_written(value: Any, unit: str | None, wan: str, read_as: str) -> None:
    amount = parse_amount(value, unit=unit)
    assert amount is not None
    assert amount.wan == D(wan) and str(amount.wan) == wan
    assert (amount.currency, amount.unit, amount.rate, amount.foreign) == (CNY, read_as, None, None)


@pytest.mark.parametrize("value", [None, "", "  ", "—", "/", "无", "-"])
def test_blank_amounts_are_none(value: Any) -> None:
    assert parse_amount(value) is None


def test_foreign_amounts_need_a_rate_and_say_which() -> None:
    rates = {"USD": "7.1", "欧元": D("7.8"), "HKD": 0.92}
    usd = parse_amount("2000万美元", rates=rates)
    assert usd is not None
    assert (usd.wan, usd.currency, usd.rate, usd.foreign) == (D("14200.00"), "USD", D("7.1"), D(2000))
    assert usd.unit == "万美元"
    eur = parse_amount("500万欧元", rates=rates)
    assert eur is not None and (eur.wan, eur.currency) == (D("3900.00"), "EUR")
    hkd = parse_amount("1亿港元", rates=rates)
    assert hkd is not None and (hkd.wan, hkd.currency, hkd.rate) == (D("9200.00"), "HKD", D("0.92"))
    # A number alone in a "（万美元）" column is dollars too.
    column = parse_amount(100, unit="万美元", rates=rates)
    assert column is not None and (column.wan, column.currency) == (D("710.00"), "USD")
    with pytest.raises(MissingRate) as missing:
        parse_amount("2000万美元")
    assert missing.value.currency == "USD"
    assert missing.value.message == "金额是美元，请填写美元的汇率（1美元折合人民币多少元）"
    with pytest.raises(MissingRate) as missing:
        parse_amount("300万日元", rates=rates)
    assert missing.value.currency == "JPY"
    assert message(parse_amount, "2000万美元", rates={"USD": "0"}) == (
        "美元的汇率应为大于 0 的数字（1美元折合人民币多少元），实际为“0”"
    )
    assert message(parse_amount, "2000万美元", rates={"USD": "七块一"}) == (
        "美元的汇率应为大于 0 的数字（1美元折合人民币多少元），实际为“七块一”"
    )


@pytest.mark.parametrize(("value", "unit", "expected"), [
    ("约5亿", None, "应为金额，如“5亿元”“3000万元”，或只写数字（按万元），实际为“约5亿”"),
    ("五亿元", None, "应为金额，如“5亿元”“3000万元”，或只写数字（按万元），实际为“五亿元”"),
    ("待定", "亿元", "应为金额，如“5亿元”“3000万元”，或只写数字（按亿元），实际为“待定”"),
    ("2000万1亿", None, "应为金额，如“5亿元”“3000万元”，或只写数字（按万元），实际为“2000万1亿”"),
    ("5亿美元元", None, "应为金额，如“5亿元”“3000万元”，或只写数字（按万元），实际为“5亿美元元”"),
    ("$5亿元", None, "金额中写了两种币种：“$5亿元”"),
    ("-5", None, "金额不能为负数，实际为“-5”"),
    (-5, None, "金额不能为负数，实际为“-5”"),
    (True, None, "应为金额，如“5亿元”“3000万元”，或只写数字（按万元），实际为“True”"),
    (dt.date(2026, 1, 1), None, "应为金额，如“5亿元”“3000万元”，或只写数字（按万元），实际为“2026-01-01”"),
    ("1234567890" * 7, None, "金额数值过大：“123456789012345678901234567890…”"),
    ("1千亿亿", None, "应为金额，如“5亿元”“3000万元”，或只写数字（按万元），实际为“1千亿亿”"),
    ("1" + "0" * 80, None, "金额过大（应小于 100000000 万元）：“100000000000000000000000000000…”"),
    ("10000亿元", None, "金额过大（应小于 100000000 万元）：“10000亿元”"),
])
def test_amount_errors_say_what_was_expected(value: Any, unit: str | None, expected: str) -> None:
    assert message(parse_amount, value, unit=unit, max_wan=D(10) ** 8) == expected


def test_the_largest_amount_is_the_ledgers() -> None:
    assert parse_amount("9999999999.99").wan == D("9999999999.99")  # type: ignore[union-attr]
    assert message(parse_amount, "1000000000000") == "金额过大（应小于 1000000000000 万元）：“1000000000000”"


def test_an_unknown_unit_of_the_column_is_an_error_in_words() -> None:
    assert message(parse_unit, "万个") == "无法识别金额单位“万个”，应为元、万元、亿元或万美元等"
    assert parse_unit("人民币万元").scale == 1
    assert (parse_unit("亿").scale, parse_unit("亿").currency) == (D(10000), CNY)
    assert parse_unit("万美元").currency == "USD"


def test_amounts_are_exact_decimals_rounded_half_up_once_at_the_end() -> None:
    # 0.1 + 0.2 is no problem in decimals: 0.3亿 is exactly 3000万.
    amount = parse_amount("0.3亿元")
    assert amount is not None and amount.wan == D("3000.00") and not amount.rounded
    # Half-up, not banker's rounding: 1.005 → 1.01, 0.000125亿 = 1.25万 exactly.
    half = parse_amount("1.005")
    assert half is not None and (half.wan, half.exact, half.rounded) == (D("1.01"), D("1.005"), True)
    assert parse_amount("0.000125亿").wan == D("1.25")  # type: ignore[union-attr]
    # Converted once: 1.2345万美元 × 7.1234 rounds the exact product, not a rounded step.
    usd = parse_amount("1.2345万美元", rates={"USD": "7.1234"})
    exact = D("1.2345") * D("7.1234")
    assert usd is not None and usd.exact == exact == D("8.79383730")
    assert usd.wan == exact.quantize(D("0.01"), rounding=ROUND_HALF_UP) == D("8.79")
    # A float cell is the decimal it shows, without binary noise.
    assert parse_amount(0.29, unit="亿元").exact == D("2900.00")  # type: ignore[union-attr]


money = st.decimals(min_value=0, max_value=D("999999999.99"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(wan=money, full_width=st.booleans(), commas=st.booleans())
def test_an_amount_in_wan_reads_back_as_written(wan: Decimal, full_width: bool, commas: bool) -> None:
    text = f"{wan:,.2f}" if commas else f"{wan:f}"
    if full_width:
        text = text.translate(FULL_WIDTH)
    for written, unit in ((text + "万元", None), (text, "万元"), (text, None)):
        amount = parse_amount(written, unit=unit)
        assert amount is not None and amount.wan == wan and not amount.rounded


@settings(max_examples=200, deadline=None)
@given(wan=money)
def test_the_same_amount_in_yi_and_in_yuan_reads_the_same(wan: Decimal) -> None:
    yi = wan / 10000  # exact: at most 15 digits
    assert parse_amount(f"{yi:f}亿元").wan == wan  # type: ignore[union-attr]
    assert parse_amount(f"{yi:f}", unit="亿元").wan == wan  # type: ignore[union-attr]
    assert parse_amount(f"{wan * 10000:f}元").wan == wan  # type: ignore[union-attr]
    assert parse_amount(yi, unit="亿元").wan == wan  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None)
@given(amount=money, rate=st.decimals(min_value=D("0.0001"), max_value=D("100"), places=4))
def test_a_foreign_amount_is_the_exact_product_rounded_once(amount: Decimal, rate: Decimal) -> None:
    read = parse_amount(f"{amount:f}万欧元", rates={"EUR": rate})
    assert read is not None
    assert read.exact == amount * rate
    assert read.wan == (amount * rate).quantize(D("0.01"), rounding=ROUND_HALF_UP)


# --- periods ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "start", "end", "dates"), [
    ("2022-2023", (2022, None), (2023, None), ("2022-01-01", "2023-12-31")),
    ("2022—2023年", (2022, None), (2023, None), ("2022-01-01", "2023-12-31")),
    ("2022～2023", (2022, None), (2023, None), ("2022-01-01", "2023-12-31")),
    ("2022年至2023年", (2022, None), (2023, None), ("2022-01-01", "2023-12-31")),
    ("2023-2025年", (2023, None), (2025, None), ("2023-01-01", "2025-12-31")),
    ("2022.3-2024.12", (2022, 3), (2024, 12), ("2022-03-01", "2024-12-31")),
    ("2022.03—2024.02", (2022, 3), (2024, 2), ("2022-03-01", "2024-02-29")),
    ("2022-3-2024-12", (2022, 3), (2024, 12), ("2022-03-01", "2024-12-31")),
    ("2022.3.1-2024.12.31", (2022, 3), (2024, 12), ("2022-03-01", "2024-12-31")),
    ("2022年3月", (2022, 3), (2022, 3), ("2022-03-01", "2022-03-31")),
    ("2022.3", (2022, 3), (2022, 3), ("2022-03-01", "2022-03-31")),
    ("2022年3月-2023年6月", (2022, 3), (2023, 6), ("2022-03-01", "2023-06-30")),
    ("2022年3月至2023年6月", (2022, 3), (2023, 6), ("2022-03-01", "2023-06-30")),
    ("2026年3-12月", (2026, 3), (2026, 12), ("2026-03-01", "2026-12-31")),
    ("2026年3月至12月", (2026, 3), (2026, 12), ("2026-03-01", "2026-12-31")),
    ("2026.3-12", (2026, 3), (2026, 12), ("2026-03-01", "2026-12-31")),
    ("2024-2026（工期3年）", (2024, None), (2026, None), ("2024-01-01", "2026-12-31")),
    ("2024", (2024, None), (2024, None), ("2024-01-01", "2024-12-31")),
    ("2024年", (2024, None), (2024, None), ("2024-01-01", "2024-12-31")),
    ("2025年上半年", (2025, 1), (2025, 6), ("2025-01-01", "2025-06-30")),
    ("预计2018年12月建成", None, (2018, 12), (None, "2018-12-31")),
    ("2025年底竣工", None, (2025, 12), (None, "2025-12-31")),
    ("计划2026年3月开工", (2026, 3), None, ("2026-03-01", None)),
    ("2026年3月开工，2027年6月建成", (2026, 3), (2027, 6), ("2026-03-01", "2027-06-30")),
    ("２０２２－２０２３", (2022, None), (2023, None), ("2022-01-01", "2023-12-31")),
    (2024, (2024, None), (2024, None), ("2024-01-01", "2024-12-31")),
    (2022.3, (2022, 3), (2022, 3), ("2022-03-01", "2022-03-31")),
    (2022.12, (2022, 12), (2022, 12), ("2022-12-01", "2022-12-31")),
    (dt.datetime(2026, 5, 20), (2026, 5), (2026, 5), ("2026-05-01", "2026-05-31")),
    (dt.date(2026, 2, 1), (2026, 2), (2026, 2), ("2026-02-01", "2026-02-28")),
    (46023, (2026, 1), (2026, 1), ("2026-01-01", "2026-01-31")),  # a date cell read as its serial number
])
def test_periods_as_written(value: Any, start: Any, end: Any, dates: tuple[str | None, str | None]) -> None:
    period = parse_period(value)
    assert period is not None
    assert period.start == (YearMonth(*start) if start else None)
    assert period.end == (YearMonth(*end) if end else None)
    assert tuple(d.isoformat() if d else None for d in period.dates()) == dates
    assert (period.planned_start, period.planned_completion) == period.dates()
    assert period.text == (value.strip() if isinstance(value, str) else parse_text(value))
    assert period.months is None and period.note == ""


@pytest.mark.parametrize(("value", "months", "end"), [
    ("建设工期2年", 24, (2027, None)),
    ("工期18个月", 18, (2027, 6)),
    ("建设期三年", 36, (2028, None)),
    ("工期1年半", 18, (2027, 6)),
    ("建设周期6个月", 6, (2026, 6)),
])
def test_a_duration_counts_from_the_lists_year(value: str, months: int, end: tuple[int, int | None]) -> None:
    period = parse_period(value, year=2026)
    assert period is not None
    assert (period.start, period.end, period.months, period.text) == (YearMonth(2026), YearMonth(*end), months, value)
    assert period.planned_start == dt.date(2026, 1, 1)
    assert message(parse_period, value) == f"“{value}”只写了工期，需要知道开工年份：请在页面上填写清单的年度"


def test_a_number_with_one_decimal_one_may_have_been_october() -> None:
    period = parse_period(2022.1)
    assert period is not None and period.start == YearMonth(2022, 1)
    assert period.note == "“2022.1”按 2022年1月读取；若是 2022年10月，请写成文本“2022.10”或“2022年10月”"
    assert parse_period("2022.10").start == YearMonth(2022, 10)  # type: ignore[union-attr]


PERIOD_EXPECTED = "应为建设年限，如“2022-2023”“2022.3-2024.12”“2022年3月-2023年6月”“建设工期2年”“2024年底建成”"


@pytest.mark.parametrize(("value", "expected"), [
    ("待定", PERIOD_EXPECTED + "，实际为“待定”"),
    ("2024-2022", "结束时间早于开始时间：“2024-2022”"),
    ("2022.13", "月份应在 1 至 12 之间，实际为“2022.13”"),
    ("2022年0月", "月份应在 1 至 12 之间，实际为“2022年0月”"),
    (1900, "年份应在 1950 至 2100 之间，实际为“1900”"),
    ("2022-2023（一期2022年）", "写了两个以上的时间，无法判断起止：“2022-2023（一期2022年）”"),
    ("工期1.3年", "工期应为整月数，实际为“工期1.3年”"),
    ("工期0个月", "工期应在 1 个月至 50 年之间，实际为“工期0个月”"),
    ("2022.3-12.5", PERIOD_EXPECTED + "，实际为“2022.3-12.5”"),
    ("2022年3月第2批", PERIOD_EXPECTED + "，实际为“2022年3月第2批”"),
    (2022.123, PERIOD_EXPECTED + "，实际为“2022.123”"),
])
def test_period_errors_say_what_was_expected(value: Any, expected: str) -> None:
    assert message(parse_period, value, year=2026) == expected


@pytest.mark.parametrize("value", [None, "", " ", "—", "/"])
def test_blank_periods_are_none(value: Any) -> None:
    assert parse_period(value) is None


@settings(max_examples=200, deadline=None)
# The last year a date may have (2100) was once not read as a year at all.
@example(start=(2090, 1), length=120, style="{a}年{m}月-{b}年{n}月")
@example(start=(2090, 1), length=120, style="{a}.{m}-{b}.{n}")
@given(
    start=st.tuples(st.integers(1990, 2090), st.integers(1, 12)),
    length=st.integers(0, 120),
    style=st.sampled_from(
        ["{a}.{m}-{b}.{n}", "{a}年{m}月-{b}年{n}月", "{a}年{m}月至{b}年{n}月", "{a}.{m:02d}—{b}.{n:02d}"]
    ),
)
def test_a_month_range_reads_back_to_its_first_and_last_day(start: tuple[int, int], length: int, style: str) -> None:
    a, m = start
    index = a * 12 + m - 1 + length
    b, n = divmod(index, 12)
    n += 1
    period = parse_period(style.format(a=a, m=m, b=b, n=n))
    assert period is not None
    assert period.planned_start == dt.date(a, m, 1)
    completion = period.planned_completion
    assert completion is not None and (completion.year, completion.month) == (b, n)
    assert (completion + dt.timedelta(days=1)).day == 1


# --- units ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "leads", "co"), [
    ("县民政局、各相关乡镇街道", ["县民政局"], [("各相关乡镇街道", True)]),
    ("县发改局/县住建局", ["县发改局"], [("县住建局", False)]),
    ("区教育局，区卫健局", ["区教育局"], [("区卫健局", False)]),
    ("县水利局牵头，各乡镇配合", ["县水利局"], [("各乡镇", True)]),
    ("由县水利局牵头负责；县财政局、县自然资源局配合", ["县水利局"], [("县财政局", False), ("县自然资源局", False)]),
    ("县财政局、县水利局（牵头）", ["县水利局"], [("县财政局", False)]),
    ("牵头单位：县水利局；配合单位：县财政局、县自然资源局", ["县水利局"],
     [("县财政局", False), ("县自然资源局", False)]),
    ("县发改局、县工信局牵头", ["县发改局", "县工信局"], []),
    ("县财政局等相关部门", ["县财政局"], [("相关部门", True)]),
    ("县住建局\n县城管局", ["县住建局"], [("县城管局", False)]),
    ("县住建局 县城管局 县住建局", ["县住建局"], [("县城管局", False)]),
    ("属地镇街", ["属地镇街"], []),
    ("县交通运输局", ["县交通运输局"], []),
])
def test_several_units_in_one_cell(value: str, leads: list[str], co: list[tuple[str, bool]]) -> None:
    units = split_units(value)
    assert units is not None
    assert [u.name for u in units.leads] == leads
    assert [(u.name, u.group) for u in units.co] == co
    assert units.lead == (units.leads[0] if leads else None)
    assert units.text == value
    assert units.names == (*units.leads, *units.co)


def test_a_group_alone_is_the_lead_group_and_nothing_is_an_error() -> None:
    units = split_units("各乡镇（街道）")
    assert units is not None and units.leads == (UnitName("各乡镇(街道)", True),)
    assert split_units("—") is None
    assert message(split_units, "、；/") == "没有读出单位名称：“、；/”"


def test_split_list() -> None:
    assert split_list("中央预算内、专项债+自筹；专项债") == ("中央预算内", "专项债", "自筹")
    assert split_list("/") == ()


# --- folding and matching names ---------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("醫院", "医院"), ("縣學區", "县学区"), ("教育體育局", "教育体育局"), ("ＡＢＣ 公司", "abc公司"),
    ("發展和改革局", "发展和改革局"), ("總投資（億元）", "总投资(亿元)"), ("衛生健康局", "卫生健康局"),
])
def test_fold_makes_traditional_and_simplified_the_same_key(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_fold_keeps_simplified_text_as_it_is() -> None:
    for text in ("县人民医院", "乾元镇", "发展和改革局", "山亭区", "里程碑", "后台"):
        assert fold(text) == text
    assert fold(None) == "" and fold(2026) == "2026"


@pytest.mark.parametrize(("name", "key"), [
    ("縣教育局", "教育局"), ("教育局", "教育局"), ("区教育局", "教育局"), ("山亭区教育局", "教育局"),
    ("枣庄市山亭区教育局", "教育局"), ("县市场监督管理局", "市场监督管理局"), ("市场监督管理局", "市场监督管理局"),
    ("中共山亭区委组织部", "区委组织部"), ("区委组织部", "区委组织部"), ("县人民医院", "人民医院"),
    ("城关镇人民政府", "城关镇"), ("城关街道办事处", "城关街道"), ("高新区管委会", "高新区管委会"),
    ("经济开发区管理委员会", "经济开发区管委会"), ("县教育局（本级）", "教育局"), ("县直机关工委", "县直机关工委"),
    ("县民政局", "民政局"), ("市民政局", "民政局"), ("市民中心", "市民中心"), ("市政工程管理处", "市政工程管理处"),
    ("县政府办公室", "政府办公室"), ("区域经济合作中心", "区域经济合作中心"), ("县人民政府", "人民政府"),
])
def test_unit_key(name: str, key: str) -> None:
    assert unit_key(name) == key


def test_unit_key_strips_the_districts_own_names() -> None:
    assert unit_key("山亭教育局", places=["山亭区", "山亭"]) == "教育局"
    assert unit_key("山亭区委办公室", places=["山亭区"]) == "区委办公室"


def test_unit_candidates_propose_and_score_but_do_not_decide() -> None:
    units = {1: ["县教育和体育局", "教体局"], 2: "县卫生健康局", 3: "县体育中心", 4: "县教育局", 5: "县生态环境局"}
    [same] = unit_candidates("縣教育局", units, cutoff=0.99)
    assert (same.value, same.name, same.score, same.how) == (4, "县教育局", 1.0, "same")
    best = unit_candidates("教体局", {k: v for k, v in units.items() if k != 1} | {1: "县教育和体育局"})
    assert [(c.value, c.how) for c in best][:2] == [(1, "abbreviation"), (4, "similar")]
    assert best[0].score > best[1].score
    # The unit's short name is a name too.
    assert unit_candidates("教体局", units)[0].how == "same"
    former = unit_candidates("县环保局", units)
    assert [(c.value, c.how, c.score) for c in former] == [(5, "former", 0.9)]
    assert unit_candidates("县交通运输局", ["县卫生健康局", "县公安局"]) == []
    assert [c.name for c in unit_candidates("住建局", ["县住房和城乡建设局", "县城乡水务局"])] == ["县住房和城乡建设局"]


def test_name_similarity_of_former_names_uses_folded_keys() -> None:
    for former, current in FORMER_NAMES.items():
        assert fold(former) == former and fold(current) == current
        assert name_similarity(unit_key(former), unit_key(current)) == (0.9, "former")


# --- levels, categories, codes ----------------------------------------------------------------------

@pytest.mark.parametrize(("value", "level", "size", "kind"), [
    ("省重点", "province", None, "level"),
    ("省级", "province", None, "level"),
    ("省重大项目", "province", None, "level"),
    ("市级重点", "city", None, "level"),
    ("市重点", "city", None, "level"),
    ("县重点", "district", None, "level"),
    ("区级", "district", None, "level"),
    ("县区级", "district", None, "level"),
    ("国家级", "national", None, "level"),
    ("國家重點", "national", None, "level"),
    ("亿元以上", None, "10000", "size"),
    ("10亿元以上", None, "100000", "size"),
    ("十亿元以上", None, "100000", "size"),
    ("5000万元以上", None, "5000", "size"),
    ("百亿级", None, "1000000", "size"),
    ("省重点、亿元以上", "province", "10000", "both"),
])
def test_levels_and_size_classes(value: str, level: str | None, size: str | None, kind: str) -> None:
    result = parse_level(value)
    assert result is not None
    assert (result.level, result.size_min, result.kind) == (level, D(size) if size else None, kind)
    assert result.text == value


def test_several_levels_give_the_highest_and_unknown_is_an_error() -> None:
    result = parse_level("省市重点")
    assert result is not None and (result.level, result.levels) == ("province", ("province", "city"))
    assert parse_level("") is None
    assert message(parse_level, "重点") == (
        "应为项目级别（国家级、省级、市级、县（区）级，或“省重点”等），或规模档次（如“亿元以上”），实际为“重点”"
    )
    assert message(parse_level, "市场化项目").startswith("应为项目级别")


def test_level_codes_are_the_ledgers() -> None:
    assert {"national", "province", "city", "district"} <= set(Level.values)


@pytest.mark.parametrize(("value", "key", "project_type"), [
    ("一、工业项目（12个）", "工业", "industry"),
    ("工业项目", "工业", "industry"),
    ("工业类", "工业", "industry"),
    ("文化旅游产业", "文化旅游产业", "industry"),
    ("基础设施类项目", "基础设施", "infrastructure"),
    ("（二）交通项目", "交通", "infrastructure"),
    ("社会民生", "社会民生", "livelihood"),
    ("教育卫生", "教育卫生", "livelihood"),
    ("其他", "其他", None),
])
def test_categories(value: str, key: str, project_type: str | None) -> None:
    assert category_key(value) == key
    assert guess_project_type(value) == project_type
    assert project_type is None or project_type in ProjectType.values


@pytest.mark.parametrize(("pattern", "n", "unit", "code"), [
    ("{year}-{seq:04d}", 7, "", "2026-0007"),
    ("XM{year}{seq:05d}", 12, "", "XM202600012"),
    ("{unit}-{year}-{seq:03d}", 1, "FGJ", "FGJ-2026-001"),
    ("ZD{{{year}}}-{seq}", 3, "", "ZD{2026}-3"),
])
def test_codes_from_a_pattern(pattern: str, n: int, unit: str, code: str) -> None:
    assert make_code(pattern, n, year=2026, unit_code=unit) == code


@pytest.mark.parametrize(("pattern", "expected"), [
    ("", "项目编号规则不能为空，如“{year}-{seq:04d}”"),
    ("{year}-0001", "项目编号规则必须包含 {seq}（顺序号），否则各项目编号相同"),
    ("{year}-{序号}", "项目编号规则中的“{序号}”无法识别，只能用 {year}（年度）、{seq}（顺序号）、{unit}（单位代码）"),
    ("{}-{seq}", "项目编号规则中的“{}”无法识别，只能用 {year}（年度）、{seq}（顺序号）、{unit}（单位代码）"),
    ("{year-{seq}", "项目编号规则中的花括号不成对：“{year-{seq}”"),
    ("{seq!r}", "项目编号规则中的“{seq!r}”无法识别"),
    ("{year} {seq}", "项目编号规则中不能有空格"),
    ("{seq:q}", "项目编号规则的格式有误：“{seq:q}”"),
    ("{seq:.0}", "项目编号规则的格式有误：“{seq:.0}”"),
    ("PROJECT-{year}-{seq:020d}", "按此规则生成的编号超过 30 个字符：“PROJECT-2026-00000000000000009999”"),
])
def test_code_pattern_errors(pattern: str, expected: str) -> None:
    assert message(check_code_pattern, pattern) == expected


def test_a_code_pattern_with_a_unit_needs_the_units_code_and_numbers_start_at_one() -> None:
    assert message(make_code, "{unit}{seq}", 1, year=2026) == "项目编号规则中有 {unit}，需要填写单位代码"
    assert message(make_code, "{year}-{seq}", 0, year=2026) == "顺序号应从 1 开始"


@pytest.mark.parametrize(("values", "sequence"), [
    ([1, 2, 3, 4], True),
    (["1", "2", None, "3"], True),
    ([1.0, 2.0, 3.0], True),
    ([1, 2, 3, 1, 2], True),  # numbering restarts in each section
    ([1, 2, 4], False),
    (["2026-0001", "2026-0002"], False),
    ([101, 102, 103], False),
    (["XM001", 2], False),
    ([1], False),
])
def test_looks_like_sequence(values: list[Any], sequence: bool) -> None:
    assert looks_like_sequence(values) is sequence


def test_clean_text() -> None:
    assert clean_text("  县发改局 ") == "县发改局"
    assert clean_text("—") == ""
    assert clean_text("新建厂房\n10万平方米", one_line=True) == "新建厂房10万平方米"
    assert message(clean_text, "甲" * 31, max_length=30) == f"最多 30 个字，实际 31 个字：“{'甲' * 30}…”"


# --- the fields -------------------------------------------------------------------------------------

def test_the_fields_the_import_needs_are_there_and_no_header_names_two() -> None:
    assert {
        "code", "name", "content", "location", "owner", "total_investment", "plan", "invested_before", "period",
        "lead_unit", "co_units", "level", "category", "funding_source", "stage", "construction", "remarks", "sequence",
    } <= set(F.BY_KEY)
    assert len(F.BY_KEY) == len(F.FIELDS)
    assert {f.kind for f in F.FIELDS} <= set(F.KINDS)
    seen: dict[str, str] = {}
    for field in F.FIELDS:
        for name in (field.label, *field.synonyms):
            key = fold(name)
            assert seen.setdefault(key, field.key) == field.key, (name, seen[key], field.key)
    assert [f.key for f in F.FIELDS if f.year_family] == ["plan", "invested_before"]
    assert F.BY_KEY["sequence"].kind == F.IGNORE


@pytest.mark.parametrize(("header", "key", "how", "param", "unit"), [
    ("序号", "sequence", "exact", None, None),
    ("项目名称", "name", "exact", None, None),
    ("項目名稱", "name", "exact", None, None),
    ("建设内容及规模", "content", "synonym", None, None),
    ("建设规模及内容", "content", "synonym", None, None),
    ("總投資（億元）", "total_investment", "exact", None, "亿元"),
    ("总投资(万元)", "total_investment", "exact", None, "万元"),
    ("项目总投资（万元）", "total_investment", "synonym", None, "万元"),
    ("年度计划投资", "plan", "exact", None, None),
    ("本年计划投资", "plan", "synonym", None, None),
    ("2026年计划投资（万元）", "plan", "synonym", "2026", "万元"),
    ("2026年度计划投资", "plan", "synonym", "2026", None),
    ("截至2025年底累计完成投资", "invested_before", "synonym", "2025", None),
    ("年度计划形象进度", "annual_goal", "synonym", None, None),
    ("责任单位", "lead_unit", "exact", None, None),
    ("牵头单位", "lead_unit", "synonym", None, None),
    ("责任部门", "lead_unit", "synonym", None, None),
    ("建设年限", "period", "exact", None, None),
    ("建设起止年限", "period", "synonym", None, None),
    ("建设期限", "period", "synonym", None, None),
    ("起止年限", "period", "synonym", None, None),
    ("建设地点", "location", "exact", None, None),
    ("项目业主", "owner", "synonym", None, None),
    ("建设单位", "owner", "synonym", None, None),
    ("项目类别", "category", "exact", None, None),
    ("行业", "category", "synonym", None, None),
    ("项目级别", "level", "exact", None, None),
    ("级别", "level", "synonym", None, None),
    ("资金来源", "funding_source", "exact", None, None),
    ("备注", "remarks", "exact", None, None),
    ("包保县级领导", "responsible_leader", "synonym", None, None),
    ("镇（街道）", "town", "synonym", None, None),
    ("NO.", "sequence", "synonym", None, None),
    ("2026年1-6月完成投资", None, "", None, None),
])
def test_headers_real_lists_use(header: str, key: str | None, how: str, param: str | None, unit: str | None) -> None:
    [guess] = F.guess_project_mapping([header])
    assert (guess.key, guess.how, guess.param, guess.unit) == (key, how, param, unit)


def test_without_folding_a_traditional_header_is_not_recognised() -> None:
    """The reason ``guess_project_mapping`` folds: the plain normalization does not."""
    assert guess_mapping(["項目名稱"], F.FIELDS, normalize=normalize_header)[0].key is None
    assert guess_mapping(["项目名称"], F.FIELDS, normalize=normalize_header)[0].how == "exact"


def test_a_real_list_end_to_end_finds_its_table_and_reads_its_values() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "附件1"
    ws["A1"] = "2026年某某縣重點項目計劃表"
    ws.merge_cells("A1:I1")
    ws["H2"] = "單位：億元"
    ws.append([])
    for col, header in enumerate(
        ["序號", "項目名稱", "建設內容", "總投資", "2026年計劃投資", "責任單位", "建設年限", "項目級別", "備註"],
        start=1,
    ):
        ws.cell(3, col, header)
    rows = [
        ["一、工業項目（2個）"],
        [1, "新能源電池項目", "新建廠房", 5, "8000万元", "縣工信局牽頭，各鄉鎮配合", "2025-2027", "省重點", None],
        [2, "港資物流園", "倉儲", "1亿港元", 0.3, "縣商務局", "建設工期2年", "縣重點", "外资"],
        ["合計", None, None, 5.92, 1.1],
    ]
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value)
    table = F.find_project_table(wb)
    assert (table.sheet, table.header_rows, table.unit, table.year) == ("附件1", (3,), "亿元", 2026)
    assert [g.key for g in table.guesses] == [
        "sequence", "name", "content", "total_investment", "plan", "lead_unit", "period", "level", "remarks",
    ]
    assert table.guess_for("plan").param == "2026"  # type: ignore[union-attr]
    read = table.rows()
    assert [(s.number, s.reason) for s in read.skipped] == [(4, "heading"), (7, "total")]
    columns = {g.key: g.column.index for g in table.guesses}
    first, second = read.rows
    assert first.section == ("工業項目",)
    unit = table.guess_for("total_investment").unit or table.unit  # type: ignore[union-attr]
    assert parse_amount(first.value(columns["total_investment"]), unit=unit).wan == D("50000.00")  # type: ignore[union-attr]
    assert parse_amount(first.value(columns["plan"]), unit=unit).wan == D("8000.00")  # type: ignore[union-attr]
    assert parse_amount(second.value(columns["plan"]), unit=unit).wan == D("3000.00")  # type: ignore[union-attr]
    with pytest.raises(MissingRate):
        parse_amount(second.value(columns["total_investment"]), unit=unit)
    units = split_units(first.value(columns["lead_unit"]))
    assert units is not None and unit_key(units.lead.name) == "工信局"  # type: ignore[union-attr]
    assert [(u.name, u.group) for u in units.co] == [("各鄉鎮", True)]
    assert parse_period(second.value(columns["period"]), year=table.year).dates() == (  # type: ignore[union-attr]
        dt.date(2026, 1, 1), dt.date(2027, 12, 31),
    )
    assert parse_level(first.value(columns["level"])).level == "province"  # type: ignore[union-attr]
    assert parse_level(second.value(columns["level"])).level == "district"  # type: ignore[union-attr]
