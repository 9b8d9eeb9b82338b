"""Enterprise names: a normalised form, a similarity, and matching a new lead against the leads already
entered, so that two units chasing the same enterprise (撞单) are told so when the second one enters it.

How a name is normalised (``analyse_name``; every step keeps at least two characters of name):

1. English legal forms at the end are removed ("Co., Ltd.", "Inc.", "Limited", "GmbH", "AG", "Group",
   "Holdings", …), then the name is folded with ``projects.importing.values.fold`` (traditional to
   simplified characters, full-width to half-width, lower case, no spaces).
2. A branch is its enterprise: "…股份有限公司南京分公司", "…银行南京分行" lose what follows the 公司/银行.
3. Brackets: a place ("(福建)", "(苏州工业园区)"), "(中国)", "(集团)", "(控股)", a partnership form
   ("(有限合伙)") or a former name ("(原…)") are removed with the brackets; other words in brackets stay,
   without the brackets. By the naming rules only a place or an organisational form goes in brackets, so
   a short word of two to four characters there is taken as a place.
4. Punctuation goes; legal forms at the end go, repeatedly: 股份有限公司, 有限责任公司, 有限公司, 股份公司,
   集团公司, 公司, 集团, 有限合伙, 合伙企业, 个人独资企业, 专业合作社, 厂, … and a trailing "中国".
5. Places at the start go, up to three: the 34 provincial-level names in their short and full forms
   (江苏, 江苏省, 广西壮族自治区, 香港特别行政区), "中国", and two or three characters followed by 市, 县 or
   区 (南京市, 张家港市, 江宁区), except words that only look like one (超市, 城市, 小区, 园区, 市场, 市政).

What is left is the name's *key*; the places are kept beside it. ``normalise_name`` writes both in one
string, the places first, each followed by "/": "江苏/恒瑞医药", "南京市/江宁区/恒力精密机械",
"中国/建筑第三工程局", "tesla". That string is what a lead stores and what ``NameIndex`` is built from.

When two names are the same enterprise (``similarity``, ``match``) — the judgement calls:

- The same key, whatever legal form, branch or place in brackets: the same enterprise. A subsidiary
  named after its parent with its seat in brackets ("宁德时代新能源科技(福建)有限公司") is counted with the
  parent: for a district attracting investment it is the same investor, and the match says why, so a
  person can still tell the two leads apart.
- Places at the start are part of the name when both names have one: unless they share a place, they
  are different enterprises (北京银行 and 上海银行, 山东高速 and 四川高速, 苏州市恒力 and 无锡市恒力; also
  江苏恒力 and 潍坊市恒力: without a table of cities the province cannot be checked, and an enterprise has
  one registered place). When only one name has a place (江苏恒瑞医药 / 恒瑞医药), it is ignored. A place
  written without 市 ("苏州恒力") is recognised when the other name has it with 市 ("苏州市恒力").
- A name that is another without its generic words at the end ("科技", "技术", "实业", "控股", "投资",
  "企业", "工业", …) is the same enterprise: 万科 and 万科企业, 华为 and 华为技术. So is one without its
  industry words ("新能源", "汽车", "医药", …) when at least three characters remain (宁德时代 and 宁德时代
  新能源科技, 比亚迪 and 比亚迪汽车工业), but not a two-character name, which too many unrelated
  enterprises share (万达 is not 万达信息, 美的 is not 美的置业). Two names that both carry generic words and
  differ in them (华夏科技 / 华夏投资) are not matched by this rule. Score 0.95.
- Otherwise the keys' similarity decides: the mean of the Dice coefficient of their character bigrams and
  difflib's ratio (which forgives a typo in a long name); names whose numbers differ (中建三局 / 八局,
  中铁十一局 / 十二局, 第一 / 第二码头) score at most 0.5.
- The same unified social credit code is certain (score 1.0); different valid codes do not block a name
  match (a parent and its subsidiary have different codes), but the match says so.

``DEFAULT_THRESHOLD`` and the precision and recall behind it: investment/tests/test_names.py.

``NameIndex`` finds the candidates without comparing against every lead: exact dictionaries for the code,
the key and the key without its generic words, and posting lists of character bigrams probed with a
prefix filter (only the rarest bigrams of the query need looking up for a row to reach the threshold), so
a lookup compares only the few rows that can reach the threshold; ``investment/tests/bench_names.py``
times it.
"""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from investment import creditcode
from projects.importing.values import fold

