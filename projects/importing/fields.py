"""The project fields a district's own list can be imported into, and the headers people write for them.

``FIELDS`` is what ``core.excel.layout`` matches headers against (``find_project_table``,
``guess_project_mapping``, both with ``values.fold``, so traditional characters and full-width forms
match too). A field's ``label`` is its usual header, in Chinese as lists write it (marked with
``gettext_noop``: a page shows it with ``gettext(field.label)``); ``synonyms`` are the other headers
seen in real lists; ``kind`` says which parser of ``projects.importing.values`` reads its cells.

Some fields have no column in the ledger yet (``annual_goal``, ``progress``): they are recognised so
that "年度计划形象进度" is not taken for the annual plan, and the page can offer them for the remarks.
``sequence`` (序号) is recognised so that it is ignored: a row's number in someone's list is never a
project code (``values.make_code`` makes codes; ``values.looks_like_sequence`` spots a 编号 column
that is only 1, 2, 3…).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop as N_

from core.excel.layout import ColumnGuess, Table, TableColumn, find_table, guess_mapping
from projects.importing.values import fold

# Kinds: which parser reads the field's cells.
TEXT = "text"  # values.clean_text
CODE = "code"  # text; checked against the ledger's codes
AMOUNT = "amount"  # values.parse_amount (万元), the unit from the header or the title
PERIOD = "period"  # values.parse_period (建设年限 → planned start and completion, the text kept)
MONTH = "month"  # values.parse_period, one end of it (开工时间 → start, 竣工时间 → completion)
UNITS = "units"  # values.split_units (lead + co-units), names resolved with values.unit_candidates
PERSON = "person"  # a leader's name, resolved by the page
TOWN = "town"  # a town's name, resolved with values.unit_candidates
LEVEL = "level"  # values.parse_level
CATEGORY = "category"  # values.category_key, matched to ProjectCategory by the page
PROJECT_TYPE = "project_type"  # values.guess_project_type
FUNDING = "funding"  # values.split_list, matched to FundingSource by the page
STAGE = "stage"  # a choice (Stage), by the page's value mapping
CONSTRUCTION = "construction"  # a choice (Construction), by the page's value mapping
FLAG = "flag"  # 是/否
COORDINATE = "coordinate"  # a number of degrees
IGNORE = "ignore"  # recognised so that it is never imported

KINDS = (TEXT, CODE, AMOUNT, PERIOD, MONTH, UNITS, PERSON, TOWN, LEVEL, CATEGORY, PROJECT_TYPE, FUNDING, STAGE,
         CONSTRUCTION, FLAG, COORDINATE, IGNORE)


@dataclass(frozen=True)
class ImportField:
    """A field a column can be imported into (it satisfies ``core.excel.layout.FieldLike``).

    ``year_family``: a year in the header is the field's parameter ("2026年计划投资" is the plan for
    2026; "本年计划投资", without a year, is the plan for the list's year, ``Table.year``).
    """

    key: str
    label: str
    kind: str
    synonyms: tuple[str, ...] = ()
    year_family: bool = False


FIELDS: tuple[ImportField, ...] = (
    ImportField("sequence", N_("序号"), IGNORE, ("顺序号", "序", "No.", "No", "排序")),
    ImportField("code", N_("项目编号"), CODE, (
        "项目代码", "项目编码", "编号", "项目统一代码", "统一项目代码", "投资项目代码", "投资项目统一代码", "备案代码",
        "项目备案代码", "赋码", "项目赋码",
    )),
    ImportField("name", N_("项目名称"), TEXT, ("项目名", "名称", "项目", "项目全称", "建设项目名称", "项目名称(全称)")),
    ImportField("content", N_("建设内容"), TEXT, (
        "建设内容及规模", "建设规模及内容", "建设内容和规模", "建设规模和内容", "主要建设内容", "主要建设内容及规模",
        "建设规模及主要内容", "建设规模", "项目内容", "项目概况", "项目简介", "建设内容与规模",
    )),
    ImportField("location", N_("建设地点"), TEXT, (
        "项目地点", "建设地址", "项目地址", "所在地", "项目所在地", "地点", "选址", "项目选址", "坐落位置", "建设位置",
    )),
    ImportField("owner", N_("业主单位"), TEXT, (
        "项目业主", "建设单位", "项目单位", "实施单位", "项目建设单位", "项目实施单位", "业主", "投资主体", "项目法人",
        "项目法人单位", "投资方", "投资企业", "建设主体", "实施主体", "项目业主单位",
    )),
    ImportField("owner_contact", N_("业主联系人"), TEXT, ("联系人", "项目联系人", "企业联系人")),
    ImportField("owner_phone", N_("联系电话"), TEXT, ("电话", "联系方式", "手机", "手机号码", "联系人电话")),
    ImportField("total_investment", N_("总投资"), AMOUNT, (
        "计划总投资", "项目总投资", "总投资额", "估算总投资", "投资总额", "总投资估算", "概算总投资", "投资规模",
    )),
    ImportField("plan", N_("年度计划投资"), AMOUNT, (
        "本年计划投资", "本年度计划投资", "当年计划投资", "今年计划投资", "计划投资", "年度投资计划", "年度计划",
        "年计划投资", "计划完成投资", "年度计划完成投资", "本年计划完成投资", "投资计划",
    ), year_family=True),
    ImportField("invested_before", N_("以前年度累计完成投资"), AMOUNT, (
        "以前年度完成投资", "以前年度累计完成", "累计完成投资", "上年底累计完成投资", "截至上年底累计完成投资",
        "至上年底累计完成投资", "开工以来累计完成投资", "已完成投资", "累计已完成投资", "累计完成",
    ), year_family=True),
    ImportField("period", N_("建设年限"), PERIOD, (
        "建设起止年限", "建设期限", "起止年限", "建设周期", "建设工期", "工期", "建设起止年月", "起止年月", "建设期",
        "建设起止时间", "起止时间", "计划建设年限", "建设年度", "建设起止期限", "开竣工时间", "计划开竣工时间",
    )),
    ImportField("planned_start", N_("计划开工时间"), MONTH, (
        "开工时间", "开工日期", "计划开工日期", "开工年月", "计划开工", "开工", "拟开工时间", "计划开工年月",
    )),
    ImportField("planned_completion", N_("计划竣工时间"), MONTH, (
        "竣工时间", "竣工日期", "计划竣工日期", "竣工年月", "计划竣工", "竣工", "建成时间", "计划建成时间", "完工时间",
        "计划完工时间", "计划竣工年月",
    )),
    ImportField("lead_unit", N_("责任单位"), UNITS, (
        "牵头单位", "责任部门", "牵头部门", "主管单位", "主管部门", "责任主体", "牵头责任单位", "推进责任单位",
        "县级责任单位", "区级责任单位", "责任单位(部门)", "牵头推进单位",
    )),
    ImportField("co_units", N_("配合单位"), UNITS, (
        "协办单位", "配合部门", "协同单位", "参与单位", "协助单位", "协作单位",
    )),
    ImportField("responsible_leader", N_("包靠领导"), PERSON, (
        "包保领导", "帮包领导", "责任领导", "分包领导", "包靠区领导", "包靠县领导", "包保县级领导", "包保区级领导",
        "联系领导", "包联领导", "牵头领导", "县级领导", "区级领导", "领导包靠",
    )),
    ImportField("town", N_("属地镇街"), TOWN, (
        "所在镇街", "镇街", "所在乡镇", "乡镇", "所属镇街", "属地", "所在镇(街道)", "乡镇(街道)", "镇(街道)",
        "属地乡镇", "所在街道",
    )),
    ImportField("level", N_("项目级别"), LEVEL, (
        "级别", "项目层级", "层级", "项目等级", "重点项目级别", "重点项目类别",
    )),
    ImportField("category", N_("项目类别"), CATEGORY, (
        "类别", "行业", "所属行业", "行业类别", "产业类别", "项目分类", "分类", "所属领域", "领域", "所属产业",
        "产业类型", "行业分类",
    )),
    ImportField("project_type", N_("项目类型"), PROJECT_TYPE, ("类型",)),
    ImportField("funding_source", N_("资金来源"), FUNDING, (
        "资金渠道", "资金筹措", "资金筹措方式", "筹资方式", "资金来源渠道", "投资来源", "融资方式", "资金性质",
    )),
    ImportField("stage", N_("项目阶段"), STAGE, (
        "进展阶段", "项目状态", "建设阶段", "推进阶段", "所处阶段", "项目进度阶段", "建设状态",
    )),
    ImportField("construction", N_("建设性质"), CONSTRUCTION, (
        "新建/续建", "新开工/续建", "项目性质", "建设类型", "新建或续建", "新建续建", "续建/新建", "新开工或续建",
    )),
    ImportField("is_special_bond", N_("专项债项目"), FLAG, ("是否专项债项目", "是否专项债", "专项债")),
    ImportField("livelihood", N_("民生实事"), FLAG, ("是否民生实事", "民生实事项目", "是否民生实事项目")),
    ImportField("annual_goal", N_("年度建设目标"), TEXT, (
        "年度目标", "年度计划形象进度", "年度形象进度目标", "年度建设内容", "年度工作目标", "目标任务", "年度目标任务",
        "计划形象进度",
    )),
    ImportField("progress", N_("形象进度"), TEXT, (
        "进展情况", "目前进展", "项目进展", "当前进度", "推进情况", "工作进展",
    )),
    ImportField("service_officer", N_("服务专员"), TEXT, ("项目服务专员", "服务专员姓名")),
    ImportField("latitude", N_("纬度"), COORDINATE),
    ImportField("longitude", N_("经度"), COORDINATE),
    ImportField("remarks", N_("备注"), TEXT, ("说明", "备注说明", "其他", "其他说明")),
)
BY_KEY: dict[str, ImportField] = {f.key: f for f in FIELDS}


def guess_project_mapping(headers: Sequence[TableColumn | str]) -> list[ColumnGuess]:
    """``core.excel.layout.guess_mapping`` with the project fields, traditional characters folded."""
    return guess_mapping(headers, FIELDS, normalize=fold)


def find_project_table(source: Any, **options: Any) -> Table:
    """``core.excel.layout.find_table`` with the project fields (options as there: ``sheet``,
    ``header_rows``, ``scan_rows``, ``min_fields``)."""
    return find_table(source, FIELDS, normalize=fold, **options)
