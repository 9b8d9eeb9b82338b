"""Other modules' sections in the bulletin (core.hooks.bulletin_parts): 招商引资 and any like it.

dispatch never imports the module that writes such a section: the module answers the hook with a
BulletinPart (level-2 headings, paragraphs, tables) and the bulletin prints it where the template frozen
with the period puts its key, numbered as printed, in the Word document, the Excel annex, the web page and
the meeting. A period whose frozen template does not list the key, or for which no module answers, prints
exactly what it printed before (the April and March bulletins keep their bytes).

The answer here is the test's own, registered alone for each test (the investment module's, if installed,
is set aside), so what it returns is known.
"""
from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import docx
import openpyxl
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH

from conftest import client_for
from core import hooks
from core.hooks import BulletinBlock, BulletinPart
from core.models import Period
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures, chinese_number, printed_part
from dispatch.bulletins.narrative import narrative_save
from dispatch.bulletins.template import bulletin_template_update
from dispatch.bulletins.xlsx import bulletin_xlsx
from dispatch.models import BulletinSection
from dispatch.periods import services

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from dispatch.tests.test_snapshots import BEFORE
from org.models import User

PAGE = "/dispatch/bulletin-template/"
HEADING = re.compile(r"<h2>([一二三四五六七八九十]、[^<]+)</h2>")
USUAL = ["一、总体情况", "二、投资完成情况", "三、镇街和部门排名", "四、红黄灯项目", "五、新开工和竣工项目",
         "六、问题督办情况", "七、报送情况"]
WITH_PART = [*USUAL, "八、招商引资", "九、存在的主要问题", "十、下步工作安排"]
# Every section, 招商引资 after 报送情况 (its place in BulletinSection).
EVERY = list(BulletinSection.values)
PART = BulletinPart(key="attraction", blocks=(
    BulletinBlock(kind="text", text="本月全区招商引资工作稳步推进。"),
    BulletinBlock(kind="heading", text="新增线索"),
    BulletinBlock(kind="text", text="本月新增线索 3 条。"),
    BulletinBlock(kind="table", headers=("单位", "新增线索(条)", "签约额(万元)", "完成率"),
                  rows=(("高新区", "2", "1,200.50", "45.6%"), ("=东城街道", "1", "—", "—"))),
    BulletinBlock(kind="heading", text="撞单处理"),
    BulletinBlock(kind="text", text="<b>撞单</b> 1 起，已裁定。"),
))


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Period]]:
    """The test's answer alone: PART for May and June 2026, nothing for other periods; the periods asked."""
    periods: list[Period] = []

    def attraction(*, period: Period) -> BulletinPart | None:
        periods.append(period)
        return PART if (period.year, period.month) in {(2026, 5), (2026, 6)} else None

    monkeypatch.setattr(hooks.bulletin_parts, "_answers", [])
    hooks.bulletin_parts.register(attraction)
    yield periods


@pytest.fixture
def may(april: dict[str, Any], personas: dict[str, User]) -> Period:
    """May 2026, closed and not yet published, with the office's words (both sections)."""
    office = personas["office"]
    period = services.period_close(period=services.period_open(year=2026, month=5, by=office), by=office)
    narrative_save(period=period, problems="一是投资滞后。", next_steps="一是加快投资。", version=0, by=office)
    return period


def _publish(period: Period, office: User) -> Period:
    return services.period_publish(period=period, by=office, reason="按时发布")


def _june(office: User) -> Period:
    return _publish(services.period_close(period=services.period_open(year=2026, month=6, by=office), by=office),
                    office)


def _docx(period: Period) -> bytes:
    period.refresh_from_db()
    return bulletin_docx(bulletin_figures(period), published_at=period.published_at)


def _xlsx(period: Period) -> bytes:
    period.refresh_from_db()
    return bulletin_xlsx(bulletin_figures(period), published_at=period.published_at)


def _headings(data: bytes) -> list[str]:
    texts = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    return [text for text in texts if re.match(r"^[一二三四五六七八九十]、", text)]


# --- the Word document --------------------------------------------------------------------------

