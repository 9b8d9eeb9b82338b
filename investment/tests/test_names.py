"""Enterprise names (``investment.names``): normalising, the reasons a match gives, and how well the default
threshold separates the same enterprise from a different one.

Over the table below (68 pairs of the same enterprise, 53 pairs of different ones, real enterprises and
real-style names) at ``DEFAULT_THRESHOLD`` = 0.85, measured when the table was written:

- precision 1.000 (63 pairs matched, all of the same enterprise; no different enterprises merged),
- recall 0.926 (63 of 68). The five missed are ``KNOWN_MISSES``: abbreviations (中建三局, 柳工 for 柳工机械,
  徐工机械 for 徐工集团工程机械) and a city written without 市 before the trade name (珠海格力电器, 杭州娃哈哈),
  which the rules cannot tell from a joint venture's prefix (上汽大众 is not 大众).

Judgement calls in the table, as the module docstring explains them: a subsidiary named after its parent
with its seat in brackets is the parent (same investor); so is a branch (分公司, 分行); a bare trade name is
the enterprise with generic words, or industry words when the trade name has three characters or more
(比亚迪 / 比亚迪汽车工业 are the same; 美的 / 美的置业 and 万达 / 万达信息 are not); two places at the start
that differ make different enterprises (北京银行 / 上海银行, 江苏恒瑞医药 / 浙江恒瑞医药).
"""
from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from investment.bench import generated_names, variant
from investment.creditcode import check_digit, organization_check_digit
from investment.names import (
    DEFAULT_THRESHOLD,
    FILLER_SCORE,
    Candidate,
    Match,
    NameIndex,
    analyse_name,
    match,
    name_key,
    normalise_name,
    similarity,
)

