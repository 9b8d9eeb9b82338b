"""The investment part of the demo district (core.demo): three industry chains with their chiefs, about 120
leads of the last ten months at every stage, three collisions (撞单) — one ruled, one open and one near miss
under the threshold that is rightly not one —, ten started leads already in the ledger as key projects, the
money that has arrived, and every unit's targets for the year.

Loaded after the projects (the converted leads become key projects, and the chiefs are the district's
leaders) and before the monthly dispatch, whose published months freeze the investment figures with the
rest. Leads are entered through the services as the office would (names normalised, collisions looked for);
their history (contacts, steps, dates) is then written as it happened over the months.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit.models import AuditEntry
from core.demo import DemoPart
from core.district import district_settings_update
from core.models import DistrictSettings
from investment import rules, services
from investment.conversion import lead_convert, project_initial
from investment.models import (
    Attachment,
    Chain,
    ChainNode,
    Collision,
    Contact,
    Funds,
    Lead,
    NameCounter,
    Position,
    StageChange,
    Target,
    TargetKind,
)
from org.models import Unit, User
from projects.models import FundingSource, Project, ProjectCategory

DEMO_PROJECT_PREFIX = "SF-ZS-"
HOME_PROVINCE = "山东省"
GAPS = {"工业软件与控制系统", "CRO研发外包"}
MONTHS = 10
CONVERTED = 10

# chain, chief's username, description, nodes: (name, position, local enterprises, target kind, what is made,
# a word for the enterprises' names, industry)
CHAINS: list[tuple[str, str, str, list[tuple[str, str, list[str], str, str, str, str]]]] = [
    ("高端装备制造", "leader", "以数控机床和工业机器人为核心，补齐精密传动和工业软件短板。", [
        ("特种钢材与铸锻件", Position.UPSTREAM, ["示范区华宇特钢有限公司", "金岭铸造有限公司"], TargetKind.STRENGTHEN,
         "高端铸锻件", "重工", "金属制品业"),
        ("精密轴承与传动件", Position.UPSTREAM, [], TargetKind.FILL, "精密轴承", "精密轴承", "通用设备制造业"),
        ("数控机床整机", Position.MIDSTREAM, ["示范区精工机床股份有限公司", "石桥数控设备有限公司"],
         TargetKind.STRENGTHEN, "五轴数控机床", "数控机床", "通用设备制造业"),
        ("工业机器人", Position.MIDSTREAM, [], TargetKind.FILL, "工业机器人", "机器人", "专用设备制造业"),
        ("智能产线集成", Position.DOWNSTREAM, ["示范区智造系统集成有限公司"], TargetKind.EXTEND, "智能产线",
         "智能装备", "专用设备制造业"),
        ("工业软件与控制系统", Position.KEY, [], TargetKind.FILL, "工业控制系统", "工业软件", "软件和信息技术服务业"),
    ]),
    ("新能源新材料", "leader_li", "依托光伏和储能基础，引进电池材料和电芯，延伸到回收利用。", [
        ("锂电正负极材料", Position.UPSTREAM, [], TargetKind.FILL, "锂电正极材料", "锂电材料",
         "化学原料和化学制品制造业"),
        ("光伏硅片", Position.UPSTREAM, ["示范区晶阳光伏材料有限公司"], TargetKind.STRENGTHEN, "单晶硅片", "光伏科技",
         "电气机械和器材制造业"),
        ("动力电池电芯", Position.MIDSTREAM, [], TargetKind.FILL, "动力电池电芯", "新能源电池", "电气机械和器材制造业"),
        ("储能系统集成", Position.MIDSTREAM, ["示范区储能科技有限公司"], TargetKind.STRENGTHEN, "储能系统",
         "储能科技", "电气机械和器材制造业"),
        ("新能源汽车零部件", Position.DOWNSTREAM, ["东城汽车配件有限公司", "新华汽车电子有限公司"], TargetKind.EXTEND,
         "汽车电驱系统", "汽车零部件", "汽车制造业"),
        ("电池回收利用", Position.KEY, [], TargetKind.FILL, "废旧电池综合利用", "资源再生", "废弃资源综合利用业"),
    ]),
    ("生物医药与大健康", "leader_zhang", "做强原料药和制剂，补上生物制品和研发外包，延伸到医疗器械和康养。", [
        ("原料药与中间体", Position.UPSTREAM, ["示范区康华制药有限公司", "龙泉医药化工有限公司"], TargetKind.STRENGTHEN,
         "特色原料药", "医药化工", "医药制造业"),
        ("化学制剂", Position.MIDSTREAM, ["示范区仁和药业有限公司"], TargetKind.STRENGTHEN, "固体制剂", "药业",
         "医药制造业"),
        ("生物制品", Position.MIDSTREAM, [], TargetKind.FILL, "重组蛋白药物", "生物制药", "医药制造业"),
        ("医疗器械", Position.DOWNSTREAM, ["示范区康复器械有限公司"], TargetKind.EXTEND, "医用耗材", "医疗器械",
         "专用设备制造业"),
        ("CRO研发外包", Position.KEY, [], TargetKind.FILL, "医药研发服务平台", "医药研发", "科学研究和技术服务业"),
        ("康养服务", Position.DOWNSTREAM, [], TargetKind.EXTEND, "康养综合体", "健康产业", "卫生和社会工作"),
    ]),
]

TRADE_NAMES = ("恒信", "华宇", "中科", "瑞丰", "正泰", "德润", "鼎盛", "远航", "博奥", "汇智", "天润", "金宏", "晨光",
               "嘉诚", "弘毅", "泰和", "明阳", "新锐", "通达", "海川", "康泰", "宏达", "永信", "华茂", "博远",
               "凯瑞", "卓远", "联创", "亿丰", "万康", "同泰", "盛景", "睿达", "兆丰", "聚能", "和信", "佳禾",
               "安泰", "九州", "东方", "信诚", "国泰", "腾飞", "力创", "百川", "星源", "中瑞", "华锐", "协和",
               "科润", "广源", "久益", "德赛", "启明", "恒达", "天合", "银河", "昊天", "奥林", "润华")
# Where investors come from: (province, [cities]); the home province's cities for the city heat map.
PLACES: list[tuple[str, list[str], int]] = [
    ("山东省", ["济南市", "青岛市", "烟台市", "淄博市", "临沂市", "济宁市"], 30),
    ("江苏省", ["南京市", "苏州市", "无锡市", "常州市"], 16),
    ("浙江省", ["杭州市", "宁波市", "温州市"], 12),
    ("广东省", ["深圳市", "广州市", "东莞市"], 12),
    ("上海市", ["上海市"], 9),
    ("北京市", ["北京市"], 7),
    ("安徽省", ["合肥市", "芜湖市"], 4),
    ("河南省", ["郑州市"], 3),
    ("四川省", ["成都市"], 2),
    ("福建省", ["厦门市", "福州市"], 3),
    ("湖北省", ["武汉市"], 2),
]
FOREIGN = [("德国", "斯图加特"), ("日本", "大阪"), ("韩国", "首尔"), ("中国香港", "香港"), ("新加坡", "新加坡")]
FORMS = ("有限公司", "股份有限公司", "科技有限公司", "集团有限公司")
# Units that attract investment and how many leads each reported (the 招商 bureau and the towns the most).
SOURCES: list[tuple[str, int]] = [
    ("投资促进服务中心", 20), ("商务局", 8), ("工业和信息化局", 7), ("科学技术局", 3), ("高新区街道", 14),
    ("金岭镇", 8), ("石桥镇", 8), ("龙泉镇", 7), ("新华镇", 8), ("东城街道", 6), ("城关街道", 5), ("西城街道", 4),
    ("滨河街道", 5), ("柳河镇", 4), ("双山镇", 4), ("杨庄镇", 3),
]
# The stages the leads are at now, 114 in all (the collision pairs come on top).
STAGES: list[tuple[str, int]] = [
    (rules.LEAD, 26), (rules.NEGOTIATING, 30), (rules.SIGNED, 20), (rules.STARTED, 22), (rules.PRODUCING, 6),
    (rules.DROPPED, 10),
]
DROP_REASONS = ("企业投资计划调整，暂缓在外地布局。", "企业选址落户外省，竞争地给予更大土地优惠。",
                "项目能耗指标无法满足，双方终止洽谈。", "企业资金链紧张，投资意向取消。")
FORMS_OF_CONTACT = [Contact.Form.VISIT, Contact.Form.RECEPTION, Contact.Form.PHONE, Contact.Form.VIDEO,
                    Contact.Form.FAIR]
RESULTS = (
    "介绍了园区用地和配套政策，企业表示有意向。",
    "企业带队实地考察了选址地块。",
    "就土地价格和供地时间进行了磋商。",
    "双方就投资协议主要条款达成一致意见。",
    "企业提出能耗和用电指标需求，正在协调。",
    "商定下次由企业总部来人回访。",
)
# The three collisions (撞单): the first two over the threshold, the third a near miss under it (0.82 < 0.85).
COLLISION_PAIRS: list[tuple[tuple[str, str], tuple[str, str], str]] = [
    (("青岛海纳新能源科技有限公司", "金岭镇"), ("海纳新能源科技(青岛)有限公司", "投资促进服务中心"), "resolved"),
    (("江苏恒润精密轴承股份有限公司", "石桥镇"), ("恒润精密轴承(江苏)有限公司", "工业和信息化局"), "open"),
    (("宁波华翔汽车零部件有限公司", "新华镇"), ("宁波华祥汽车零部件有限公司", "商务局"), "near miss"),
]
# A one-page PDF: the intention letter kept with some signed leads.
_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9 + rng.randrange(8), rng.randrange(60))))


def _chains(users: dict[str, User]) -> list[ChainNode]:
    nodes: list[ChainNode] = []
    for order, (name, chief, description, node_rows) in enumerate(CHAINS, start=1):
        chain = Chain.objects.create(name=name, chief=users.get(chief), description=description, order=order)
        for node_order, (node, position, local, kind, *_rest) in enumerate(node_rows, start=1):
            nodes.append(ChainNode.objects.create(chain=chain, name=node, position=position, order=node_order,
                                                  local_enterprises=local, target_kind=kind))
    return nodes


def _node_facts() -> dict[str, tuple[str, str, str]]:
    return {node[0]: (node[4], node[5], node[6]) for _chain, _chief, _text, nodes in CHAINS for node in nodes}


def _place(rng: random.Random) -> tuple[str, str, str]:
    if rng.random() < 0.06:
        country, city = rng.choice(FOREIGN)
        return "foreign", country, city
    province, cities, _weight = rng.choices(PLACES, weights=[weight for *_rest, weight in PLACES])[0]
    return "domestic", province, rng.choice(cities)


def _name(rng: random.Random, province: str, word: str, taken: set[str]) -> str:
    while True:
        prefix = province.removesuffix("省").removesuffix("市") if rng.random() < 0.5 else ""
        name = f"{prefix}{rng.choice(TRADE_NAMES)}{word}{rng.choice(FORMS)}"
        if name in taken:
            continue
        # Names of different enterprises that look alike would open collisions the demo does not mean.
        if services.collision_candidates(name):
            continue
        taken.add(name)
        return name


def _history(lead: Lead, stage: str, created: dt.date, as_of: dt.date, rng: random.Random,
             office: User) -> list[StageChange]:
    """The lead's steps up to ``stage`` on dates after ``created``, none after ``as_of``; sets its dates."""
    changes: list[StageChange] = []
    if stage == rules.DROPPED:
        path = [*rules.ORDER[1:rng.choice((1, 2))], rules.DROPPED]
    else:
        path = list(rules.ORDER[1:rules.ORDER.index(stage) + 1])
    room = max((as_of - created).days - 2, len(path))
    days = sorted(rng.sample(range(1, room + 1), len(path))) if path else []
    previous = rules.LEAD
    amount = lead.intended_investment or Decimal(10000)
    for step, offset in zip(path, days, strict=True):
        on = created + dt.timedelta(days=offset)
        if step == rules.SIGNED:
            lead.signed_on = on
            lead.signed_amount = (amount * Decimal(rng.choice((0.8, 0.9, 1, 1, 1.1, 1.2)))).quantize(Decimal(1))
            lead.counterpart = lead.enterprise
        elif step == rules.STARTED:
            lead.started_on = on
        elif step == rules.PRODUCING:
            lead.producing_on = on
        elif step == rules.DROPPED:
            lead.dropped_reason = rng.choice(DROP_REASONS)
        changes.append(StageChange(lead=lead, from_stage=previous, to_stage=step, on=on, by=office,
                                   note=lead.dropped_reason if step == rules.DROPPED else ""))
        previous = step
    lead.stage = stage
    return changes


