"""Finding the table in a list as districts make them (``core.excel.layout``): titles merged across the
top, a unit in a subtitle, headers on two rows under merged parents, any sheet name, totals, category
headings and notes among the rows. The fields are made up here; core knows no project fields.
"""
from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.excel import guard
from core.excel.guard import FileRejected, open_upload
from core.excel.layout import (
    CONTAINS,
    DUPLICATE,
    EMPTY,
    EXACT,
    HEADER,
    HEADING,
    NOTE,
    PATTERN,
    SYNONYM,
    TOTAL,
    KnownField,
    LayoutError,
    TableColumn,
    caption_unit,
    find_table,
    guess_mapping,
    is_subtotal_row,
    money_unit,
    read_rows,
    section_title,
    skip_reason,
)
from core.excel.spec import Column

FIELDS = (
    KnownField("sequence", "序号"),
    KnownField("name", "项目名称", ("项目名", "名称")),
    KnownField("content", "建设内容", ("建设规模及内容", "建设内容及规模")),
    KnownField("owner", "业主单位", ("建设单位", "项目业主")),
    KnownField("total", "总投资", ("计划总投资", "项目总投资")),
    KnownField("plan", "年度计划投资", ("本年计划投资", "计划投资", "年度计划"), year_family=True),
    KnownField("units", "责任单位", ("牵头单位", "责任部门")),
    KnownField("period", "建设年限", ("建设起止年限", "建设期限", "起止年限")),
    KnownField("remarks", "备注"),
)
HEADERS = ["序号", "项目名称", "建设内容", "总投资", "2026年计划投资", "责任单位", "建设年限"]


@pytest.fixture(autouse=True, scope="module")
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def put_rows(ws: Any, first: int, rows: Sequence[Sequence[Any]]) -> None:
    for r, row in enumerate(rows, start=first):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)


def titled_list(title: str = "Sheet1") -> Workbook:
    """Title merged across, subtitle with the unit, header in row 3, data with a heading and totals."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws["A1"] = "2026年某某县重点项目计划表"
    ws.merge_cells("A1:G1")
    ws["A2"] = "填报单位：某某县发展和改革局"
    ws["F2"] = "单位：亿元"
    ws.merge_cells("F2:G2")
    put_rows(ws, 3, [HEADERS])
    put_rows(ws, 4, [
        ["一、工业项目（2个）"],
        [1, "新能源电池项目", "新建厂房10万平方米", 5, 1.2, "县工信局", "2025-2027"],
        [2, "智能制造产业园", "标准化厂房", 3, 0.8, "县发改局", "2026"],
        ["小计", None, None, 8, 2],
        ["二、基础设施项目（1个）"],
        [3, "城区道路改造", "道路3公里", 2, 1, "县住建局", "2026年"],
        ["合计", None, None, 10, 3],
        ["注：总投资含土地费用。"],
    ])
    ws.merge_cells("A4:G4")
    ws.merge_cells("A8:G8")
    ws.merge_cells("A11:G11")
    return wb


def two_row_list(vertical: bool = True) -> Workbook:
    """A two-row header: "投资情况（亿元）" merged over "总投资" and "2026年计划"; the other headers
    merged down over both rows (or, with ``vertical=False``, written in the lower row only)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "附件1"
    ws["A1"] = "某某区2026年市级重点项目表"
    ws.merge_cells("A1:G1")
    top = ["序号", "项目名称", "建设单位", "投资情况（亿元）", None, "牵头单位", "建设起止年限"]
    bottom = [None, None, None, "总投资", "2026年计划", None, None]
    if vertical:
        put_rows(ws, 2, [top, bottom])
        for letter in "ABCFG":
            ws.merge_cells(f"{letter}2:{letter}3")
    else:
        put_rows(ws, 2, [[None, None, None, top[3]], [t or b for t, b in zip(top, bottom, strict=True)]])
        ws["D3"], ws["E3"] = "总投资", "2026年计划"
    ws.merge_cells("D2:E2")
    put_rows(ws, 4, [
        [1, "甲项目", "甲公司", 5, 1, "区发改局", "2024-2026"],
        [2, "乙项目", "乙公司", 3, 2, None, "2025-2026"],
    ])
    # One lead unit for both projects, written once in a merged cell.
    ws["F4"] = "区工信局"
    ws.merge_cells("F4:F5")
    return wb