SAME = [
    ("江苏恒瑞医药股份有限公司", "恒瑞医药"),
    ("比亚迪股份有限公司", "比亞迪股份有限公司"),
    ("宁德时代新能源科技股份有限公司", "宁德时代新能源科技(福建)有限公司"),  # subsidiary with its seat in brackets
    ("宁德时代新能源科技(福建)有限公司", "宁德时代新能源科技(江苏)有限公司"),
    ("宁德时代新能源科技股份有限公司", "宁德时代"),
    ("华为技术有限公司", "華為技術有限公司"),
    ("华为技术有限公司", "华为"),
    ("腾讯科技(深圳)有限公司", "腾讯科技有限公司"),
    ("阿里巴巴(中国)有限公司", "阿里巴巴集团"),
    ("上海复星高科技(集团)有限公司", "复星高科技"),
    ("北京字节跳动科技有限公司", "字节跳动"),
    ("小米科技有限责任公司", "小米集团"),
    ("百度在线网络技术（北京）有限公司", "百度在线网络技术有限公司"),
    ("苏宁易购集团股份有限公司南京分公司", "苏宁易购集团股份有限公司"),  # a branch is its enterprise
    ("中国工商银行股份有限公司南京分行", "中国工商银行"),
    ("中国工商银行", "工商银行"),
    ("招商银行股份有限公司南京江宁支行", "招商银行"),
    ("Tesla, Inc.", "TESLA INC"),
    ("Samsung Electronics Co., Ltd.", "SAMSUNG ELECTRONICS CO LTD"),
    ("ABB(中国)有限公司", "ABB Ltd."),
    ("Siemens AG", "SIEMENS"),
    ("LG Display Co., Ltd.", "LG DISPLAY CO.,LTD"),
    ("3M中国有限公司", "3M"),
    ("三星（中国）投资有限公司", "三星投资"),
    ("ＴＣＬ科技集团股份有限公司", "TCL科技"),
    ("江苏省南京市江宁区恒力精密机械有限公司", "恒力精密机械有限公司"),
    ("苏州市恒力精密机械有限公司", "苏州恒力精密机械有限公司"),
    ("厦门市恒力贸易有限公司", "厦门恒力贸易有限公司"),
    ("潍坊市恒力机械有限公司", "山东省潍坊市恒力机械有限公司"),
    ("浙江吉利控股集团有限公司", "吉利控股集团"),
    ("浙江吉利控股集团有限公司", "吉利"),
    ("万科企业股份有限公司", "万科"),
    ("万科企业股份有限公司", "萬科企業股份有限公司"),
    ("京东方科技集团股份有限公司", "京东方"),
    ("隆基绿能科技股份有限公司", "隆基绿能"),
    ("海尔智家股份有限公司", "海尔智家"),
    ("美的集团股份有限公司", "美的集团"),
    ("珠海格力电器股份有限公司", "格力电器"),
    ("国家电网有限公司", "国家电网公司"),
    ("中国建筑第三工程局有限公司", "中建三局"),
    ("中国平安保险(集团)股份有限公司", "平安保险"),
    ("招商局集团有限公司", "招商局集团"),
    ("华润(集团)有限公司", "华润集团"),
    ("青岛啤酒股份有限公司", "青岛啤酒"),
    ("潍柴动力股份有限公司", "潍柴动力"),
    ("山东魏桥创业集团有限公司", "魏桥创业集团"),
    ("歌尔股份有限公司", "歌尔"),
    ("福耀玻璃工业集团股份有限公司", "福耀玻璃"),
    ("中芯国际集成电路制造(上海)有限公司", "中芯国际集成电路制造有限公司"),
    ("中芯国际集成电路制造有限公司", "中芯国际集成电路制作有限公司"),  # a typo in a long name
    ("联想(北京)有限公司", "联想集团有限公司"),
    ("三一重工股份有限公司", "三一重工"),
    ("内蒙古蒙牛乳业(集团)股份有限公司", "蒙牛乳业"),
    ("内蒙古伊利实业集团股份有限公司", "伊利实业"),
    ("新疆金风科技股份有限公司", "金风科技"),
    ("广西柳工机械股份有限公司", "柳工"),
    ("宁夏宝丰能源集团股份有限公司", "宝丰能源"),
    ("重庆长安汽车股份有限公司", "长安汽车"),
    ("中国中车股份有限公司", "中车"),
    ("安徽海螺水泥股份有限公司", "海螺水泥"),
    ("浙江正泰电器股份有限公司", "正泰电器"),
    ("比亚迪股份有限公司", "比亚迪汽车工业有限公司"),
    ("大众汽车(中国)投资有限公司", "大众汽车"),
    ("杭州娃哈哈集团有限公司", "娃哈哈集团"),
    ("徐工集团工程机械股份有限公司", "徐工机械"),
    ("一汽-大众汽车有限公司", "一汽大众汽车有限公司"),
    ("中国第一汽车集团有限公司", "中国第一汽车股份有限公司"),
    ("普华永道中天会计师事务所(特殊普通合伙)", "普华永道中天会计师事务所"),
]
KNOWN_MISSES = {
    ("珠海格力电器股份有限公司", "格力电器"),
    ("中国建筑第三工程局有限公司", "中建三局"),
    ("广西柳工机械股份有限公司", "柳工"),
    ("杭州娃哈哈集团有限公司", "娃哈哈集团"),
    ("徐工集团工程机械股份有限公司", "徐工机械"),
}
DIFFERENT = [
    ("华为技术有限公司", "华为终端有限公司"),
    ("中国建筑第三工程局有限公司", "中国建筑第八工程局有限公司"),
    ("中国建筑第三工程局", "中国建筑第八工程局"),
    ("中铁十一局集团有限公司", "中铁十二局集团有限公司"),
    ("宁波舟山港第一集装箱码头有限公司", "宁波舟山港第二集装箱码头有限公司"),
    ("万科企业股份有限公司", "万华化学集团股份有限公司"),
    ("北京银行股份有限公司", "上海银行股份有限公司"),
    ("江苏银行股份有限公司", "南京银行股份有限公司"),
    ("中国银行股份有限公司", "中国工商银行股份有限公司"),
    ("中国银行股份有限公司", "北京银行股份有限公司"),
    ("中国工商银行", "中国建设银行"),
    ("中国农业银行", "中国农业发展银行"),
    ("南京银行", "北京银行"),
    ("苏州银行股份有限公司", "苏州农村商业银行股份有限公司"),
    ("山东高速集团有限公司", "四川高速集团有限公司"),
    ("北京汽车集团有限公司", "上海汽车集团股份有限公司"),
    ("浙江省交通投资集团有限公司", "江苏交通控股有限公司"),
    ("苏州市恒力精密机械有限公司", "无锡市恒力精密机械有限公司"),
    ("苏州恒力精密机械有限公司", "无锡恒力精密机械有限公司"),
    ("江苏恒瑞医药股份有限公司", "浙江恒瑞医药有限公司"),
    ("潍坊市恒力机械有限公司", "江苏省恒力机械有限公司"),
    ("腾讯科技(深圳)有限公司", "腾讯音乐娱乐科技(深圳)有限公司"),
    ("阿里巴巴(中国)有限公司", "阿里健康科技(中国)有限公司"),
    ("上汽大众汽车有限公司", "上汽通用汽车有限公司"),
    ("上汽大众汽车有限公司", "大众汽车(中国)投资有限公司"),
    ("一汽-大众汽车有限公司", "上汽大众汽车有限公司"),  # the closest different pair: 0.817
    ("中国石油天然气股份有限公司", "中国石油化工股份有限公司"),
    ("中国移动通信集团有限公司", "中国联合网络通信集团有限公司"),
    ("中国电信集团有限公司", "中国电信集团系统集成有限责任公司"),
    ("中国人寿保险(集团)公司", "中国人民保险集团股份有限公司"),
    ("中国平安保险(集团)股份有限公司", "中国太平洋保险(集团)股份有限公司"),
    ("恒瑞医药", "恒瑞医疗"),
    ("江苏恒瑞医药股份有限公司", "江苏恒顺醋业股份有限公司"),
    ("江苏恒力化纤股份有限公司", "江苏恒力化工有限公司"),
    ("华润万家有限公司", "华润置地有限公司"),
    ("万达集团", "万达信息股份有限公司"),
    ("美的集团", "美的置业"),
    ("格力电器", "格力地产"),
    ("海尔智家", "海尔生物医疗"),
    ("长安汽车", "长城汽车"),
    ("中国中车", "中国中铁"),
    ("国家电网有限公司", "国家能源投资集团有限责任公司"),
    ("京东", "京东方"),
    ("安徽海螺水泥股份有限公司", "安徽海螺新材料科技股份有限公司"),
    ("三一重工股份有限公司", "三一重能股份有限公司"),
    ("华夏科技有限公司", "华夏投资有限公司"),
    ("比亚迪汽车工业有限公司", "比亚迪电子(国际)有限公司"),
    ("中信证券股份有限公司", "中信建投证券股份有限公司"),
    ("华联超市股份有限公司", "联华超市股份有限公司"),
    ("东方电气集团", "东方航空集团"),
    ("Samsung Electronics Co., Ltd.", "Samsung SDI Co., Ltd."),
    ("Siemens AG", "Siemens Healthineers AG"),
    ("LG Display Co., Ltd.", "LG Chem, Ltd."),
]