def _contacts(lead: Lead, created: dt.date, as_of: dt.date, rng: random.Random, stale: bool,
              person: User, until: dt.date | None) -> list[Contact]:
    """Contacts every few weeks from ``created``; a ``stale`` lead's stop 35 to 75 days before ``as_of``, a
    dropped lead's on the day it was dropped (``until``)."""
    gap = rng.randrange(35, 76) if stale else rng.randrange(1, 20)
    last = as_of - dt.timedelta(days=gap)
    if until is not None:
        last = min(last, until)
    # At least the first talk, the day after it came in: a lead is entered after someone has spoken to it.
    last = min(max(last, created + dt.timedelta(days=1)), as_of)
    contacts: list[Contact] = []
    day = min(created + dt.timedelta(days=rng.randrange(1, 8)), last)
    while day <= last:
        contacts.append(Contact(lead=lead, date=day, form=rng.choice(FORMS_OF_CONTACT),
                                participants=f"{lead.source_person}、{lead.contact_person}",
                                result=rng.choice(RESULTS), entered_by=person))
        day += dt.timedelta(days=rng.randrange(12, 40))
    return contacts


def investment_demo_load(*, seed: int, as_of: dt.date) -> dict[str, int]:
    """Load the investment demo as of ``as_of``; counts of what was made."""
    rng = random.Random(seed + 9)
    units = {unit.name: unit for unit in Unit.objects.all()}
    users = {user.username: user for user in User.objects.filter(role__in=[User.Role.LEADER, User.Role.OFFICE])}
    office = users["office"]
    with transaction.atomic():
        nodes = _chains(users)
        facts = _node_facts()
        # Two links nobody has a lead on yet: the map shows them as gaps (缺口).
        courted = [node for node in nodes if node.name not in GAPS]
        plan = [stage for stage, count in STAGES for _ in range(count)]
        rng.shuffle(plan)
        sources = [name for name, count in SOURCES for _ in range(count)]
        rng.shuffle(sources)
        first_day = as_of - dt.timedelta(days=MONTHS * 30)
        taken: set[str] = set()
        # (lead, the day it came in, the stage it is at now, whether its contacts stopped)
        leads: list[tuple[Lead, dt.date, str, bool]] = []
        for stage, source in zip(plan, sources, strict=False):
            node = rng.choice(courted) if rng.random() < 0.85 else None
            product, word, industry = facts[node.name] if node else ("商贸物流中心", "供应链", "批发和零售业")
            origin, province, city = _place(rng)
            amount = Decimal(rng.choice((3000, 5000, 8000, 12000, 15000, 20000, 30000, 50000, 80000)))
            yi = amount >= 10000 and rng.random() < 0.5
            shown = f"{amount / 10000:g}亿元" if yi else f"{amount}万元"
            lead = Lead(
                enterprise=_name(rng, province if origin == "domestic" else "", word, taken),
                origin=origin, origin_province=province, origin_city=city, industry=industry, chain_node=node,
                amount_original=amount / 10000 if yi else amount, amount_unit=rules.YI if yi else rules.WAN,
                content=f"{product}项目\n计划总投资{shown}，建设{product}生产线及配套设施。",
                source_unit=units[source], source_person=rng.choice(("王磊", "李娜", "张伟", "刘洋", "陈静", "杨帆")),
                contact_person=rng.choice(("赵总", "孙总", "周总", "吴总", "郑总", "钱总")),
            )
            leads.append((services.lead_save(by=office, lead=lead, source="demo").lead,
                          _entered(stage, first_day, as_of, rng), stage,
                          stage != rules.DROPPED and rng.random() < 0.2))
        pairs = _collision_leads(units, office, as_of, rng)
        leads += pairs
        changes: list[StageChange] = []
        contacts: list[Contact] = []
        for lead, created, stage, stale in leads:
            steps = _history(lead, stage, created, as_of, rng, office)
            changes += steps
            dropped_on = steps[-1].on if stage == rules.DROPPED else None
            lead_contacts = _contacts(lead, created, as_of, rng, stale, office, dropped_on)
            contacts += lead_contacts
            lead.last_contact_on = max((c.date for c in lead_contacts), default=None)
            lead.created_at = _moment(created, rng)
            lead.next_step = "" if stage in rules.FINAL else rng.choice(
                ("约企业高层来区考察", "报区招商委员会研究供地方案", "起草投资协议", "协调办理开工手续"))
            lead.next_step_due = None if stage in rules.FINAL else as_of + dt.timedelta(days=rng.randrange(5, 40))
        Lead.objects.bulk_update([lead for lead, *_rest in leads], [
            "stage", "signed_on", "signed_amount", "counterpart", "started_on", "producing_on", "dropped_reason",
            "last_contact_on", "created_at", "next_step", "next_step_due"])
        StageChange.objects.bulk_create(changes)
        Contact.objects.bulk_create(contacts)
        _collisions(office, as_of, rng)
        funds = _funds(leads, as_of, rng, office)
        converted = _convert(leads, office, rng)
        _attachments(leads, office, rng)
        targets = _targets(units, as_of.year, rng, office)
        _home_province(User.objects.filter(role=User.Role.ADMIN).order_by("pk").first() or office)
    lights = services.lights_refresh_all(as_of=as_of)
    return {"chains": len(CHAINS), "nodes": len(nodes), "leads": len(leads), "collisions": Collision.objects.count(),
            "converted": converted, "funds": funds, "targets": targets, **{f"light_{k}": v for k, v in lights.items()}}