def keys(table: Any) -> list[str | None]:
    return [g.key for g in table.guesses]


# --- the header under titles ----------------------------------------------------------------------

def test_the_header_is_found_under_a_merged_title_and_a_subtitle_with_the_unit() -> None:
    table = find_table(titled_list(), FIELDS)
    assert table.sheet == "Sheet1"
    assert table.header_rows == (3,)
    assert table.data_start == 4
    assert table.unit == "亿元"
    assert table.title == "2026年某某县重点项目计划表"
    assert table.year == 2026
    assert [c.header for c in table.columns] == HEADERS
    assert [c.letter for c in table.columns] == list("ABCDEFG")
    assert keys(table) == ["sequence", "name", "content", "total", "plan", "units", "period"]
    plan = table.guess_for("plan")
    assert plan is not None and plan.param == "2026" and plan.how == SYNONYM


def test_rows_skip_totals_headings_and_notes_with_their_numbers_and_keep_the_sections() -> None:
    rows = find_table(titled_list(), FIELDS).rows()
    assert [r.number for r in rows.rows] == [5, 6, 9]
    assert [r.value(2) for r in rows.rows] == ["新能源电池项目", "智能制造产业园", "城区道路改造"]
    assert [r.section for r in rows.rows] == [("工业项目",), ("工业项目",), ("基础设施项目",)]
    assert [(s.number, s.reason) for s in rows.skipped] == [
        (4, HEADING), (7, TOTAL), (8, HEADING), (10, TOTAL), (11, NOTE),
    ]
    assert rows.skipped[0].message == "第 4 行：分类标题行，已跳过（一、工业项目（2个））"
    assert rows.skipped[1].message == "第 7 行：合计/小计行，已跳过（小计 8 2）"
    assert rows.skipped[4].message == "第 11 行：注释或落款行，已跳过（注：总投资含土地费用。）"


@pytest.mark.parametrize("title", ["Sheet1", "附件1", "2026年项目", "重点项目清单（汇总）"])
def test_any_sheet_name(title: str) -> None:
    assert find_table(titled_list(title), FIELDS).sheet == title


@settings(max_examples=25, deadline=None)
@given(titles=st.integers(min_value=0, max_value=12), blank=st.booleans())
def test_the_header_is_found_whatever_is_above_it(titles: int, blank: bool) -> None:
    wb = Workbook()
    ws = wb.active
    row = 1
    for n in range(titles):
        if not (blank and n % 2):  # some lists leave empty rows between the captions
            ws.cell(row, 1, f"说明文字第{n}行")
        row += 1
    put_rows(ws, row, [HEADERS, [1, "甲项目", "内容", 1, 1, "县发改局", "2026"]])
    table = find_table(wb, FIELDS)
    assert table.header_rows == (row,)
    assert [r.number for r in table.rows().rows] == [row + 1]


def test_a_row_numbering_the_columns_under_the_header_is_skipped() -> None:
    wb = Workbook()
    ws = wb.active
    put_rows(ws, 1, [HEADERS, ["甲", 1, 2, 3, 4, 5, 6], [1, "甲项目", "内容", 1, 1, "县发改局", "2026"]])
    table = find_table(wb, FIELDS)
    assert (table.header_rows, table.numbering_row, table.data_start) == ((1,), 2, 3)
    rows = table.rows()
    assert [r.number for r in rows.rows] == [3]
    assert [s.message for s in rows.skipped] == ["第 2 行：列序号行，已跳过"]


def test_the_unit_is_taken_from_a_caption_in_the_title_rows_only_when_it_names_money() -> None:
    wb = titled_list()
    wb.active["F2"] = "单位：个、万元"
    assert find_table(wb, FIELDS).unit is None  # "个、万元": the first unit is not money
    wb.active["F2"] = "（金额单位：万元）"
    assert find_table(wb, FIELDS).unit == "万元"
    wb.active["F2"] = None
    assert find_table(wb, FIELDS).unit is None


