"""The bulletin's figures of issue 8, against values computed by hand from the ``april`` fixture's snapshots.

``april`` (dispatch/tests/test_bulletin_figures.py): six projects of 10,000 万元 each (6.00 亿元 in all),
plans 4,500 万元, 1,000 万元 invested by 30 April (22.2%, schedule 33.3%: 11.1 points behind). Behind
schedule: P2 (nothing of its 500 invested: 投资滞后; planned to start 30 April, not started: 开工滞后),
P4 (400 of 2,000 = 20.0%, 13.3 points behind: yellow, 投资滞后), P6 (planned 5 January, not started:
开工滞后) — 3 of 6, 50.0%. P1 (30.0%, 3.3 behind) and P5 (30.0%) are not. The reports of P1, P4 and P5
give a percent of 0; the others have none.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from docx.oxml.ns import qn
from hypothesis import given
from hypothesis import strategies as st

from conftest import client_for
from core import publication
from core.models import Period, PublishedRecord
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import PROGRESS_BUCKETS, _bucket, bulletin_figures
from dispatch.bulletins.xlsx import bulletin_xlsx
from dispatch.models import ProjectSnapshot
from dispatch.periods.snapshots import BulletinText, ProjectFigures

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import User

TZ = ZoneInfo("Asia/Shanghai")


def _edit(period: Period, code: str, **values: Any) -> None:
    """Change a published project's snapshot as stored (JSON), as an older or another release might have written it."""
    row = ProjectSnapshot.objects.get(period=period, code=code)
    row.data.update(values)
    row.save()


def _text(period: Period) -> str:
    period.refresh_from_db()
    document = docx.Document(io.BytesIO(bulletin_docx(bulletin_figures(period), published_at=period.published_at)))
    return "\n".join(p.text for p in document.paragraphs)


def _workbook(period: Period) -> Any:
    return openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(bulletin_figures(period), published_at=period.published_at)))


def _last_year(april: dict[str, Any], *, plan: str, done: str, published: dt.datetime) -> Period:
    """April 2025, published at ``published``, its projects' snapshots those of April 2026 with another plan and
    year-to-date (first project only; the others without a plan)."""
    period = Period.objects.create(
        year=2025, month=4, opens_on=dt.date(2025, 4, 1), deadline=dt.date(2025, 4, 25),
        state=Period.State.PUBLISHED, published_at=published,
    )
    for i, row in enumerate(ProjectSnapshot.objects.filter(period=april["period"]).order_by("code")):
        data = {**row.data, "annual_plan": plan if i == 0 else None, "invested_ytd": done if i == 0 else "0.00"}
        ProjectSnapshot.objects.create(period=period, project=row.project, code=row.code, data=data,
                                       schema_version=row.schema_version)
    return period


# --- investment in 亿元, and last year --------------------------------------------------------------

