"""The ledger import's error report: every error, each problem cell marked in the user's own file.

The page lists the first ``MAX_ERRORS_SHOWN`` errors; the upload is kept for its uploader (by session)
and the report (.xlsx) has them all, whether the file was checked in the request or by the worker.
Also the Excel kit's report writer itself (``core.excel.report``): text stays text, old kept files go.
"""
from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client, RequestFactory
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from conftest import client_for, login, make_user
from core.excel import MAX_ERRORS_SHOWN, Issue, KeptUploads, cells, write_error_report
from core.excel.report import ERROR_FILL, ERROR_SHEET_TITLE
from org.models import Unit, User
from projects import excel
from projects.models import Project

IMPORT_URL = "/projects/excel/import/"
LABELS = [column.label for column in excel.COLUMNS]
LETTER = {label: get_column_letter(index) for index, label in enumerate(LABELS, start=1)}
HYPERLINK = '=HYPERLINK("http://example.com/x","点我")'


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def new_row(code: str, **values: Any) -> list[Any]:
    base: dict[str, Any] = {
        "项目编号": code, "项目名称": "新材料产业园", "项目级别": "区重点", "项目类型": "产业",
        "项目阶段": "在建", "建设性质": "新开工", "专项债项目": "否", "总投资(万元)": 50000,
        "以前年度累计完成投资(万元)": 0, "计划开工日期": "2026-03-01", "实际开工日期": "2026/3/15",
        "牵头单位": "工信局", "属地镇街": "东城街道", "包靠区领导": "张区长",
    }
    base.update(values)
    return [base.get(label) for label in LABELS]


BAD = {"项目级别": "部级", "专项债项目": "也许", "总投资(万元)": "约3亿"}


def bad_book(rows: int, *, hyperlink_at: int | None = None) -> bytes:
    """``rows`` rows, each with the three errors of ``BAD``; one 牵头单位 a text that looks like a formula."""
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET
    ws.append(LABELS)
    for n in range(rows):
        ws.append(new_row(f"E-{n:04d}", **BAD))
    if hyperlink_at is not None:
        cells.put(ws, hyperlink_at, LABELS.index("牵头单位") + 1, HYPERLINK)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post(client: Client, data: bytes, name: str = "台账.xlsx") -> Any:
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})


def report_url(html: str) -> str:
    found = re.search(r'href="(/projects/excel/import/[0-9a-f]+/errors\.xlsx)"', html)
    assert found, html[-3000:]
    return found.group(1)


def check_report(content: bytes, *, rows: int, total: int, hyperlink_at: int | None = None) -> None:
    """The report lists ``total`` errors and marks the three bad cells of every one of ``rows`` rows."""
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == [ERROR_SHEET_TITLE, excel.SHEET, *book.sheetnames[2:]]
    listing = book[ERROR_SHEET_TITLE]
    assert listing.max_row == total + 1  # the header, then one row per error
    listed = {(row[0].value, row[1].value) for row in listing.iter_rows(min_row=2)}
    ws = book[excel.SHEET]
    for number in range(2, rows + 2):
        for label in BAD:
            cell = ws[f"{LETTER[label]}{number}"]
            assert cell.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb, cell.coordinate
            assert cell.comment is not None and cell.comment.text, cell.coordinate
            assert (number, LETTER[label]) in listed
    # A cell without a problem is left as it was.
    assert ws[f"{LETTER['项目名称']}2"].comment is None
    assert ws[f"{LETTER['项目名称']}2"].fill.fgColor.rgb != ERROR_FILL.fgColor.rgb
    # Nothing in the list is a formula; the user's text that looks like one stays text in their sheet.
    assert all(cell.data_type != "f" for row in listing.iter_rows() for cell in row)
    if hyperlink_at is not None:
        cell = ws[f"{LETTER['牵头单位']}{hyperlink_at}"]
        assert (cell.value, cell.data_type) == (HYPERLINK, "s")
        assert cell.comment is not None
        messages = [row[3].value for row in listing.iter_rows(min_row=2) if row[0].value == hyperlink_at
                    and row[1].value == LETTER["牵头单位"]]
        assert messages and "=HYPERLINK(" in messages[0]