# --- two-row headers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("vertical", [True, False], ids=["merged-down", "lower-row-only"])
def test_a_two_row_header_under_a_merged_parent(vertical: bool) -> None:
    table = find_table(two_row_list(vertical), FIELDS)
    assert table.sheet == "附件1"
    assert table.header_rows == (2, 3)
    assert table.data_start == 4
    assert table.year == 2026
    assert [c.headers for c in table.columns] == [
        ("序号",), ("项目名称",), ("建设单位",), ("投资情况（亿元）", "总投资"), ("投资情况（亿元）", "2026年计划"),
        ("牵头单位",), ("建设起止年限",),
    ]
    total = table.columns[3]
    assert (total.header, total.parent, total.combined) == ("总投资", "投资情况（亿元）", "投资情况（亿元）总投资")
    assert total.label == "投资情况（亿元） / 总投资"
    assert keys(table) == ["sequence", "name", "owner", "total", "plan", "units", "period"]
    by_key = {g.key: g for g in table.guesses}
    # The unit is the parent's; "2026年计划" is the plan of 2026, read from the column's own header.
    assert by_key["total"].unit == by_key["plan"].unit == "亿元"
    assert (by_key["total"].how, by_key["total"].via) == (EXACT, "header")
    assert (by_key["plan"].param, by_key["plan"].via) == ("2026", "header")


def test_a_merged_data_cell_gives_its_value_to_every_row_it_spans() -> None:
    rows = read_rows(find_table(two_row_list(), FIELDS))
    assert [(r.number, r.value(6), sorted(r.filled)) for r in rows.rows] == [(4, "区工信局", []), (5, "区工信局", [6])]
    assert rows.skipped == []


def test_a_parent_row_of_children_without_own_matches_is_joined_to_them() -> None:
    """The best row is the parent row: its children ("合计", "其中：2026年") name nothing alone."""
    wb = Workbook()
    ws = wb.active
    put_rows(ws, 1, [
        ["序号", "项目名称", "总投资（万元）", None, "责任单位"],
        [None, None, "合计", "其中：2026年计划投资", None],
        [1, "甲项目", 100, 50, "县发改局"],
    ])
    for letter in "ABE":
        ws.merge_cells(f"{letter}1:{letter}2")
    ws.merge_cells("C1:D1")
    table = find_table(wb, FIELDS)
    assert table.header_rows == (1, 2)
    assert [(g.key, g.via, g.param, g.unit) for g in table.guesses] == [
        ("sequence", "header", None, None), ("name", "header", None, None), ("total", "parent", None, "万元"),
        ("plan", "header", "2026", "万元"), ("units", "header", None, None),
    ]


def test_a_subtitle_beside_a_merged_cell_is_not_a_parent_row() -> None:
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "某某县发改局"
    ws.merge_cells("A1:C1")
    ws["F1"] = "2026年3月"
    put_rows(ws, 2, [HEADERS, [1, "甲项目", "内容", 1, 1, "县发改局", "2026"]])
    table = find_table(wb, FIELDS)
    assert table.header_rows == (2,)
    assert table.columns[0].headers == ("序号",)


# --- choosing the sheet -------------------------------------------------------------------------------

def test_the_sheet_whose_header_names_most_fields_is_chosen_and_hidden_sheets_are_not() -> None:
    wb = titled_list("附件2")
    notes = wb.create_sheet("填报说明", 0)
    notes["A1"] = "请按项目名称、总投资填写"
    small = wb.create_sheet("汇总")
    put_rows(small, 1, [["项目名称", "总投资"], ["甲", 1]])
    hidden = wb.create_sheet("隐藏")
    put_rows(hidden, 1, [[*HEADERS, "备注"], [1, "甲", "乙", 1, 1, "丙", "2026", "丁"]])
    hidden.sheet_state = "hidden"
    table = find_table(wb, FIELDS)
    assert table.sheet == "附件2"
    assert [name for name, _score in table.others] == ["汇总"]
    assert table.warnings == [
        "文件中有隐藏的工作表：隐藏。隐藏工作表中的内容不会导入，已忽略。",
        "文件中有多个工作表像是清单，已选用“附件2”；其他：“汇总”。",
    ]
    # The user may choose another sheet, even a hidden one, and the header rows.
    assert find_table(wb, FIELDS, sheet="汇总").sheet == "汇总"
    assert keys(find_table(wb, FIELDS, sheet="隐藏"))[-1] == "remarks"
    forced = find_table(wb, FIELDS, sheet="附件2", header_rows=(3,))
    assert forced.header_rows == (3,)