def _entered(stage: str, first_day: dt.date, as_of: dt.date, rng: random.Random) -> dt.date:
    """The day a lead at ``stage`` came in: within the ten months, the further along the earlier."""
    steps = rules.ORDER.index(stage) if stage in rules.ORDER else 2
    latest = as_of - dt.timedelta(days=15 + 35 * steps)
    return first_day + dt.timedelta(days=rng.randrange(max((latest - first_day).days, 1)))


def _collision_leads(units: dict[str, Unit], office: User, as_of: dt.date,
                     rng: random.Random) -> list[tuple[Lead, dt.date, str, bool]]:
    """The pairs of :data:`COLLISION_PAIRS`, the first of each entered weeks before the second."""
    made: list[tuple[Lead, dt.date, str, bool]] = []
    for number, (first, second, _kind) in enumerate(COLLISION_PAIRS):
        day = as_of - dt.timedelta(days=150 - 40 * number)
        for (name, unit), entered, stage in ((first, day, rules.NEGOTIATING), (second, day + dt.timedelta(days=25),
                                                                                rules.LEAD)):
            lead = Lead(enterprise=name, origin_province="江苏省" if "江苏" in name else "山东省" if "青岛" in name
                        else "浙江省", origin_city="", industry="制造业", source_unit=units[unit],
                        amount_original=Decimal(20000), content="洽谈新建生产基地。", source_person="王磊")
            made.append((services.lead_save(by=office, lead=lead, source="demo").lead, entered, stage, False))
    return made


