"""Generated investment data for the benchmarks (``manage.py bench_investment``) and the name-matching tests:
enterprise names of the usual shape, the ways another unit writes the same name, and 50,000 leads spread
over units, stages and months as a province's 招商 offices would hold them."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

# Characters enterprises use in their trade names (字号), and what follows them.
TRADE_CHARS = (
    "恒瑞华为宁德时代比亚迪腾讯阿里巴京东方美的格力海尔联想小米万科华润中信招商平安国泰安富金鑫源泰隆兴盛"
    "达通宏远鸿运昌发祥瑞丰嘉禾天成新元正大永安长城星光明辉海洋山水青松绿洲蓝天红日东西南北光伏德福润泽"
    "博雅智慧创新科锐晶圆芯片云帆星河银河汇丰聚力合众协同卓越领航先锋百川千帆万象同心立信诚信恒信鼎盛")
INDUSTRIES = ("科技", "新能源科技", "医药", "生物科技", "汽车零部件", "电子", "智能装备", "新材料", "化工", "食品",
              "纺织", "机械制造", "精密机械", "光电科技", "信息技术", "网络科技", "物流", "商贸", "建设工程",
              "环保科技", "农业发展", "文化传媒", "置业", "能源", "半导体", "医疗器械", "包装材料", "钢结构", "电气",
              "软件")
FORMS = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "")
PROVINCES = ("江苏", "江苏省", "浙江", "浙江省", "山东", "山东省", "广东省", "上海", "北京市", "安徽省")
CITIES = ("南京市", "苏州市", "无锡市", "常州市", "潍坊市", "枣庄市", "杭州市", "宁波市", "合肥市", "张家港市")


def generated_names(count: int, seed: int = 9) -> list[str]:
    """``count`` distinct enterprise names of the usual shape: place, trade name, industry, legal form."""
    rng = random.Random(seed)
    names: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < count:
        trade = "".join(rng.choice(TRADE_CHARS) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        place = rng.choices(("", rng.choice(PROVINCES), rng.choice(CITIES)), weights=(5, 3, 2))[0]
        name = place + trade + rng.choice(INDUSTRIES) + rng.choice(FORMS)
        if rng.random() < 0.1:
            name = trade + rng.choice(INDUSTRIES) + f"({rng.choice(CITIES)[:2]})" + "有限公司"
        if name not in names:
            names.add(name)
            ordered.append(name)
    return ordered


def variant(name: str, rng: random.Random) -> str:
    """The same enterprise as another unit may write it: without legal form, with a province, in full width."""
    choice = rng.randrange(4)
    if choice == 0:
        return name.replace("股份有限公司", "").replace("有限公司", "").replace("有限责任公司", "") or name
    if choice == 1:
        return rng.choice(PROVINCES) + name
    if choice == 2:
        return name.replace("(", "（").replace(")", "）") + " "
    return name[:-1] if len(name) > 8 else name



def bench_leads(count: int, *, seed: int = 7, units: int = 40) -> list[str]:
    """Store ``count`` leads over ``units`` units (created), stages and the last 18 months, without the
    services (bulk, with their normalised names and lights as the services would write them); the names."""
    from django.db import connection
    from django.utils import timezone

    from investment import creditcode, names, rules
    from investment.models import Lead, NameCounter
    from org.models import Unit

    rng = random.Random(seed)
    made = [Unit.objects.create(name=f"基准招商单位{number:03d}", kind=Unit.Kind.DEPARTMENT) for number in range(units)]
    enterprise_names = generated_names(count)
    stages = [rules.LEAD] * 40 + [rules.NEGOTIATING] * 30 + [rules.SIGNED] * 15 + [rules.STARTED] * 8 + \
        [rules.PRODUCING] * 3 + [rules.DROPPED] * 4
    lights = [rules.GREEN] * 6 + [rules.YELLOW] * 3 + [rules.RED]
    today = dt.date(2026, 11, 30)
    rows = []
    for number, name in enumerate(enterprise_names, start=1):
        code = ""
        if rng.random() < 0.3:
            body = f"{number:08d}"
            first17 = "91370700" + body + creditcode.organization_check_digit(body)
            code = first17 + creditcode.check_digit(first17)
        normalised = names.normalise_name(name)
        stage = rng.choice(stages)
        created = today - dt.timedelta(days=rng.randrange(540))
        amount = Decimal(rng.randrange(500, 500_000))
        signed = stage in (rules.SIGNED, rules.STARTED, rules.PRODUCING)
        rows.append(Lead(
            enterprise=name, credit_code=code, name_normalised=normalised, name_key=names.name_key(normalised),
            name_stamp=number, source_unit=rng.choice(made), stage=stage, intended_investment=amount,
            amount_original=amount, origin_province=rng.choice(PROVINCES),
            signed_on=created + dt.timedelta(days=30) if signed else None,
            signed_amount=amount if signed else None,
            started_on=created + dt.timedelta(days=90) if stage in (rules.STARTED, rules.PRODUCING) else None,
            last_contact_on=created + dt.timedelta(days=rng.randrange(60)),
            light=rules.GREY if stage == rules.DROPPED else rng.choice(lights), light_reasons=[],
        ))
    Lead.objects.bulk_create(rows, batch_size=2000)
    # created_at is auto_now_add: spread it as the months of entering would.
    moments = {}
    for lead_pk in Lead.objects.values_list("pk", flat=True):
        moments[lead_pk] = timezone.make_aware(dt.datetime.combine(today, dt.time(9)) -
                                               dt.timedelta(days=rng.randrange(540), minutes=rng.randrange(600)))
    batch = [Lead(pk=pk, created_at=moment) for pk, moment in moments.items()]
    Lead.objects.bulk_update(batch, ["created_at"], batch_size=2000)
    NameCounter.objects.update_or_create(pk=NameCounter.SINGLETON_PK, defaults={"value": count})
    if connection.vendor == "postgresql":  # the statistics a live table has (autovacuum would gather them)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Lead._meta.db_table}")
    return enterprise_names
