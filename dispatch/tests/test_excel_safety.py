"""The unit sheet and the bulletin annex keep people's text as text; the unit upload's edge cases."""
from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from conftest import client_for
from dispatch.bulletins.figures import bulletin_figures
from dispatch.bulletins.xlsx import bulletin_xlsx
from dispatch.models import Problem, UnitReport
from dispatch.reporting import excel as unit_excel
from dispatch.tests.test_bulletin_figures import april as april
from dispatch.tests.test_report_excel import (
    COL,
    as_upload,
    error_cells,
    upload,
)
from dispatch.tests.test_report_excel import clock_at as clock_at  # the same date as the sheet's tests
from dispatch.tests.test_report_excel import projects as projects
from dispatch.tests.test_report_excel import unit_report as unit_report
from org.models import Unit, User
from projects.models import Milestone, ProgressReport, Project
from projects.tests.test_xlsx_safety import PAYLOADS, formula_parts

FORMULA_KEYS = {unit_excel.YTD, unit_excel.SINCE_START}

pytestmark = pytest.mark.usefixtures("clock")


def _download_bytes(client: Client, unit_report: UnitReport) -> bytes:
    response = client.get(reverse("dispatch:report_excel", args=[unit_report.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def hostile_report(unit_report: UnitReport, projects: list[Project]) -> UnitReport:
    Project.objects.filter(pk=projects[0].pk).update(name=PAYLOADS[0])
    ProgressReport.objects.filter(project=projects[0], month=10).update(
        physical_progress=PAYLOADS[0], problems=PAYLOADS[3]
    )
    Unit.objects.filter(pk=unit_report.unit_id).update(name=PAYLOADS[2])
    unit_report.refresh_from_db()
    return unit_report


def test_the_unit_sheet_writes_texts_as_strings_and_only_its_totals_as_formulas(
    hostile_report: UnitReport, personas: dict[str, User]
) -> None:
    data = _download_bytes(client_for(personas["office"]), hostile_report)
    wb = load_workbook(io.BytesIO(data))
    ws = wb[unit_excel.SHEET]
    formula_columns = {COL[column.label] for column in unit_excel.COLUMNS if column.key in FORMULA_KEYS}
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert (cell.data_type == "f") == (cell.column in formula_columns), cell.coordinate
    texts = {
        ws.cell(2, COL["项目名称"]): PAYLOADS[0],
        ws.cell(2, COL["形象进度描述"]): PAYLOADS[0],
        ws.cell(2, COL["存在问题"]): PAYLOADS[3],
        wb[unit_excel.NOTES_SHEET]["B1"]: PAYLOADS[2],
    }
    for cell, text in texts.items():
        assert (cell.value, cell.data_type) == (text, "s")
    # In the raw XML: the notes sheet has no formula element at all.
    assert formula_parts(data) == ["xl/worksheets/sheet1.xml"]


def test_the_unchanged_hostile_sheet_uploads_with_no_change(
    hostile_report: UnitReport, personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    data = _download_bytes(client, hostile_report)
    audits = AuditEntry.objects.count()
    response = upload(client, hostile_report, SimpleUploadedFile("填报.xlsx", data))
    assert response.status_code == 302, response.context and error_cells(response)
    assert AuditEntry.objects.count() == audits
    report = ProgressReport.objects.get(project__code="2026-A-001", month=10)
    assert (report.physical_progress, report.problems) == (PAYLOADS[0], PAYLOADS[3])


# --- the period key -----------------------------------------------------------------------------

def _book(client: Client, unit_report: UnitReport) -> Any:
    return load_workbook(io.BytesIO(_download_bytes(client, unit_report)))


def test_a_sheet_without_its_notes_is_refused(unit_report: UnitReport, personas: dict[str, User]) -> None:
    client = client_for(personas["reporter"])
    wb = _book(client, unit_report)
    wb[unit_excel.SHEET].cell(2, COL["本期完成投资(万元)"]).value = 999
    del wb[unit_excel.NOTES_SHEET]
    message = error_cells(upload(client, unit_report, as_upload(wb)))[0][2]
    assert "文件中没有“填报说明”工作表，无法核对填报单位和调度期" in message
    assert ProgressReport.objects.get(project__code="2026-A-001", month=10).invested == 300


@pytest.mark.parametrize(("cell", "value", "message"), [
    ("B3", None, "填报单位或期号被删改"),
    ("B1", None, "填报单位或期号被删改"),
    ("B1", "西山镇", "这是“西山镇”的填报表，不能上传到东城街道的月报"),
    ("B3", "2026-10-1", "不能上传到2026年10月的月报"),
])
def test_the_period_key_and_the_unit_are_required(
    unit_report: UnitReport, personas: dict[str, User], cell: str, value: Any, message: str
) -> None:
    client = client_for(personas["reporter"])
    wb = _book(client, unit_report)
    wb[unit_excel.SHEET].cell(2, COL["本期完成投资(万元)"]).value = 999
    wb[unit_excel.NOTES_SHEET][cell].value = value
    assert message in error_cells(upload(client, unit_report, as_upload(wb)))[0][2]
    assert ProgressReport.objects.get(project__code="2026-A-001", month=10).invested == 300


# --- other edge cases ---------------------------------------------------------------------------

def test_hidden_sheets_are_named_and_a_hidden_data_sheet_refused(
    unit_report: UnitReport, personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    wb = _book(client, unit_report)
    wb.create_sheet("草稿").sheet_state = "hidden"
    wb[unit_excel.NOTES_SHEET].sheet_state = "hidden"
    response = upload(client, unit_report, as_upload(wb))
    assert response.status_code == 302, response.context and error_cells(response)
    page = client.get(response["Location"]).content.decode()
    assert "文件中有隐藏的工作表：草稿。隐藏工作表中的内容不会导入，已忽略。" in page

    wb = _book(client, unit_report)
    wb[unit_excel.SHEET].sheet_state = "hidden"
    wb.active = 1
    assert "工作表“月度填报”被隐藏了" in error_cells(upload(client, unit_report, as_upload(wb)))[0][2]


def test_macro_and_oversized_files_are_refused(unit_report: UnitReport, personas: dict[str, User]) -> None:
    client = client_for(personas["reporter"])
    wb = _book(client, unit_report)
    wb[unit_excel.SHEET].cell(2, COL["本期完成投资(万元)"]).value = 999
    message = error_cells(upload(client, unit_report, as_upload(wb, name="填报.xlsm")))[0][2]
    assert "这是启用宏的 Excel 文件（.xlsm），不能导入" in message
    junk = SimpleUploadedFile("a.xlsx", b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024 + 100 * 1024))
    response = upload(client, unit_report, junk)
    assert "文件大小为 10.1 MB，超过上限 10 MB" in error_cells(response)[0][2]
    assert ProgressReport.objects.get(project__code="2026-A-001", month=10).invested == 300


# --- the bulletin annex -------------------------------------------------------------------------

PREFIXES = {Project: ("name", "="), Unit: ("short_name", "+"), Milestone: ("name", "@"), Problem: ("description", "-")}


@pytest.fixture
def hostile_names() -> Iterator[None]:
    """Every project, unit, milestone and problem the April fixture creates gets a name like a formula."""
    def prefix(sender: Any, instance: Any, **kwargs: Any) -> None:
        name, mark = PREFIXES[sender]
        value = getattr(instance, name) or getattr(instance, "name", "")
        if not value.startswith(mark):
            setattr(instance, name, mark + value)

    for model in PREFIXES:
        pre_save.connect(prefix, sender=model, dispatch_uid=f"hostile-{model.__name__}")
    yield
    for model in PREFIXES:
        pre_save.disconnect(sender=model, dispatch_uid=f"hostile-{model.__name__}")


def test_the_bulletin_annex_writes_texts_as_strings(hostile_names: None, april: dict[str, Any]) -> None:
    period = april["period"]
    data = bulletin_xlsx(bulletin_figures(period), published_at=period.published_at)
    assert formula_parts(data) == []
    wb = load_workbook(io.BytesIO(data))
    texts = [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]
    for mark in "=+@-":
        marked = [cell for cell in texts if cell.value.startswith(mark)]
        assert marked, mark
        assert {cell.data_type for cell in marked} == {"s"}