def _collisions(office: User, as_of: dt.date, rng: random.Random) -> None:
    """The first pair's collision ruled by the office ten days after it was opened (the first unit keeps it,
    70/30); the second left open. Both dated when the second unit entered its lead."""
    for number, ((first, _unit), _second, _kind) in enumerate(COLLISION_PAIRS[:2]):
        opened_on = as_of - dt.timedelta(days=150 - 40 * number) + dt.timedelta(days=25)
        collision = Collision.objects.select_related("lead", "existing").get(existing__enterprise=first)
        Collision.objects.filter(pk=collision.pk).update(created_at=_moment(opened_on, rng))
        if number:
            continue
        decided_on = opened_on + dt.timedelta(days=10)
        services.collision_rule(
            by=office, collision=collision, keeper=collision.existing, lead_share=Decimal(30),
            existing_share=Decimal(70), note="金岭镇首报并已多次洽谈，由金岭镇继续跟进；投促中心协助对接，分成三成。",
            source="demo")
        # The ruling as it happened: on its day, the later lead dropped then and not contacted since.
        Collision.objects.filter(pk=collision.pk).update(decided_at=_moment(decided_on, rng))
        StageChange.objects.filter(lead=collision.lead, to_stage=rules.DROPPED).update(on=decided_on)
        Contact.objects.filter(lead=collision.lead, date__gt=decided_on).delete()
        last = Contact.objects.filter(lead=collision.lead).order_by("-date").values_list("date", flat=True).first()
        Lead.objects.filter(pk=collision.lead_id).update(last_contact_on=last)


