"""The ledger's filters by 项目类别, 资金来源 and 民生实事: each narrows the list, the totals and the Excel
export, keeps to the user's scope, works with every sort and page (the index walk of ``selectors._page_ids``
included), stays in the links, and a value that names nothing is the form's error, not a server error."""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conftest import client_for
from org.models import Unit, User
from projects import excel, selectors, services
from projects.forms import LedgerFilterForm
from projects.models import AnnualPlan, FundingSource, ProgressReport, Project, ProjectCategory

pytestmark = pytest.mark.usefixtures("clock")  # 15 May 2026 (conftest's clock_at)

URL = "/projects/"


def category(name: str, *, livelihood: bool = False) -> ProjectCategory:
    # Seeded by the migrations, but a live-server test before this one may have flushed them.
    return ProjectCategory.objects.get_or_create(name=name, defaults={"livelihood": livelihood})[0]


def funding(name: str) -> FundingSource:
    return FundingSource.objects.get_or_create(name=name)[0]


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [p.code for p in response.context["page"]]


@pytest.fixture
def five(units: dict[str, Unit], make_project: Any) -> dict[str, Project]:
    """Five projects; all but ``out`` in the reporter's town (town_a)."""
    industry, livelihood, infra = category("工业"), category("民生实事", livelihood=True), category("基础设施")
    assert livelihood.livelihood
    government, social, bond = funding("政府投资"), funding("社会投资"), funding("专项债")
    return {
        "factory": make_project(category=industry, funding_source=social),
        # 民生实事 by its category only: the project's own box is not ticked.
        "school": make_project(category=livelihood, funding_source=government),
        # 民生实事 by its own box, in a category that is not.
        "water": make_project(category=infra, funding_source=bond, livelihood=True),
        "bare": make_project(),
        "out": make_project(category=industry, funding_source=government, lead_unit=units["fgj"],
                            town=units["town_b"]),
    }


def ids() -> dict[str, str]:
    return {
        "industry": str(category("工业").pk), "livelihood": str(category("民生实事", livelihood=True).pk),
        "government": str(funding("政府投资").pk), "social": str(funding("社会投资").pk),
    }


# --- each filter, alone and together ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["factory", "school", "water", "bare", "out"]),
        ({"category": "industry"}, ["factory", "out"]),
        ({"category": "livelihood"}, ["school"]),
        ({"category": "none"}, ["bare"]),
        ({"funding": "government"}, ["school", "out"]),
        ({"funding": "social"}, ["factory"]),
        ({"funding": "none"}, ["bare"]),
        ({"livelihood": "yes"}, ["school", "water"]),
        ({"livelihood": "no"}, ["factory", "bare", "out"]),
        ({"category": "industry", "funding": "government"}, ["out"]),
        ({"category": "livelihood", "livelihood": "no"}, []),
        ({"funding": "government", "livelihood": "yes"}, ["school"]),
        ({"category": "none", "funding": "none", "livelihood": "no"}, ["bare"]),
    ],
)
def test_each_filter_narrows_the_list_and_the_totals(
    params: dict[str, str], expected: list[str], personas: dict[str, User], five: dict[str, Project]
) -> None:
    known = ids()
    query = {name: known.get(value, value) for name, value in params.items()}
    response = client_for(personas["office"]).get(URL, query)
    assert codes(response) == sorted(five[key].code for key in expected)
    assert response.context["count"] == len(expected)
    assert response.context["totals"]["total"] == (sum(five[key].total_investment for key in expected) or None)
    assert not response.context["form"].errors