def test_total_investment_and_the_year_in_yi_against_plan_and_schedule(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    total = f.investment
    assert (total.total, total.total_yi, total.plan_yi, total.done_yi) == (
        Decimal("60000.00"), Decimal("6.00"), Decimal("0.45"), Decimal("0.10")
    )
    assert (total.rate, total.gap) == (Decimal("22.2"), Decimal("11.1"))
    assert "全区重点项目 6 个，总投资 6.00 亿元，年度计划投资 0.45 亿元，累计完成投资 0.10 亿元，" \
           "完成年度计划的 22.2%，落后序时进度 11.1 个百分点。" in _text(april["period"])


def test_without_last_years_period_nothing_is_said_of_it(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert f.last_year is None
    assert "去年同期" not in _text(april["period"]).replace(f.definitions[11], "")
    invest = _workbook(april["period"])["投资完成情况"]
    headers = [c.value for c in invest[1]]
    total = [c.value for c in invest[2]]
    assert total[headers.index("去年同期完成率(%)")] is None and total[headers.index("比去年同期(百分点)")] is None


def test_last_years_same_month_gives_points_above_or_below(april: dict[str, Any]) -> None:
    _last_year(april, plan="1000.00", done="100.00", published=dt.datetime(2025, 5, 6, 9, tzinfo=TZ))
    f = bulletin_figures(april["period"])
    assert f.last_year is not None
    assert (f.last_year.period_label, f.last_year.rate, f.last_year.difference) == (
        "2025年4月", Decimal("10.0"), Decimal("12.2")
    )
    assert f.last_year.in_words() == "高于去年同期（2025年4月 10.0%）12.2 个百分点"
    assert "去年同期（2025年4月）年度投资完成率 = 累计完成 100.00 万元 ÷ 年度计划 1,000.00 万元 = 10.0%" \
        in f.last_year.explain
    text = _text(april["period"])
    assert "完成年度计划的 22.2%，落后序时进度 11.1 个百分点，高于去年同期（2025年4月 10.0%）12.2 个百分点。" in text
    invest = _workbook(april["period"])["投资完成情况"]
    headers = [c.value for c in invest[1]]
    total = [c.value for c in invest[2]]
    assert (total[headers.index("去年同期完成率(%)")], total[headers.index("比去年同期(百分点)")]) == (10.0, 12.2)


def test_below_last_year(april: dict[str, Any]) -> None:
    _last_year(april, plan="1000.00", done="500.00", published=dt.datetime(2025, 5, 6, 9, tzinfo=TZ))
    f = bulletin_figures(april["period"])
    assert f.last_year is not None and f.last_year.difference == Decimal("-27.8")
    assert f.last_year.in_words() == "低于去年同期（2025年4月 50.0%）27.8 个百分点"


def test_a_last_year_published_after_this_bulletin_does_not_change_it(april: dict[str, Any]) -> None:
    """A bulletin rebuilt later reads the same bytes: a 2025 month published after this one is not compared."""
    before = _text(april["period"])
    _last_year(april, plan="1000.00", done="100.00", published=dt.datetime(2026, 6, 1, 9, tzinfo=TZ))
    assert bulletin_figures(april["period"]).last_year is None
    assert _text(april["period"]) == before


def test_last_year_without_a_plan_is_not_compared(april: dict[str, Any]) -> None:
    _last_year(april, plan="0.00", done="0.00", published=dt.datetime(2025, 5, 6, 9, tzinfo=TZ))
    assert bulletin_figures(april["period"]).last_year is None


# --- splits ------------------------------------------------------------------------------------------

def test_splits_by_construction_category_and_funding(april: dict[str, Any]) -> None:
    period, p = april["period"], april["projects"]
    _edit(period, p["P1"].code, category="工业", funding_source="政府投资", construction="continuing")
    _edit(period, p["P4"].code, category="工业", funding_source="")
    for key in ("P2", "P3", "P5", "P6"):
        _edit(period, p[key].code, category="", funding_source="社会投资")
    f = bulletin_figures(period)
    construction, category, funding = f.splits
    assert [(r.label, r.projects, r.plan, r.done, r.rate) for r in construction.rows] == [
        ("新开工", 5, Decimal("3500.00"), Decimal("700.00"), Decimal("20.0")),
        ("续建", 1, Decimal("1000.00"), Decimal("300.00"), Decimal("30.0")),
    ]
    # P1 and P4: 1,000 + 2,000 planned, 300 + 400 done; the rest have none ("" → 未分类).
    assert [(r.label, r.projects, r.total, r.plan, r.done, r.rate) for r in category.rows] == [
        ("工业", 2, Decimal("20000.00"), Decimal("3000.00"), Decimal("700.00"), Decimal("23.3")),
        ("未分类", 4, Decimal("40000.00"), Decimal("1500.00"), Decimal("300.00"), Decimal("20.0")),
    ]
    assert [(r.label, r.projects) for r in funding.rows] == [("政府投资", 1), ("社会投资", 4), ("未填", 1)]
    assert (category.unrecorded, category.note, funding.note) == (0, "", "")
    text = _text(period)
    assert "按建设性质分，新开工项目 5 个、续建项目 1 个。" in text
    assert "按项目类别分：工业 2 个、完成 0.07 亿元、完成率 23.3%；未分类 4 个、完成 0.03 亿元、完成率 20.0%。" in text
    sheet = _workbook(period)["投资完成情况"]
    labels = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert labels[-7:] == ["建设性质：新开工", "建设性质：续建", "项目类别：工业", "项目类别：未分类",
                           "资金来源：政府投资", "资金来源：社会投资", "资金来源：未填"]


def test_snapshots_that_did_not_record_category_and_funding_say_so(april: dict[str, Any]) -> None:
    """Rows of version 2 (before the category and funding source were recorded) read as 未分类 / 未填, with a note."""
    period, p = april["period"], april["projects"]
    _edit(period, p["P1"].code, category="工业", funding_source="政府投资")
    for row in ProjectSnapshot.objects.filter(period=period).exclude(code=p["P1"].code):
        row.data.pop("category")
        row.data.pop("funding_source")
        row.schema_version = 2
        row.save()
    old = ProjectSnapshot.objects.get(period=period, code=p["P2"].code)
    figures = ProjectFigures.from_data(old.data, version=2, period=period)
    assert (figures.category, figures.funding_source) == (None, None)
    _construction, category, funding = bulletin_figures(period).splits
    assert [(r.label, r.projects) for r in category.rows] == [("工业", 1), ("未分类", 5)]
    assert category.unrecorded == 5
    assert category.note == "其中 5 个项目的快照发布时未记录项目类别，计入“未分类”。"
    assert funding.note == "其中 5 个项目的快照发布时未记录资金来源，计入“未填”。"
    assert category.note in _text(period)


def test_version_3_round_trips_category_and_funding(april: dict[str, Any]) -> None:
    row = ProjectSnapshot.objects.filter(period=april["period"]).order_by("code").first()
    assert row is not None and row.schema_version == ProjectFigures.VERSION == 3
    figures = ProjectFigures.from_data({**row.data, "category": "文旅", "funding_source": ""}, version=3)
    assert (figures.category, figures.funding_source) == ("文旅", "")
    assert ProjectFigures.from_data(figures.to_data(), version=3) == figures
    missing = dict(row.data)
    del missing["category"]
    with pytest.raises(publication.SnapshotError):
        ProjectFigures.from_data(missing, version=3)


# --- behind schedule, progress, early starts -----------------------------------------------------------

def test_projects_behind_schedule_are_tagged(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert f.behind is not None
    assert [(p.name, p.tags) for p in f.behind.projects] == [
        ("二号项目", ("投资滞后", "开工滞后")), ("四号项目", ("投资滞后",)), ("六号项目", ("开工滞后",)),
    ]
    assert (f.behind.investment, f.behind.start) == (2, 2)
    share = f.behind.share
    assert (share.numerator, share.denominator, share.rate) == (3, 6, Decimal("50.0"))
    assert share.explain == ("滞后项目占比 = 滞后项目 3 个 ÷ 项目总数 6 个 = 50.0%"
                             "（投资滞后 2 个、开工滞后 2 个，两者皆有的计一次）")
    # The red and yellow lists carry the tags; a project lit for another reason (P5's completion) has none.
    tags = {p.name: p.tags for p in f.light_projects}
    assert tags["二号项目"] == ("投资滞后", "开工滞后") and tags["四号项目"] == ("投资滞后",)
    assert tags.get("五号项目", ()) == ()
    assert "滞后项目 3 个，占全部项目的 50.0%，其中投资滞后 2 个、开工滞后 2 个（两者皆有的计一次）：" \
           "二号项目（投资滞后、开工滞后）、四号项目（投资滞后）、六号项目（开工滞后）。" in _text(april["period"])
    rows = {r[0].value: [c.value for c in r] for r in _workbook(april["period"])["开工率和投产率"].iter_rows(min_row=2)}
    assert rows["滞后项目"][1:4] == [3, 6, 50.0]
    assert rows["投资滞后"][1:4] == [2, 6, 33.3] and rows["开工滞后"][1:4] == [2, 6, 33.3]


def test_investment_behind_is_the_lights_reason_not_any_gap(april: dict[str, Any]) -> None:
    """P1 trails the schedule by 3.3 points, under the yellow gap: its light has no such reason, so it is not
    behind. Were its stored reasons to say so (a lower gap at publication), it would be."""
    period, p = april["period"], april["projects"]
    f = bulletin_figures(period)
    assert f.behind is not None and "一号项目" not in [x.name for x in f.behind.projects]
    reason = ["yellow", "年度投资完成 30.0%，序时进度 33.3%，落后 3.3 个百分点"]
    _edit(period, p["P1"].code, light="yellow", reasons=[reason])
    behind = bulletin_figures(period).behind
    assert behind is not None and ("一号项目", ("投资滞后",)) in [(x.name, x.tags) for x in behind.projects]
    # A reason in other words (not the rule's, for these figures) tags nothing.
    _edit(period, p["P1"].code, reasons=[["yellow", "年度投资完成 31.0%，序时进度 33.3%，落后 2.3 个百分点"]])
    behind = bulletin_figures(period).behind
    assert behind is not None and "一号项目" not in [x.name for x in behind.projects]


def test_progress_spread_buckets(april: dict[str, Any]) -> None:
    period, p = april["period"], april["projects"]
    for key, percent in (("P1", 1), ("P2", 25), ("P3", 26), ("P4", 99), ("P5", 100)):
        _edit(period, p[key].code, progress_percent=percent)
    f = bulletin_figures(period)
    assert [(r.label, r.count) for r in f.progress_spread] == [
        ("0%", 0), ("1%–25%", 2), ("26%–50%", 1), ("51%–75%", 0), ("76%–99%", 1), ("100%", 1), ("未填报", 1),
    ]
    assert "本期填报形象进度的项目 5 个，其中形象进度 1%–25% 的 2 个、26%–50% 的 1 个、76%–99% 的 1 个、" \
           "100% 的 1 个；未填报形象进度的 1 个。" in _text(period)
    rows = {r[0].value: [c.value for c in r] for r in _workbook(period)["开工率和投产率"].iter_rows(min_row=2)}
    assert rows["形象进度 1%–25%"][1:4] == [2, 6, 33.3]


@pytest.mark.parametrize(("percent", "bucket"), [
    (None, "none"), (0, "0"), (1, "1-25"), (25, "1-25"), (26, "26-50"), (50, "26-50"), (51, "51-75"),
    (75, "51-75"), (76, "76-99"), (99, "76-99"), (100, "100"), (120, "100"), (-5, "0"),
])
def test_every_percent_has_one_bucket(percent: int | None, bucket: str) -> None:
    assert _bucket(percent) == bucket
    assert PROGRESS_BUCKETS[0] == (0, 0) and PROGRESS_BUCKETS[-1] == (100, 100)


def test_early_starts_and_completions_are_named(april: dict[str, Any]) -> None:
    period, p = april["period"], april["projects"]
    f = bulletin_figures(period)
    assert (f.early_starts, f.early_completions) == ((), ())  # P5 started after its plan, P4 finished after
    _edit(period, p["P5"].code, planned_start="2026-04-20")
    _edit(period, p["P4"].code, planned_completion="2026-06-30")
    f = bulletin_figures(period)
    assert [(x.name, x.planned, x.date) for x in f.early_starts] == [
        ("五号项目", dt.date(2026, 4, 20), dt.date(2026, 4, 5))
    ]
    assert [(x.name, x.planned) for x in f.early_completions] == [("四号项目", dt.date(2026, 6, 30))]
    text = _text(period)
    assert ("本期新开工项目 1 个：五号项目。其中提前开工 1 个：五号项目（计划 2026-04-20 开工，2026-04-05 开工）。"
            in text)
    assert "其中提前竣工 1 个：四号项目（计划 2026-06-30 竣工）。" in text
    started = _workbook(period)["新开工项目"]
    headers = [c.value for c in started[1]]
    assert started.cell(row=2, column=headers.index("提前开工") + 1).value == "是"


def test_lights_are_counted_for_the_pie(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    counts = {r.code: r.count for r in f.lights}
    assert sum(counts.values()) == f.projects == 6
    assert counts["red"] == len(f.red) and counts["yellow"] == len(f.yellow)


# --- the office's words ------------------------------------------------------------------------------

def test_a_period_without_words_has_no_such_sections(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert f.narrative == ()
    text = _text(april["period"])
    assert "存在的主要问题" not in text and "下步工作安排" not in text


def test_frozen_words_are_numbered_after_the_figures(april: dict[str, Any]) -> None:
    period = april["period"]
    publication.record_write(period=period, snapshot=BulletinText(problems="一是投资滞后。\n\n二是开工慢。",
                                                                  next_steps=""))
    f = bulletin_figures(period)
    assert [(s.heading, s.paragraphs) for s in f.narrative] == [
        ("八、存在的主要问题", ("一是投资滞后。", "二是开工慢。")),
    ]
    PublishedRecord.objects.filter(period=period, kind=BulletinText.KIND).update(
        data={"problems": "问题。", "next_steps": "一是加快投资。"}
    )
    document = docx.Document(io.BytesIO(bulletin_docx(bulletin_figures(period), published_at=period.published_at)))
    texts = [p.text for p in document.paragraphs]
    at = texts.index("八、存在的主要问题")
    assert texts[at:at + 4] == ["八、存在的主要问题", "问题。", "九、下步工作安排", "一是加快投资。"]
    assert texts.index("七、报送情况") < at < texts.index("附件：2026年4月调度通报附表.xlsx")
    heading = document.paragraphs[at].runs[0]
    assert heading._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"


@given(category=st.none() | st.text(max_size=30), funding=st.none() | st.text(max_size=30))
def test_category_and_funding_round_trip_through_json(category: str | None, funding: str | None) -> None:
    figures = ProjectFigures.from_data(_V3, version=3)
    drawn = replace(figures, category=category, funding_source=funding)
    assert ProjectFigures.from_data(json.loads(json.dumps(drawn.to_data())), version=3) == drawn


# A version 3 row as the builder writes it (the keys every row has; values of no consequence here).
_V3: dict[str, Any] = {
    "name": "一号项目", "level": "district", "level_label": "区重点", "project_type": "industry", "type_label": "产业",
    "industry": "", "stage": "building", "stage_label": "在建", "construction": "new", "is_special_bond": False,
    "lead_unit_id": 1, "lead_unit": "工信局", "lead_unit_kind": "department", "town_id": None, "town": "",
    "leader": "", "total_investment": "10000.00", "annual_plan": "1000.00", "invested_period": None,
    "invested_ytd": "300.00", "invested_since_start": None, "planned_start": "2026-03-01",
    "actual_start": "2026-03-10", "planned_completion": None, "started": True, "started_in_period": False,
    "completed": False, "completed_in_period": False, "light": "green", "reasons": [], "milestones_behind": [],
    "progress_percent": None, "physical_progress": "", "problems": "", "reported": True,
    "unit_report_state": "approved", "unreviewed": [], "category": "工业", "funding_source": "",
}


# --- the page and the meeting ----------------------------------------------------------------------------

SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.S)


def _charts_in(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="bulletin-charts" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_the_page_passes_its_charts_as_data_with_their_numbers_in_words(april: dict[str, Any],
                                                                        personas: dict[str, User]) -> None:
    html = client_for(personas["leader"]).get(reverse("dispatch:bulletin", args=[april["period"].pk])).content.decode()
    # No inline script: only files, and the charts' data as JSON.
    for attributes, body in SCRIPT.findall(html):
        assert "src=" in attributes or 'type="application/json"' in attributes, (attributes, body[:80])
    assert "js/bulletin_charts.js" in html and "vendor/echarts/echarts.min.js" in html
    charts = _charts_in(html)
    f = bulletin_figures(april["period"])
    assert charts["lights"]["values"] == [row.count for row in f.lights]
    assert charts["towns"]["labels"] == ["东城街道", "西山镇"] and charts["towns"]["values"] == [30.0, 16.0]
    assert charts["towns"]["alt"] == (
        "各镇街年度投资完成率（%），按名次：东城街道 30.0%（累计完成 600.00 万元 ÷ 年度计划 2,000.00 万元）；"
        "西山镇 16.0%（累计完成 400.00 万元 ÷ 年度计划 2,500.00 万元）。"
    )
    assert charts["progress"]["values"] == [3, 0, 0, 0, 0, 0, 3]
    assert charts["categories"]["series"][0]["values"] == [4500.0]
    for key in ("lights", "towns", "departments", "progress", "categories"):
        assert f'data-chart="{key}"' in html and f'id="chart-{key}-text"' in html, key
    assert 'id="total-investment"' in html and ">6.00<" in html
    assert "滞后项目" in html and "投资滞后" in html


def test_a_unit_name_reaches_the_charts_as_data_only(april: dict[str, Any], personas: dict[str, User]) -> None:
    """A name typed as markup is escaped in the page and stays a string in the JSON (the script escapes it again
    for ECharts' HTML tooltip)."""
    period = april["period"]
    for row in ProjectSnapshot.objects.filter(period=period, data__town="东城街道"):
        row.data["town"] = "<img src=x onerror=alert(1)>"
        row.save()
    html = client_for(personas["leader"]).get(reverse("dispatch:bulletin", args=[period.pk])).content.decode()
    assert "<img src=x" not in html
    assert _charts_in(html)["towns"]["labels"][0] == "<img src=x onerror=alert(1)>"
    script = (Path(settings.BASE_DIR) / "static" / "js" / "bulletin_charts.js").read_text(encoding="utf-8")
    assert "esc(p.name)" in script and "esc(rows[0].name)" in script


def test_the_meeting_draws_the_same_charts_and_ends_with_the_frozen_words(april: dict[str, Any],
                                                                         personas: dict[str, User]) -> None:
    period = april["period"]
    publication.record_write(period=period, snapshot=BulletinText(problems="一是投资滞后。", next_steps="一是加快。"))
    response = client_for(personas["leader"]).get(reverse("dispatch:meeting", args=[period.pk]))
    html = response.content.decode()
    kinds = [slide["kind"] for slide in response.context["slides"]]
    assert kinds[-3:] == ["reporting", "narrative", "narrative"]
    assert "八、存在的主要问题" in html and "九、下步工作安排" in html and "一是加快。" in html
    assert _charts_in(html)["lights"]["values"] == [row.count for row in bulletin_figures(period).lights]
    for key in ("progress", "towns", "departments", "lights"):
        assert f'data-chart="{key}"' in html, key
    for attributes, body in SCRIPT.findall(html):
        assert "src=" in attributes or 'type="application/json"' in attributes, (attributes, body[:80])
