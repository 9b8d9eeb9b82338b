"""Leads in Excel: the lead sheet (线索台账) and the signed list (签约项目清单), their round trips, their errors by
row and column, all or nothing, the stages by the rules, optimistic locking, and the watermark."""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from conftest import client_for
from core.excel import cells
from investment import excel, services
from investment.models import Chain, ChainNode, Collision, Lead, Position, Stage, StageChange
from investment.tests.conftest import MakeLead, make_code
from org.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 5, 15)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def node() -> ChainNode:
    chain = Chain.objects.create(name="新材料产业链")
    return ChainNode.objects.create(chain=chain, name="复合材料", position=Position.MIDSTREAM)


def signed(lead: Lead, by: User, **facts: Any) -> Lead:
    values = {"signed_on": dt.date(2026, 3, 1), "signed_amount": Decimal("5000"), "counterpart": lead.enterprise}
    values.update(facts)
    for to in ("negotiating", "signed"):
        lead = services.stage_advance(by=by, lead=lead, to=to, **(values if to == "signed" else {}))
    return lead


def export(user: User, leads: Any = None) -> bytes:
    out = io.BytesIO()
    rows = Lead.objects.visible_to(user).select_related("source_unit", "chain_node__chain").order_by("pk")
    excel.write_leads(out, leads=rows if leads is None else leads, mark=excel.Watermark.of(user))
    return out.getvalue()


def headers(ws: Any, row: int = excel.HEADER_ROW) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[row] if c.value is not None}


