"""Small things a user met in the dispatch pages: a download's name, a stray space, the order of the
periods, Django's stock wording in the problem forms."""
from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from django.urls import reverse

from conftest import client_for, district_time
from dispatch.models import Problem
from dispatch.periods import services
from org.models import Unit, User
from projects.models import Project

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def clock_at() -> dt.datetime:
    return district_time(2026, 12, 2, 10, 0)


@pytest.fixture
def project(units: dict[str, Unit], make_project: Any) -> Project:
    return make_project(code="2026-A-001", lead_unit=units["town_a"], town=units["town_a"])


def _download_name(response: Any) -> str:
    return str(response["Content-Disposition"])


# --- the unit sheet's download name -----------------------------------------------------------

@pytest.mark.parametrize(
    ("half", "name"),
    [
        (0, "东城街道-2026-12月度填报.xlsx"),
        (1, "东城街道-2026-12上半月填报.xlsx"),
        (2, "东城街道-2026-12下半月填报.xlsx"),
    ],
)
def test_the_unit_sheet_is_named_by_month_without_a_stray_half(
    half: int, name: str, personas: dict[str, User], units: dict[str, Unit], project: Project
) -> None:
    period = services.period_open(year=2026, month=12, half=half, by=personas["office"])
    unit_report = period.unit_reports.get(unit=units["town_a"])
    response = client_for(personas["reporter"]).get(reverse("dispatch:report_excel", args=[unit_report.pk]))
    assert response.status_code == 200
    assert f"filename*=utf-8''{quote(name)}" in _download_name(response)
    assert "-0" not in _download_name(response)


# --- the deadline's brackets ------------------------------------------------------------------

def test_the_days_left_sit_inside_the_brackets_without_a_gap(
    personas: dict[str, User], units: dict[str, Unit], project: Project
) -> None:
    period = services.period_open(year=2026, month=12, by=personas["office"])
    unit_report = period.unit_reports.get(unit=units["town_a"])
    page = client_for(personas["reporter"]).get(reverse("dispatch:report_grid", args=[unit_report.pk]))
    days = (period.deadline - dt.date(2026, 12, 2)).days
    # No element between the text and "）": the stylesheet's ".counts span" margin showed as "天 ）".
    assert f"（还剩 {days} 天）" in page.content.decode()


# --- the period list ----------------------------------------------------------------------------

def test_the_periods_are_listed_newest_first(personas: dict[str, User], units: dict[str, Unit],
                                             project: Project) -> None:
    for year, month, half in ((2025, 12, 0), (2026, 11, 1), (2026, 3, 0), (2026, 11, 2)):
        services.period_open(year=year, month=month, half=half, by=personas["office"])
    response = client_for(personas["office"]).get(reverse("dispatch:periods"))
    assert [p.label for p in response.context["periods"]] == [
        "2026年11月下半月", "2026年11月上半月", "2026年3月", "2025年12月",
    ]
    page = response.content.decode()
    assert page.index("2026年11月下半月") < page.index("2026年3月") < page.index("2025年12月")


# --- Django's stock wording -------------------------------------------------------------------

@pytest.fixture
def problem(units: dict[str, Unit], project: Project) -> Problem:
    return Problem.objects.create(description="环评未批复", responsible_unit=units["town_a"], project=project,
                                  deadline=dt.date(2026, 12, 20))


def test_a_text_too_long_says_how_long_in_plain_words(personas: dict[str, User], problem: Problem) -> None:
    response = client_for(personas["reporter"]).post(
        reverse("dispatch:problem_act", args=[problem.pk]), {"action": "accept", "version": 1, "text": "长" * 5001}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "最多 5000 个字，现有 5001 个字，请删减后再提交。" in page
    assert "该变量" not in page
    assert Problem.objects.get().state == Problem.State.ASSIGNED


def test_a_unit_or_leader_no_longer_offered_is_named(personas: dict[str, User], units: dict[str, Unit]) -> None:
    gone = Unit.objects.create(name="已撤并局", kind=Unit.Kind.DEPARTMENT, is_active=False)
    response = client_for(personas["office"]).post(reverse("dispatch:problem_new"), {
        "source": "direct", "description": "用地指标", "responsible_unit": gone.pk,
        "responsible_leader": personas["viewer"].pk, "deadline": "2026-12-20",
    })
    errors = response.context["form"].errors
    assert errors["responsible_unit"] == ["所选责任单位不存在或已停用，请重新选择。"]
    assert errors["responsible_leader"] == ["所选责任领导不存在、已停用或不是区领导，请重新选择。"]
    assert "选择一个有效的选项" not in response.content.decode()
    assert not Problem.objects.exists()


def test_reassigning_to_a_unit_no_longer_offered_is_named(personas: dict[str, User], units: dict[str, Unit],
                                                           problem: Problem) -> None:
    gone = Unit.objects.create(name="已撤并局", kind=Unit.Kind.DEPARTMENT, is_active=False)
    Problem.objects.filter(pk=problem.pk).update(state=Problem.State.RETURNED)
    response = client_for(personas["office"]).post(
        reverse("dispatch:problem_reassign", args=[problem.pk]),
        {"version": problem.version, "responsible_unit": gone.pk, "deadline": "2026-12-20"},
    )
    assert response.status_code == 200
    assert "所选责任单位不存在或已停用，请重新选择。" in response.content.decode()