@pytest.fixture(autouse=True, scope="module")
def chinese() -> Iterator[None]:
    # Module scope so hypothesis tests do not trip the function-scoped fixture health check.
    with translation.override("zh-hans"):
        yield


def matched(a: str, b: str, threshold: float = DEFAULT_THRESHOLD) -> Match | None:
    found = match(a, "", [(1, b, "")], threshold)
    return found[0] if found else None


def score(a: str, b: str) -> float:
    return similarity(normalise_name(a), normalise_name(b))


# --- the table ------------------------------------------------------------------------------------------

def test_the_table_is_big_enough_and_has_no_repeats() -> None:
    assert len(SAME) + len(DIFFERENT) >= 60
    pairs = [frozenset(pair) for pair in SAME + DIFFERENT]
    assert len(set(pairs)) == len(pairs)
    assert set(SAME) >= KNOWN_MISSES


@pytest.mark.parametrize(("a", "b"), SAME + DIFFERENT)
def test_matching_is_symmetric(a: str, b: str) -> None:
    assert score(a, b) == score(b, a)
    assert (matched(a, b) is None) == (matched(b, a) is None)


def test_precision_and_recall_at_the_default_threshold() -> None:
    found_same = [pair for pair in SAME if matched(*pair)]
    merged_different = [pair for pair in DIFFERENT if matched(*pair)]
    precision = len(found_same) / (len(found_same) + len(merged_different))
    recall = len(found_same) / len(SAME)
    assert merged_different == []
    assert precision == 1.0
    assert recall >= 0.92  # 63 of 68 when measured
    # Only the misses documented above; a rule change that loses another pair fails here.
    assert {pair for pair in SAME if pair not in found_same} <= KNOWN_MISSES