# The lowest similarity of two names of the same enterprise, from the table of 121 pairs in
# investment/tests/test_names.py: the closest pair of different enterprises (一汽大众汽车 / 上汽大众汽车) scores
# 0.817, the least alike pair of the same one (a typo in a ten-character name, …集成电路制造 / …集成电路制作)
# 0.894. Anywhere in that gap precision is 1.0 and recall 0.926 (at 0.80 precision drops to 0.98, at 0.90
# recall to 0.91); 0.85 sits in its middle, leaving room on both sides for names the table does not have.
DEFAULT_THRESHOLD: Final = 0.85
# A rule match: one name is the other without generic or industry words at the end.
FILLER_SCORE: Final = 0.95
# The most two names can score when their numbers differ (第三 / 第八工程局).
NUMBERS_DIFFER_CAP: Final = 0.5
SEPARATOR: Final = "/"
_MIN_KEY: Final = 2

PROVINCES: Final[dict[str, tuple[str, ...]]] = {
    "北京": ("北京市",), "天津": ("天津市",), "上海": ("上海市",), "重庆": ("重庆市",),
    "河北": ("河北省",), "山西": ("山西省",), "辽宁": ("辽宁省",), "吉林": ("吉林省",), "黑龙江": ("黑龙江省",),
    "江苏": ("江苏省",), "浙江": ("浙江省",), "安徽": ("安徽省",), "福建": ("福建省",), "江西": ("江西省",),
    "山东": ("山东省",), "河南": ("河南省",), "湖北": ("湖北省",), "湖南": ("湖南省",), "广东": ("广东省",),
    "海南": ("海南省",), "四川": ("四川省",), "贵州": ("贵州省",), "云南": ("云南省",), "陕西": ("陕西省",),
    "甘肃": ("甘肃省",), "青海": ("青海省",), "台湾": ("台湾省",),
    "内蒙古": ("内蒙古自治区",), "广西": ("广西壮族自治区",), "西藏": ("西藏自治区",),
    "宁夏": ("宁夏回族自治区",), "新疆": ("新疆维吾尔自治区",),
    "香港": ("香港特别行政区",), "澳门": ("澳门特别行政区",),
}
NATIONAL: Final = "中国"
# Every written form of a provincial-level place (and 中国) → its short name, longest first.
_PROVINCE_FORMS: Final = sorted(
    [(form, short) for short, forms in PROVINCES.items() for form in (short, *forms)]
    + [("中华人民共和国", NATIONAL), (NATIONAL, NATIONAL)],
    key=lambda pair: -len(pair[0]),
)
_PROVINCE_SHORT: Final = dict(_PROVINCE_FORMS)
_PROVINCE_RE: Final = re.compile("|".join(re.escape(form) for form, _short in _PROVINCE_FORMS))
_PROVINCIAL: Final = frozenset(PROVINCES) | {NATIONAL}
_LOCAL_SUFFIXES: Final = "市县区"
# Words ending in 市 or 区 that are not places, after a three-character name: "联华超市", "智慧城市", "五金门市",
# "阳光小区", "创新园区". After two characters they are places: 厦门市, 潍坊市, 成都市, 盐城市, 东营区.
_NOT_PLACE_BEFORE: Final = {"市": set("超城都门夜股集菜早花上闹黑坊街"), "区": set("小景园社街校厂片矿营专辖分展商库"),
                            "县": set()}
# 市场, 市政, 区域, 县域 begin a word: "义乌市场", "南京市政" keep their 市.
_NOT_PLACE_AFTER: Final = set("场政域")

