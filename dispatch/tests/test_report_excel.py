"""The unit's Excel sheet: download pre-filled, upload back all or nothing, errors by row and column."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from conftest import client_for, district_time
from core.models import Period
from dispatch.models import UnitReport
from dispatch.periods import services
from dispatch.reporting import excel as unit_excel
from org.models import Unit, User
from projects.models import ProgressReport, Project

HEADERS = [
    "项目编号", "项目名称", "阶段", "总投资(万元)", "上期末年度累计(万元)", "上期完成投资(万元)",
    "本期完成投资(万元)", "年度累计(万元)", "开工以来累计(万元)", "上期形象进度(%)", "形象进度(%)", "形象进度描述",
    "存在问题", "实际开工日期",
]
COL = {label: index for index, label in enumerate(HEADERS, start=1)}


@pytest.fixture
def clock_at() -> dt.datetime:
    """October's reporting, before its deadline: the district clock of every test here."""
    return district_time(2026, 10, 20, 10, 0)


pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def projects(units: dict[str, Unit], make_project: Any) -> list[Project]:
    mine = [
        make_project(code="2026-A-001", lead_unit=units["town_a"]),
        make_project(code="2026-A-002", lead_unit=units["town_a"]),
        make_project(code="2026-A-003", lead_unit=units["town_a"], stage="preparing", actual_start=None),
    ]
    make_project(code="2026-B-001", lead_unit=units["town_b"])
    for project in mine[:2]:
        ProgressReport.objects.create(project=project, year=2026, month=9, invested=Decimal("500"),
                                      progress_percent=40, physical_progress="基础施工")
    return mine


@pytest.fixture
def unit_report(personas: dict[str, User], projects: list[Project], units: dict[str, Unit]) -> UnitReport:
    period = services.period_open(year=2026, month=10, by=personas["office"])
    report = period.unit_reports.get(unit=units["town_a"])
    # October of the first project is already saved as a draft.
    ProgressReport.objects.create(project=projects[0], year=2026, month=10, period=period, invested=Decimal("300"),
                                  progress_percent=45, physical_progress="主体施工", problems="用地指标")
    return report