def test_the_default_threshold_lies_in_the_gap_of_the_table() -> None:
    # Rule matches score 1.0 or FILLER_SCORE; the threshold is set between the two similarity scores that
    # bound the gap: the closest different pair and the least alike pair of the same enterprise.
    closest_different = max(DIFFERENT, key=lambda pair: score(*pair))
    same_by_similarity = [pair for pair in SAME if pair not in KNOWN_MISSES and score(*pair) < FILLER_SCORE]
    least_alike_same = min(same_by_similarity, key=lambda pair: score(*pair))
    assert closest_different == ("一汽-大众汽车有限公司", "上汽大众汽车有限公司")
    assert least_alike_same == ("中芯国际集成电路制造有限公司", "中芯国际集成电路制作有限公司")
    assert score(*closest_different) < DEFAULT_THRESHOLD <= score(*least_alike_same)
    assert score(*closest_different) == pytest.approx(0.817, abs=0.001)
    assert score(*least_alike_same) == pytest.approx(0.894, abs=0.001)


# --- normalising ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "normalised"), [
    ("江苏恒瑞医药股份有限公司", "江苏/恒瑞医药"),
    ("江苏省恒瑞医药股份有限公司", "江苏/恒瑞医药"),
    ("比亞迪股份有限公司", "比亚迪"),
    ("  江苏 恒瑞 医药  ", "江苏/恒瑞医药"),
    ("宁德时代新能源科技（福建）有限公司", "宁德时代新能源科技"),
    ("恒力(苏州工业园区)有限公司", "恒力"),
    ("百度在线网络技术(北京)有限公司", "百度在线网络技术"),
    ("xx有限公司(原yy有限公司)", "xx"),
    ("普华永道中天会计师事务所(特殊普通合伙)", "普华永道中天会计师事务所"),
    ("宏达(国际)控股有限公司", "宏达控股"),
    ("华为(上海松江)科技", "华为科技"),  # two to four characters in brackets: a place
    ("恒力(智能装备研发中心)", "恒力智能装备研发中心"),  # not a place or a form: the words stay
    ("恒力(ABC)科技", "恒力abc科技"),
    ("福建省厦门市思明区恒力贸易有限公司", "福建/厦门市/思明区/恒力贸易"),
    ("广西壮族自治区柳工机械股份有限公司", "广西/柳工机械"),
    ("香港特别行政区恒力有限公司", "香港/恒力"),
    ("中华人民共和国恒力公司", "中国/恒力"),
    ("张家港市恒力有限公司", "张家港市/恒力"),
    ("浦东新区建设集团", "浦东新区/建设"),
    ("潍坊市恒力机械有限公司", "潍坊市/恒力机械"),
    ("苏宁易购集团股份有限公司南京分公司", "苏宁易购"),
    ("中国工商银行南京江宁支行", "中国/工商银行"),
    ("西门子公司驻上海代表处", "西门子"),
    ("Tesla, Inc.", "tesla"),
    ("Samsung Electronics Co., Ltd.", "samsungelectronics"),
    ("ABB (China) Limited", "abb"),
    ("CK Hutchison Holdings Ltd", "ckhutchison"),
    ("ＴＣＬ科技集团股份有限公司", "tcl科技"),
    ("一汽-大众汽车有限公司", "一汽大众汽车"),
    ("3M中国有限公司", "3m"),
    # Words that only look like a place, and places that look like those words.
    ("联华超市股份有限公司", "联华超市"),
    ("智慧城市科技有限公司", "智慧城市科技"),
    ("阳光小区物业管理有限公司", "阳光小区物业管理"),
    ("义乌市场发展有限公司", "义乌市场发展"),
    ("南京市政设计研究院有限责任公司", "南京市政设计研究院"),
    ("厦门市恒力贸易有限公司", "厦门市/恒力贸易"),
    ("盐城市恒力贸易有限公司", "盐城市/恒力贸易"),
    ("东营区恒力贸易有限公司", "东营区/恒力贸易"),
    # Never less than two characters of name: the legal form or the place stays.
    ("北京银行", "北京/银行"),
    ("中国银行", "中国/银行"),
    ("江苏银行股份有限公司", "江苏/银行"),
    ("集团公司", "集团"),
    ("中国", "中国"),
    ("华", "华"),
    ("", ""),
])
def test_normalise_name(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised
    assert name_key(normalised) == normalised.rsplit("/", 1)[-1]


def test_what_was_removed_is_kept_for_the_reasons() -> None:
    parts = analyse_name("江苏省南京市恒力精密机械(集团)股份有限公司")
    assert parts.regions == ("江苏", "南京市")
    assert parts.key == "恒力精密机械"
    assert parts.removed == ("(集团)", "股份有限公司", "江苏省", "南京市")


# --- similarity and the rules ---------------------------------------------------------------------------

def test_similarity() -> None:
    assert similarity("江苏/恒瑞医药", "恒瑞医药") == 1.0
    assert similarity("恒瑞医药", "恒瑞医药") == 1.0
    assert similarity("北京/银行", "上海/银行") < 0.5  # compared with their places
    assert similarity("苏州市/恒力", "苏州恒力") == 1.0
    assert similarity("万科", "万科企业") == FILLER_SCORE
    assert similarity("宁德时代", "宁德时代新能源科技") == FILLER_SCORE
    assert similarity("万达", "万达信息") < DEFAULT_THRESHOLD  # two characters: industry words stay
    assert similarity("华夏科技", "华夏投资") < DEFAULT_THRESHOLD  # both have generic words
    assert similarity("建筑第三工程局", "建筑第八工程局") == 0.5  # numbers differ: capped
    assert similarity("中铁11局", "中铁十一局") < 1.0
    assert similarity("第十一工程局", "第11工程局") > similarity("第十一工程局", "第12工程局")
    assert similarity("", "") == 0.0


@settings(max_examples=200, deadline=None)
@given(a=st.text("恒瑞医药科技华为一二/", max_size=8), b=st.text("恒瑞医药科技华为一二/", max_size=8))
def test_similarity_is_symmetric_and_between_0_and_1(a: str, b: str) -> None:
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0


# --- match: reasons and order ---------------------------------------------------------------------------

def test_reasons_in_words() -> None:
    def reason(a: str, b: str) -> str:
        found = matched(a, b)
        assert found is not None, (a, b)
        return found.reason

    assert reason("江苏恒瑞医药股份有限公司", "恒瑞医药") == "名称去掉“股份有限公司”“江苏”后相同"
    assert reason("恒瑞医药有限公司", "恒瑞医药有限公司") == "名称相同"
    assert reason("比亚迪股份有限公司", "比亞迪股份有限公司") == "名称相同（不计繁简体、全半角、大小写和空格）"
    assert reason("Tesla, Inc.", "TESLA INC") == "名称相同（不计繁简体、全半角、大小写、空格和标点）"
    assert reason("苏州市恒力精密机械有限公司", "苏州恒力精密机械有限公司") == "名称去掉“苏州市”“苏州”后相同"
    assert reason("宁德时代新能源科技股份有限公司", "宁德时代") == (
        "名称去掉“股份有限公司”和通用词、行业词“新能源”“科技”后相同")
    assert reason("万科", "万科企业") == "名称去掉通用词、行业词“企业”后相同"
    assert reason("中芯国际集成电路制造有限公司", "中芯国际集成电路制作有限公司") == (
        "名称相似度 0.89 ≥ 阈值 0.85（比较“中芯国际集成电路制造”与“中芯国际集成电路制作”）")


def test_the_same_credit_code_is_certain_whatever_the_name() -> None:
    found = match("恒瑞医药", "91350100m000100y43", [(7, "连云港恒瑞医药", "91350100M000100Y43")])
    assert found == [Match(7, "连云港恒瑞医药", "91350100M000100Y43", 1.0, True, "统一社会信用代码相同")]


def test_different_valid_codes_do_not_block_a_name_match_but_are_said() -> None:
    other = _code("91440300", "19231745")
    found = match("宁德时代新能源科技股份有限公司", "91350100M000100Y43",
                  [(1, "宁德时代新能源科技(福建)有限公司", other)])
    assert len(found) == 1 and not found[0].certain
    assert found[0].reason.endswith("；但统一社会信用代码不同，可能是同一集团的不同企业（如子公司）")
    # A code that cannot be read says nothing.
    found = match("宁德时代新能源科技股份有限公司", "91350100M000100Y44", [(1, "宁德时代新能源科技", other)])
    assert "统一社会信用代码不同" not in found[0].reason


def test_matches_come_best_first_with_certain_ones_first() -> None:
    rows = [
        (1, "中芯国际集成电路制作有限公司", ""),
        (2, "中芯国际集成电路制造(上海)有限公司", ""),
        (3, "华为技术有限公司", "91350100M000100Y43"),
        (4, "中芯国际", ""),
        (5, "中芯国际集成电路制造", ""),
    ]
    found = match("中芯国际集成电路制造有限公司", "91350100M000100Y43", rows)
    assert [(m.id, m.score, m.certain) for m in found] == [
        (3, 1.0, True), (2, 1.0, False), (5, 1.0, False), (1, 0.894, False),
    ]


def test_thresholds_are_checked() -> None:
    with pytest.raises(ValueError, match="threshold"):
        match("恒瑞医药", "", [], 0)
    with pytest.raises(ValueError, match="threshold"):
        match("恒瑞医药", "", [], 1.5)
    with pytest.raises(ValueError, match=r"\(0.5, 1\]"):
        NameIndex().match("恒瑞医药", "", 0.5)


# --- NameIndex ------------------------------------------------------------------------------------------

def _code(first8: str, body: str) -> str:
    first17 = first8 + body + organization_check_digit(body)
    return first17 + check_digit(first17)


def _same(found: list[Match], expected: list[Match]) -> None:
    assert sorted(found, key=lambda m: str(m.id)) == sorted(expected, key=lambda m: str(m.id))


def test_the_index_finds_what_comparing_with_every_lead_finds() -> None:
    names = generated_names(1000, seed=3)
    rng = random.Random(4)
    rows = [Candidate(i, name, _code("91320500", f"{i:08d}") if i % 3 == 0 else "", normalise_name(name))
            for i, name in enumerate(names)]
    index = NameIndex(rows)
    assert len(index) == 1000
    queries = [variant(rng.choice(names), rng) for _ in range(60)] + generated_names(1020, seed=5)[-20:]
    queries += [pair[0] for pair in SAME[:10]]
    found_any = 0
    for threshold in (DEFAULT_THRESHOLD, 0.6):
        for number, query in enumerate(queries):
            code = rows[number * 3].code if number % 10 == 0 else ""
            expected = match(query, code, rows, threshold)
            _same(index.match(query, code, threshold), expected)
            _same(match(query, code, index, threshold), expected)
            found_any += bool(expected)
    assert found_any > 80  # the queries do meet indexed names


@settings(max_examples=150, deadline=None)
@given(
    keys=st.lists(st.text("恒瑞医药科技华为一二", min_size=1, max_size=7), min_size=1, max_size=25),
    places=st.lists(st.sampled_from(["", "江苏", "南京市", "北京", "苏州"]), min_size=25, max_size=25),
    forms=st.lists(st.sampled_from(["", "有限公司", "集团", "(福建)"]), min_size=25, max_size=25),
    query=st.text("恒瑞医药科技华为一二", min_size=1, max_size=7),
    threshold=st.floats(0.51, 1.0),
)
def test_the_index_finds_what_comparing_finds_on_dense_names(
    keys: list[str], places: list[str], forms: list[str], query: str, threshold: float,
) -> None:
    # Few characters, many near neighbours: the prefix filter's bound is what is tested here.
    rows = [Candidate(i, places[i] + key + forms[i]) for i, key in enumerate(keys)]
    index = NameIndex(rows)
    for name in (query, places[0] + query, "苏州市" + query + "有限公司"):
        _same(index.match(name, "", threshold), match(name, "", rows, threshold))


def test_adding_and_removing_leads() -> None:
    index = NameIndex([(1, "江苏恒瑞医药股份有限公司", ""), (2, "华为技术有限公司", "")])
    assert [m.id for m in index.match("恒瑞医药")] == [1]
    index.remove(1)
    assert index.match("恒瑞医药") == []
    assert len(index) == 1
    index.add(2, "恒瑞医药有限公司")  # the lead's name was corrected
    assert [m.id for m in index.match("恒瑞医药")] == [2]
    assert index.match("华为技术") == []
    index.remove(99)  # unknown: nothing to do
    index.add(3, "某某", "91350100M000100Y43")
    assert [(m.id, m.certain) for m in index.match("完全不同的名字", "91350100M000100Y43")] == [(3, True)]