_LEGAL_FORMS: Final = frozenset((
    "股份有限公司", "有限责任公司", "股份合作公司", "集团有限公司", "有限公司", "股份公司", "集团公司", "总公司",
    "公司", "集团", "特殊普通合伙", "普通合伙", "有限合伙", "合伙企业", "个人独资企业", "独资企业", "农民专业合作社",
    "专业合作社", "合作社", "股份", "有限", "总厂", "厂", NATIONAL,
))
_LEGAL_LENGTHS: Final = sorted({len(form) for form in _LEGAL_FORMS}, reverse=True)
_BRANCHES: Final = ("分公司", "分厂", "分店", "分行", "支行", "办事处", "代表处", "营业部", "分部")
# What a branch hangs off: "…有限公司南京分公司", "中国工商银行南京分行".
_BRANCH_ANCHORS: Final = ("公司", "银行", "集团", "厂")
_BRACKETS: Final = re.compile(r"[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]")
_BRACKET_QUALIFIERS: Final = frozenset({
    "中国", "集团", "控股", "国际", "有限", "股份", "有限合伙", "普通合伙", "特殊普通合伙", "个人独资",
    "china", "prc", "hk", "hongkong", "group", "holdings",
})
_ENGLISH_FORM: Final = re.compile(
    r"[\s,.&-]*\b(?:co\.?\s*,?\s*ltd|co\.?\s*,?\s*limited|company\s+limited|pte\.?\s*ltd|pty\.?\s*ltd|limited|ltd"
    r"|corporation|corp|incorporated|inc|company|co|llc|l\.l\.c|plc|gmbh|ag|s\.?a|s\.?p\.?a|se|n\.?v|b\.?v|k\.?k"
    r"|holdings?|group)\.?\s*$",
    re.IGNORECASE,
)

# Words that say nothing about which enterprise it is, at the end of a name.
_GENERIC: Final = frozenset({
    "科技", "技术", "实业", "发展", "控股", "投资", "企业", "工业", "产业", "国际", "管理", "中国", "高科技",
    "高新技术", "股份", "有限",
})
# Words naming an industry: dropped only when three characters remain (see the module docstring).
_INDUSTRY: Final = frozenset({
    "新能源", "能源", "医药", "生物", "汽车", "电子", "电器", "电气", "信息", "网络", "软件", "通信", "机械", "重工",
    "化工", "化学", "材料", "新材料", "食品", "乳业", "建设", "建筑", "工程", "制造", "智能", "光电", "光伏", "电力",
    "环保", "物流", "贸易", "商贸", "置业", "地产", "房地产", "文化", "传媒", "农业", "钢铁", "纺织", "服装", "家居",
    "装备", "精密", "半导体", "集成电路", "数据", "数字", "健康", "医疗", "环境", "水务", "矿业", "石化", "玻璃",
    "水泥", "动力", "新材", "生物医药", "生物科技", "电子科技", "信息技术", "网络技术", "智能科技", "医疗器械",
})
_FILLER_LENGTHS: Final = sorted({len(word) for word in _GENERIC | _INDUSTRY}, reverse=True)
_FILLER_ENDINGS: Final = frozenset(word[-2:] for word in _GENERIC | _INDUSTRY)

_NUMBER_RUN: Final = re.compile(r"[0-9]+|[零〇一二三四五六七八九十百千]+")
_CHINESE_DIGITS: Final = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                          "八": 8, "九": 9}
_CHINESE_UNITS: Final = {"十": 10, "百": 100, "千": 1000}


# --- normalising ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NameParts:
    """A name taken apart: ``regions`` the places it began with (short form for provinces: "江苏";
    "南京市" for a city), ``key`` what identifies the enterprise, ``removed`` every part taken away, in the
    order found ("股份有限公司", "(福建)", "江苏"), for the reasons a match gives."""

    name: str
    regions: tuple[str, ...]
    key: str
    removed: tuple[str, ...]

    @property
    def normalised(self) -> str:
        return SEPARATOR.join((*self.regions, self.key))


def normalise_name(name: str) -> str:
    """The name as stored for matching: the places it began with, each followed by "/", then its key
    (see the module docstring). "江苏恒瑞医药股份有限公司" → "江苏/恒瑞医药", "比亞迪股份有限公司" → "比亚迪",
    "Tesla, Inc." → "tesla"."""
    return analyse_name(name).normalised


def name_key(normalised: str) -> str:
    """The key of a normalised name, without its places: "江苏/恒瑞医药" → "恒瑞医药"."""
    return normalised.rsplit(SEPARATOR, 1)[-1]


@lru_cache(maxsize=65536)
def analyse_name(name: str) -> NameParts:
    """The parts of a name; see the module docstring for the steps."""
    removed: list[str] = []
    text = unicodedata.normalize("NFKC", name or "").strip()
    for _round in range(3):
        found = _ENGLISH_FORM.search(text)
        if found is None or len(re.sub(r"\W", "", text[: found.start()])) < _MIN_KEY:
            break
        removed.append(found[0].strip(" ,.&-"))
        text = text[: found.start()]
    text = fold(text)
    text = _without_branch(text, removed)
    text = _without_brackets(text, removed)
    text = re.sub(r"[\W_]+", "", text)
    text = _without_legal_forms(text, removed)
    regions: list[str] = []
    for _round in range(3):
        place = _leading_place(text)
        if place is None:
            break
        written, region = place
        regions.append(region)
        removed.append(written)
        text = text[len(written):]
    return NameParts(name=name, regions=tuple(regions), key=text, removed=tuple(removed))


