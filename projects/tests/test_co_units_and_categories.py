"""Co-units (配合单位), project categories and funding sources: who sees a project, who sets them, and
how they travel through the form, the audit and the ledger's Excel file."""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from conftest import client_for
from core.policies import can
from org.models import Unit, User
from projects import excel, services
from projects.models import FundingSource, Project, ProjectCategory


def form_data(project: Project, **changes: Any) -> dict[str, Any]:
    data = {
        "code": project.code, "name": project.name, "level": project.level, "project_type": project.project_type,
        "stage": project.stage, "construction": project.construction, "total_investment": project.total_investment,
        "invested_before": project.invested_before, "lead_unit": project.lead_unit_id,
        "town": project.town_id or "", "planned_start": project.planned_start or "",
        "actual_start": project.actual_start or "",
    }
    data.update(changes)
    return data


def ledger_codes(user: User) -> list[str]:
    response = client_for(user).get(reverse("projects:ledger"))
    return [row["code"] for row in response.context["rows"]]


def test_a_co_unit_sees_the_project_once_and_may_report_on_it(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project(lead_unit=units["gxj"], town=units["town_a"])
    other = personas["other_reporter"]  # 西山镇: neither the lead unit nor the town
    assert project.code not in ledger_codes(other)
    assert not can(other, "projects.view", Project.objects.get(pk=project.pk))
    project.co_units.set([units["town_b"]])
    assert ledger_codes(other) == [project.code]
    fresh = Project.objects.get(pk=project.pk)
    assert can(other, "projects.view", fresh)
    assert can(other, "projects.report_progress", fresh)
    page = client_for(other).get(reverse("projects:detail", args=[project.pk]))
    assert page.status_code == 200
    assert '<dd id="co-units">西山镇</dd>' in page.content.decode()
    # Lead unit and co-unit at once: listed once, counted once.
    project.co_units.add(units["town_a"])
    assert ledger_codes(personas["reporter"]) == [project.code]
    response = client_for(personas["reporter"]).get(reverse("projects:ledger"))
    assert response.context["count"] == 1


def test_the_office_sets_co_units_in_the_form_and_the_history_says_so(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project()
    client = client_for(personas["office"])
    response = client.post(
        reverse("projects:edit", args=[project.pk]), form_data(project, co_units=[units["town_b"].pk, units["fgj"].pk])
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert set(project.co_units.values_list("name", flat=True)) == {"西山镇", "发展和改革局"}
    entry = AuditEntry.objects.filter(model="projects.project", object_id=str(project.pk)).latest("pk")
    assert entry.changes["配合单位"] == ["", "发改局、西山镇"]  # as the units are shown
    # Saving again unchanged writes nothing.
    count = AuditEntry.objects.count()
    client.post(reverse("projects:edit", args=[project.pk]),
                form_data(project, co_units=[units["town_b"].pk, units["fgj"].pk]))
    assert AuditEntry.objects.count() == count


def test_a_reporter_cannot_set_co_units(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> None:
    project = make_project(lead_unit=units["gxj"], town=units["town_a"])
    reporter = personas["reporter"]
    response = client_for(reporter).get(reverse("projects:edit", args=[project.pk]))
    assert "co_units" not in response.context["form"].fields
    # A posted value is ignored: the form has no such field.
    client_for(reporter).post(reverse("projects:edit", args=[project.pk]),
                              form_data(project, co_units=[units["town_b"].pk]))
    assert not project.co_units.exists()
    with pytest.raises(ValidationError, match="配合单位只有项目办可以设定"):
        services.project_save(by=reporter, project=project, co_units=[units["town_b"]])


def test_category_funding_and_livelihood_are_saved_from_the_form(
    personas: dict[str, User], make_project: Any
) -> None:
    project = make_project()
    category = ProjectCategory.objects.get(name="民生实事")
    funding = FundingSource.objects.get(name="专项债")
    assert category.livelihood  # seeded by the migration
    response = client_for(personas["office"]).post(
        reverse("projects:edit", args=[project.pk]),
        form_data(project, category=category.pk, funding_source=funding.pk, livelihood="on", period_text="2025-2027"),
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.category, project.funding_source, project.livelihood, project.period_text) == (
        category, funding, True, "2025-2027"
    )


def _export(user: User) -> Any:
    response = client_for(user).get(reverse("projects:excel_export"))
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _upload(user: User, book: Any) -> Any:
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("ledger.xlsx", out.getvalue())
    return client_for(user).post(reverse("projects:excel_import"), {"file": upload})


def _cell(ws: Any, code: str, header: str) -> Any:
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            return row[headers.index(header)]
    raise AssertionError(code)


def test_excel_round_trip_keeps_co_units_category_and_funding(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project(category=ProjectCategory.objects.get(name="文旅"),
                           funding_source=FundingSource.objects.get(name="社会投资"), livelihood=True)
    project.co_units.set([units["town_b"]])
    office = personas["office"]
    book = _export(office)
    ws = book[excel.SHEET]
    assert _cell(ws, project.code, "配合单位").value == "西山镇"
    assert _cell(ws, project.code, "项目类别").value == "文旅"
    assert _cell(ws, project.code, "资金来源").value == "社会投资"
    assert _cell(ws, project.code, "民生实事项目").value == "是"
    before = AuditEntry.objects.count()
    response = _upload(office, book)
    assert response.status_code == 302
    assert AuditEntry.objects.count() == before  # unchanged
    # The office adds a co-unit by name in the file.
    _cell(ws, project.code, "配合单位").value = "西山镇、发改局"
    _cell(ws, project.code, "项目类别").value = "工业"
    assert _upload(office, book).status_code == 302
    project.refresh_from_db()
    assert set(project.co_units.values_list("name", flat=True)) == {"西山镇", "发展和改革局"}
    assert project.category.name == "工业"
    assert project.total_investment == Decimal("10000")


def test_a_reporter_changing_co_units_in_a_file_is_told_by_row_and_column(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project(lead_unit=units["gxj"], town=units["town_a"])
    project.co_units.set([units["town_b"]])
    reporter = personas["reporter"]
    book = _export(reporter)
    ws = book[excel.SHEET]
    assert _upload(reporter, book).status_code == 302  # the exported file goes back unchanged
    cell = _cell(ws, project.code, "配合单位")
    cell.value = "发改局"
    response = _upload(reporter, book)
    html = response.content.decode()
    assert "配合单位只有项目办可以设定" in html
    assert set(project.co_units.values_list("name", flat=True)) == {"西山镇"}
    _cell(ws, project.code, "项目类别").value = "不存在的类别"
    html = _upload(reporter, book).content.decode()
    assert "找不到名为“不存在的类别”的项目类别" in html
