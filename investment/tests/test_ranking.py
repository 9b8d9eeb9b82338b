"""The ranking page: every figure explained, the leads behind it only for those who may open them, a fixed
number of queries whatever the leads."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from investment.models import Lead
from investment.tests.test_targets import district  # noqa: F401 - the shared fixture
from org.models import User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

URL = reverse("investment:ranking") + "?year=2026&month=5"


def _section(page: str, unit_id: int) -> str:
    match = re.search(rf'<section class="card explanation" id="explain-{unit_id}">(.*?)</section>', page, re.S)
    assert match, unit_id
    return match.group(1)


def test_the_office_sees_every_figure_explained_and_the_leads_behind_it(
    district: dict[str, Any], personas: dict[str, User]  # noqa: F811
) -> None:
    page = client_for(personas["office"]).get(URL).content.decode()
    assert "本月尚未发布：以下按当前数据计算（截至 2026-05-15）" in page
    a = _section(page, district["a"].pk)
    assert "第 1 名（共 2 个单位参与排名），得分 48.3" in a
    assert "签约额 3.08 亿元，完成年度目标 5 亿元的 61.6%，序时进度 33.3%，超前 28.3 个百分点。" in a
    assert reverse("investment:lead_detail", args=[district["big"].pk]) in a
    assert "（按撞单裁定分成 40% 计入）" in a
    b = _section(page, district["b"].pk)
    assert reverse("investment:lead_detail", args=[district["shared"].pk]) in b
    assert "（按撞单裁定分成 60% 计入）" in b
    # The closed copy and the dropped lead are counted nowhere.
    assert reverse("investment:lead_detail", args=[district["copy"].pk]) not in page
    assert reverse("investment:lead_detail", args=[district["gone"].pk]) not in page
    assert "得分 = 各项已下达目标（大于 0）完成率的平均值" in page


def test_a_reporter_sees_the_ranking_but_only_the_own_unit_s_leads(
    district: dict[str, Any], personas: dict[str, User]  # noqa: F811
) -> None:
    page = client_for(personas["reporter"]).get(URL).content.decode()
    a, b = _section(page, district["a"].pk), _section(page, district["b"].pk)
    assert reverse("investment:lead_detail", args=[district["big"].pk]) in a
    assert "<details" not in b and "签约额 1200 万元" in b
    # town_b's reporter: the lead credited to town_b is town_a's, so it is counted but not shown.
    other = client_for(personas["other_reporter"]).get(URL).content.decode()
    b = _section(other, district["b"].pk)
    assert not re.search(r"/investment/leads/\d", other)
    assert "另有 1 条线索（其他单位的线索按分成计入）您无权查看。" in b


def test_viewers_are_refused(district: dict[str, Any], personas: dict[str, User]) -> None:  # noqa: F811
    assert client_for(personas["viewer"]).get(URL).status_code == 403


def test_the_queries_do_not_grow_with_the_leads(
    district: dict[str, Any], personas: dict[str, User]  # noqa: F811
) -> None:
    Lead.objects.create(enterprise="五月签约有限公司", source_unit=district["a"], stage="signed",
                        signed_on=dt.date(2026, 5, 1), signed_amount=D(100), counterpart="x")
    client = client_for(personas["office"])
    client.get(URL)
    with CaptureQueriesContext(connection) as before:
        client.get(URL)
    for n in range(12):
        Lead.objects.create(enterprise=f"新签企业{n}有限公司", source_unit=district["a" if n % 2 else "b"],
                            stage="signed", signed_on=dt.date(2026, 5, 2), signed_amount=D(100 + n), counterpart="x")
    with CaptureQueriesContext(connection) as after:
        page = client.get(URL).content.decode()
    assert "新签企业11有限公司" in page
    assert len(after.captured_queries) == len(before.captured_queries)


def test_without_a_month_it_shows_the_current_one(district: dict[str, Any], personas: dict[str, User]) -> None:  # noqa: F811
    page = client_for(personas["leader"]).get(reverse("investment:ranking") + "?month=13").content.decode()
    assert "2026年5月招商引资单位排名" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_ranking_and_the_grid_fit_a_phone(tab: Tab, district: dict[str, Any], personas: dict[str, User]) -> None:  # noqa: F811
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.login(personas["office"])
    for path in (URL, reverse("investment:targets") + "?year=2026"):
        tab.goto(path)
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390, path