def test_the_filters_are_offered_with_the_unset_and_retired_choices(
    personas: dict[str, User], five: dict[str, Project]
) -> None:
    retired = ProjectCategory.objects.create(name="旧类别", is_active=False, order=99)
    known = ids()
    html = client_for(personas["office"]).get(URL, {"category": known["industry"], "livelihood": "yes"}).content
    text = html.decode()

    def select(name: str) -> str:
        part = text[text.index(f'<select name="{name}"'):]
        return part[: part.index("</select>")]

    assert '<option value="">全部</option>' in select("category")
    assert '<option value="none">未分类</option>' in select("category")
    assert f'<option value="{known["industry"]}" selected>工业</option>' in select("category")
    assert f'<option value="{retired.pk}">旧类别（已停用）</option>' in select("category")
    assert '<option value="none">未填</option>' in select("funding")
    assert f'<option value="{known["government"]}">政府投资</option>' in select("funding")
    assert '<option value="yes" selected>是</option>' in select("livelihood")
    assert '<option value="no">否</option>' in select("livelihood")
    for label in ("项目类别", "资金来源", "民生实事"):
        assert label in text


def test_a_retired_category_still_finds_its_projects(
    personas: dict[str, User], five: dict[str, Project]
) -> None:
    """The ledger lists retired categories (the ProjectForm does not offer them): projects keep theirs."""
    industry = category("工业")
    industry.is_active = False
    industry.save()
    response = client_for(personas["office"]).get(URL, {"category": industry.pk})
    assert codes(response) == [five["factory"].code, five["out"].code]


# --- scope ---------------------------------------------------------------------------------------------

def test_a_reporter_only_sees_their_own_scope_whatever_the_filter(
    personas: dict[str, User], five: dict[str, Project]
) -> None:
    known = ids()
    client = client_for(personas["reporter"])  # town_a: everything but "out"
    assert codes(client.get(URL, {"category": known["industry"]})) == [five["factory"].code]
    assert codes(client.get(URL, {"funding": known["government"]})) == [five["school"].code]
    assert codes(client.get(URL, {"livelihood": "no"})) == [five["factory"].code, five["bare"].code]
    # The other town's reporter: of the 工业 projects, only their own.
    other = client_for(personas["other_reporter"])
    assert codes(other.get(URL, {"category": known["industry"]})) == [five["out"].code]
    assert codes(other.get(URL, {"livelihood": "yes"})) == []


# --- the Excel export ----------------------------------------------------------------------------------

def exported(user: User, query: dict[str, str]) -> list[str]:
    response = client_for(user).get(reverse("projects:excel_export"), query)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))[excel.SHEET]
    return sorted(str(sheet.cell(row, 1).value) for row in range(2, sheet.max_row + 1))


def test_the_excel_export_keeps_the_filters_and_the_scope(
    personas: dict[str, User], five: dict[str, Project]
) -> None:
    known = ids()
    office, reporter = personas["office"], personas["reporter"]
    assert exported(office, {"category": known["industry"]}) == [five["factory"].code, five["out"].code]
    assert exported(office, {"funding": "none"}) == [five["bare"].code]
    assert exported(office, {"livelihood": "yes"}) == [five["school"].code, five["water"].code]
    assert exported(reporter, {"category": known["industry"]}) == [five["factory"].code]
    # A value that names nothing drops that filter, as on the page.
    assert exported(reporter, {"funding": "999999"}) == sorted(
        five[key].code for key in ("factory", "school", "water", "bare")
    )


def test_the_filters_stay_in_the_sort_page_and_export_links(
    personas: dict[str, User], five: dict[str, Project]
) -> None:
    known = ids()
    params = {"category": known["industry"], "funding": known["government"], "livelihood": "no", "sort": "-total"}
    response = client_for(personas["office"]).get(URL, params)
    assert codes(response) == [five["out"].code]
    for key in ("query", "query_without_sort"):
        kept = parse_qs(response.context[key])
        assert (kept["category"], kept["funding"], kept["livelihood"]) == (
            [known["industry"]], [known["government"]], ["no"]
        ), key
    text = response.content.decode().replace("&amp;", "&")
    assert f'href="/projects/excel/export.xlsx?{response.context["query"]}"' in text
    assert f'href="?{response.context["query_without_sort"]}&sort=light"' in text


# --- with the sorts and pages --------------------------------------------------------------------------

