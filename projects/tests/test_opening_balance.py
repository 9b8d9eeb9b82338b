"""The year's opening balance (年初累计，开账) of a project that joined the ledger mid-year.

A project added in November cannot report January to October: those months' periods are published
and frozen, and a correction needs a row that exists. The office enters the cumulative up to the
end of October once; from then on every year-to-date figure (the ledger, the light, the project
page, the unit's grid, the period's snapshot) is the opening plus the later months, and the
months it covers cannot be reported again.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for, district_time
from dispatch.models import ProjectSnapshot
from dispatch.periods import services as periods
from dispatch.periods.snapshots import ProjectFigures
from dispatch.reporting import grid
from org.models import Unit, User
from projects import services
from projects.models import AnnualPlan, OpeningBalance, ProgressReport, Project, ProjectYear


@pytest.fixture
def clock_at() -> dt.datetime:
    """November's reporting: January to October are over."""
    return district_time(2026, 11, 20, 10, 0)


pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def late(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Project:
    """A project of 东城街道 entered in November, with a 2026 plan of 1,200 万元 and nothing reported."""
    project = make_project(lead_unit=units["town_a"], planned_start=dt.date(2026, 2, 1),
                           actual_start=dt.date(2026, 2, 10))
    services.project_save(by=personas["office"], project=project, plans={2026: Decimal("1200")})
    return project


def opening(project: Project, *, through: int = 10, invested: str = "900", year: int = 2026) -> OpeningBalance:
    return OpeningBalance(project=project, year=year, through_month=through, invested=Decimal(invested),
                          note="据区统计局投资统计联网直报，1—10月累计完成")


def report(office: User, project: Project, month: int, amount: str) -> ProgressReport:
    return services.progress_save(by=office, report=ProgressReport(
        project=project, year=2026, month=month, invested=Decimal(amount), progress_percent=60))


def test_the_opening_counts_in_every_cumulative(personas: dict[str, User], late: Project) -> None:
    office = personas["office"]
    services.opening_save(by=office, opening=opening(late))
    report(office, late, 11, "150")

    # The ledger's kept figures, the live definition and the model's own sums agree.
    row = ProjectYear.objects.get(project=late, year=2026)
    assert (row.invested_ytd, row.plan) == (Decimal("1050.00"), Decimal("1200.00"))
    live = Project.objects.with_figures(2026).get(pk=late.pk)
    assert live.invested_ytd == Decimal("1050.00")
    assert services.year_figures_differences() == []
    assert late.invested_in_year(2026) == Decimal("1050.00")
    assert late.invested_since_start() == Decimal("1050.00")

    # The light reads 87.5% against November's schedule and says the cumulative holds the opening.
    late.refresh_from_db()
    investment = [text for _light, text in late.light_reasons if "年度投资完成" in text]
    assert investment and "87.5" in investment[0]
    assert "累计含2026年1—10月开账 900.00 万元" in investment[0]

    # What the grid's rules compare November's figures with: the opening is "before the period".
    before = services.progress_before(project=late, year=2026, month=11, half=0)
    assert before.invested_before_period == Decimal("900.00")


def test_the_project_page_shows_and_explains_the_opening(personas: dict[str, User], late: Project) -> None:
    office = personas["office"]
    services.opening_save(by=office, opening=opening(late))
    report(office, late, 11, "150")
    page = client_for(office).get(reverse("projects:detail", args=[late.pk]) + "?year=2026").content.decode()
    assert "2026年1—10月（开账）" in page
    assert "= 开账 900.00 万元（2026年1—10月）+ 此后各月完成投资之和" in page
    assert "据区统计局投资统计联网直报" in page
    table = services.progress_table(late, 2026)
    by_month = {row["month"]: row for row in table}
    assert by_month[10]["opening"] is not None and by_month[10]["ytd"] == Decimal("900.00")
    assert by_month[11]["ytd"] == Decimal("1050.00") and by_month[11]["since_start"] == Decimal("1050.00")
    assert by_month[9]["opening"] is None and by_month[9]["since_start"] is None


def test_months_inside_the_opening_cannot_be_reported(personas: dict[str, User], late: Project) -> None:
    office = personas["office"]
    services.opening_save(by=office, opening=opening(late))
    with pytest.raises(ValidationError, match="年初累计（开账）录入，不再逐月填报"):
        report(office, late, 9, "10")
    # The project page's progress form says so on the form.
    response = client_for(office).post(reverse("projects:progress_new", args=[late.pk]), {
        "year": 2026, "month": 10, "invested": "5", "progress_percent": 10,
    })
    assert response.status_code == 200
    assert "不再逐月填报" in response.content.decode()
    assert not ProgressReport.objects.filter(project=late).exists()


@pytest.mark.parametrize(("through", "year", "message"), [
    (11, 2026, "尚未结束"),  # November is the current month
    (12, 2026, "尚未结束"),
    (1, 2027, "尚未结束"),
])
def test_an_opening_covers_only_months_that_have_ended(
    personas: dict[str, User], late: Project, through: int, year: int, message: str,
) -> None:
    with pytest.raises(ValidationError, match=message):
        services.opening_save(by=personas["office"], opening=opening(late, through=through, year=year))
    assert not OpeningBalance.objects.exists()


def test_an_opening_never_overlaps_a_report(personas: dict[str, User], late: Project) -> None:
    office = personas["office"]
    report(office, late, 8, "100")
    with pytest.raises(ValidationError, match="已填报2026年8月的月度进度"):
        services.opening_save(by=office, opening=opening(late, through=10))
    # Up to July it may: the opening then counts before August's report.
    services.opening_save(by=office, opening=opening(late, through=7, invested="300"))
    assert ProjectYear.objects.get(project=late, year=2026).invested_ytd == Decimal("400.00")


def test_an_open_period_is_reported_month_by_month(personas: dict[str, User], late: Project) -> None:
    office = personas["office"]
    periods.period_open(year=2026, month=10, by=office)
    with pytest.raises(ValidationError, match="尚未发布"):
        services.opening_save(by=office, opening=opening(late, through=10))
    services.opening_save(by=office, opening=opening(late, through=9))
    assert OpeningBalance.objects.get().through_month == 9


def test_only_the_office_enters_an_opening(personas: dict[str, User], late: Project) -> None:
    with pytest.raises(PermissionDenied):
        services.opening_save(by=personas["reporter"], opening=opening(late))
    for name, status in (("reporter", 403), ("other_reporter", 404), ("leader", 403), ("viewer", 403)):
        client = client_for(personas[name])
        assert client.get(reverse("projects:opening_new", args=[late.pk])).status_code == status, name
        response = client.post(reverse("projects:opening_new", args=[late.pk]), {
            "year": 2026, "through_month": 10, "invested": "900", "note": "x",
        })
        assert response.status_code == status, name
    assert not OpeningBalance.objects.exists()


def test_every_change_to_an_opening_is_audited(personas: dict[str, User], late: Project) -> None:
    office = personas["office"]
    client = client_for(office)
    response = client.post(reverse("projects:opening_new", args=[late.pk]), {
        "year": 2026, "through_month": 10, "invested": "900", "note": "<script>alert(1)</script>统计局数据",
    })
    assert response.status_code == 302
    saved = OpeningBalance.objects.get()
    assert saved.entered_by == office
    # Typed text is shown as text, never run.
    page = client.get(reverse("projects:detail", args=[late.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    response = client.post(reverse("projects:opening_edit", args=[late.pk, saved.pk]), {
        "year": 2026, "through_month": 10, "invested": "950", "note": "更正：统计局复核数",
    })
    assert response.status_code == 302
    assert ProjectYear.objects.get(project=late, year=2026).invested_ytd == Decimal("950.00")
    response = client.post(reverse("projects:opening_delete", args=[late.pk, saved.pk]))
    assert response.status_code == 302
    assert not OpeningBalance.objects.exists()
    assert not ProjectYear.objects.filter(project=late, year=2026, invested_ytd__gt=0).exists()

    entries = list(AuditEntry.objects.filter(model="projects.openingbalance").order_by("at", "id"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert all(e.user == office and e.subject_id == str(late.pk) for e in entries)
    changed = entries[1].changes
    amount = next(value for label, value in changed.items() if "累计完成投资" in label)
    assert amount == ["900", "950"]  # the audit's way with whole amounts


def test_a_second_opening_of_the_same_year_is_a_form_error(personas: dict[str, User], late: Project) -> None:
    office = personas["office"]
    services.opening_save(by=office, opening=opening(late))
    response = client_for(office).post(reverse("projects:opening_new", args=[late.pk]), {
        "year": 2026, "through_month": 9, "invested": "1", "note": "x",
    })
    assert response.status_code == 200
    assert "已有开账数" in response.content.decode()
    assert OpeningBalance.objects.count() == 1


def test_the_grid_and_the_published_snapshot_count_the_opening(
    personas: dict[str, User], units: dict[str, Unit], late: Project,
) -> None:
    office = personas["office"]
    services.opening_save(by=office, opening=opening(late))
    period = periods.period_open(year=2026, month=11, by=office)
    report(office, late, 11, "150")
    unit_report = period.unit_reports.get(unit=units["town_a"])
    [(project, _row, context)] = grid._load(unit_report)
    assert project == late
    assert context.ytd_before == Decimal("900.00")
    assert context.invested_before_period == Decimal("900.00")

    periods.period_close(period=period, by=office)
    periods.period_publish(period=period, by=office, reason="测试：提前发布")
    stored = ProjectSnapshot.objects.get(period=period, project=late)
    figures = ProjectFigures.from_data(stored.data, version=stored.schema_version, period=period)
    assert figures.invested_ytd == Decimal("1050.00")
    assert figures.invested_since_start == Decimal("1050.00")
    assert any("开账" in reason.text for reason in figures.reasons)

    # Published figures stay as published: changing the opening afterwards changes the ledger only.
    services.opening_save(by=office, opening=OpeningBalance.objects.get())
    changed = OpeningBalance.objects.get()
    changed.invested = Decimal("1000")
    services.opening_save(by=office, opening=changed)
    stored.refresh_from_db()
    assert ProjectFigures.from_data(stored.data, version=stored.schema_version, period=period).invested_ytd == \
        Decimal("1050.00")
    assert ProjectYear.objects.get(project=late, year=2026).invested_ytd == Decimal("1150.00")
    assert AnnualPlan.objects.get(project=late).amount == Decimal("1200.00")