def _funds(leads: list[tuple[Lead, dt.date, str, bool]], as_of: dt.date, rng: random.Random, office: User) -> int:
    rows = []
    for lead, *_rest in leads:
        if lead.stage in (rules.STARTED, rules.PRODUCING) and lead.signed_on and lead.signed_amount:
            days = (as_of - lead.signed_on).days
            for _ in range(rng.randrange(1, 4)):
                rows.append(Funds(lead=lead, on=lead.signed_on + dt.timedelta(days=rng.randrange(1, max(days, 2))),
                                  amount=(lead.signed_amount * Decimal(rng.choice((0.1, 0.15, 0.2)))).quantize(
                                      Decimal(1)), note="企业注册资本金到位", entered_by=office))
    Funds.objects.bulk_create(rows)
    return len(rows)


def _convert(leads: list[tuple[Lead, dt.date, str, bool]], office: User, rng: random.Random) -> int:
    """Ten started leads made key projects by the office (into the ledger, with their lineage)."""
    started = [lead for lead, *_rest in leads if lead.stage == rules.STARTED][:CONVERTED]
    for number, lead in enumerate(started, start=1):
        lead = Lead.objects.select_related("source_unit", "chain_node__chain__chief", "project").get(pk=lead.pk)
        initial = project_initial(lead)
        initial.pop("reason")
        fields: dict[str, Any] = {}
        for name, value in initial.items():
            field = Project._meta.get_field(name)
            assert isinstance(field, models.Field)
            fields[field.attname if field.is_relation else name] = value
        if "town_id" not in fields:
            fields["town_id"] = Unit.objects.filter(kind=Unit.Kind.TOWN).order_by("order", "pk")[number % 12].pk
        if "responsible_leader_id" not in fields:
            fields["responsible_leader_id"] = User.objects.filter(username="leader_liu").values_list(
                "pk", flat=True).first()
        # Industry (or 商贸物流 for a trade centre), paid by the investor (社会投资), as the ledger files them.
        category = "商贸物流" if lead.chain_node is None else "工业"
        fields["category_id"] = ProjectCategory.objects.filter(name=category).values_list("pk", flat=True).first()
        fields["funding_source_id"] = FundingSource.objects.filter(name="社会投资").values_list(
            "pk", flat=True).first()
        town = Unit.objects.get(pk=fields["town_id"])
        # Near the demo map's centre (36.70, 119.16), as the ledger's own projects are.
        fields.update(location=f"{town.name}{rng.choice(('产业园', '工业园区', '经济开发区'))}",
                      latitude=Decimal(f"{36.70 + rng.uniform(-0.12, 0.12):.6f}"),
                      longitude=Decimal(f"{119.16 + rng.uniform(-0.15, 0.15):.6f}"))
        project = Project(code=f"{DEMO_PROJECT_PREFIX}{lead.started_on:%Y}-{number:02d}", **fields)
        # No plan for this year yet: the office sets it with the unit's next plan (its light is not rated on
        # investment until then, which the project and the lead pages say).
        lead_convert(by=office, lead=lead, project=project, source="demo")
    return len(started)