def test_no_table_and_wrong_choices_are_explained_in_chinese() -> None:
    wb = Workbook()
    wb.active["A1"] = "会议纪要"
    wb.active["A2"] = "项目名称"
    with pytest.raises(LayoutError) as error:
        find_table(wb, FIELDS)
    assert error.value.message == (
        "没有找到表头：在各工作表的前 20 行中，没有一行包含至少 2 个可识别的列名（如“序号”“项目名称”“建设内容”）。"
        "请确认上传的是项目清单，或在页面上指定表头所在的行。"
    )
    with pytest.raises(LayoutError, match="找不到名为“附件9”的工作表（文件中的工作表：Sheet）"):
        find_table(wb, FIELDS, sheet="附件9")
    with pytest.raises(LayoutError, match="表头应为一行，或相邻的两行"):
        find_table(titled_list(), FIELDS, header_rows=(3, 5))


def test_the_header_beyond_the_scanned_rows_is_not_found_unless_asked() -> None:
    wb = Workbook()
    put_rows(wb.active, 25, [HEADERS, [1, "甲", "乙", 1, 1, "丙", "2026"]])
    with pytest.raises(LayoutError):
        find_table(wb, FIELDS)
    assert find_table(wb, FIELDS, scan_rows=30).header_rows == (25,)


def test_a_workbook_opened_read_only_by_the_guard_reads_the_same() -> None:
    out = io.BytesIO()
    two_row_list().save(out)
    out.seek(0)
    out.name = "清单.xlsx"
    workbook = open_upload(out)
    try:
        table = find_table(workbook, FIELDS)
        rows = table.rows()
    finally:
        workbook.close()
    expected = find_table(two_row_list(), FIELDS)
    assert (table.header_rows, table.data_start) == (expected.header_rows, expected.data_start)
    assert keys(table) == keys(expected)
    assert [(r.number, r.value(6)) for r in rows.rows] == [(4, "区工信局"), (5, "区工信局")]


def test_a_merge_down_a_long_column_is_not_expanded_cell_by_cell() -> None:
    wb = Workbook()
    ws = wb.active
    put_rows(ws, 1, [HEADERS])
    for n in range(2, 402):
        ws.cell(n, 1, n - 1)
        ws.cell(n, 2, f"项目{n}")
    ws["F2"] = "县发改局"
    ws.merge_cells("F2:F5000")
    rows = find_table(wb, FIELDS).rows()
    assert len(rows.rows) == 400
    assert {r.value(6) for r in rows.rows} == {"县发改局"}


def test_title_rows_do_not_count_against_the_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "MAX_ROWS", 5)
    wb = titled_list()
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "清单.xlsx"
    workbook = open_upload(out)
    try:
        assert find_table(workbook, FIELDS).header_rows == (3,)
    finally:
        workbook.close()
    for n in range(12, 40):
        wb.active.cell(n, 2, f"项目{n}")
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    workbook = open_upload(out)
    try:
        with pytest.raises(FileRejected, match="文件的数据超过上限 25 行"):
            find_table(workbook, FIELDS)
    finally:
        workbook.close()


# --- rows ---------------------------------------------------------------------------------------------

def test_values_in_a_column_without_a_header_are_warned_about() -> None:
    wb = Workbook()
    put_rows(wb.active, 1, [
        ["序号", "项目名称", None, "总投资"],
        [1, "甲项目", "说明文字", 100],
        ["注：", None, None, None, "落款"],
    ])
    rows = find_table(wb, FIELDS).rows()
    assert [r.number for r in rows.rows] == [2]
    assert rows.warnings == ["第 C 列没有列名，其中的内容已忽略。"]