def test_the_part_prints_where_the_template_puts_it(may: Period, asked: list[Period],
                                                    personas: dict[str, User]) -> None:
    bulletin_template_update(values={"sections": EVERY}, version=0, by=personas["office"])
    period = _publish(may, personas["office"])
    data = _docx(period)
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert _headings(data) == WITH_PART
    start = texts.index("八、招商引资")
    # The blocks in order under the heading, the level-2 headings numbered as printed.
    assert [t for t in texts[start:texts.index("九、存在的主要问题")] if t] == [
        "八、招商引资", "本月全区招商引资工作稳步推进。", "（一）新增线索", "本月新增线索 3 条。", "（二）撞单处理",
        "<b>撞单</b> 1 起，已裁定。",
    ]
    heading = document.paragraphs[start + 2]
    assert heading.runs[0].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "楷体_GB2312"
    grid = next(t for t in document.tables if t.rows[0].cells[0].text == "单位")
    assert [[c.text for c in row.cells] for row in grid.rows] == [
        ["单位", "新增线索(条)", "签约额(万元)", "完成率"],
        ["高新区", "2", "1,200.50", "45.6%"], ["=东城街道", "1", "—", "—"],
    ]
    # Figures right-aligned, names not.
    cells = grid.rows[1].cells
    assert cells[2].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert cells[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    assert asked == [period]


def test_the_template_can_move_it_or_leave_it_out(may: Period, asked: list[Period],
                                                  personas: dict[str, User]) -> None:
    office = personas["office"]
    bulletin_template_update(values={"sections": ["attraction", "overview", "reporting"]}, version=0, by=office)
    period = _publish(may, office)
    assert _headings(_docx(period)) == ["一、招商引资", "二、总体情况", "三、报送情况"]
    # Left out: not printed, and the module is not even asked.
    bulletin_template_update(values={"sections": ["overview", "reporting"]}, version=1, by=office)
    asked.clear()
    june = _june(office)
    assert _headings(_docx(june)) == ["一、总体情况", "二、报送情况"]
    assert asked == []


def test_a_period_whose_frozen_template_lacks_it_does_not_print_it(may: Period, asked: list[Period],
                                                                   personas: dict[str, User]) -> None:
    office = personas["office"]
    # A template saved without it (as one saved before the section existed).
    bulletin_template_update(values={"sections": [key for key in EVERY if key != "attraction"]}, version=0, by=office)
    period = _publish(may, office)
    first = _docx(period)
    assert _headings(first) == [*USUAL, "八、存在的主要问题", "九、下步工作安排"]
    # Turned on after May's publication: May's bulletin does not change by a byte; June, published after, has it.
    bulletin_template_update(values={"sections": EVERY}, version=1, by=office)
    assert _docx(period) == first
    assert "八、招商引资" in _headings(_docx(_june(office)))


def test_without_an_answer_for_the_period_nothing_changes(april: dict[str, Any], asked: list[Period],
                                                          personas: dict[str, User]) -> None:
    """April and March: the module has nothing for them, so their bulletins keep their bytes (the golden hashes
    of test_snapshots); a period the module has nothing for is numbered as if the section did not exist."""
    for name, (docx_hash, xlsx_hash) in BEFORE.items():
        period = april[name]
        assert hashlib.sha256(_docx(period)).hexdigest() == docx_hash
        assert hashlib.sha256(_xlsx(period)).hexdigest() == xlsx_hash
    assert {(period.year, period.month) for period in asked} <= {(2026, 3), (2026, 4)}
    office = personas["office"]
    bulletin_template_update(values={"sections": EVERY}, version=0, by=office)
    july = Period.objects.none()
    for month in (5, 6, 7):
        july = _publish(services.period_close(period=services.period_open(year=2026, month=month, by=office),
                                              by=office), office)
    assert _headings(_docx(july)) == USUAL  # July: the answer has nothing (and no office words)
    assert asked[-1] == july


# --- the Excel annex ------------------------------------------------------------------------------

def test_the_annex_has_a_sheet_for_each_of_the_parts_tables(may: Period, asked: list[Period],
                                                             personas: dict[str, User]) -> None:
    bulletin_template_update(values={"sections": EVERY}, version=0, by=personas["office"])
    period = _publish(may, personas["office"])
    book = openpyxl.load_workbook(io.BytesIO(_xlsx(period)))
    assert book.sheetnames[-2:] == ["招商引资（一）新增线索", "说明"]
    sheet = book["招商引资（一）新增线索"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["单位", "新增线索(条)", "签约额(万元)", "完成率"],
        ["高新区", 2, Decimal("1200.50"), "45.6%"],
        ["=东城街道", 1, None, "—"],
    ]
    # A name typed by people stays text, never a formula; amounts are numbers with two decimals.
    assert sheet["A3"].data_type == "s" and sheet["C2"].number_format == "#,##0.00"
    # Without the part the annex has no such sheet.
    assert "招商引资" not in "".join(openpyxl.load_workbook(io.BytesIO(_xlsx(Period.objects.get(
        year=2026, month=4, kind=Period.Kind.MONTH)))).sheetnames)


# --- the web page and the meeting ---------------------------------------------------------------

def test_the_web_page_and_the_meeting_show_the_part_numbered_in_order(may: Period, asked: list[Period],
                                                                       personas: dict[str, User]) -> None:
    bulletin_template_update(values={"sections": EVERY}, version=0, by=personas["office"])
    period = _publish(may, personas["office"])
    client = client_for(personas["leader"])
    html = client.get(f"/dispatch/periods/{period.pk}/bulletin/").content.decode()
    assert HEADING.findall(html) == WITH_PART
    part = html.split('id="part-attraction"')[1].split("</section>")[0]
    assert part.index("（一）新增线索") < part.index("本月新增线索 3 条。") < part.index("（二）撞单处理")
    assert "<h3>（一）新增线索</h3>" in part
    assert '<td class="num">1,200.50</td>' in part and "<td>=东城街道</td>" in part
    # What a module writes is text, escaped.
    assert "&lt;b&gt;撞单&lt;/b&gt;" in part and "<b>撞单</b>" not in part
    meeting = client.get(f"/dispatch/periods/{period.pk}/meeting/").content.decode()
    # Each ranking its own slide, numbered as its section.
    assert HEADING.findall(meeting) == [*WITH_PART[:2], "三、镇街排名", "三、部门排名", *WITH_PART[3:]]
    slide = meeting.split('class="slide slide-part"')[1].split("</section>")[0]
    assert "<h2>八、招商引资</h2>" in slide and "<h3>（二）撞单处理</h3>" in slide
    assert '<td class="num">1,200.50</td>' in slide and "&lt;b&gt;撞单&lt;/b&gt;" in slide


def test_the_page_shows_no_part_where_the_bulletin_prints_none(may: Period, asked: list[Period],
                                                              personas: dict[str, User]) -> None:
    bulletin_template_update(values={"sections": [key for key in EVERY if key != "attraction"]}, version=0,
                             by=personas["office"])
    period = _publish(may, personas["office"])
    html = client_for(personas["leader"]).get(f"/dispatch/periods/{period.pk}/bulletin/").content.decode()
    assert HEADING.findall(html) == [*USUAL, "八、存在的主要问题", "九、下步工作安排"]
    assert 'id="part-attraction"' not in html


# --- the template page ----------------------------------------------------------------------------

def test_the_template_page_lists_the_section_after_reporting_ticked(personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    html = client.get(PAGE).content.decode()
    assert html.index('id="section-reporting"') < html.index('id="section-attraction"') < html.index(
        'id="section-narrative_problems"')
    row = html.split('id="section-attraction"')[1].split("</tr>")[0]
    # Ticked while no template is saved: a district prints it unless the office leaves it out.
    assert "招商引资" in row and "checked" in row and 'name="order_attraction" value="8"' in row
    assert "八、招商引资" in html.split('id="template-headings"')[1]
    # Saved as shown: the saved template lists it there.
    data = {"version": "0", **{f"order_{key}": str(n) for n, key in enumerate(EVERY, start=1)},
            **{f"show_{key}": "on" for key in EVERY}}
    response = client.post(PAGE, data, follow=True)
    assert "通报模板已保存" in response.content.decode()
    headings = response.content.decode().split('id="template-headings"')[1]
    assert "七、报送情况" in headings and "八、招商引资" in headings and "十、下步工作安排" in headings


def test_the_sample_prints_the_part_of_the_latest_published_period(may: Period, asked: list[Period],
                                                                   personas: dict[str, User]) -> None:
    office = personas["office"]
    _publish(may, office)
    client = client_for(office)
    data = {"version": "0", **{f"order_{key}": str(n) for n, key in enumerate(EVERY, start=1)},
            "show_attraction": "on", "show_overview": "on"}
    response = client.post(f"{PAGE}sample/", data)
    assert response.status_code == 200
    assert _headings(response.content) == ["一、总体情况", "二、招商引资"]
    assert "（一）新增线索" in [p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs]


# --- the rules --------------------------------------------------------------------------------------

def test_level_2_headings_are_numbered_in_order_and_tables_squared() -> None:
    part = BulletinPart(key="attraction", blocks=(
        *(BulletinBlock(kind="heading", text=f"第{n}项") for n in range(1, 13)),
        BulletinBlock(kind="table", headers=("甲",), rows=(("1", "多出的一格"), ())),
        BulletinBlock(kind="table"),
        BulletinBlock(kind="chart", text="不认识的块"),
    ))
    printed = printed_part(part, "八、招商引资")
    assert [b.text for b in printed.blocks if b.kind == "heading"][9:] == [
        "（十）第10项", "（十一）第11项", "（十二）第12项",
    ]
    # A short row gets blank cells, a long one a blank header: nothing lost; empty tables and unknown kinds dropped.
    [table] = [b for b in printed.blocks if b.kind == "table"]
    assert (table.headers, table.rows, table.numeric) == (("甲", ""), (("1", "多出的一格"), ("", "")), (0,))
    assert printed.tables == (("（十二）第12项", table),)
    assert [chinese_number(n) for n in (1, 10, 11, 20, 21, 99, 100)] == [
        "一", "十", "十一", "二十", "二十一", "九十九", "100",
    ]