def _without_branch(text: str, removed: list[str]) -> str:
    for branch in _BRANCHES:
        if not text.endswith(branch):
            continue
        head = text[: -len(branch)]
        anchor = max((head.rfind(word) + len(word) for word in _BRANCH_ANCHORS if word in head), default=-1)
        cut = anchor if anchor >= _MIN_KEY else len(head)
        if cut < _MIN_KEY:
            return text
        removed.append(text[cut:])
        return text[:cut]
    return text


def _without_brackets(text: str, removed: list[str]) -> str:
    dropped: list[str] = []

    def replace(found: re.Match[str]) -> str:
        inner = re.sub(r"[\W_]+", "", found[1])
        if inner and (inner in _BRACKET_QUALIFIERS or inner.startswith("原") or _is_place(inner)):
            dropped.append(found[0])
            return ""
        return inner

    stripped = _BRACKETS.sub(replace, text)
    if len(re.sub(r"[\W_]+", "", stripped)) < _MIN_KEY:
        return text
    removed.extend(dropped)
    return stripped


def _is_place(word: str) -> bool:
    if word in _PROVINCE_SHORT:
        return True
    if word[-1] in _LOCAL_SUFFIXES and 2 <= len(word) - 1 <= 6 and _is_cjk(word):
        return True
    # By the naming rules only a place or an organisational form goes in brackets.
    return 2 <= len(word) <= 4 and _is_cjk(word)


def _is_cjk(word: str) -> bool:
    return all("\u4e00" <= char <= "\u9fff" for char in word)


def _without_legal_forms(text: str, removed: list[str]) -> str:
    changed = True
    while changed:
        changed = False
        for length in _LEGAL_LENGTHS:
            if len(text) - length >= _MIN_KEY and text[-length:] in _LEGAL_FORMS:
                removed.append(text[-length:])
                text = text[:-length]
                changed = True
                break
    return text


def _leading_place(text: str) -> tuple[str, str] | None:
    """The place a key begins with, as written and as kept (short form for a province), if what follows
    is still a name."""
    found = _PROVINCE_RE.match(text)
    if found is not None and len(text) - found.end() >= _MIN_KEY:
        return found[0], _PROVINCE_SHORT[found[0]]
    for length in (2, 3):
        word = text[: length + 1]
        if len(word) <= length or word[-1] not in _LOCAL_SUFFIXES or not _is_cjk(word):
            continue
        looks_like_a_word = length == 3 and word[-2] in _NOT_PLACE_BEFORE[word[-1]]
        if looks_like_a_word or text[length + 1: length + 2] in _NOT_PLACE_AFTER:
            continue
        if len(text) - len(word) >= _MIN_KEY:
            return word, word
    return None


# --- comparing --------------------------------------------------------------------------------------

class _Key(NamedTuple):
    regions: tuple[str, ...]
    key: str
    core: str               # the key without generic and industry words at its end
    core_removed: tuple[str, ...]
    numbers: tuple[int, ...]


@lru_cache(maxsize=65536)
def _parse(normalised: str) -> _Key:
    *regions, key = normalised.split(SEPARATOR)
    core, core_removed = _core(key)
    return _Key(tuple(regions), key, core, core_removed, _numbers(key))


def _core(key: str) -> tuple[str, tuple[str, ...]]:
    if key[-2:] not in _FILLER_ENDINGS:  # most keys: nothing to strip
        return key, ()
    removed: list[str] = []
    stripped = True
    while stripped:
        stripped = False
        for length in _FILLER_LENGTHS:
            word = key[-length:]
            if len(key) <= length:
                continue
            rest = len(key) - length
            if (word in _GENERIC and rest >= _MIN_KEY) or (word in _INDUSTRY and rest >= 3):
                removed.insert(0, word)
                key = key[:-length]
                stripped = True
                break
    return key, tuple(removed)