# Figures (plan = year-to-date, so the 完成率 is 100% wherever the plan is above zero) and the filters'
# values: ties, zeros, a negative correction and projects with no figure at all on both sides of each filter.
ROWS: list[tuple[str | None, str, str, bool]] = [
    # figure, category, funding, own 民生实事 box
    ("5", "工业", "政府投资", False),
    ("5", "民生实事", "社会投资", False),
    ("3", "工业", "", False),
    (None, "工业", "政府投资", False),
    ("0", "", "政府投资", True),
    ("7", "工业", "社会投资", False),
    ("1", "民生实事", "政府投资", False),
    (None, "", "", False),
    ("-2", "工业", "政府投资", True),
    ("5", "工业", "政府投资", False),
    ("9", "民生实事", "", False),
    ("2", "工业", "政府投资", False),
    ("4", "", "社会投资", True),
    ("6", "工业", "政府投资", False),
]


@pytest.fixture
def figured(make_project: Any) -> list[dict[str, Any]]:
    made = []
    for n, (figure, category_name, funding_name, own) in enumerate(ROWS):
        project = make_project(
            total_investment=Decimal(100 + n * 7 % 11),
            category=category(category_name, livelihood=category_name == "民生实事") if category_name else None,
            funding_source=funding(funding_name) if funding_name else None,
            livelihood=own,
        )
        if figure is not None:
            AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(figure))
            ProgressReport.objects.create(project=project, year=2026, month=2, invested=Decimal(figure))
        made.append({"code": project.code, "figure": None if figure is None else Decimal(figure),
                     "total": project.total_investment, "category": category_name, "funding": funding_name,
                     "livelihood": own or category_name == "民生实事"})
    services.year_figures_rebuild()
    return made


FILTERS = [
    ({"category": "工业"}, lambda r: r["category"] == "工业"),
    ({"funding": "政府投资"}, lambda r: r["funding"] == "政府投资"),
    ({"livelihood": "yes"}, lambda r: r["livelihood"]),
    ({"livelihood": "no"}, lambda r: not r["livelihood"]),
    ({"category": "工业", "funding": "政府投资", "livelihood": "no"},
     lambda r: r["category"] == "工业" and r["funding"] == "政府投资" and not r["livelihood"]),
]


def expected_order(rows: list[dict[str, Any]], sort: str) -> list[str]:
    """The ledger's order worked out here: ties by code, empty values last either way; no plan is
    empty, no year-to-date is zero, no rate without a plan above zero."""
    column = sort.lstrip("-")
    keyed = []
    for row in rows:
        figure = row["figure"]
        value = {
            "plan": figure,
            "ytd": figure or Decimal(0),
            "rate": Decimal(100) if figure and figure > 0 else None,
            "total": row["total"],
            "code": row["code"],
        }[column]
        keyed.append((row["code"], value))
    present = sorted((item for item in keyed if item[1] is not None), key=lambda item: item[0])
    present.sort(key=lambda item: item[1], reverse=sort.startswith("-"))
    return [code for code, _value in present] + [code for code, value in keyed if value is None]