def test_a_repeated_header_an_empty_row_and_an_unnumbered_merged_heading_are_skipped() -> None:
    wb = Workbook()
    ws = wb.active
    put_rows(ws, 1, [
        HEADERS,
        [1, "甲项目", "内容", 1, 1, "县发改局", "2026"],
        ["  ", None, " "],
        [],
        HEADERS,
        ["续建项目"],
        [2, "乙项目", "内容", 1, 1, "县发改局", "2026"],
        ["填报人：张三", None, None, None, "联系电话：123"],
    ])
    ws.merge_cells("A6:G6")
    rows = find_table(wb, FIELDS).rows()
    assert [r.number for r in rows.rows] == [2, 7]
    assert [(list(s.rows), s.reason) for s in rows.skipped] == [
        ([3, 4], EMPTY), ([5], HEADER), ([6], HEADING), ([8], NOTE),
    ]
    assert rows.skipped[0].message == "第 3—4 行：空行，已跳过"
    assert rows.skipped[1].message == (
        "第 5 行：重复的表头行，已跳过（序号 项目名称 建设内容 总投资 2026年计划投资 责任单位 建设年限）"
    )
    assert rows.rows[1].section == ("续建项目",)


def test_subsections_nest_under_sections() -> None:
    wb = Workbook()
    ws = wb.active
    put_rows(ws, 1, [
        HEADERS,
        ["一", "产业项目"],
        ["（一）", "续建项目（3个）"],
        [1, "甲项目", "内容", 1, 1, "县发改局", "2026"],
        ["（二）", "新开工项目"],
        [2, "乙项目", "内容", 1, 1, "县发改局", "2026"],
        ["二、", "民生项目"],
        [3, "丙项目", "内容", 1, 1, "县发改局", "2026"],
    ])
    rows = find_table(wb, FIELDS).rows()
    assert [r.section for r in rows.rows] == [("产业项目", "续建项目"), ("产业项目", "新开工项目"), ("民生项目",)]


@pytest.mark.parametrize(("values", "reason"), [
    ([None, "", "  "], EMPTY),
    (["合计", None, 100], TOTAL),
    ([None, "合计", 100, 50], TOTAL),
    (["总计（75个）", None, 100], TOTAL),
    (["全县合计", None, 100], TOTAL),
    (["工业项目小计", 100], TOTAL),
    (["其中：省重点项目", 10], TOTAL),
    (["一、工业项目（12个）"], HEADING),
    (["一", "工业项目", None, 5000], HEADING),
    (["（一）续建项目"], HEADING),
    (["第二类", "社会民生"], HEADING),
    (["工业项目（共12个）", 8000], HEADING),
    (["注：金额单位为万元。"], NOTE),
    (["注1.本表由发改局汇总"], NOTE),
    (["填报说明：请勿修改表头"], NOTE),
    (["填报人：张三", None, "审核人：李四"], NOTE),
    ([1, "十里河治理工程", "清淤5公里", 3000, "县水利局"], None),
    ([2, "第二批农村公路改造", "改造20公里", 5000, "县交通局", "2026"], None),
    ([3, "一期工程", 100], None),
    ([4, "合计楼宇改造工程", "改造", 100, "县住建局"], None),
    ([5, "新建幼儿园（3个）", 5000, "县教育局"], None),
    (["6", "第三批老旧小区改造", 800], None),
    ([None, "改造老旧小区12个", 800, "县住建局"], None),
])
def test_skip_reason(values: list[Any], reason: str | None) -> None:
    assert skip_reason(values) == reason
    assert is_subtotal_row(values) == (reason in (TOTAL, HEADING))


def test_section_title_drops_numbering_and_count() -> None:
    assert section_title(["一、工业项目（12个）"]) == "工业项目"
    assert section_title(["一", "工业项目"]) == "工业项目"
    assert section_title(["（二）新开工项目：", 3]) == "新开工项目"


# --- the mapping --------------------------------------------------------------------------------------

def test_guess_mapping_exact_synonym_year_family_contains_and_unknown() -> None:
    guesses = guess_mapping(
        ["项目名", "建设规模及内容", "项目总投资（亿元）", "2027年度计划投资", "本年计划投资", "主要建设单位",
         "形象进度", ""],
        FIELDS,
    )
    assert [(g.key, g.how, g.param, g.unit) for g in guesses] == [
        ("name", SYNONYM, None, None),
        ("content", SYNONYM, None, None),
        ("total", SYNONYM, None, "亿元"),
        ("plan", SYNONYM, "2027", None),
        ("plan", SYNONYM, None, None),  # the list's year: Table.year
        ("owner", CONTAINS, None, None),
        (None, "", None, None),
        (None, "", None, None),
    ]
    assert [g.column.index for g in guesses] == list(range(1, 9))
    assert [g.confidence for g in guesses[:6]] == [0.95, 0.95, 0.95, 0.95, 0.95, 0.6]


