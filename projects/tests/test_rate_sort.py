"""The ledger sorted by 完成率 (year-to-date ÷ the year's plan): ties by code, no plan last either way."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from org.models import User
from projects import services
from projects.models import AnnualPlan, ProgressReport, Project

pytestmark = pytest.mark.usefixtures("clock")  # 15 May 2026

# code -> (2026 plan, invested in 2026): the rates the ledger shows.
FIGURES: dict[str, tuple[str | None, str]] = {
    "R-08": ("100", "80"),  # 80%
    "R-05": ("200", "100"),  # 50%, the same rate as R-02: code decides
    "R-02": ("100", "50"),  # 50%
    "R-07": ("300", "100"),  # 33.33…%, exactly the rate of R-03 (100 ÷ 3)
    "R-03": ("3", "1"),  # 33.33…%
    "R-06": ("100", "0"),  # 0%: a rate, not a missing one
    "R-09": ("300", "101"),  # 33.67%: shown as 33.7%, above the two 33.3%
    "R-04": (None, "500"),  # no plan this year: no rate
    "R-01": ("0", "20"),  # a plan of 0: no rate
}
ASCENDING = ["R-06", "R-03", "R-07", "R-09", "R-02", "R-05", "R-08", "R-01", "R-04"]
DESCENDING = ["R-08", "R-02", "R-05", "R-09", "R-03", "R-07", "R-06", "R-01", "R-04"]


@pytest.fixture
def ledger(make_project: Any) -> dict[str, Project]:
    projects = {}
    for code, (plan, invested) in FIGURES.items():
        project = projects[code] = make_project(code=code)
        if plan is not None:
            AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(plan))
        AnnualPlan.objects.create(project=project, year=2025, amount=Decimal("1"))  # another year's plan: ignored
        ProgressReport.objects.create(project=project, year=2026, month=3, invested=Decimal(invested))
        ProgressReport.objects.create(project=project, year=2025, month=12, invested=Decimal("999"))
    # Rows made with objects.create bypass the services that keep the ledger's year figures.
    services.year_figures_rebuild()
    return projects


def codes(response: Any) -> list[str]:
    return [project.code for project in response.context["page"]]


def test_it_sorts_by_rate_with_ties_by_code_and_no_rate_last(personas: dict[str, User],
                                                              ledger: dict[str, Project]) -> None:
    client = client_for(personas["office"])
    assert codes(client.get(reverse("projects:ledger"), {"sort": "rate"})) == ASCENDING
    assert codes(client.get(reverse("projects:ledger"), {"sort": "-rate"})) == DESCENDING


def test_the_rate_heading_sorts_highest_first_then_lowest(personas: dict[str, User],
                                                         ledger: dict[str, Project]) -> None:
    client = client_for(personas["office"])
    page = client.get(reverse("projects:ledger"), {"level": "district"}).content.decode()
    assert '&sort=-rate">完成率</a>' in page and "level=district" in page.split('&sort=-rate">完成率')[0][-200:]
    page = client.get(reverse("projects:ledger"), {"sort": "-rate"}).content.decode()
    assert '&sort=rate">完成率</a>' in page


def test_the_rate_order_is_of_the_filtered_year(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    """2025: every project planned 1 and invested 999, one rate for all, so by code."""
    response = client_for(personas["office"]).get(reverse("projects:ledger"), {"sort": "-rate", "year": 2025})
    assert codes(response) == sorted(FIGURES)


def test_sorting_by_rate_costs_no_more_queries(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    client = client_for(personas["office"])
    counted = {}
    for sort in ("code", "rate"):
        client.get(reverse("projects:ledger"), {"sort": sort})
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("projects:ledger"), {"sort": sort})
        counted[sort] = len(queries)
    assert counted["rate"] == counted["code"]
