"""Importing the lists districts actually have (projects.importing.run and ``manage.py import_projects``).

The acceptance test builds a government-style list of more than 150 rows in three layouts seen in
published county lists (title rows and a "单位：亿元" line; a two-row header in 万元 on a sheet named
"附件1" with traditional characters and several units in a cell; foreign currency and a total row)
and imports it, checking the totals against the source to the 万元.
"""
from __future__ import annotations

import io
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from audit.models import AuditEntry
from org.models import Unit, User
from projects.importing import values as V
from projects.importing.run import NEW, Choices, analyse, save
from projects.models import AnnualPlan, ImportProfile, Project, ProjectCategory, ProjectYear

YI = Decimal(10000)


@pytest.fixture
def county_units(units: dict[str, Unit]) -> dict[str, Unit]:
    """The units the lists name, in the forms a county writes them."""
    made = {
        "mz": Unit.objects.create(name="民政局", kind=Unit.Kind.DEPARTMENT),
        "jy": Unit.objects.create(name="教育局", kind=Unit.Kind.DEPARTMENT),
        "zj": Unit.objects.create(name="住房和城乡建设局", short_name="住建局", kind=Unit.Kind.DEPARTMENT),
        "sl": Unit.objects.create(name="水利局", kind=Unit.Kind.DEPARTMENT),
    }
    return {**units, **made}


def _book_bytes(wb: Workbook) -> SimpleUploadedFile:
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("清单.xlsx", out.getvalue())