def edited(data: bytes, sheet: str, changes: Mapping[tuple[int, str], Any], *, raw: bool = False) -> bytes:
    """``data`` with cells changed: {(row, header): value}; ``raw`` lets a "=..." text be a formula."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet]
    columns = headers(ws)
    for (row, header), value in changes.items():
        cell = ws.cell(row=row, column=columns[header])
        if raw:
            cell.value = value
        else:
            cells.set_value(cell, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "线索.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=excel.XLSX_CONTENT_TYPE)


def run(user: User, data: bytes) -> tuple[Any, list[Collision]]:
    return excel.lead_import(by=user, upload=upload(data))


def errors(report: Any) -> list[tuple[int | None, str, str]]:
    return [(issue.row, issue.column, issue.message) for issue in report.sorted_errors()]


def template(user: User) -> bytes:
    return export(user, leads=[])


# --- the round trip ------------------------------------------------------------------------------

def test_an_export_imported_unchanged_changes_nothing(personas: dict[str, User], make_lead: MakeLead,
                                                      node: ChainNode) -> None:
    office = personas["office"]
    make_lead("潍坊甲机械有限公司", credit_code=make_code("MA3C4L5E"), chain_node=node,
              amount_original=Decimal("1.5"), amount_unit="yi", content="=1+1 年产 10 万台", next_step="再谈",
              next_step_due=dt.date(2026, 6, 1), source_person="王科长")
    make_lead("东京乙精工株式会社", by="office", source_unit_id=personas["other_reporter"].unit_id, origin="foreign",
              origin_province="日本", amount_original=Decimal("200"), currency="USD",
              exchange_rate=Decimal("7.1"))
    signed(make_lead("青岛丙新能源有限公司"), office)
    versions = dict(Lead.objects.values_list("pk", "version"))
    audits = AuditEntry.objects.count()

    report, collisions = run(office, export(office))

    assert report.ok, errors(report)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert collisions == []
    assert dict(Lead.objects.values_list("pk", "version")) == versions
    assert AuditEntry.objects.count() == audits
    # The reporter's own export reads back as well.
    reporter = personas["reporter"]
    report, _collisions = run(reporter, export(reporter))
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 2)


def test_a_formula_text_is_written_and_read_as_text_never_run(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("=HYPERLINK(\"http://x\",\"点我\")有限公司", content="=SUM(A1:A9)")
    data = export(personas["office"])
    ws = load_workbook(io.BytesIO(data))[excel.SHEET]
    columns = headers(ws)
    for header in ("企业名称", "项目内容"):
        cell = ws.cell(row=3, column=columns[header])
        assert cell.data_type == "s" and str(cell.value).startswith("=")
    report, _collisions = run(personas["office"], data)
    assert report.ok and report.unchanged == 1
    # A real formula in an upload is refused, by row and column.
    data = edited(data, excel.SHEET, {(3, "项目内容"): "=1+2"}, raw=True)
    report, _collisions = run(personas["office"], data)
    assert [(row, column) for row, column, _m in errors(report)] == [(3, "项目内容")]
    assert "公式" in errors(report)[0][2]
    lead.refresh_from_db()
    assert lead.content == "=SUM(A1:A9)"


# --- new leads, errors, all or nothing --------------------------------------------------------------

def test_a_template_filled_in_creates_leads(personas: dict[str, User], node: ChainNode) -> None:
    office = personas["office"]
    data = edited(template(office), excel.SHEET, {
        (3, "企业名称"): "潍坊丁科技有限公司", (3, "统一社会信用代码"): make_code("MA3C4L5E").lower(),
        (3, "招商单位"): "东城街道", (3, "产业链环节"): "新材料产业链·复合材料", (3, "意向投资额"): 2,
        (3, "金额单位"): "亿元", (3, "阶段"): "在谈", (3, "招商责任人"): "李主任",
        (4, "企业名称"): "新加坡戊投资有限公司", (4, "招商单位"): "西山镇", (4, "境内外"): "境外",
        (4, "意向投资额"): 100, (4, "币种"): "美元", (4, "汇率"): 7.2,
    })
    report, _collisions = run(office, data)
    assert report.ok, errors(report)
    assert report.created == 2
    first = Lead.objects.get(enterprise="潍坊丁科技有限公司")
    assert (first.stage, first.intended_investment, first.chain_node, first.source_person) == (
        Stage.NEGOTIATING, Decimal("20000.00"), node, "李主任")
    assert first.credit_code == make_code("MA3C4L5E") and first.source_unit.name == "东城街道"
    second = Lead.objects.get(enterprise="新加坡戊投资有限公司")
    assert (second.currency, second.intended_investment) == ("USD", Decimal("720.00"))
    assert AuditEntry.objects.filter(model="investment.lead", source="excel", action="create").count() == 2


def test_errors_name_the_row_and_column_and_nothing_is_saved(personas: dict[str, User]) -> None:
    office = personas["office"]
    bad_code = make_code("MA3C4L5E")[:-1] + ("0" if make_code("MA3C4L5E")[-1] != "0" else "1")
    data = edited(template(office), excel.SHEET, {
        (3, "企业名称"): "潍坊好企业有限公司", (3, "招商单位"): "东城街道",
        (4, "企业名称"): "潍坊坏企业有限公司", (4, "招商单位"): "不存在局", (4, "统一社会信用代码"): bad_code,
        (4, "下一步完成时限"): "2026-13-45", (4, "意向投资额"): -3,
        (5, "企业名称"): "外币企业有限公司", (5, "招商单位"): "东城街道", (5, "意向投资额"): 5, (5, "币种"): "USD",
    })
    report, _collisions = run(office, data)
    found = {(row, column) for row, column, _m in errors(report)}
    assert found == {(4, "招商单位"), (4, "统一社会信用代码"), (4, "下一步完成时限"), (4, "意向投资额"), (5, "汇率")}
    # Said as the kit says it: the row, the column's letter and its header.
    assert any(str(issue).startswith("第 4 行 O列「招商单位」：找不到名为“不存在局”的单位")
               for issue in report.sorted_errors())
    assert any("校验" in message for _r, column, message in errors(report) if column == "统一社会信用代码")
    # All or nothing: the good row 3 is not saved either.
    assert not Lead.objects.exists()


def test_a_database_refusal_while_saving_rolls_every_row_back(personas: dict[str, User],
                                                             make_lead: MakeLead) -> None:
    office = personas["office"]
    lead = make_lead("潍坊甲机械有限公司")
    data = export(office)
    data = edited(data, excel.SHEET, {(3, "项目内容"): "改过", (4, "企业名称"): "新企业有限公司",
                                      (4, "招商单位"): "东城街道"})
    # Someone changes the lead between the check and the save: the service refuses, the new row goes too.
    original = excel.LeadImport._check

    def check_then_change(self: excel.LeadImport, sheet: Any) -> Any:
        plans = original(self, sheet)
        fresh = Lead.objects.get(pk=lead.pk)
        fresh.next_step = "别人改的"
        services.lead_save(by=office, lead=fresh, version=fresh.version)
        return plans

    excel.LeadImport._check = check_then_change  # type: ignore[method-assign]
    try:
        report, _collisions = run(office, data)
    finally:
        excel.LeadImport._check = original  # type: ignore[method-assign]
    assert [(row, column) for row, column, _m in errors(report)] == [(3, "版本号")]
    assert not Lead.objects.filter(enterprise="新企业有限公司").exists()
    assert Lead.objects.get(pk=lead.pk).content == ""


# --- who writes which lead ------------------------------------------------------------------------

def test_a_reporter_cannot_write_another_units_lead(personas: dict[str, User], make_lead: MakeLead) -> None:
    reporter = personas["reporter"]
    theirs = make_lead("西山企业有限公司", by="other_reporter")
    make_lead("东城企业有限公司")
    data = export(reporter)
    data = edited(data, excel.SHEET, {
        (3, "线索编号"): theirs.pk, (3, "企业名称"): "改名有限公司",
        (4, "企业名称"): "新的东城企业有限公司", (4, "招商单位"): "西山镇",
    })
    report, _collisions = run(reporter, data)
    found = errors(report)
    assert [(row, column) for row, column, _m in found] == [(3, "线索编号"), (4, "招商单位")]
    assert "本单位" in found[0][2] and "西山" not in found[0][2]
    theirs.refresh_from_db()
    assert theirs.enterprise == "西山企业有限公司"
    # Left blank, the unit is the reporter's own.
    data = edited(template(reporter), excel.SHEET, {(3, "企业名称"): "空单位企业有限公司"})
    report, _collisions = run(reporter, data)
    assert report.ok and Lead.objects.get(enterprise="空单位企业有限公司").source_unit_id == reporter.unit_id


def test_a_stale_sheet_does_not_overwrite_newer_data(personas: dict[str, User], make_lead: MakeLead) -> None:
    office = personas["office"]
    lead = make_lead("潍坊甲机械有限公司")
    make_lead("潍坊乙电子有限公司")
    data = export(office)
    fresh = Lead.objects.get(pk=lead.pk)
    fresh.next_step = "别人刚改的"
    services.lead_save(by=office, lead=fresh, version=fresh.version)
    # The other row, changed by nobody since, is taken; the stale row is refused by its version.
    changed = edited(data, excel.SHEET, {(3, "项目内容"): "旧表里的改动"})
    report, _collisions = run(office, changed)
    assert [(row, column) for row, column, _m in errors(report)] == [(3, "版本号")]
    assert "他人修改" in errors(report)[0][2]
    assert Lead.objects.get(pk=lead.pk).next_step == "别人刚改的"
    # The stale sheet unchanged: a row that changes nothing is no conflict (the newer data stays).
    report, _collisions = run(office, edited(data, excel.SHEET, {(3, "下一步工作"): "别人刚改的"}))
    assert report.ok and report.unchanged == 2


# --- stages ---------------------------------------------------------------------------------------

def test_an_existing_lead_steps_up_by_the_rules(personas: dict[str, User], make_lead: MakeLead) -> None:
    reporter, office = personas["reporter"], personas["office"]
    lead = make_lead("潍坊甲机械有限公司")
    # One step up with its evidence: taken, and recorded as a step.
    report, _collisions = run(reporter, edited(export(reporter), excel.SHEET, {(3, "阶段"): "在谈"}))
    assert report.ok and report.updated == 1
    assert list(lead.stage_changes.values_list("to_stage", "skipped")) == [("negotiating", False)]
    # A skip by a unit is refused by the rules; a step back too.
    report, _collisions = run(reporter, edited(export(reporter), excel.SHEET, {
        (3, "阶段"): "开工", (3, "签约日期"): "2026-03-01", (3, "签约金额(万元)"): 100, (3, "签约主体"): "甲",
        (3, "开工日期"): "2026-04-01"}))
    assert [(row, column) for row, column, _m in errors(report)] == [(3, "阶段")]
    assert "逐级推进" in errors(report)[0][2]
    report, _collisions = run(reporter, edited(export(reporter), excel.SHEET, {(3, "阶段"): "线索"}))
    assert "不能回退" in errors(report)[0][2]
    # Missing evidence: by the column of each fact.
    report, _collisions = run(reporter, edited(export(reporter), excel.SHEET, {
        (3, "阶段"): "签约", (3, "签约日期"): "2026-06-01"}))
    assert {column for _row, column, _m in errors(report)} == {"签约日期", "签约金额(万元)", "签约主体"}
    # The office's skip is its decision, recorded so.
    report, _collisions = run(office, edited(export(office), excel.SHEET, {
        (3, "阶段"): "开工", (3, "签约日期"): "2026-03-01", (3, "签约金额(万元)"): 100, (3, "签约主体"): "甲",
        (3, "开工日期"): "2026-04-01"}))
    assert report.ok, errors(report)
    step = StageChange.objects.filter(lead=lead).last()
    assert step is not None and (step.to_stage, step.skipped, step.decided_by) == ("started", True, office)
    # A signing once recorded is not rewritten by a sheet.
    report, _collisions = run(office, edited(export(office), excel.SHEET, {(3, "签约金额(万元)"): 999}))
    assert [(row, column) for row, column, _m in errors(report)] == [(3, "签约金额(万元)")]


def test_new_rows_at_a_later_stage(personas: dict[str, User]) -> None:
    reporter, office = personas["reporter"], personas["office"]
    row = {(3, "企业名称"): "潍坊签约企业有限公司", (3, "阶段"): "签约", (3, "签约日期"): "2026-04-01",
           (3, "签约金额(万元)"): 3000, (3, "签约主体"): "潍坊签约企业有限公司"}
    # A unit's new lead starts at 线索 or 在谈.
    report, _collisions = run(reporter, edited(template(reporter), excel.SHEET, row))
    assert [(r, column) for r, column, _m in errors(report)] == [(3, "阶段")]
    assert not Lead.objects.exists()
    # The office's: entered and signed in one step, its decision, with the evidence.
    report, _collisions = run(office, edited(template(office), excel.SHEET, {
        **row, (3, "招商单位"): "东城街道", (4, "企业名称"): "缺主体企业有限公司", (4, "招商单位"): "东城街道",
        (4, "阶段"): "签约", (4, "签约日期"): "2026-04-01", (4, "签约金额(万元)"): 10}))
    assert [(r, column) for r, column, _m in errors(report)] == [(4, "签约主体")]
    report, _collisions = run(office, edited(template(office), excel.SHEET, {**row, (3, "招商单位"): "东城街道"}))
    assert report.ok, errors(report)
    lead = Lead.objects.get()
    assert (lead.stage, lead.signed_amount, lead.signed_on) == (Stage.SIGNED, Decimal("3000"), dt.date(2026, 4, 1))
    step = lead.stage_changes.get()
    assert (step.from_stage, step.skipped, step.decided_by) == ("lead", True, office)
    assert "项目办决定" in step.note


def test_collisions_opened_by_an_import_are_told_in_words(personas: dict[str, User], make_lead: MakeLead) -> None:
    make_lead("潍坊甲机械有限公司", by="other_reporter")
    reporter = personas["reporter"]
    client = client_for(reporter)
    data = edited(template(reporter), excel.SHEET, {(3, "企业名称"): "潍坊甲机械股份有限公司"})
    response = client.post(reverse("investment:excel_import"), {"file": upload(data)}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any("新增 1 条" in text for text in texts)
    # The reporter is told which unit reported it first, not the other lead's details.
    assert any("西山镇" in text and "首报" in text for text in texts)
    assert Collision.objects.count() == 1


# --- the watermark and the audit log ----------------------------------------------------------------

def test_an_export_is_watermarked_and_recorded(personas: dict[str, User], make_lead: MakeLead) -> None:
    make_lead("潍坊甲机械有限公司")
    make_lead("西山企业有限公司", by="other_reporter")
    reporter = personas["reporter"]
    response = client_for(reporter).get(reverse("investment:excel_export"))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    ws = wb[excel.SHEET]
    banner = str(ws["A1"].value)
    assert banner.startswith("商业秘密 注意保密 导出人：reporter（东城街道） 导出时间：2026-05-15")
    assert "商业秘密" in ws.oddHeader.center.text and "导出人：reporter" in ws.oddFooter.center.text
    assert "导出时间：2026-05-15" in wb.properties.description and wb.properties.creator.startswith("reporter")
    assert "导出人" in str(wb[excel.NOTES_SHEET]["A1"].value)
    # Only the reporter's unit's lead.
    names = [ws.cell(row=r, column=headers(ws)["企业名称"]).value for r in range(3, ws.max_row + 1)]
    assert names == ["潍坊甲机械有限公司"]
    entry = AuditEntry.objects.get(action=excel.EXPORT_ACTION)
    assert entry.user == reporter and "线索台账，1 条" in entry.changes["导出"][1]


def test_the_export_has_the_lead_lists_filters(personas: dict[str, User], make_lead: MakeLead,
                                               node: ChainNode) -> None:
    office = personas["office"]
    signed(make_lead("潍坊甲机械有限公司"), office)
    make_lead("潍坊乙电子有限公司")
    response = client_for(office).get(reverse("investment:excel_export"), {"stage": "signed"})
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))[excel.SHEET]  # type: ignore[attr-defined]
    assert ws.max_row == 3 and ws["B3"].value == "潍坊甲机械有限公司"
    assert "阶段=签约" in AuditEntry.objects.get(action=excel.EXPORT_ACTION).changes["导出"][1]
    # The list's other filters too: the origin, the chain link.
    make_lead("深圳丁电子有限公司", origin_province="广东省", chain_node=node)
    response = client_for(office).get(reverse("investment:excel_export"), {"province": "广东", "node": node.pk})
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))[excel.SHEET]  # type: ignore[attr-defined]
    assert ws.max_row == 3 and ws["B3"].value == "深圳丁电子有限公司"


# --- the signed list ------------------------------------------------------------------------------

def signed_export(user: User, **params: Any) -> bytes:
    response = client_for(user).get(reverse("investment:signed_export"), params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def signed_run(user: User, data: bytes) -> tuple[Any, list[Collision]]:
    return excel.signed_import(by=user, upload=upload(data, "签约.xlsx"))


def test_the_signed_list_exports_in_the_bureaus_layout(personas: dict[str, User], make_lead: MakeLead) -> None:
    office = personas["office"]
    signed(make_lead("潍坊甲机械有限公司", content="年产 10 万台机床项目"), office, signed_on=dt.date(2026, 2, 1))
    signed(make_lead("潍坊乙电子有限公司"), office, signed_on=dt.date(2025, 12, 1))
    make_lead("潍坊丙有限公司")
    signed(make_lead("西山丁食品有限公司", by="other_reporter"), office, signed_on=dt.date(2026, 3, 3))
    ws = load_workbook(io.BytesIO(signed_export(office, start="2026-01-01", end="2026-05-15")))[excel.SIGNED_SHEET]
    assert [c.value for c in ws[excel.HEADER_ROW]] == [
        "序号", "项目名称", "投资方", "投资额(万元)", "签约时间", "责任单位"]
    assert [c.value for c in ws[3]][:4] == [1, "年产 10 万台机床项目", "潍坊甲机械有限公司", 5000]
    assert ws[3][5].value == "东城街道" and ws[3][4].value == dt.datetime(2026, 2, 1)
    # A lead without its content is listed under its investor's name.
    assert [c.value for c in ws[4]][1:3] == ["西山丁食品有限公司", "西山丁食品有限公司"] and ws.max_row == 4
    assert str(ws["A1"].value).startswith("商业秘密 注意保密 导出人：office")
    assert "签约项目清单，2 条" in AuditEntry.objects.get(action=excel.EXPORT_ACTION).changes["导出"][1]
    # Imported back as it is: nothing changes.
    report, _collisions = signed_run(office, signed_export(office, start="2026-01-01"))
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 2)
    # A unit's export holds its own signings only.
    ws = load_workbook(io.BytesIO(signed_export(personas["reporter"])))[excel.SIGNED_SHEET]
    assert ws.max_row == 3 and ws["C3"].value == "潍坊甲机械有限公司"


def test_the_signed_list_signs_leads_or_creates_them(personas: dict[str, User], make_lead: MakeLead) -> None:
    office = personas["office"]
    existing = make_lead("潍坊甲机械有限公司")
    blank = io.BytesIO()
    excel.write_signed(blank, leads=[], mark=excel.Watermark.of(office))
    data = edited(blank.getvalue(), excel.SIGNED_SHEET, {
        (3, "序号"): 1, (3, "项目名称"): "机床项目", (3, "投资方"): "潍坊甲机械股份有限公司", (3, "投资额(万元)"): 8000,
        (3, "签约时间"): "2026-04-10", (3, "责任单位"): "东城街道",
        (4, "序号"): 2, (4, "项目名称"): "电池项目", (4, "投资方"): "宁德新电池有限公司", (4, "投资额(万元)"): 20000,
        (4, "签约时间"): "2026年4月20日", (4, "责任单位"): "西山镇",
    })
    report, collisions = signed_run(office, data)
    assert report.ok, errors(report)
    assert (report.created, report.updated) == (1, 1) and collisions == []
    existing.refresh_from_db()
    assert (existing.stage, existing.signed_amount, existing.signed_on) == (
        Stage.SIGNED, Decimal("8000"), dt.date(2026, 4, 10))
    assert existing.stage_changes.get().skipped
    new = Lead.objects.get(enterprise="宁德新电池有限公司")
    assert (new.stage, new.content, new.source_unit.name, new.counterpart) == (
        Stage.SIGNED, "电池项目", "西山镇", "宁德新电池有限公司")


def test_the_signed_list_refuses_by_row_and_column(personas: dict[str, User], make_lead: MakeLead) -> None:
    office = personas["office"]
    make_lead("潍坊甲机械有限公司")
    blank = io.BytesIO()
    excel.write_signed(blank, leads=[], mark=excel.Watermark.of(office))
    data = edited(blank.getvalue(), excel.SIGNED_SHEET, {
        (3, "项目名称"): "机床项目", (3, "投资方"): "潍坊甲机械有限公司", (3, "投资额(万元)"): 8000,
        (3, "签约时间"): "2026-04-10", (3, "责任单位"): "西山镇",
        (4, "项目名称"): "未来项目", (4, "投资方"): "新企业有限公司", (4, "投资额(万元)"): 0,
        (4, "签约时间"): "2026-09-01", (4, "责任单位"): "东城街道",
    })
    report, _collisions = signed_run(office, data)
    assert {(row, column) for row, column, _m in errors(report)} == {
        (3, "责任单位"), (4, "投资额(万元)"), (4, "签约时间")}
    assert not Lead.objects.filter(stage=Stage.SIGNED).exists()
    assert Lead.objects.count() == 1


# --- the pages ------------------------------------------------------------------------------------

def test_the_import_page_offers_the_error_report(personas: dict[str, User]) -> None:
    office = personas["office"]
    client = client_for(office)
    assert client.get(reverse("investment:excel_import")).status_code == 200
    data = edited(template(office), excel.SHEET, {(3, "企业名称"): "潍坊企业有限公司", (3, "招商单位"): "无此单位"})
    response = client.post(reverse("investment:excel_import"), {"file": upload(data)})
    assert response.status_code == 200
    assert [issue.column for issue in response.context["errors"]] == ["招商单位"]
    report_url = response.context["report_url"]
    assert report_url and client.get(report_url).status_code == 200
    # Nobody else downloads it.
    assert client_for(personas["reporter"]).get(report_url).status_code == 404
    template_response = client.get(reverse("investment:excel_template"))
    assert template_response.status_code == 200
    assert client_for(personas["leader"]).get(reverse("investment:excel_template")).status_code == 403
    assert client_for(personas["reporter"]).get(reverse("investment:signed_import")).status_code == 403
    assert client.get(reverse("investment:signed_import")).status_code == 200
    assert client.get(reverse("investment:signed_template")).status_code == 200


def test_a_large_sheet_is_imported_by_the_worker(personas: dict[str, User], monkeypatch: pytest.MonkeyPatch) -> None:
    office = personas["office"]
    monkeypatch.setattr(excel, "BACKGROUND_ROWS", 2)
    client = client_for(office)
    rows = {(r, header): value for r in (3, 4, 5)
            for header, value in (("企业名称", f"后台企业{r}有限公司"), ("招商单位", "东城街道"))}
    # With errors: nothing saved; the page lists them from the job and offers the report.
    with_error = edited(template(office), excel.SHEET, {**rows, (5, "招商单位"): "无此单位"})
    response = client.post(reverse("investment:excel_import"), {"file": upload(with_error)})
    assert response.status_code == 302 and "?job=" in response["Location"]
    page = client.get(response["Location"])
    assert [(issue.row, issue.column) for issue in page.context["errors"]] == [(5, "招商单位")]
    assert page.context["report_url"] and client.get(page.context["report_url"]).status_code == 200
    assert not Lead.objects.exists()
    # Another user does not see the job.
    assert client_for(personas["reporter"]).get(response["Location"]).context["job"] is None
    # Without: all saved, the outcome on the page.
    response = client.post(reverse("investment:excel_import"), {"file": upload(edited(template(office), excel.SHEET,
                                                                                      rows))})
    page = client.get(response["Location"])
    assert page.context["job_result"]["ok"] and page.context["job_result"]["created"] == 3
    assert "导入成功：新增 3 条" in page.content.decode()
    assert Lead.objects.count() == 3


def test_a_lead_is_dropped_with_its_reason(personas: dict[str, User], make_lead: MakeLead) -> None:
    reporter = personas["reporter"]
    lead = make_lead("潍坊甲机械有限公司")
    report, _collisions = run(reporter, edited(export(reporter), excel.SHEET, {(3, "阶段"): "终止"}))
    assert [(row, column) for row, column, _m in errors(report)] == [(3, "终止原因")]
    report, _collisions = run(reporter, edited(export(reporter), excel.SHEET, {
        (3, "阶段"): "终止", (3, "终止原因"): "企业转投外省"}))
    assert report.ok, errors(report)
    lead.refresh_from_db()
    assert (lead.stage, lead.dropped_reason) == (Stage.DROPPED, "企业转投外省")
    # A dropped lead moves no more, and its row read back changes nothing.
    report, _collisions = run(reporter, export(reporter))
    assert report.ok and report.unchanged == 1
    report, _collisions = run(reporter, edited(export(reporter), excel.SHEET, {(3, "项目内容"): "再改"}))
    assert [(row, column) for row, column, _m in errors(report)] == [(3, "线索编号")]


def test_the_exports_queries_do_not_grow_with_the_leads(personas: dict[str, User], make_lead: MakeLead,
                                                        node: ChainNode) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = personas["office"]
    client = client_for(office)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("investment:excel_export"))
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
        return len(captured)

    make_lead("潍坊甲机械有限公司", chain_node=node)
    few = queries()
    for index in range(6):
        make_lead(f"潍坊第{index}号企业有限公司", by="other_reporter", chain_node=node)
    assert queries() == few
