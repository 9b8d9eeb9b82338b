"""One rate rule: 293 of a 400 plan is 73.25%, shown as 73.3% wherever a rate is shown.

The ledger rounded half-up and the Excel export half-even (73.2): every place that shows a
rate must go through ``projects.rules.rate_percent`` and the shared ``rate`` filter.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures
from dispatch.bulletins.xlsx import bulletin_xlsx
from dispatch.periods import services
from org.models import Unit, User
from projects import excel, rules
from projects.models import AnnualPlan, ProgressReport, Project
from projects.services import progress_save
from projects.templatetags.diaodu_format import format_money, format_rate

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> Any:
    return time_machine.travel(dt.datetime(*args, tzinfo=TZ), tick=False)


def test_the_rule_rounds_half_up() -> None:
    assert rules.rate_percent(Decimal("293"), Decimal("400")) == Decimal("73.3")
    assert rules.rate_percent(Decimal("292.2"), Decimal("400")) == Decimal("73.1")  # 73.05
    assert rules.rate_percent(1, 0) is None
    assert rules.rate_percent(Decimal(1), None) is None
    assert rules.investment_rate(Decimal("293"), Decimal("400")) == Decimal("73.3")


def test_the_filters() -> None:
    assert format_rate(None) == "—"
    assert format_rate(Decimal("73.3")) == "73.3%"
    assert format_money(Decimal("1234.5")) == "1,234.50"
    assert format_money(Decimal("-0.5")) == "-0.50"
    assert format_money(Decimal("0.005")) == "0.01"  # half-up, not the format spec's half-even
    assert format_money(None) == ""
    html = Template("{% load diaodu_format %}{{ a|rate }} {{ b|rate }} {{ c|money }}").render(
        Context({"a": None, "b": Decimal("73.3"), "c": Decimal("293")})
    )
    assert html == "— 73.3% 293.00"  # pages: no thousands separator in Chinese, as before
    assert Template("{% load diaodu_format %}{{ c|money }}").render(Context({"c": Decimal("61770.005")})) == "61770.01"


@pytest.fixture
def published(units: dict[str, Unit], personas: dict[str, User], make_project: Any) -> dict[str, Any]:
    office = personas["office"]
    project = make_project(name="七三项目", lead_unit=units["gxj"], town=units["town_a"])
    AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("400"))
    with at(2026, 4, 10, 9):
        period = services.period_open(year=2026, month=4, by=office)
        progress_save(by=office, report=ProgressReport(project=project, year=2026, month=1, invested=Decimal("100")))
        progress_save(by=office, report=ProgressReport(project=project, year=2026, month=4, invested=Decimal("193")))
    with at(2026, 5, 1, 9):
        services.period_close(period=period, by=office)
    with at(2026, 5, 5, 9):
        period = services.period_publish(period=period, by=office, reason="测试")
    return {"project": project, "period": period, "office": office}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_ledger_page_project_page_and_export_show_73_3(published: dict[str, Any]) -> None:
    project: Project = published["project"]
    client = _client(published["office"])
    with at(2026, 5, 6, 9):
        ledger = client.get(reverse("projects:ledger") + "?year=2026")
        detail = client.get(reverse("projects:detail", args=[project.pk]) + "?year=2026")
        export = client.get(reverse("projects:excel_export") + "?year=2026")
    assert ledger.status_code == 200 and detail.status_code == 200 and export.status_code == 200
    ledger_html = ledger.content.decode()
    assert "73.3%" in ledger_html and "73.2" not in ledger_html
    detail_html = detail.content.decode()
    assert "（73.3%）" in detail_html and "73.2" not in detail_html

    ws = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))[excel.SHEET]
    header = [cell.value for cell in ws[1]]
    rate_column = header.index(excel.RATE_LABEL % {"year": 2026})
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == project.code)
    assert Decimal(str(row[rate_column])) == Decimal("73.3")


def test_bulletin_figures_docx_and_xlsx_show_73_3(published: dict[str, Any]) -> None:
    period = published["period"]
    figures = bulletin_figures(period)
    assert figures.investment.rate == Decimal("73.3")
    assert [r.rate for r in figures.towns.by_investment] == [Decimal("73.3")]

    document = docx.Document(io.BytesIO(bulletin_docx(figures, published_at=period.published_at)))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "73.3%" in text and "73.2" not in text

    book = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(figures, published_at=period.published_at)))
    sheet = book["投资完成情况"]
    header = [cell.value for cell in sheet[1]]
    rates = [row[header.index("完成率(%)")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert rates and all(Decimal(str(rate)) == Decimal("73.3") for rate in rates if rate is not None)
    assert Decimal(str(rates[0])) == Decimal("73.3")