def _attachments(leads: list[tuple[Lead, dt.date, str, bool]], office: User, rng: random.Random) -> None:
    for lead, *_rest in leads:
        if lead.stage == rules.SIGNED and rng.random() < 0.5:
            Attachment.objects.create(
                lead=lead, name=f"{lead.enterprise}投资意向书.pdf", content_type="application/pdf", size=len(_PDF),
                sha256=hashlib.sha256(_PDF).hexdigest(), data=_PDF, note="双方盖章的投资意向书", uploaded_by=office)


def _targets(units: dict[str, Unit], year: int, rng: random.Random, office: User) -> int:
    """Every unit's targets for the year: the 招商 units and towns the most, other departments a share."""
    heavy = {"投资促进服务中心", "商务局", "工业和信息化局"}
    rows = []
    for unit in units.values():
        if unit.kind == Unit.Kind.TOWN or unit.name in heavy:
            scale = 2 if unit.name in heavy else 1
            rows.append(Target(
                year=year, unit=unit, signed_count=rng.randrange(3, 6) * scale, big_count=rng.randrange(1, 3) * scale,
                signed_amount=Decimal(rng.randrange(5, 13) * 10000 * scale),
                started_amount=Decimal(rng.randrange(3, 8) * 10000 * scale),
                funds_amount=Decimal(rng.randrange(1, 4) * 10000 * scale), updated_by=office))
        elif unit.kind == Unit.Kind.DEPARTMENT:
            rows.append(Target(year=year, unit=unit, signed_count=1, big_count=None,
                               signed_amount=Decimal(rng.choice((5000, 8000, 10000))), started_amount=None,
                               funds_amount=Decimal(2000), updated_by=office))
    Target.objects.bulk_create(rows)
    return len(rows)


