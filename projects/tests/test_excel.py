"""The ledger's Excel round trip: template, export, import (all or nothing), malformed files."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from audit.models import AuditEntry
from audit.services import audit_snapshot
from conftest import login, make_user
from org.models import Unit, User
from projects import excel
from projects.forms import ProjectForm
from projects.models import AnnualPlan, Project

EXPORT_URL = "/projects/excel/export.xlsx"
TEMPLATE_URL = "/projects/excel/template.xlsx"
IMPORT_URL = "/projects/excel/import/"
LABELS = [column.label for column in excel.COLUMNS]
LETTER = {label: get_column_letter(index) for index, label in enumerate(LABELS, start=1)}
NEXT_LETTER = get_column_letter(len(LABELS) + 1)  # the first column after the spec's
LEAD, TOTAL = LETTER["牵头单位"], LETTER["总投资(万元)"]


# --- helpers ------------------------------------------------------------------------------------

def download(client: Client, url: str = EXPORT_URL) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content)


def upload(client: Client, data: bytes, name: str = "ledger.xlsx") -> Any:
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})


def saved_state() -> tuple[int, int, int, list[tuple[Any, ...]]]:
    """Everything an import could change, to assert that nothing was."""
    rows = list(Project.objects.order_by("code").values_list("code", "name", "total_investment", "updated_at"))
    return Project.objects.count(), AuditEntry.objects.count(), AnnualPlan.objects.count(), rows


def xlsx(rows: list[list[Any]], *, header: list[str] | None = None, sheet: str = excel.SHEET,
         tweak: Any = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(LABELS if header is None else header)
    for row in rows:
        ws.append(row)
    if tweak:
        tweak(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def new_row(code: str = "2026-N-001", **values: Any) -> list[Any]:
    """A valid new project as the office would type it, in spec order."""
    base: dict[str, Any] = {
        "项目编号": code, "项目名称": "新材料产业园", "项目级别": "区重点", "项目类型": "产业",
        "项目阶段": "在建", "建设性质": "新开工", "专项债项目": "否", "总投资(万元)": 50000,
        "以前年度累计完成投资(万元)": 0, "计划开工日期": "2026-03-01", "实际开工日期": "2026/3/15",
        "牵头单位": "工信局", "属地镇街": "东城街道", "包靠区领导": "张区长",
    }
    base.update(values)
    return [base.get(label) for label in LABELS]


def error_rows(response: Any) -> list[str]:
    """The rows of the error table as "row|column|message"."""
    import re

    html = response.content.decode()
    assert 'id="import-errors"' in html, html[-3000:]
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr><td.*?</tr>", table, re.S):
        cells = [re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        rows.append("|".join(cells))
    return rows


@pytest.fixture
def ledger(personas: dict[str, User], make_project: Any, units: dict[str, Unit]) -> list[Project]:
    """Projects with every kind of value: plans, a leader, coordinates, dates, text with newlines."""
    first = make_project(
        code="2026-A-001", name="高新区智能制造产业园", level="province", responsible_leader=personas["leader"],
        latitude=Decimal("36.712345"), longitude=Decimal("119.101234"), owner_phone="13800138000",
        content="一期：厂房 5 万平方米\n二期：研发楼", total_investment=Decimal("123456.78"),
        invested_before=Decimal("1000.5"), is_special_bond=True, planned_completion=dt.date(2028, 6, 30),
    )
    second = make_project(
        code="2026-A-002", name="东城道路改造", project_type="infrastructure", construction="continuing"
    )
    third = make_project(code="2026-B-001", name="西山镇污水处理", lead_unit=units["fgj"], town=units["town_b"])
    AnnualPlan.objects.create(project=first, year=2026, amount=Decimal("30000.00"))
    AnnualPlan.objects.create(project=first, year=2027, amount=Decimal("40000.50"))
    AnnualPlan.objects.create(project=second, year=2026, amount=Decimal("5000"))
    return [first, second, third]


def export_book(client: Client, query: str = "") -> Any:
    return load_workbook(io.BytesIO(download(client, EXPORT_URL + query)))


def book_bytes(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def find_row(ws: Any, code: str) -> int:
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, 1).value == code:
            return row
    raise AssertionError(code)


def col(ws: Any, label: str) -> int:
    return [c.value for c in ws[1]].index(label) + 1


# --- the layout ---------------------------------------------------------------------------------

def test_spec_covers_the_project_form_with_the_model_labels() -> None:
    assert [c.key for c in excel.COLUMNS] == ProjectForm.Meta.fields
    for column in excel.COLUMNS:
        assert column.label == str(Project._meta.get_field(column.key).verbose_name)


def test_spec_requires_what_the_form_requires(personas: dict[str, User]) -> None:
    form = ProjectForm(user=personas["office"], year=2026)
    required = {name for name, f in form.fields.items() if f.required}
    assert {c.key for c in excel.COLUMNS if c.required} == required


def test_template_layout(personas: dict[str, User]) -> None:
    wb = load_workbook(io.BytesIO(download(login("office"), TEMPLATE_URL)))
    assert wb.sheetnames == [excel.SHEET, excel.NOTES_SHEET, excel.OPTIONS_SHEET]
    ws = wb[excel.SHEET]
    assert [c.value for c in ws[1]] == [*LABELS, "2026年计划投资(万元)", "2027年计划投资(万元)"]
    assert ws.max_row == 1
    validations = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    level = validations[f"{chr(64 + col(ws, '项目级别'))}2"]
    assert level.formula1 == '"国家重点,省重点,市重点,区重点"'
    def letter(header: str) -> str:
        return get_column_letter(col(ws, header))

    assert validations[f"{letter('专项债项目')}2"].formula1 == '"是,否"'
    assert validations[f"{letter('民生实事项目')}2"].formula1 == '"是,否"'
    assert "可选值" in validations[f"{letter('牵头单位')}2"].formula1
    assert "可选值" in validations[f"{letter('项目类别')}2"].formula1
    assert ws.column_dimensions[letter("总投资(万元)")].number_format == "#,##0.00"
    assert ws.column_dimensions[letter("计划开工日期")].number_format == "yyyy-mm-dd"
    notes = wb[excel.NOTES_SHEET]
    listed = {row[0]: row for row in notes.iter_rows(min_row=2, values_only=True) if row and row[0]}
    for column in excel.COLUMNS:
        assert listed[column.label][1] == ("必填" if column.required else "选填")
    assert listed["项目级别"][2] == "国家重点、省重点、市重点、区重点"
    assert "留空表示不修改" in listed["YYYY年计划投资(万元)"][3]
    options = wb[excel.OPTIONS_SHEET]
    assert "发展和改革局" in [c.value for c in options["A"]]
    assert "张区长" in [c.value for c in options["C"]]
    assert "民生实事" in [c.value for c in options["D"]]
    assert "专项债" in [c.value for c in options["E"]]


def test_template_can_be_filled_and_imported(personas: dict[str, User]) -> None:
    client = login("office")
    wb = load_workbook(io.BytesIO(download(client, TEMPLATE_URL)))
    wb[excel.SHEET].append([*new_row("2026-T-900"), 12000])
    response = upload(client, book_bytes(wb))
    assert response.status_code == 302, error_rows(response)
    project = Project.objects.get(code="2026-T-900")
    assert project.plans.get(year=2026).amount == Decimal("12000.00")


# --- export -------------------------------------------------------------------------------------

def test_export_has_every_value_and_derived_columns(ledger: list[Project]) -> None:
    client = login("office")
    response = client.get(EXPORT_URL)
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "%E9%87%8D%E7%82%B9%E9%A1%B9%E7%9B%AE%E5%BA%93-" in response["Content-Disposition"]  # 重点项目库-
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb[excel.SHEET]
    header = [c.value for c in ws[1]]
    assert header == [*LABELS, "2026年计划投资(万元)", "2027年计划投资(万元)", *excel.derived_labels(2026)]
    row = find_row(ws, "2026-A-001")
    values = {label: ws.cell(row, i + 1) for i, label in enumerate(header)}
    assert values["项目级别"].value == "省重点"
    assert values["专项债项目"].value == "是"
    assert values["包靠区领导"].value == "张区长"
    assert values["牵头单位"].value == "工业和信息化局"
    assert values["总投资(万元)"].value == pytest.approx(123456.78)
    assert values["总投资(万元)"].number_format == "#,##0.00"
    assert values["计划开工日期"].value == dt.datetime(2026, 3, 1)
    assert values["计划开工日期"].number_format == "yyyy-mm-dd"
    assert values["2027年计划投资(万元)"].value == pytest.approx(40000.5)
    assert values["红黄绿灯"].value in {"绿灯", "黄灯", "红灯"}
    assert ws.max_row == 4  # every project, not one page


def test_export_keeps_the_ledger_filter_and_the_scope(ledger: list[Project]) -> None:
    ws = export_book(login("office"), "?level=province")[excel.SHEET]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == ["2026-A-001"]
    ws = export_book(login("office"), "?q=污水")[excel.SHEET]
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == ["2026-B-001"]
    ws = export_book(login("reporter"))[excel.SHEET]  # town_a
    assert sorted(ws.cell(r, 1).value for r in range(2, ws.max_row + 1)) == ["2026-A-001", "2026-A-002"]
    ws = export_book(login("office"), "?year=2027")[excel.SHEET]
    assert "2028年计划投资(万元)" in [c.value for c in ws[1]]


def test_export_queries_do_not_grow_with_rows(personas: dict[str, User], make_project: Any) -> None:
    client = login("office")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            download(client)
        return len(queries)

    make_project()
    few = count()
    for _n in range(15):
        project = make_project(responsible_leader=personas["leader"])
        AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(100))
    assert count() == few


def test_ledger_toolbar(ledger: list[Project]) -> None:
    html = login("office").get("/projects/?level=province").content.decode()
    assert 'href="/projects/excel/export.xlsx?level=province"' in html
    assert 'href="/projects/excel/import/"' in html
    assert 'href="/projects/excel/template.xlsx"' in html
    html = login("viewer").get("/projects/").content.decode()
    assert "/projects/excel/export.xlsx" in html
    assert "/projects/excel/import/" not in html


# --- round trip ---------------------------------------------------------------------------------

def test_round_trip_changes_nothing(ledger: list[Project]) -> None:
    client = login("office")
    data = download(client)
    before = saved_state()
    response = upload(client, data)
    assert response.status_code == 302, error_rows(response)
    assert saved_state() == before
    response = client.get(response["Location"])
    assert "导入成功：新增 0 个，更新 0 个，未变化 3 个" in response.content.decode()


def test_reporter_round_trip_keeps_projects_led_by_a_department(ledger: list[Project]) -> None:
    client = login("reporter")
    before = saved_state()
    response = upload(client, download(client))
    assert response.status_code == 302, error_rows(response)
    assert saved_state() == before


def test_one_edited_cell_changes_exactly_that_field(ledger: list[Project]) -> None:
    client = login("office")
    wb = export_book(client)
    ws = wb[excel.SHEET]
    ws.cell(find_row(ws, "2026-A-002"), col(ws, "总投资(万元)")).value = 20000.5
    audit_before = AuditEntry.objects.count()
    others = {p.code: audit_snapshot(p) for p in Project.objects.exclude(code="2026-A-002")}
    response = upload(client, book_bytes(wb))
    assert response.status_code == 302, error_rows(response)
    entries = list(AuditEntry.objects.order_by("id")[audit_before:])
    assert len(entries) == 1
    assert entries[0].changes == {"总投资(万元)": ["10000", "20000.50"]}
    assert entries[0].source == "excel"
    assert entries[0].object_id == str(ledger[1].pk)
    assert Project.objects.get(code="2026-A-002").total_investment == Decimal("20000.50")
    assert {p.code: audit_snapshot(p) for p in Project.objects.exclude(code="2026-A-002")} == others
    assert "新增 0 个，更新 1 个，未变化 2 个" in client.get("/projects/").content.decode()


def test_plan_cells_update_and_empty_leaves_the_plan(ledger: list[Project]) -> None:
    client = login("office")
    wb = export_book(client)
    ws = wb[excel.SHEET]
    row = find_row(ws, "2026-A-001")
    ws.cell(row, col(ws, "2026年计划投资(万元)")).value = 35000
    ws.cell(row, col(ws, "2027年计划投资(万元)")).value = None
    ws.cell(find_row(ws, "2026-A-002"), col(ws, "2027年计划投资(万元)")).value = "6,000"
    # Derived columns are read only: editing them changes nothing.
    third = find_row(ws, "2026-B-001")
    ws.cell(third, col(ws, "红黄绿灯")).value = "红灯"
    ws.cell(third, col(ws, "2026年累计完成(万元)")).value = 99999
    untouched = Project.objects.filter(code="2026-B-001").values_list("light", "updated_at").get()
    response = upload(client, book_bytes(wb))
    assert response.status_code == 302, error_rows(response)
    plans = dict(AnnualPlan.objects.filter(project=ledger[0]).values_list("year", "amount"))
    assert plans == {2026: Decimal("35000.00"), 2027: Decimal("40000.50")}
    assert AnnualPlan.objects.get(project=ledger[1], year=2027).amount == Decimal("6000.00")
    assert Project.objects.filter(code="2026-B-001").values_list("light", "updated_at").get() == untouched
    assert "新增 0 个，更新 2 个，未变化 1 个" in client.get("/projects/").content.decode()


def test_new_row_creates_a_project(ledger: list[Project], units: dict[str, Unit]) -> None:
    client = login("office")
    wb = export_book(client)
    ws = wb[excel.SHEET]
    ws.append([*new_row("2026-N-001", 纬度="36.5", 经度=119.25, 备注="新增"), 20000, 30000])
    response = upload(client, book_bytes(wb))
    assert response.status_code == 302, error_rows(response)
    project = Project.objects.get(code="2026-N-001")
    assert project.lead_unit == units["gxj"]
    assert project.town == units["town_a"]
    assert project.responsible_leader is not None and project.responsible_leader.username == "leader"
    assert project.actual_start == dt.date(2026, 3, 15)
    assert project.latitude == Decimal("36.500000")
    assert project.initials == "xclcyy"
    assert project.light_as_of is not None
    assert dict(project.plans.values_list("year", "amount")) == {2026: Decimal("20000.00"), 2027: Decimal("30000.00")}
    entries = AuditEntry.objects.filter(subject_model="projects.project", subject_id=str(project.pk))
    assert entries.count() == 3  # the project and two plans
    assert set(entries.values_list("source", flat=True)) == {"excel"}
    assert "新增 1 个，更新 0 个，未变化 3 个" in client.get("/projects/").content.decode()


def test_missing_optional_columns_keep_their_values(ledger: list[Project]) -> None:
    client = login("office")
    header = ["项目编号", "项目名称", "项目级别", "项目类型", "项目阶段", "建设性质", "总投资(万元)",
              "以前年度累计完成投资(万元)", "牵头单位"]
    data = xlsx([["2026-A-001", "高新区智能制造产业园（改名）", "省", "产业", "在建", "新开工", 123456.78, 1000.5,
                  "工信局"]], header=header)
    response = upload(client, data)
    assert response.status_code == 302, error_rows(response)
    project = Project.objects.get(code="2026-A-001")
    assert project.name == "高新区智能制造产业园（改名）"
    assert project.latitude == Decimal("36.712345")  # absent column: unchanged
    assert project.responsible_leader is not None
    assert AuditEntry.objects.get().changes == {"项目名称": ["高新区智能制造产业园", "高新区智能制造产业园（改名）"]}


def test_dates_in_common_formats_and_serial_numbers(personas: dict[str, User]) -> None:
    rows = [
        new_row("D-1", 计划开工日期="2026-03-01", 计划竣工日期="2027/3/1", 实际开工日期="2026.3.1"),
        new_row("D-2", 计划开工日期="2026年3月1日", 计划竣工日期=46447, 实际开工日期=dt.datetime(2026, 3, 2)),
        new_row("D-3", 计划开工日期="２０２６－０３－０１", 计划竣工日期="20270301", 实际开工日期=" 2026-3-1 "),
    ]
    response = upload(login("office"), xlsx(rows))
    assert response.status_code == 302, error_rows(response)
    got = {p.code: (p.planned_start, p.planned_completion, p.actual_start) for p in Project.objects.all()}
    march1, next_march1 = dt.date(2026, 3, 1), dt.date(2027, 3, 1)
    assert got == {
        "D-1": (march1, next_march1, march1),
        "D-2": (march1, next_march1, dt.date(2026, 3, 2)),
        "D-3": (march1, next_march1, march1),
    }


def test_empty_rows_are_skipped_and_unknown_columns_warned(personas: dict[str, User]) -> None:
    header = [*LABELS, "自定义备注"]
    rows = [[*new_row("E-1"), "x"], [None] * len(header), ["  "] * 3, [*new_row("E-2"), None]]
    client = login("office")
    response = upload(client, xlsx(rows, header=header))
    assert response.status_code == 302, error_rows(response)
    assert set(Project.objects.values_list("code", flat=True)) == {"E-1", "E-2"}
    page = client.get("/projects/").content.decode()
    assert f"未识别的列“自定义备注”（第 {NEXT_LETTER} 列）已忽略。" in page


def test_full_width_headers_are_accepted(personas: dict[str, User]) -> None:
    header = [label.replace("(", "（").replace(")", "）") for label in LABELS]
    response = upload(login("office"), xlsx([new_row()], header=header))
    assert response.status_code == 302, error_rows(response)


# --- validation: all or nothing -----------------------------------------------------------------

def test_text_in_a_number_cell(ledger: list[Project]) -> None:
    client = login("office")
    before = saved_state()
    rows = [new_row("V-1"), new_row("V-2"), new_row("V-3"), new_row("V-4", **{"总投资(万元)": "约3亿"})]
    response = upload(client, xlsx(rows))
    assert response.status_code == 200
    assert error_rows(response) == ["5|总投资(万元)|应为数字，实际为“约3亿”"]
    assert saved_state() == before
    assert "没有保存任何数据" in response.content.decode()


def test_issue_text_names_row_and_column() -> None:
    issue = excel.Issue(5, "总投资(万元)", "应为数字，实际为“约3亿”")
    assert str(issue) == "第 5 行「总投资(万元)」：应为数字，实际为“约3亿”"


def test_only_the_last_row_bad_saves_nothing(ledger: list[Project]) -> None:
    client = login("office")
    wb = export_book(client)
    ws = wb[excel.SHEET]
    ws.cell(find_row(ws, "2026-A-001"), col(ws, "项目名称")).value = "改了名字"
    for n in range(30):
        ws.append(new_row(f"L-{n:03d}"))
    ws.append(new_row("L-999", 项目级别="部级"))
    before = saved_state()
    response = upload(client, book_bytes(wb))
    assert error_rows(response) == ["35|项目级别|应为以下之一：国家重点、省重点、市重点、区重点，实际为“部级”"]
    assert saved_state() == before


def test_all_errors_are_listed_sorted_by_row_then_column(personas: dict[str, User]) -> None:
    rows = [
        new_row("S-1", 项目阶段="在建", 实际开工日期=None, 纬度=36.1),
        new_row("S-2", 项目名称=None, **{"总投资(万元)": -5, "计划开工日期": "明年三月"}),
        new_row("S-3", 牵头单位="不存在局", 包靠区领导="李四", 计划开工日期="2026-02-30", 专项债项目="也许"),
        new_row("S-4"),
        new_row("S-5", 计划开工日期="2026-05-01", 计划竣工日期="2026-04-01", 纬度=12.1234567),
    ]
    before = saved_state()
    response = upload(login("office"), xlsx(rows))
    assert error_rows(response) == [
        "2|经度|经度和纬度须同时填写或同时留空。",
        "2|实际开工日期|项目阶段为在建、竣工或投产时，必须填写实际开工日期。",
        "3|项目名称|这个字段是必填项。",
        "3|总投资(万元)|不能为负数，实际为“-5”",
        "3|计划开工日期|应为日期（如 2026-03-01），实际为“明年三月”",
        "4|专项债项目|应为“是”或“否”，实际为“也许”",
        "4|计划开工日期|日期不存在：“2026-02-30”",
        "4|包靠区领导|找不到名为“李四”的区领导",
        "4|牵头单位|找不到名为“不存在局”的单位",
        "6|纬度|最多保留 6 位小数，实际为“12.1234567”",
        "6|计划竣工日期|计划竣工日期不能早于计划开工日期。",
    ]
    assert saved_state() == before


def test_plan_over_total_and_plan_text(personas: dict[str, User]) -> None:
    header = [*LABELS, "2026年计划投资(万元)", "2027年计划投资(万元)"]
    rows = [[*new_row("P-1"), 60000, "三千万"]]
    response = upload(login("office"), xlsx(rows, header=header))
    assert error_rows(response) == [
        "2|2026年计划投资(万元)|年度计划投资不能超过总投资。",
        "2|2027年计划投资(万元)|应为数字，实际为“三千万”",
    ]
    assert Project.objects.count() == 0


def test_model_constraints_are_checked(personas: dict[str, User]) -> None:
    rows = [new_row("C-1", 项目名称="长" * 101, 纬度=91, 经度=10, **{"总投资(万元)": 10**13})]
    response = upload(login("office"), xlsx(rows))
    found = error_rows(response)
    assert "2|项目名称|最多 100 个字，现有 101 个字，请删减后再提交。" in found
    assert "2|纬度|确保该值小于或等于90。" in found
    assert "2|总投资(万元)|数值过大，实际为“10000000000000”" in found
    assert Project.objects.count() == 0


def test_duplicate_codes_in_the_file(personas: dict[str, User]) -> None:
    response = upload(login("office"), xlsx([new_row("X-1"), new_row("X-2"), new_row("X-1")]))
    assert error_rows(response) == ["4|项目编号|项目编号“X-1”与第 2 行重复"]
    assert Project.objects.count() == 0


# --- scope and access ---------------------------------------------------------------------------

def test_reporter_imports_own_unit(personas: dict[str, User]) -> None:
    row = new_row("R-1", 牵头单位="东城街道", 属地镇街="东城街道")
    client = login("reporter")
    response = upload(client, xlsx([row]))
    assert response.status_code == 302, error_rows(response)
    project = Project.objects.get(code="R-1")
    assert project.lead_unit.name == "东城街道"
    # A unit's new row is a proposal, and the message says so instead of "新增".
    assert project not in Project.objects.in_ledger()
    page = client.get(response["Location"]).content.decode()
    assert "提交入库申请 1 个" in page and "新增 1 个" not in page


def test_reporter_cannot_touch_another_units_project(ledger: list[Project]) -> None:
    client = login("reporter")
    other = ledger[2]  # 西山镇, led by 发改局
    row = new_row(other.code, 项目名称="改别人的项目", 牵头单位="东城街道", 属地镇街="东城街道")
    before = saved_state()
    response = upload(client, xlsx([row]))
    rows = error_rows(response)
    assert rows == [f"2|项目编号|项目编号“{other.code}”已被其他项目使用，您无权修改该项目"]
    html = response.content.decode()
    assert other.name not in html and "发展和改革局" not in html
    assert saved_state() == before


def test_reporter_cannot_move_a_project_out_of_scope(ledger: list[Project]) -> None:
    client = login("reporter")
    row = new_row("R-2", 牵头单位="发改局", 属地镇街="西山镇")
    response = upload(client, xlsx([row]))
    assert error_rows(response) == ["2|牵头单位|只能填报本单位牵头或属地在本镇街的项目。"]
    wb = export_book(client)
    ws = wb[excel.SHEET]
    ws.cell(find_row(ws, "2026-A-002"), col(ws, "属地镇街")).value = "西山镇"
    response = upload(client, book_bytes(wb))
    assert error_rows(response) == ["3|牵头单位|只能填报本单位牵头或属地在本镇街的项目。"]


def test_department_reporter_leads_only_own_projects(ledger: list[Project], units: dict[str, Unit]) -> None:
    make_user("gx_reporter", User.Role.REPORTER, units["gxj"])
    client = login("gx_reporter")
    response = upload(client, xlsx([new_row("G-1", 牵头单位="发改局")]))
    assert error_rows(response) == [
        "2|牵头单位|单位填报员只能填报本单位牵头的项目",
        "2|牵头单位|只能填报本单位牵头或属地在本镇街的项目。",
    ]
    response = upload(client, xlsx([new_row("G-1", 牵头单位="工业和信息化局")]))
    assert response.status_code == 302, error_rows(response)


def test_a_deactivated_unit_or_leader_can_be_kept_not_chosen(ledger: list[Project], units: dict[str, Unit]) -> None:
    client = login("office")
    data = download(client)
    Unit.objects.filter(pk=units["gxj"].pk).update(is_active=False)
    User.objects.filter(username="leader").update(is_active=False)
    before = saved_state()
    response = upload(client, data)
    assert response.status_code == 302, error_rows(response)
    assert saved_state() == before
    User.objects.filter(username="leader").update(is_active=True, role=User.Role.VIEWER)
    response = upload(client, data)
    assert response.status_code == 302, error_rows(response)
    assert saved_state() == before
    User.objects.filter(username="leader").update(is_active=False, role=User.Role.LEADER)
    response = upload(client, xlsx([new_row("N-1")]))
    assert error_rows(response) == [
        "2|包靠区领导|该用户已停用或已不是区领导，不能选择",
        "2|牵头单位|该单位已停用，不能选择",
    ]


@pytest.mark.parametrize("username", ["viewer", "leader"])
def test_import_is_forbidden_without_create_rights(personas: dict[str, User], username: str) -> None:
    client = login(username)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, xlsx([new_row()])).status_code == 403
    assert Project.objects.count() == 0


def test_reporter_without_unit_is_forbidden(personas: dict[str, User]) -> None:
    make_user("drifter", User.Role.REPORTER)
    assert login("drifter").get(IMPORT_URL).status_code == 403


def test_import_page(personas: dict[str, User]) -> None:
    html = login("reporter").get(IMPORT_URL).content.decode()
    assert 'name="file"' in html and 'enctype="multipart/form-data"' in html
    assert 'href="/projects/excel/template.xlsx"' in html


# --- malformed files ----------------------------------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


MALFORMED = {
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 Excel 97-2003（.xls）"),
    "csv": ("项目编号,项目名称\n2026-1,道路\n".encode(), "文本或 CSV 文件"),
    "csv-gbk": ("项目编号,项目名称\n2026-1,道路\n".encode("gbk"), "文本或 CSV 文件"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "图片或 PDF"),
    "random": (bytes((i * 7919 + 13) % 256 for i in range(4096)), "无法识别该文件"),
    "empty": (b"", "空的（0 字节）"),
    "zip": (_zip({"readme.txt": b"hello"}), "zip 压缩包，但不是 Excel"),
    "docx": (_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"}), "zip 压缩包，但不是 Excel"),
    "truncated": (b"PK\x03\x04" + b"\x00" * 100, "文件已损坏"),
    "broken-parts": (_zip({"[Content_Types].xml": b"<not xml", "xl/workbook.xml": b"<nope"}), "文件已损坏"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_files_are_rejected_with_a_message(ledger: list[Project], case: str) -> None:
    data, message = MALFORMED[case]
    before = saved_state()
    response = upload(login("office"), data, name=f"file.{case}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert saved_state() == before


def test_zip_bomb_is_rejected_before_opening(personas: dict[str, User]) -> None:
    real = io.BytesIO(xlsx([new_row()]))
    out = io.BytesIO()
    with zipfile.ZipFile(real) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info.filename, source.read(info.filename))
        bomb.writestr("xl/media/padding.bin", b"\x00" * (101 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    response = upload(login("office"), out.getvalue())
    assert "文件解压后为 101 MB，超过上限 64 MB" in response.content.decode()
    assert Project.objects.count() == 0


def test_oversized_upload_is_rejected(personas: dict[str, User]) -> None:
    # A body over the request limit is refused by RequestSizeMiddleware before it is read.
    junk = b"PK\x03\x04" + b"\x00" * (50 * 1024 * 1024)
    response = upload(login("office"), junk)
    assert response.status_code == 413
    assert "超过了 10 MB 的上限" in response.content.decode()
    # A file just over the upload limit, in a request the middleware lets through, by the view.
    junk = b"PK\x03\x04" + b"\x00" * (10 * 1024 * 1024 + 100 * 1024)
    response = upload(login("office"), junk)
    assert response.status_code == 200
    assert "文件大小为 10.1 MB，超过上限 10 MB" in response.content.decode()
    assert Project.objects.count() == 0


def test_missing_file(personas: dict[str, User]) -> None:
    response = login("office").post(IMPORT_URL, {})
    assert error_rows(response) == ["—|—|请选择要上传的 Excel 文件。"]


def test_wrong_sheet_name(personas: dict[str, User]) -> None:
    response = upload(login("office"), xlsx([new_row()], sheet="Sheet1"))
    assert "找不到名为“重点项目”的工作表（文件中的工作表：Sheet1）" in response.content.decode()
    assert Project.objects.count() == 0


def test_missing_required_columns_are_listed(personas: dict[str, User]) -> None:
    header = [label for label in LABELS if label not in {"项目级别", "牵头单位"}]
    response = upload(login("office"), xlsx([["2026-1"]], header=header))
    assert error_rows(response) == ["1|—|缺少必填列：项目级别、牵头单位。请使用下载的模板，第1行为列名。"]


def test_duplicate_and_bad_plan_headers(personas: dict[str, User]) -> None:
    header = [*LABELS, "项目名称", "1999年计划投资(万元)"]
    response = upload(login("office"), xlsx([new_row()], header=header))
    assert error_rows(response) == [
        f"1|项目名称|列名重复（第 B 列和第 {NEXT_LETTER} 列）",
        "1|1999年计划投资(万元)|年度应在 2000 至 2100 之间",
    ]


def test_merged_cells_are_named(personas: dict[str, User]) -> None:
    data = xlsx([new_row("M-1"), new_row("M-2"), new_row("M-3")], tweak=lambda ws: ws.merge_cells(f"{LEAD}3:{LEAD}4"))
    response = upload(login("office"), data)
    assert error_rows(response) == [f"3|牵头单位|有合并单元格 {LEAD}3:{LEAD}4，请取消合并后再上传"]
    assert Project.objects.count() == 0


def test_formulas_are_refused(personas: dict[str, User]) -> None:
    def formula(ws: Any) -> None:
        ws[f"{TOTAL}2"] = "=40000+10000"

    rows = [new_row("F-1"), new_row("F-2", 计划开工日期="下个月")]
    response = upload(login("office"), xlsx(rows, tweak=formula))
    assert error_rows(response) == [
        "2|总投资(万元)|单元格是公式“=40000+10000”，请复制后“选择性粘贴-数值”再上传",
        "3|计划开工日期|应为日期（如 2026-03-01），实际为“下个月”",
    ]
    assert Project.objects.count() == 0


def test_error_cells_are_refused(personas: dict[str, User]) -> None:
    def error_value(ws: Any) -> None:
        ws[f"{TOTAL}2"].value = "#N/A"
        ws[f"{TOTAL}2"].data_type = "e"

    response = upload(login("office"), xlsx([new_row("F-1")], tweak=error_value))
    assert error_rows(response) == ["2|总投资(万元)|单元格是错误值“#N/A”"]


def test_no_data_rows(personas: dict[str, User]) -> None:
    response = upload(login("office"), xlsx([]))
    assert "“重点项目”工作表中没有数据行（第2行起）。" in response.content.decode()


def test_too_many_rows(personas: dict[str, User]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(excel.SHEET)
    ws.append(LABELS)
    for n in range(excel.MAX_ROWS + 1):
        ws.append([f"R{n}"])
    out = io.BytesIO()
    wb.save(out)
    client = login("office")
    queued = upload(client, out.getvalue())
    # More than 500 rows: imported by the worker (inline in the tests); the import page shows the outcome.
    assert queued.status_code == 302 and "?job=" in queued["Location"]
    response = client.get(queued["Location"])
    # The rows are streamed and reading stops at the limit, so the message cannot count them all.
    assert "文件的数据超过上限 20000 行，请分批导入。" in response.content.decode()
    assert Project.objects.count() == 0


def test_a_stray_cell_far_below_is_one_row(personas: dict[str, User]) -> None:
    """A value in row 1,000,000 must not make the importer walk a million empty rows."""
    def stray(ws: Any) -> None:
        ws.cell(1_000_000, 1).value = "Z-1"

    response = upload(login("office"), xlsx([new_row("Z-0")], tweak=stray))
    rows = error_rows(response)
    assert rows and all(r.startswith("1000000|") for r in rows)


def test_concurrent_conflict_rolls_back(personas: dict[str, User], monkeypatch: Any) -> None:
    from django.db import IntegrityError

    from projects import services

    real = services.project_save
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Project:
        calls["n"] += 1
        if calls["n"] == 2:
            raise IntegrityError("duplicate key")
        return real(**kwargs)

    monkeypatch.setattr(services, "project_save", flaky)
    response = upload(login("office"), xlsx([new_row("K-1"), new_row("K-2")]))
    assert "没有保存任何数据" in response.content.decode()
    assert Project.objects.count() == 0
    assert AuditEntry.objects.count() == 0


# --- cell parsers -------------------------------------------------------------------------------

cell_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.from_regex(r"\s*[0-9０-９]{1,6}([./\-年][0-9]{1,2}([./\-月][0-9]{1,3}日?)?)?\s*", fullmatch=True),
    st.from_regex(r"[+-]?[0-9,]{0,20}(\.[0-9]{0,5})?", fullmatch=True),
)
LEVELS = excel.choice_options("level")


@settings(max_examples=400, deadline=None)
@given(value=cell_values)
def test_cell_parsers_raise_only_cell_errors(value: Any) -> None:
    parsers = [
        excel.parse_money,
        excel.parse_coordinate,
        excel.parse_date,
        excel.parse_bool,
        excel.parse_text,
        lambda v: excel.parse_choice(v, LEVELS, excel.choice_labels("level")),
    ]
    for parse in parsers:
        try:
            result = parse(value)
        except excel.CellError as error:
            assert error.message
            continue
        if parse is excel.parse_money and result is not None:
            assert result >= 0 and result == result.quantize(Decimal("0.01"))
            assert abs(result) < Decimal(10) ** 12
        if parse is excel.parse_date and result is not None:
            assert excel.EARLIEST_DATE <= result <= excel.LATEST_DATE


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_money_round_trips_through_excel_floats(amount: Decimal) -> None:
    # Excel holds numbers as doubles; 12 integer digits and 2 decimals survive the trip.
    assert excel.parse_money(float(amount)) == amount
    assert excel.parse_money(str(amount)) == amount


def test_parsers_on_examples() -> None:
    assert excel.parse_money("1,234.5") == Decimal("1234.50")
    assert excel.parse_money(0.1 + 0.2) == Decimal("0.30")
    assert excel.parse_money(-0.0) == Decimal("0.00")
    with pytest.raises(excel.CellError, match="最多保留 2 位小数"):
        excel.parse_money(1.005)
    with pytest.raises(excel.CellError, match="应为数字"):
        excel.parse_money(True)
    assert excel.parse_date(46082) == dt.date(2026, 3, 1)
    assert excel.parse_date("2026年3月1日") == dt.date(2026, 3, 1)
    with pytest.raises(excel.CellError, match="日期应在"):
        excel.parse_date("1900-01-01")
    with pytest.raises(excel.CellError, match="应为日期"):
        excel.parse_date(2026)
    assert excel.parse_choice("省", LEVELS, []) == "province"
    assert excel.parse_choice(" 市重点 ", LEVELS, []) == "city"
    assert excel.parse_text(13800138000) == "13800138000"
    assert excel.parse_text(2026001.0) == "2026001"


def test_a_large_valid_file_is_imported_by_a_background_job(personas: dict[str, User]) -> None:
    """Over 500 rows: the request hands the file to a job (run inline here) that saves every row at once."""
    from core.models import Job
    from projects.tasks import BACKGROUND_ROWS

    rows = [new_row(f"2026-B-{n:04d}", 项目名称=f"后台导入项目{n}") for n in range(BACKGROUND_ROWS + 1)]
    client = login("office")
    queued = upload(client, xlsx(rows))
    assert queued.status_code == 302 and "?job=" in queued["Location"]
    job = Job.objects.get()
    assert (job.state, job.progress) == ("done", 100)
    assert Project.objects.filter(code__startswith="2026-B-").count() == BACKGROUND_ROWS + 1
    page = client.get(queued["Location"]).content.decode()
    assert "新增 501 个" in page
