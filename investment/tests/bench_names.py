"""Timing ``NameIndex`` against 50,000 generated leads (not a test: pytest collects only test_*.py).

    DJANGO_SETTINGS_MODULE=diaodu.test_settings .venv/bin/python -m investment.tests.bench_names [count]

Prints the time to normalise the names (done once, when a lead is saved), to build the index from the
stored normalised names, and per lookup (median, 95th percentile, maximum) for names that are variants of
indexed leads and for new names; and, for comparison, comparing one name with every lead.
``investment/tests/test_names.py`` checks on the same kind of data that the index finds what comparing
with every lead finds.
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable

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


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main(count: int = 50_000) -> None:
    import django

    django.setup()
    from investment.names import DEFAULT_THRESHOLD, Candidate, NameIndex, _Query, analyse_name, match, normalise_name
    from projects.importing.values import _fold

    names = generated_names(count)
    start = time.perf_counter()
    rows = [Candidate(i, name, "", normalise_name(name)) for i, name in enumerate(names)]
    normalising = time.perf_counter() - start
    start = time.perf_counter()
    index = NameIndex(rows)
    building = time.perf_counter() - start
    print(f"{count} names: normalising {normalising:.2f} s ({normalising / count * 1e6:.0f} µs a name), "
          f"building the index from the normalised names {building:.2f} s")

    rng = random.Random(1)
    variants = [variant(rng.choice(names), rng) for _ in range(500)]
    fresh = generated_names(count + 500, seed=10)[-500:]
    for label, queries in (("variants of indexed leads", variants), ("new names", fresh)):
        times, compared, found = [], [], 0
        for query in queries:
            analyse_name.cache_clear()  # time the query's normalising too, as on a real entry
            _fold.cache_clear()
            times.append(_timed(lambda q=query: index.match(q, "", DEFAULT_THRESHOLD)))
            found += bool(index.match(query, "", DEFAULT_THRESHOLD))
            compared.append(len(index._candidates(_Query.of(query, ""), DEFAULT_THRESHOLD)))
        times.sort()
        print(f"  {label}: median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms, "
              f"max {times[-1]:.2f} ms; rows compared in full: median {statistics.median(compared):.0f}, "
              f"max {max(compared)}; {found} of {len(queries)} found a match")
    brute = [_timed(lambda q=query: match(q, "", rows, DEFAULT_THRESHOLD)) for query in variants[:5]]
    print(f"  comparing one name with every lead instead: median {statistics.median(brute):.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
