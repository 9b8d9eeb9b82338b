"""The supervision slip (督办单) read back with python-docx: page, fonts, every field, the download."""
from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from core.models import Period
from dispatch.models import Problem
from dispatch.supervision import services as problems
from dispatch.supervision.slip import slip_docx
from org.models import Unit, User

TODAY = dt.date(2026, 5, 15)


# Every test runs with the district clock stopped at 15 May 2026, 10:00 (conftest's clock_at).
pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def problem(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Problem:
    project = make_project(name="新能源电池产业园", code="2026-D-007", lead_unit=units["town_a"])
    period = Period.objects.create(year=2026, month=4, opens_on=dt.date(2026, 4, 1), deadline=dt.date(2026, 4, 25))
    problem = problems.problem_create(
        by=personas["office"], project=project, description="施工用电未接入\n影响设备调试", period=period,
        responsible_unit=units["town_a"], responsible_leader=personas["leader"], deadline=dt.date(2026, 5, 20),
        source=Problem.Source.MEETING,
    )
    problems.problem_accept(problem=problem, version=problem.version, by=personas["reporter"], text="已签收")
    problems.problem_answer(problem=problem, version=problem.version, by=personas["reporter"], text="已协调供电公司")
    return problem


def read(content: bytes) -> Any:
    return Document(io.BytesIO(content))


def test_page_and_margins_follow_gbt_9704(problem: Problem) -> None:
    section = read(slip_docx(problem)).sections[0]
    # Word keeps twentieths of a point, so millimetres come back to within a hundredth.
    sizes = (section.page_width, section.page_height, section.top_margin, section.bottom_margin,
             section.left_margin, section.right_margin)
    assert [round(size.mm, 1) for size in sizes] == [210, 297, 37, 35, 28, 26]


def test_title_number_and_fonts(problem: Problem) -> None:
    document = read(slip_docx(problem))
    title, number = document.paragraphs[0], document.paragraphs[1]
    assert title.text == "督 办 单"
    assert title.alignment == 1  # centred
    run = title.runs[0]
    fonts = run._element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman"
    assert run.font.size == Pt(22)
    assert number.text == f"督办〔2026〕{problem.pk}号"
    body = number.runs[0]
    assert body.font.size == Pt(16)
    assert body._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_every_field_is_in_the_table(problem: Problem) -> None:
    document = read(slip_docx(problem))
    rows = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert list(rows) == ["项目", "问题来源", "问题描述", "责任单位", "责任领导", "交办时间", "办结时限", "当前状态",
                          "督办等级", "办理过程"]
    assert rows["项目"] == "2026-D-007 新能源电池产业园"
    assert rows["问题来源"] == "调度会议（2026年4月）"
    assert rows["问题描述"] == "施工用电未接入\n影响设备调试"
    assert rows["责任单位"] == "东城街道"
    assert rows["责任领导"] == "张区长"
    assert rows["交办时间"] == "2026-05-15 10:00"
    assert rows["办结时限"] == "2026-05-20"
    assert rows["当前状态"] == "已反馈"
    assert rows["督办等级"] == "距办结时限还有 5 天"
    process = rows["办理过程"].split("\n")
    assert len(process) == 3
    assert process[0].startswith("2026-05-15 10:00 office 交办（已交办）交办东城街道办理")
    assert process[1] == "2026-05-15 10:00 reporter 签收办理（办理中）已签收"
    assert process[2] == "2026-05-15 10:00 reporter 反馈（已反馈）已协调供电公司"
    closing = [p.text for p in document.paragraphs[-2:]]
    assert closing == ["示范区重点项目建设指挥部办公室", "2026年5月15日"]


def test_the_escalation_is_the_one_of_the_day(problem: Problem, clock: time_machine.Traveller) -> None:
    clock.move_to(dt.datetime(2026, 6, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    rows = {row.cells[0].text: row.cells[1].text for row in read(slip_docx(problem)).tables[0].rows}
    assert rows["督办等级"] == "已逾期 21 天，红牌督办并约谈责任领导"


def test_the_download(personas: dict[str, User], problem: Problem) -> None:
    client = Client()
    client.force_login(personas["viewer"])
    # The slip is in the district's language whatever the reader's.
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("dispatch:problem_slip", args=[problem.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert f"filename*=utf-8''{quote(f'督办单-{problem.pk}.docx')}" in response["Content-Disposition"]
    document = read(b"".join(response.streaming_content))
    assert document.paragraphs[0].text == "督 办 单"