def _numbers(key: str) -> tuple[int, ...]:
    return tuple(_number(run) for run in _NUMBER_RUN.findall(key))


def _number(run: str) -> int:
    if run.isdigit() and run.isascii():
        return int(run)
    if not any(char in _CHINESE_UNITS for char in run):  # "三一" read digit by digit
        return int("".join(str(_CHINESE_DIGITS[char]) for char in run))
    total, digit = 0, 0
    for char in run:
        if char in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[char]
        else:
            total += (digit or 1) * _CHINESE_UNITS[char]
            digit = 0
    return total + digit


def _bigrams(key: str) -> set[str]:
    if len(key) < 2:
        return {key} if key else set()
    return {key[i: i + 2] for i in range(len(key) - 1)}


def _dice(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _text_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0 if a else 0.0
    if not a or not b:
        return 0.0
    if a > b:  # difflib's ratio depends on the order of its arguments; a similarity must not
        a, b = b, a
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    return (_dice(_bigrams(a), _bigrams(b)) + ratio) / 2


def _bare(region: str) -> str:
    return region if region in _PROVINCIAL else region[:-1]


def _regions_conflict(a: _Key, b: _Key) -> bool:
    """Both names begin with places and share none (a place one wrote without 市 at the start of the other's
    key counts as shared)."""
    if not a.regions or not b.regions or set(a.regions) & set(b.regions):
        return False
    return not any(other.key.startswith(_bare(region)) for one, other in ((a, b), (b, a)) for region in one.regions)


class _Comparison(NamedTuple):
    score: float
    how: str                      # "same", "filler", "similar"
    words: tuple[str, ...] = ()   # what one side had more: a place written without 市, generic words
    compared: tuple[str, str] = ("", "")  # for "similar": the two texts compared


def _compare(a: _Key, b: _Key) -> _Comparison:
    if not a.key or not b.key:
        return _Comparison(0.0, "similar", (), (a.key, b.key))
    if _regions_conflict(a, b):
        # Compared with their places; never above the keys' similarity (NameIndex filters on the keys).
        left, right = "".join((*a.regions, a.key)), "".join((*b.regions, b.key))
        score = min(_text_similarity(left, right), _text_similarity(a.key, b.key))
        return _Comparison(round(score, 3), "similar", (), (left, right))
    if a.key == b.key:
        return _Comparison(1.0, "same")
    for one, other in ((a, b), (b, a)):
        for region in one.regions:
            bare = _bare(region)
            if region not in other.regions and other.key == bare + one.key:
                return _Comparison(1.0, "same", (bare,))
    for one, other in ((a, b), (b, a)):
        if other.core_removed and one.key == other.core:
            return _Comparison(FILLER_SCORE, "filler", other.core_removed)
    score = _text_similarity(a.key, b.key)
    if a.numbers and b.numbers and a.numbers != b.numbers:
        score = min(score, NUMBERS_DIFFER_CAP)
    return _Comparison(round(score, 3), "similar", (), (a.key, b.key))


def similarity(a: str, b: str) -> float:
    """How alike two normalised names (``normalise_name``) are, from 0 to 1; see the module docstring."""
    return _compare(_parse(a), _parse(b)).score


# --- matching ---------------------------------------------------------------------------------------

class Candidate(NamedTuple):
    """A lead already entered: its id, its name as entered, its credit code ("" when unknown) and, when
    stored, its ``normalise_name`` (computed from the name when "")."""

    id: Hashable
    name: str
    code: str = ""
    normalised: str = ""


@dataclass(frozen=True)
class Match:
    """A lead that may be the same enterprise: ``certain`` when the credit code is the same, ``score``
    from 0 to 1, ``reason`` in words."""

    id: Hashable
    name: str
    code: str
    score: float
    certain: bool
    reason: str


def match(
    name: str,
    code: str,
    candidates: NameIndex | Iterable[Candidate | tuple[Hashable, str, str] | tuple[Hashable, str, str, str]],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Match]:
    """The candidates that may be the same enterprise as ``name`` with credit ``code``, best first: the same
    code (certain, score 1.0) or a name at least ``threshold`` alike. ``candidates`` is a ``NameIndex``
    (fast, for all leads) or any rows of (id, name, code[, normalised]), each compared."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if isinstance(candidates, NameIndex):
        return candidates.match(name, code, threshold)
    query = _Query.of(name, code)
    found = (_judge(query, Candidate(*row), threshold) for row in candidates)
    return _ordered(m for m in found if m is not None)


@dataclass(frozen=True)
class _Query:
    parts: NameParts
    key: _Key
    code: str

    @classmethod
    def of(cls, name: str, code: str) -> _Query:
        parts = analyse_name(name)
        return cls(parts, _parse(parts.normalised), creditcode.normalise(code))


def _judge(query: _Query, row: Candidate, threshold: float, key: _Key | None = None) -> Match | None:
    code = creditcode.normalise(row.code)
    if query.code and query.code == code:
        return Match(row.id, row.name, row.code, 1.0, True, _("统一社会信用代码相同"))
    key = key or _parse(row.normalised or normalise_name(row.name))
    comparison = _compare(query.key, key)
    if comparison.score < threshold:
        return None
    reason = _reason(query.parts, analyse_name(row.name), comparison, threshold)
    if query.code and code and _valid(query.code) and _valid(code):
        reason += _("；但统一社会信用代码不同，可能是同一集团的不同企业（如子公司）")
    return Match(row.id, row.name, row.code, comparison.score, False, reason)


def _valid(code: str) -> bool:
    try:
        creditcode.validate(code)
    except ValidationError:  # a code that cannot be read says nothing either way
        return False
    return True


def _reason(a: NameParts, b: NameParts, comparison: _Comparison, threshold: float) -> str:
    if comparison.how == "similar":
        return _("名称相似度 %(score)s ≥ 阈值 %(threshold)s（比较“%(a)s”与“%(b)s”）") % {
            "score": f"{math.floor(comparison.score * 100) / 100:.2f}", "threshold": f"{threshold:.2f}",
            "a": comparison.compared[0], "b": comparison.compared[1],
        }
    if a.name.strip() == b.name.strip():
        return _("名称相同")
    # A part both names lost ("有限公司", "Inc" and "INC") is not a difference worth saying.
    both = {_plain(part) for part in a.removed} & {_plain(part) for part in b.removed}
    first: dict[str, str] = {}
    for part in (*a.removed, *b.removed):
        first.setdefault(_plain(part), part)
    parts = [part for plain, part in first.items() if plain not in both]
    if comparison.how == "filler":
        generic = "".join(f"“{word}”" for word in comparison.words)
        if parts:
            return _("名称去掉%(parts)s和通用词、行业词%(generic)s后相同") % {
                "parts": "".join(f"“{part}”" for part in parts), "generic": generic,
            }
        return _("名称去掉通用词、行业词%(generic)s后相同") % {"generic": generic}
    parts += [word for word in comparison.words if word not in parts]
    if parts:
        return _("名称去掉%(parts)s后相同") % {"parts": "".join(f"“{part}”" for part in parts)}
    if fold(a.name) == fold(b.name):
        return _("名称相同（不计繁简体、全半角、大小写和空格）")
    return _("名称相同（不计繁简体、全半角、大小写、空格和标点）")


def _plain(part: str) -> str:
    return re.sub(r"[\W_]+", "", fold(part))


def _ordered(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (not m.certain, -m.score))


class _Row(NamedTuple):
    id: Hashable
    name: str
    code: str
    normalised: str
    key: str
    size: int  # how many distinct bigrams its key has


class NameIndex:
    """The leads to match against, indexed: by credit code, by key, by key without generic words, and by
    the character bigrams of the key. Build it once from the stored rows (id, name, code, normalised)
    and keep it, adding and removing leads as they change; ``match`` then compares a new name in full with
    the few rows that can reach the threshold, not with all of them (investment/tests/bench_names.py)."""

    def __init__(self, rows: Iterable[Candidate | tuple[Hashable, str, str] | tuple[Hashable, str, str, str]] = ()):
        self._rows: list[_Row | None] = []
        self._where: dict[Hashable, int] = {}
        self._by_code: defaultdict[str, list[int]] = defaultdict(list)
        self._by_key: defaultdict[str, list[int]] = defaultdict(list)
        self._by_core: defaultdict[str, list[int]] = defaultdict(list)
        self._postings: defaultdict[str, list[int]] = defaultdict(list)
        for row in rows:
            self.add(*row)

    def __len__(self) -> int:
        return len(self._where)

    def add(self, id: Hashable, name: str, code: str = "", normalised: str = "") -> None:
        """Index a lead (again, if its id is already indexed)."""
        self.remove(id)
        normalised = normalised or normalise_name(name)
        key = name_key(normalised)
        bigrams = _bigrams(key)
        code = creditcode.normalise(code) if code else ""
        position = len(self._rows)
        self._rows.append(_Row(id, name, code, normalised, key, len(bigrams)))
        self._where[id] = position
        if code:
            self._by_code[code].append(position)
        if key:
            self._by_key[key].append(position)
            core, _removed = _core(key)
            if core != key:
                self._by_core[core].append(position)
            for bigram in bigrams:
                self._postings[bigram].append(position)

    def remove(self, id: Hashable) -> None:
        """Forget a lead; its entries in the lists are skipped until the index is built again."""
        position = self._where.pop(id, None)
        if position is not None:
            self._rows[position] = None

    def match(self, name: str, code: str = "", threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
        """As ``match`` over every indexed lead. The bigram filter needs ``threshold`` above 0.5 (below it a
        name sharing no bigram could still reach the threshold): ValueError otherwise."""
        if not 0.5 < threshold <= 1:
            raise ValueError(f"NameIndex needs a threshold in (0.5, 1], got {threshold}")
        query = _Query.of(name, code)
        found: list[Match] = []
        for position in self._candidates(query, threshold):
            row = self._rows[position]
            if row is None:
                continue
            judged = _judge(query, Candidate(row.id, row.name, row.code, row.normalised), threshold,
                            _parse(row.normalised))
            if judged is not None:
                found.append(judged)
        return _ordered(found)

    def _candidates(self, query: _Query, threshold: float) -> set[int]:
        positions: set[int] = set()
        if query.code:
            positions.update(self._by_code.get(query.code, ()))
        key = query.key
        if not key.key:
            return positions
        for lookup in self._exact_keys(key):
            positions.update(self._by_key.get(lookup, ()))
        positions.update(self._by_core.get(key.key, ()))
        positions.update(self._similar(key.key, threshold))
        return positions

    @staticmethod
    def _exact_keys(key: _Key) -> Iterator[str]:
        """The keys a row may have for a rule match: the query's key, the key without its generic words, the
        key after a place the query wrote with 市 ("苏州恒力" for "苏州市/恒力") and the key without two or
        three characters that may be a place the row wrote with 市 ("恒力" for "苏州恒力")."""
        yield key.key
        yield key.core
        for region in key.regions:  # the row wrote the place without 市: "苏州恒力"
            yield _bare(region) + key.key
        for length in (2, 3):  # the query wrote it so, the row has "苏州市/恒力"
            if len(key.key) - length >= _MIN_KEY:
                yield key.key[length:]

    def _similar(self, key: str, threshold: float) -> Iterator[int]:
        """Rows whose key's bigram Dice with ``key`` can reach what ``threshold`` needs: the similarity is the
        mean of Dice and a ratio of at most 1, so Dice ≥ 2·threshold − 1 =: d; a row sharing s of the query's
        n bigrams has Dice ≤ 2s / (n + s), so s ≥ d·n / (2 − d) =: m, and any such row shares one of the
        query's n − m + 1 rarest bigrams (the prefix filter). For the rows in those posting lists the shared
        bigrams are counted (the other m − 1 looked up in the row's key) and Dice checked with the row's
        number of bigrams; only the rows that pass are compared in full."""
        wanted = _bigrams(key)
        # Scores are rounded to 3 places: 0.8495 counts as 0.85.
        needed_dice = 2 * (threshold - 0.0005) - 1
        least = max(1, math.ceil(needed_dice * len(wanted) / (2 - needed_dice) - 1e-9))
        ranked = sorted(wanted, key=lambda bigram: len(self._postings.get(bigram, ())))
        probed, rest = ranked[: len(wanted) - least + 1], ranked[len(wanted) - least + 1:]
        shared: Counter[int] = Counter()
        for bigram in probed:
            shared.update(self._postings.get(bigram, ()))
        size, rows, at_most = len(wanted), self._rows, least - len(rest)
        for position, count in shared.items():
            row = rows[position]
            if row is None or count < at_most:
                continue
            key = row.key
            for bigram in rest:  # a two-character string is one of a key's bigrams when the key contains it
                if bigram in key:
                    count += 1
            if 2 * count >= needed_dice * (size + row.size) - 1e-9:
                yield position