def _home_province(admin: User) -> None:
    """The demo district is in Shandong (its credit codes' region 3707 is Weifang): the heat map's city view
    shows Shandong's cities."""
    row = DistrictSettings.objects.filter(pk=DistrictSettings.SINGLETON_PK).first()
    if row is None or not row.province:
        district_settings_update(values={"province": HOME_PROVINCE}, version=row.version if row else 0, by=admin)


def investment_demo_delete() -> None:
    """Remove the investment demo (every lead, chain and target: the demo database holds nothing else)."""
    with transaction.atomic():
        lead_ids = [str(pk) for pk in Lead.objects.values_list("pk", flat=True)]
        AuditEntry.objects.filter(subject_model="investment.lead", subject_id__in=lead_ids).delete()
        Collision.objects.all().delete()
        Lead.objects.all().delete()
        Chain.objects.all().delete()
        Target.objects.all().delete()
        NameCounter.objects.all().delete()
        services.name_index_forget()


def _part_load(*, seed: int, as_of: dt.date, reset: bool) -> list[str]:
    done = investment_demo_load(seed=seed, as_of=as_of)
    stages = Counter(Lead.objects.values_list("stage", flat=True))
    return [
        f"招商引资 / investment: {done['chains']} chains, {done['nodes']} links, {done['leads']} leads "
        f"({', '.join(f'{rules.stage_name(s)} {stages.get(s, 0)}' for s in (*rules.ORDER, rules.DROPPED))}), "
        f"collisions: 1 ruled, 1 open and 1 near miss under the threshold (none opened), "
        f"{done['converted']} converted into key projects, "
        f"targets for {done['targets']} units"
    ]


DEMO_PART = DemoPart(name="investment", order=15, load=_part_load, present=lambda: Chain.objects.exists(),
                     delete=investment_demo_delete)