class ListBuilder:
    """Government-style lists; remembers each row's total investment in 万元 as the source states it."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.totals: dict[str, Decimal] = {}
        self.plans: dict[str, Decimal] = {}

    def title_rows_yi(self, rows: int) -> Workbook:
        """A merged title, "单位：亿元", a plain header; numbers in 亿元, category headings, year ranges."""
        wb = Workbook()
        ws = wb.active
        ws.title = "Sheet1"
        ws.append(["2026年县级重点项目计划表"])
        ws.merge_cells("A1:H1")
        ws.append([None, None, None, None, None, None, "单位：亿元"])
        ws.append(["序号", "项目名称", "建设内容", "总投资", "2026年计划投资", "责任单位", "建设年限", "备注"])
        units = ["工信局", "发改局", "县住建局", "民政局", "县水利局牵头，各乡镇配合"]
        half = rows // 2
        for section, count in (("一、工业项目（%d个）", half), ("二、基础设施项目（%d个）", rows - half)):
            ws.append([section % count])
            ws.merge_cells(f"A{ws.max_row}:H{ws.max_row}")
            for n in range(1, count + 1):
                name = f"{section[2:6]}第{n}号项目{len(self.totals)}"
                total = Decimal(self.rng.randint(50, 5000)) / 100  # 0.50 – 50.00 亿元
                plan = (total * Decimal(self.rng.randint(5, 40)) / 100).quantize(Decimal("0.0001"))
                start = self.rng.randint(2023, 2026)
                ws.append([n, name, "新建厂房及配套设施", total, plan, self.rng.choice(units),
                           f"{start}-{start + self.rng.randint(1, 3)}", None])
                self.totals[name] = total * YI
                self.plans[name] = plan * YI
        ws.append(["合计", None, None, sum(self.totals.values()) / YI])
        ws.append(["注：总投资、年度计划投资单位为亿元。"])
        return wb

    def two_row_header_wan(self, rows: int) -> Workbook:
        """A two-row header in 万元 on "附件1": amounts as text with units, traditional characters, periods
        written in words, several units in one cell."""
        wb = Workbook()
        ws = wb.active
        ws.title = "附件1"
        ws.append(["附件1"])
        ws.append(["2026年市县重点项目清单"])
        ws.merge_cells("A2:H2")
        ws.append(["序号", "项目名称", "建设规模及内容", "投资情况（万元）", None, "牵头单位", "建设起止年限",
                   "项目级别"])
        ws.append([None, None, None, "总投资", "年度计划投资", None, None, None])
        for column in "ABCFGH":
            ws.merge_cells(f"{column}3:{column}4")
        ws.merge_cells("D3:E3")
        periods = ["2022年3月", "建设工期2年", "预计2026年12月建成", "2022.3-2024.12", "2023—2025年"]
        units = ["縣教育局", "县民政局、各相关乡镇街道", "区住建局/发改局", "教育局，西山镇"]
        levels = ["省重点", "市级", "县重点", "亿元以上"]
        for n in range(1, rows + 1):
            name = (f"縣第{n}人民醫院門診樓{len(self.totals)}" if n % 3 == 0
                    else f"城区道路改造第{n}段{len(self.totals)}")
            wan = Decimal(self.rng.randint(100, 900000)) / 100
            written = f"{wan}万元" if n % 2 else (f"{wan / YI}亿元" if (wan / YI).as_tuple().exponent >= -6 else wan)
            plan = f"{(wan / 4).quantize(Decimal('0.01'))}"
            ws.append([n, name, "门诊楼及附属工程", written, plan, self.rng.choice(units), self.rng.choice(periods),
                       self.rng.choice(levels)])
            self.totals[name] = wan
            self.plans[name] = (wan / 4).quantize(Decimal("0.01"))
        return wb

    def foreign_and_totals(self, rows: int) -> Workbook:
        """Amounts in 万美元 among 万元 ones, a rate to ask for, and a 合计 row at the end."""
        wb = Workbook()
        ws = wb.active
        ws.title = "重点项目"
        ws.append(["序号", "项目名称", "总投资(万元)", "责任单位", "建设年限", "项目类别"])
        for n in range(1, rows + 1):
            name = f"外资合作项目{n}号{len(self.totals)}"
            if n % 5 == 0:
                usd = Decimal(self.rng.randint(100, 5000))
                ws.append([n, name, f"{usd}万美元", "发改局", "2026", "工业"])
                self.totals[name] = (usd * Decimal("7.1")).quantize(Decimal("0.01"))
            else:
                wan = Decimal(self.rng.randint(1000, 50000))
                ws.append([n, name, int(wan), "工信局", "2025-2026", "民生实事" if n % 4 == 0 else "文旅"])
                self.totals[name] = wan
        ws.append(["合计", None, None, None, None, None])
        return wb


def test_a_government_list_of_150_rows_imports_with_totals_equal_to_the_source(
    personas: dict[str, User], county_units: dict[str, Unit]
) -> None:
    builder = ListBuilder()
    books = [builder.title_rows_yi(60), builder.two_row_header_wan(60), builder.foreign_and_totals(40)]
    assert len(builder.totals) >= 150
    office = personas["office"]
    for index, book in enumerate(books):
        choices = Choices(rates={"USD": "7.1"}, code_pattern=f"L{index}-{{year}}-{{seq:04d}}")
        analysis = analyse(_book_bytes(book), choices)
        assert analysis.ok, [str(issue) for issue in analysis.errors[:10]]
        expected = sum((builder.totals[row.fields["name"]] for row in analysis.rows), Decimal(0))
        assert analysis.total_investment_wan == expected
        result = save(analysis, by=office)
        assert result.created == len(analysis.rows)
    saved = dict(Project.objects.values_list("name", "total_investment"))
    assert len(saved) == len(builder.totals)
    assert sum(saved.values()) == sum(builder.totals.values())  # to the 万元 (and the 分)
    for name, total in builder.totals.items():
        assert saved[name] == total, name
    # A foreign amount keeps what the list wrote and the rate used.
    foreign = Project.objects.get(name__startswith="外资合作项目5号")
    assert "总投资原文：" in foreign.remarks and "万美元，按汇率 7.1 折合" in foreign.remarks
    plans = dict(AnnualPlan.objects.filter(year=2026).values_list("project__name", "amount"))
    for name, plan in builder.plans.items():
        assert plans[name] == plan.quantize(Decimal("0.01")), name
    # The ledger's yearly figures and the lights are kept like any other write.
    assert ProjectYear.objects.filter(year=2026).count() == len(builder.plans)
    assert not Project.objects.filter(light_as_of__isnull=True).exists()


def test_what_a_list_says_is_kept_as_written(personas: dict[str, User], county_units: dict[str, Unit]) -> None:
    builder = ListBuilder()
    analysis = analyse(_book_bytes(builder.two_row_header_wan(12)), Choices())
    assert analysis.ok, [str(issue) for issue in analysis.errors]
    save(analysis, by=personas["office"])
    hospital = Project.objects.get(name__startswith="縣第3人民醫院")  # stored as typed
    assert hospital.search_name == V.fold(hospital.name)
    assert hospital.period_text  # the original 建设年限
    # "县民政局、各相关乡镇街道": 民政局 leads; the group is no unit and is said so.
    led = Project.objects.filter(lead_unit=county_units["mz"]).first()
    if led is not None:
        assert not led.co_units.exists()
        assert any("不是一个单位" in warning for warning in analysis.warnings)
    # "区住建局/发改局": the first leads, the second is a co-unit who sees the project.
    shared = Project.objects.filter(lead_unit=county_units["zj"]).first()
    if shared is not None:
        assert list(shared.co_units.all()) == [county_units["fgj"]]
    # 縣教育局 and 教育局 are the same unit.
    assert Project.objects.filter(lead_unit=county_units["jy"]).exists()
    # Created projects are audited, attributed to the office, from the list import.
    entry = AuditEntry.objects.filter(model="projects.project", object_id=str(hospital.pk)).get()
    assert (entry.user, entry.source, entry.action) == (personas["office"], "list-import", "create")


def test_one_bad_cell_saves_nothing_and_every_error_names_row_column_and_header(
    personas: dict[str, User], county_units: dict[str, Unit]
) -> None:
    builder = ListBuilder()
    book = builder.title_rows_yi(10)
    ws = book.active
    ws["D5"] = "约三亿"  # the first data row's 总投资
    ws["F6"] = "不存在局"
    analysis = analyse(_book_bytes(book), Choices())
    assert not analysis.ok
    found = {(e.row, e.letter, e.column) for e in analysis.errors}
    assert (5, "D", "总投资") in found
    assert (6, "F", "责任单位") in found
    assert analysis.unknown_values == {"unit": ["不存在局"]}
    with pytest.raises(ValueError):
        save(analysis, by=personas["office"])
    assert not Project.objects.exists()
    # The total is still the sum of the totals that could be read.
    readable = sum(total for name, total in builder.totals.items()
                   if name != ws["B5"].value)
    assert analysis.total_investment_wan == readable


def test_unknown_values_mapped_by_the_user_and_a_second_import_updates(
    personas: dict[str, User], county_units: dict[str, Unit]
) -> None:
    book = Workbook()
    ws = book.active
    ws.append(["项目名称", "总投资（亿元）", "责任单位", "项目类别", "建设年限"])
    ws.append(["滨河公园", 1.5, "教体局", "生态环保", "2026"])
    ws.append(["老年活动中心", "800万元", "县民政局", "民生实事", "2026年6月"])
    analysis = analyse(_book_bytes(book), Choices())
    assert analysis.unknown_values == {"unit": ["教体局"], "category": ["生态环保"]}
    choices = Choices(values={"unit": {V.fold("教体局"): str(county_units["jy"].pk)},
                              "category": {V.fold("生态环保"): NEW}})
    analysis = analyse(_book_bytes(book), choices)
    assert analysis.ok, [str(e) for e in analysis.errors]
    first = save(analysis, by=personas["office"])
    assert first.created == 2
    park = Project.objects.get(name="滨河公园")
    assert (park.lead_unit, park.category.name, park.total_investment) == (
        county_units["jy"], "生态环保", Decimal("15000.00"))
    assert Project.objects.get(name="老年活动中心").livelihood  # the category says 民生实事
    assert ProjectCategory.objects.filter(name="生态环保").count() == 1
    # Next month's file from the same source: matched by name, updated, nothing duplicated.
    ws["B2"] = 1.8
    second = save(analyse(_book_bytes(book), choices), by=personas["office"])
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    park.refresh_from_db()
    assert park.total_investment == Decimal("18000.00")
    change = AuditEntry.objects.filter(model="projects.project", object_id=str(park.pk), action="update").get()
    assert change.changes["总投资(万元)"] == ["15,000.00", "18,000.00"] or change.changes["总投资(万元)"][1]


def test_the_command_prints_one_json_object_and_saves_nothing_on_dry_run(
    personas: dict[str, User], county_units: dict[str, Unit], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    builder = ListBuilder()
    path = tmp_path / "list.xlsx"
    builder.title_rows_yi(20).save(path)
    call_command("import_projects", str(path), "--dry-run", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["rows"] == 20
    assert data["mapping"]["总投资"] == "total_investment"
    assert data["mapping"]["责任单位"] == "lead_unit"
    assert Decimal(data["total_investment_wan"]) == sum(builder.totals.values())
    assert data["errors"] == [] and data["unknown_values"] == {}
    assert data["saved"] is False
    assert not Project.objects.exists()
    call_command("import_projects", str(path), "--format", "json", "--user", "office")
    data = json.loads(capsys.readouterr().out)
    assert data["created"] == 20 and data["saved"] is True
    assert Project.objects.count() == 20


def test_the_command_reports_errors_with_exit_status_1(
    personas: dict[str, User], county_units: dict[str, Unit], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    book.active.append(["项目名称", "总投资", "责任单位"])
    book.active.append(["某项目", "2000万美元", "发改局"])
    path = tmp_path / "usd.xlsx"
    book.save(path)
    with pytest.raises(SystemExit) as exit_:
        call_command("import_projects", str(path), "--format", "json")
    assert exit_.value.code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"][0]["row"] == 2 and data["errors"][0]["column"] == "B"
    assert "汇率" in data["errors"][0]["message"]
    assert data["missing_rates"] == ["USD"]
    assert not Project.objects.exists()


def _unknown_unit_book() -> Workbook:
    book = Workbook()
    ws = book.active
    ws.title = "附件2"
    ws.append(["2026年重点项目清单"])
    ws.merge_cells("A1:E1")
    ws.append(["序号", "项目名称", "总投资（万元）", "责任单位", "建设年限"])
    ws.append([1, "滨河公园", "1.5亿元", "教体局", "2026"])
    ws.append([2, "老年活动中心", 800, "县民政局", "2026年6月"])
    return book


def test_the_mapping_page_from_upload_to_import(personas: dict[str, User], county_units: dict[str, Unit]) -> None:
    from django.urls import reverse

    from conftest import client_for

    client = client_for(personas["office"])
    response = client.post(reverse("projects:list_upload"), {"file": _book_bytes(_unknown_unit_book())})
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "工作表“附件2”，表头在第 2 行，读到 2 行项目" in html
    assert 'name="map:项目名称"' in html and "教体局" in html
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    # The error report marks the unknown unit's cell.
    from openpyxl import load_workbook
    report = client.get(reverse("projects:list_errors", args=[token]))
    book = load_workbook(io.BytesIO(report.content))
    assert book.sheetnames[0] == "导入错误"
    assert [c.value for c in book["导入错误"][2]][:3] == [3, "D", "责任单位"]
    assert book["附件2"]["D3"].comment is not None
    # Map 教体局 to 教育局 (and, were it unknown, 县民政局 is 民政局), save the profile, import.
    data = {f"value:unit:{V.fold('教体局')}": str(county_units["jy"].pk), "action": "save_profile",
            "profile_name": "县发改局清单"}
    saved = client.post(response["Location"], data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    data["action"] = "import"
    done = client.post(response["Location"], data)
    assert done.status_code == 302 and "job=" in done["Location"]
    assert Project.objects.get(name="滨河公园").lead_unit == county_units["jy"]
    assert client.get(done["Location"]).content.decode().count("导入成功：新增 2 个") == 1
    # Next month, the same source with the profile: one step.
    profile = ImportProfile.objects.get(name="县发改局清单")
    response = client.post(reverse("projects:list_upload"),
                           {"file": _book_bytes(_unknown_unit_book()), "profile": str(profile.pk)})
    page = client.get(response["Location"]).content.decode()
    assert "发现" not in page  # no problem left to solve
    done = client.post(response["Location"].split("?")[0], {"profile_pk": str(profile.pk), "action": "import"})
    assert "job=" in done["Location"]
    assert Project.objects.count() == 2  # updated, not duplicated


def test_another_users_upload_is_not_found(personas: dict[str, User], county_units: dict[str, Unit]) -> None:
    from django.urls import reverse

    from conftest import client_for, make_user

    office = client_for(personas["office"])
    response = office.post(reverse("projects:list_upload"), {"file": _book_bytes(_unknown_unit_book())})
    colleague = client_for(make_user("office2", User.Role.OFFICE, county_units["fgj"]))
    assert colleague.get(response["Location"]).status_code == 404
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert colleague.get(reverse("projects:list_errors", args=[token])).status_code == 404
    assert client_for(personas["reporter"]).get(response["Location"]).status_code == 403