def test_a_file_with_more_errors_than_shown_gives_a_report_of_all(personas: dict[str, User]) -> None:
    rows = 400  # checked in the request (not more than 500 rows), 3 errors each: more than the page shows
    client = login("office")
    response = post(client, bad_book(rows, hyperlink_at=7))
    assert response.status_code == 200
    total = response.context["error_count"]
    assert total > MAX_ERRORS_SHOWN and total >= rows * 3
    assert len(response.context["errors"]) == MAX_ERRORS_SHOWN
    html = response.content.decode()
    assert f"发现 {total} 个问题" in html
    assert f"下面只列出前 {MAX_ERRORS_SHOWN} 个，错误报告中有全部问题。" in html
    assert "只列出前 1000 个问题。" not in html
    assert html.count("<tr><td") == MAX_ERRORS_SHOWN
    assert Project.objects.count() == 0
    report = client.get(report_url(html))
    assert report.status_code == 200
    assert report["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A.xlsx" in report["Content-Disposition"]  # 台账-错误报告.xlsx
    check_report(report.content, rows=rows, total=total, hyperlink_at=7)


def test_a_few_errors_have_a_report_too_and_no_cut(personas: dict[str, User]) -> None:
    client = login("office")
    response = post(client, bad_book(2))
    html = response.content.decode()
    assert response.context["error_count"] == 6 and not response.context["errors_cut"]
    assert "错误报告中有全部问题" not in html
    check_report(client.get(report_url(html)).content, rows=2, total=6)


def test_a_file_refused_as_a_whole_has_no_report(personas: dict[str, User], media: Path) -> None:
    response = post(login("office"), b"not a workbook at all", name="a.xlsx")
    assert response.status_code == 200 and response.context["error_count"] == 1
    assert "errors.xlsx" not in response.content.decode()
    assert not (media / "imports" / "errors").exists()


def test_only_the_uploader_downloads_the_report(personas: dict[str, User], units: dict[str, Unit]) -> None:
    client = login("office")
    url = report_url(post(client, bad_book(2)).content.decode())
    colleague = client_for(make_user("office2", User.Role.OFFICE, units["fgj"]))
    assert colleague.get(url).status_code == 404
    assert client_for(personas["reporter"]).get(url).status_code == 404
    assert client_for(personas["admin"]).get(url).status_code == 404
    assert client_for(personas["viewer"]).get(url).status_code == 403
    assert client.get(url).status_code == 200
    # A new session of the same person (logged in again elsewhere) does not carry the token either.
    assert login("office").get(url).status_code == 404


def test_a_large_file_checked_by_the_worker_gives_the_report(personas: dict[str, User], media: Path) -> None:
    from core.models import Job
    from projects.tasks import BACKGROUND_ROWS

    rows = BACKGROUND_ROWS + 1  # over 500 rows: the worker (inline in the tests) checks it
    client = login("office")
    queued = post(client, bad_book(rows, hyperlink_at=rows))
    assert queued.status_code == 302 and "?job=" in queued["Location"]
    job = Job.objects.get()
    assert job.state == "done" and not job.result["ok"]
    total = job.result["error_count"]
    assert total > MAX_ERRORS_SHOWN and len(job.result["errors"]) == MAX_ERRORS_SHOWN
    # The worker's copy of the upload moved to the kept uploads: nothing is left in imports/.
    assert not list((media / "imports").glob("*.xlsx"))
    page = client.get(queued["Location"])
    html = page.content.decode()
    assert f"发现 {total} 个问题" in html
    assert f"下面只列出前 {MAX_ERRORS_SHOWN} 个，错误报告中有全部问题。" in html
    url = report_url(html)
    check_report(client.get(url).content, rows=rows, total=total, hyperlink_at=rows)
    # Another office user neither sees the job's outcome nor gets its report.
    colleague = client_for(make_user("office2", User.Role.OFFICE, None))
    assert "errors.xlsx" not in colleague.get(queued["Location"]).content.decode()
    assert colleague.get(url).status_code == 404
    # Once the kept file is gone (too old), the page no longer offers the report.
    for kept in (media / "imports" / "errors" / "ledger").iterdir():
        kept.unlink()
    html = client.get(queued["Location"]).content.decode()
    assert f"发现 {total} 个问题" in html and "errors.xlsx" not in html
    assert client.get(url).status_code == 404


def test_a_session_keeps_its_last_reports_only(personas: dict[str, User], media: Path) -> None:
    from core.excel.report import PER_SESSION

    client = login("office")
    urls = [report_url(post(client, bad_book(1)).content.decode()) for _n in range(PER_SESSION + 1)]
    kept = media / "imports" / "errors" / "ledger"
    assert len(list(kept.glob("*.xlsx"))) == PER_SESSION  # the first one's file is gone
    assert client.get(urls[0]).status_code == 404
    assert all(client.get(url).status_code == 200 for url in urls[1:])


# --- the Excel kit's writer and store -----------------------------------------------------------

def test_text_that_looks_like_a_formula_stays_text_in_the_report() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "清单"
    ws.append(["名称", HYPERLINK])
    ws.append(["甲", "乙"])
    source = io.BytesIO()
    wb.save(source)
    source.seek(0)
    target = io.BytesIO()
    errors = [Issue(2, HYPERLINK, HYPERLINK, 2), Issue(2, "名称", "=1+1", 1), Issue(None, "", "=SUM(A1:A2)")]
    assert write_error_report(source, "清单", errors, target) == 3
    book = load_workbook(io.BytesIO(target.getvalue()))
    listing = book[ERROR_SHEET_TITLE]
    values = [[cell.value for cell in row] for row in listing.iter_rows(min_row=2)]
    assert values == [[None, None, None, "=SUM(A1:A2)"], [2, "A", "名称", "=1+1"], [2, "B", HYPERLINK, HYPERLINK]]
    assert all(cell.data_type != "f" for row in listing.iter_rows() for cell in row)
    assert book["清单"]["B2"].comment.text == HYPERLINK and book["清单"]["A2"].fill.fgColor.rgb == "00FFC7CE"


def test_the_list_import_uses_the_kits_writer() -> None:
    from core.excel import report as core_report
    from projects.importing import report as list_report

    assert list_report.write_error_report is core_report.write_error_report
    assert list_report.error_report_bytes is core_report.error_report_bytes


def test_kept_uploads_older_than_the_limit_are_removed(media: Path) -> None:
    store = KeptUploads("test_area", keep_days=7)
    request = RequestFactory().get("/")
    request.session = {}  # type: ignore[assignment]
    errors = [Issue(2, "名称", "错", 1)]
    wb = Workbook()
    data = io.BytesIO()
    wb.save(data)
    old = store.keep(io.BytesIO(data.getvalue()), name="a.xlsx", sheet="Sheet", errors=errors)
    assert old is not None
    long_ago = time.time() - 8 * 86400
    for suffix in (".xlsx", ".json"):
        os.utime(store.folder() / f"{old}{suffix}", (long_ago, long_ago))
    new = store.keep_for(request, SimpleUploadedFile("b.xlsx", data.getvalue()), sheet="Sheet", errors=errors)
    assert sorted(p.name for p in store.folder().iterdir()) == sorted([f"{new}.json", f"{new}.xlsx"])
    assert request.session[store.session_key] == [new]
    assert store.response(request, str(new)).status_code == 200
    with pytest.raises(Http404):
        store.response(request, str(new), scope="another")
    assert store.keep(io.BytesIO(data.getvalue()), name="c.xlsx", sheet="Sheet",
                      errors=[Issue(None, "", "整个文件")]) is None
