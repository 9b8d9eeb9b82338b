"""The unit's monthly sheet upload: an error report with every error, each problem cell marked.

The grid lists the first ``MAX_ERRORS_SHOWN`` errors; the uploaded sheet is kept for its uploader (by
session, for that unit report) and the report (.xlsx) has them all.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from conftest import client_for, district_time, make_user
from core.excel import MAX_ERRORS_SHOWN, cells
from core.excel.report import ERROR_FILL, ERROR_SHEET_TITLE
from dispatch.models import UnitReport
from dispatch.periods import services
from dispatch.reporting import excel as unit_excel
from org.models import Unit, User
from projects.models import ProgressReport

CODE, INVESTED = 1, 7  # 项目编号 (A), 本期完成投资(万元) (G)
HYPERLINK = '=HYPERLINK("http://example.com/x","点我")'


@pytest.fixture
def clock_at() -> dt.datetime:
    return district_time(2026, 10, 20, 10, 0)


pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def unit_report(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> UnitReport:
    make_project(code="2026-A-001", lead_unit=units["town_a"])
    make_project(code="2026-B-001", lead_unit=units["town_b"])
    period = services.period_open(year=2026, month=10, by=personas["office"])
    return period.unit_reports.get(unit=units["town_a"])


def download(client: Client, unit_report: UnitReport) -> Any:
    response = client.get(reverse("dispatch:report_excel", args=[unit_report.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def bad_sheet(client: Client, unit_report: UnitReport, rows: int) -> bytes:
    """The unit's own sheet with ``rows`` rows of projects that are not the unit's, from row 3; the first
    such code a text that looks like a formula."""
    wb = download(client, unit_report)
    ws = wb[unit_excel.SHEET]
    for number in range(3, rows + 3):
        cells.put(ws, number, CODE, HYPERLINK if number == 3 else f"X-{number:04d}")
        ws.cell(number, INVESTED).value = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: Client, unit_report: UnitReport, data: bytes) -> Any:
    return client.post(reverse("dispatch:report_excel_upload", args=[unit_report.pk]),
                       {"file": SimpleUploadedFile("十月填报.xlsx", data)})


def report_url(html: str) -> str:
    found = re.search(r'href="(/[^"]+/excel/[0-9a-f]+/errors\.xlsx)"', html)
    assert found, html[-3000:]
    return found.group(1)


def test_more_errors_than_shown_give_a_report_of_all(unit_report: UnitReport, personas: dict[str, User]) -> None:
    client = client_for(personas["reporter"])
    rows = MAX_ERRORS_SHOWN + 5
    response = upload(client, unit_report, bad_sheet(client, unit_report, rows))
    assert response.status_code == 200
    total = response.context["error_count"]
    assert total >= rows and len(response.context["errors"]) == MAX_ERRORS_SHOWN
    html = response.content.decode()
    assert f"发现 {total} 个问题" in html
    assert f"下面只列出前 {MAX_ERRORS_SHOWN} 个，错误报告中有全部问题。" in html
    assert ProgressReport.objects.filter(month=10).count() == 0

    report = client.get(report_url(html))
    assert report.status_code == 200
    book = load_workbook(io.BytesIO(report.content))
    assert book.sheetnames[:2] == [ERROR_SHEET_TITLE, unit_excel.SHEET]
    listing = book[ERROR_SHEET_TITLE]
    assert listing.max_row == total + 1
    listed = [(row[0].value, row[1].value) for row in listing.iter_rows(min_row=2)]
    ws = book[unit_excel.SHEET]
    for number in range(3, rows + 3):
        cell = ws.cell(number, CODE)
        assert cell.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb, cell.coordinate
        assert "不是本单位牵头的项目" in cell.comment.text
        assert (number, "A") in listed
    # The unit's own row is left as it was; the text that looks like a formula stays text everywhere.
    assert ws.cell(2, CODE).comment is None and ws.cell(2, CODE).value == "2026-A-001"
    assert (ws.cell(3, CODE).value, ws.cell(3, CODE).data_type) == (HYPERLINK, "s")
    assert all(cell.data_type != "f" for row in listing.iter_rows() for cell in row)
    assert any("=HYPERLINK(" in str(row[3].value) for row in listing.iter_rows(min_row=2, max_row=2))


def test_only_the_uploader_downloads_the_report(
    unit_report: UnitReport, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    client = client_for(personas["reporter"])
    response = upload(client, unit_report, bad_sheet(client, unit_report, 2))
    assert response.context["error_count"] == 2 and not response.context["errors_cut"]
    html = response.content.decode()
    assert "错误报告中有全部问题" not in html
    url = report_url(html)
    assert client.get(url).status_code == 200
    colleague = client_for(make_user("reporter2", User.Role.REPORTER, units["town_a"]))
    assert colleague.get(url).status_code == 404
    assert client_for(personas["office"]).get(url).status_code == 404
    assert client_for(personas["leader"]).get(url).status_code == 403
    assert client_for(make_user("reporter_b", User.Role.REPORTER, units["town_b"])).get(url).status_code == 404
    # The token is for this unit report only.
    other = unit_report.period.unit_reports.get(unit=units["town_b"])
    token = url.rsplit("/", 2)[1]
    assert client.get(reverse("dispatch:report_excel_errors", args=[other.pk, token])).status_code == 404


def test_a_refused_file_has_no_report(unit_report: UnitReport, personas: dict[str, User], media: Path) -> None:
    client = client_for(personas["reporter"])
    response = upload(client, unit_report, b"")
    assert response.status_code == 200 and response.context["error_count"] == 1
    assert "errors.xlsx" not in response.content.decode()
    assert not (media / "imports" / "errors").exists()
    # A valid upload saves as before and keeps nothing.
    wb = download(client, unit_report)
    ws = wb[unit_excel.SHEET]
    ws.cell(2, INVESTED).value = 12
    ws.cell(2, 11).value = 30
    ws.cell(2, 12).value = "主体施工"
    out = io.BytesIO()
    wb.save(out)
    assert upload(client, unit_report, out.getvalue()).status_code == 302
    assert ProgressReport.objects.get(month=10).invested == Decimal("12")
    assert not (media / "imports" / "errors").exists()