@pytest.mark.parametrize("sort", ["-plan", "plan", "-ytd", "ytd", "-rate", "rate", "-total"])
@pytest.mark.parametrize(("page_size", "walk"), [(3, 1000), (4, 1000), (2, 2), (1, 1)])
@pytest.mark.parametrize("chosen", range(len(FILTERS)))
def test_filtered_pages_in_every_sort_match_a_full_sort_of_the_filtered_projects(
    sort: str, page_size: int, walk: int, chosen: int, personas: dict[str, User], figured: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small pages and short index walks send pages through every branch of ``_page_ids`` under each filter:
    inside the block of positive figures (walked from its near end, from its far end, or sorted), wholly
    outside it, and across its edge."""
    monkeypatch.setattr(selectors, "PAGE_SIZE", page_size)
    monkeypatch.setattr(selectors, "INDEX_WALK_ROWS", walk)
    params, keep = FILTERS[chosen]
    names = {"工业": category("工业").pk, "政府投资": funding("政府投资").pk}
    query = {name: str(names.get(value, value)) for name, value in params.items()}
    rows = [row for row in figured if keep(row)]
    assert 0 < len(rows) < len(figured)
    client = client_for(personas["office"])
    pages = -(-len(rows) // page_size)
    listed = []
    for number in range(1, pages + 1):
        response = client.get(URL, {**query, "sort": sort, "page": number})
        listed += codes(response)
        assert response.context["count"] == len(rows)
    assert listed == expected_order(rows, sort)
    totals = response.context["totals"]
    assert totals["plan"] == sum((row["figure"] for row in rows if row["figure"] is not None), Decimal(0))
    assert totals["ytd"] == totals["plan"]


def test_the_index_block_is_counted_under_the_filter(personas: dict[str, User], figured: list[dict[str, Any]]) -> None:
    """``_page_ids`` places a page by the block of positive figures the totals count: the filtered projects'."""
    industry = [row for row in figured if row["category"] == "工业"]
    positive = sum(1 for row in industry if row["figure"] and row["figure"] > 0)
    plan_zero = sum(1 for row in industry if row["figure"] is not None and row["figure"] <= 0)
    for sort, before in (("ytd", len(industry) - positive), ("-ytd", 0), ("plan", plan_zero), ("-plan", 0)):
        form = LedgerFilterForm({"category": str(category("工业").pk), "sort": sort})
        totals = selectors.ledger_totals(selectors.ledger_queryset(personas["office"], form, 2026), sort=sort)
        assert totals.block == selectors.IndexBlock(before=before, count=positive), sort
        assert totals.count == len(industry)
    assert plan_zero > 0 and positive < len(industry) - plan_zero  # zeros and projects without a plan both


# --- values that name nothing ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "params",
    [{"category": "999999"}, {"category": "abc"}, {"funding": "-1"}, {"funding": "1.5"}, {"livelihood": "maybe"},
     {"category": "none'--"}, {"funding": "999999", "livelihood": "perhaps"}],
)
def test_a_value_that_names_nothing_is_a_form_error_and_drops_only_that_filter(
    params: dict[str, str], personas: dict[str, User], five: dict[str, Project]
) -> None:
    response = client_for(personas["office"]).get(URL, {**params, "level": "district"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == set(params)
    assert '<span class="errors">' in response.content.decode()
    # Every project here is district level: the other filter still applies, the bad ones are dropped.
    assert codes(response) == sorted(p.code for p in five.values())


def test_an_unknown_value_in_the_htmx_table_is_no_server_error(
    personas: dict[str, User], five: dict[str, Project]
) -> None:
    response = client_for(personas["office"]).get(URL, {"category": "999999"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert len(codes(response)) == len(five)


def test_the_htmx_table_lists_no_categories_or_funding_sources(
    personas: dict[str, User], five: dict[str, Project]
) -> None:
    """The table alone renders no filter lists; the 民生实事 filter reads the categories inside the ledger's own
    queries (a subquery), never in a query of its own."""
    client = client_for(personas["office"])
    client.get(URL, HTTP_HX_REQUEST="true")  # warm up per-process caches
    for params in ({}, {"livelihood": "yes"}, {"livelihood": "no"}):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, params, HTTP_HX_REQUEST="true").status_code == 200
        lists = ('SELECT "projects_projectcategory"', 'SELECT "projects_fundingsource"')
        alone = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith(lists)]
        assert alone == [], params


def test_the_query_count_does_not_grow_with_the_rows_under_the_filters(
    personas: dict[str, User], make_project: Any
) -> None:
    industry, government = category("工业"), funding("政府投资")
    params = {"category": industry.pk, "funding": government.pk, "livelihood": "no", "sort": "-ytd"}

    def add(count: int) -> None:
        for n in range(count):
            project = make_project(category=industry, funding_source=government)
            AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(100 + n))
            ProgressReport.objects.create(project=project, year=2026, month=2, invested=Decimal(10 + n))
        services.year_figures_rebuild()

    client = client_for(personas["office"])
    add(3)
    client.get(URL, params)  # warm up per-process caches
    with CaptureQueriesContext(connection) as few:
        client.get(URL, params)
    add(55)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, params)
    assert response.context["count"] == 58
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