def download(client: Client, unit_report: UnitReport) -> Any:
    response = client.get(reverse("dispatch:report_excel", args=[unit_report.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def as_upload(workbook: Any, name: str = "填报.xlsx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client: Client, unit_report: UnitReport, file: Any) -> Any:
    return client.post(reverse("dispatch:report_excel_upload", args=[unit_report.pk]), {"file": file})


def row_of(ws: Any, code: str) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == code)


def error_cells(response: Any) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.message) for e in response.context["errors"]]


def test_the_download_is_the_units_sheet_prefilled(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    wb = download(client_for(personas["reporter"]), unit_report)
    assert wb.sheetnames == [unit_excel.SHEET, unit_excel.NOTES_SHEET]
    ws = wb[unit_excel.SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == ["2026-A-001", "2026-A-002", "2026-A-003"]
    first = {label: ws.cell(2, col).value for label, col in COL.items()}
    assert first["本期完成投资(万元)"] == 300
    assert first["形象进度(%)"] == 45 and first["存在问题"] == "用地指标"
    assert first["上期末年度累计(万元)"] == 500 and first["上期完成投资(万元)"] == 500
    assert first["上期形象进度(%)"] == 40
    assert first["年度累计(万元)"] == "=500.00+N(G2)"
    second = {label: ws.cell(3, col).value for label, col in COL.items()}
    assert second["本期完成投资(万元)"] is None and second["形象进度描述"] is None
    notes = wb[unit_excel.NOTES_SHEET]
    assert notes["B1"].value == "东城街道" and notes["B3"].value == "2026-10-0"


def test_an_unchanged_upload_changes_nothing(
    unit_report: UnitReport, personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    wb = download(client, unit_report)
    before = AuditEntry.objects.count()
    response = upload(client, unit_report, as_upload(wb))
    assert response.status_code == 302, response.context and error_cells(response)
    assert AuditEntry.objects.count() == before
    assert ProgressReport.objects.filter(year=2026, month=10).count() == 1


def test_an_edit_changes_exactly_that_and_a_second_upload_nothing(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    wb = download(client, unit_report)
    ws = wb[unit_excel.SHEET]
    ws.cell(row_of(ws, "2026-A-001"), COL["本期完成投资(万元)"]).value = 350.5
    r = row_of(ws, "2026-A-002")
    ws.cell(r, COL["本期完成投资(万元)"]).value = 0
    ws.cell(r, COL["形象进度(%)"]).value = 40
    ws.cell(r, COL["形象进度描述"]).value = "停工待料"
    file = as_upload(wb)
    before = AuditEntry.objects.count()
    response = upload(client, unit_report, file)
    assert response.status_code == 302
    first = ProgressReport.objects.get(project=projects[0], month=10)
    assert (first.invested, first.progress_percent, first.problems) == (Decimal("350.50"), 45, "用地指标")
    second = ProgressReport.objects.get(project=projects[1], month=10)
    assert (second.invested, second.physical_progress, second.period_id) == (Decimal("0"), "停工待料",
                                                                            unit_report.period_id)
    assert not ProgressReport.objects.filter(project=projects[2]).exists()
    assert AuditEntry.objects.count() > before
    assert set(AuditEntry.objects.filter(source="excel").values_list("object_id", flat=True)) == {
        str(first.pk), str(second.pk)
    }
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("修改 2 个项目" in m for m in messages), messages
    assert any("在建项目本期完成投资为 0" in m for m in messages), messages
    after = AuditEntry.objects.count()
    response = upload(client, unit_report, as_upload(wb))
    assert response.status_code == 302
    assert AuditEntry.objects.count() == after


def test_errors_by_row_and_column_and_nothing_saved(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    wb = download(client, unit_report)
    ws = wb[unit_excel.SHEET]
    ws.cell(2, COL["本期完成投资(万元)"]).value = 999  # a valid change that must not be saved alone
    ws.cell(3, COL["本期完成投资(万元)"]).value = "三百"
    ws.cell(3, COL["形象进度(%)"]).value = 101
    ws.cell(3, COL["形象进度描述"]).value = "施工"
    ws.cell(4, COL["本期完成投资(万元)"]).value = 10
    ws.cell(4, COL["形象进度(%)"]).value = 5
    ws.cell(4, COL["形象进度描述"]).value = "开工"
    ws.cell(5, 1).value = "2026-B-001"
    ws.cell(5, COL["本期完成投资(万元)"]).value = 1
    response = upload(client, unit_report, as_upload(wb))
    assert response.status_code == 200
    assert error_cells(response) == [
        (3, "本期完成投资(万元)", "应为数字，实际为“三百”"),
        (3, "形象进度(%)", "应在 0 至 100 之间，实际为 101"),
        (4, "实际开工日期", "项目尚未开工，本期填报了投资或形象进度，须填写实际开工日期"),
        (5, "项目编号", "项目编号“2026-B-001”不是本单位牵头的项目，不能在本表填报"),
    ]
    assert "没有保存任何数据" in response.content.decode()
    assert ProgressReport.objects.get(project=projects[0], month=10).invested == Decimal("300")
    assert ProgressReport.objects.filter(month=10).count() == 1


def test_a_start_date_from_the_sheet_starts_the_project(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    wb = download(client, unit_report)
    ws = wb[unit_excel.SHEET]
    r = row_of(ws, "2026-A-003")
    for label, value in (("本期完成投资(万元)", 120), ("形象进度(%)", 5), ("形象进度描述", "场地平整"),
                         ("实际开工日期", dt.datetime(2026, 10, 9))):
        ws.cell(r, COL[label]).value = value
    assert upload(client, unit_report, as_upload(wb)).status_code == 302
    projects[2].refresh_from_db()
    assert (projects[2].actual_start, projects[2].stage) == (dt.date(2026, 10, 9), "building")


# --- malformed files ----------------------------------------------------------------------------

def test_malformed_uploads_are_refused_with_the_reason(
    unit_report: UnitReport, personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    cases = [
        (SimpleUploadedFile("a.csv", "项目编号,本期完成投资\n2026-A-001,1\n".encode()), "文本或 CSV"),
        (SimpleUploadedFile("a.xlsx", b""), "空的"),
        (SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "Excel 97-2003"),
    ]
    for file, reason in cases:
        response = upload(client, unit_report, file)
        assert response.status_code == 200
        assert reason in error_cells(response)[0][2]
    response = client.post(reverse("dispatch:report_excel_upload", args=[unit_report.pk]))
    assert "请选择要上传的 Excel 文件" in error_cells(response)[0][2]
    assert ProgressReport.objects.get(month=10).invested == Decimal("300")


def test_formulas_merged_cells_missing_columns_and_other_periods(
    unit_report: UnitReport, personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    wb = download(client, unit_report)
    wb[unit_excel.SHEET].cell(2, COL["本期完成投资(万元)"]).value = "=100+200"
    response = upload(client, unit_report, as_upload(wb))
    assert error_cells(response) == [
        (2, "本期完成投资(万元)", "单元格是公式“=100+200”，请复制后“选择性粘贴-数值”再上传")
    ]

    wb = download(client, unit_report)
    wb[unit_excel.SHEET].merge_cells("L3:M3")
    assert "合并单元格 L3:M3" in error_cells(upload(client, unit_report, as_upload(wb)))[0][2]

    wb = download(client, unit_report)
    wb[unit_excel.SHEET].delete_cols(COL["形象进度(%)"])
    assert "缺少必填列：形象进度(%)" in error_cells(upload(client, unit_report, as_upload(wb)))[0][2]

    wb = download(client, unit_report)
    wb[unit_excel.NOTES_SHEET]["B3"].value = "2026-09-0"
    assert "不能上传到2026年10月的月报" in error_cells(upload(client, unit_report, as_upload(wb)))[0][2]

    wb = download(client, unit_report)
    wb[unit_excel.SHEET].title = "Sheet1"
    assert "找不到名为“月度填报”的工作表" in error_cells(upload(client, unit_report, as_upload(wb)))[0][2]
    assert ProgressReport.objects.get(month=10).invested == Decimal("300")


def test_uploads_are_refused_once_submitted_or_frozen(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    wb = download(client, unit_report)
    wb[unit_excel.SHEET].cell(2, COL["本期完成投资(万元)"]).value = 1
    ProgressReport.objects.create(project=projects[1], year=2026, month=10, invested=Decimal("1"),
                                  progress_percent=40, physical_progress="施工")
    ProgressReport.objects.create(project=projects[2], year=2026, month=10, invested=Decimal("0"),
                                  progress_percent=0, physical_progress="前期手续")
    services.unit_report_submit(unit_report=unit_report, version=unit_report.version, by=personas["reporter"])
    response = upload(client, unit_report, as_upload(wb))
    assert "已报送" in error_cells(response)[0][2]
    Period.objects.filter(pk=unit_report.period_id).update(state=Period.State.PUBLISHED)
    assert "已发布" in error_cells(upload(client, unit_report, as_upload(wb)))[0][2]
    assert ProgressReport.objects.get(project=projects[0], month=10).invested == Decimal("300")
    # Viewers may download but not upload.
    viewer = client_for(personas["viewer"])
    assert viewer.get(reverse("dispatch:report_excel", args=[unit_report.pk])).status_code == 200
    assert upload(viewer, unit_report, as_upload(wb)).status_code == 403