@pytest.mark.parametrize(("header", "key", "param", "unit"), [
    ("总投资(万元)", "total", None, "万元"),
    ("总投资（万元）", "total", None, "万元"),
    ("总 投 资\n（亿元）", "total", None, "亿元"),
    ("总投资亿元", "total", None, "亿元"),
    ("总投资（万美元）", "total", None, "万美元"),
    ("计划总投资(单位:万元)", "total", None, "万元"),
    ("2026年计划投资（万元）", "plan", "2026", "万元"),
    ("2026计划投资", "plan", "2026", None),
    ("其中：2026年计划投资", "plan", "2026", None),
    ("建设年限（年）", "period", None, None),
    ("责任单位及责任人", "units", None, None),
])
def test_headers_with_units_and_years(header: str, key: str, param: str | None, unit: str | None) -> None:
    [guess] = guess_mapping([header], FIELDS)
    assert (guess.key, guess.param, guess.unit) == (key, param, unit)


def test_two_columns_naming_one_field_keep_the_surer_and_the_other_says_which() -> None:
    headers = ["项目名称", "责任部门", "牵头单位", "2026年计划投资", "2026年度计划投资", "2027年计划投资"]
    guesses = guess_mapping(headers, FIELDS)
    assert [(g.key, g.how) for g in guesses] == [
        ("name", EXACT), ("units", SYNONYM), (None, DUPLICATE), ("plan", SYNONYM), (None, DUPLICATE), ("plan", SYNONYM),
    ]
    assert guesses[2].note == "与第 B 列“责任部门”对应同一项，未采用"
    exact_wins = guess_mapping(["责任部门", "责任单位"], FIELDS)
    assert [(g.key, g.how) for g in exact_wins] == [(None, DUPLICATE), ("units", EXACT)]


def test_a_spec_column_with_a_family_pattern_is_a_field_too() -> None:
    columns = (
        Column("name", "项目名称", synonyms=("名称",)),
        Column("plan", "{}年计划投资(万元)", pattern=r"(\d{4})年计划投资\(万元\)"),
    )
    guesses = guess_mapping(["名称", "2026年计划投资（万元）", "2026年计划投资"], columns)
    assert [(g.key, g.how, g.param) for g in guesses] == [
        ("name", SYNONYM, None), ("plan", PATTERN, "2026"), (None, "", None),
    ]


def test_the_caller_may_fold_more_than_width_and_spaces() -> None:
    def folded(text: str) -> str:
        return text.replace("總", "总").replace("資", "资").replace("項", "项")

    assert guess_mapping(["總投資"], FIELDS)[0].key is None
    assert [g.key for g in guess_mapping(["總投資", "建設年限"], FIELDS, normalize=folded)] == ["total", None]


def test_table_columns_name_themselves() -> None:
    column = TableColumn(28, ("建设年限", "开工"))
    assert (column.letter, column.header, column.parent, column.combined) == ("AB", "开工", "建设年限", "建设年限开工")
    assert TableColumn(1, ("序号",)).parent == ""


@pytest.mark.parametrize(("text", "unit"), [
    ("总投资（亿元）", "亿元"), ("总投资(万元)", "万元"), ("投资额（单位：万美元）", "万美元"), ("总投资亿元", "亿元"),
    ("总投资（人民币万元）", "人民币万元"), ("建设年限（年）", None), ("面积（亩）", None), ("项目单元", None),
    ("总投资", None),
])
def test_money_unit(text: str, unit: str | None) -> None:
    assert money_unit(text) == unit


@pytest.mark.parametrize(("text", "unit"), [
    ("单位：亿元", "亿元"), ("（单位：万元）", "万元"), ("金额单位:万元", "万元"), ("单位：万元、个", "万元"),
    ("单位：个", None), ("2026年重点项目表", None),
])
def test_caption_unit(text: str, unit: str | None) -> None:
    assert caption_unit(text) == unit
