"""The ledger's Excel round trip, on the Excel kit (``core.excel``): one spec for the template, the export
and the import.

The layout is ``SPEC``: sheet "重点项目", row 1 the headers, data from row 2, then one column per year
"YYYY年计划投资(万元)". The export appends read-only derived columns (``derived_labels``) that the
importer recognises and ignores, so an exported file can be edited and uploaded back as it is.

The import is all or nothing (``core.excel.run_import``): every row is parsed and validated first
(through ``ProjectForm``, so the web form's rules and messages apply), every problem is collected
with its row and column, and only a file without problems is saved, in one transaction, through
``services.project_save``.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from audit.services import audit_snapshot
from core.excel import cells, guard
from core.excel.parsers import (  # noqa: F401 - the ledger's parsers, also used by dispatch.reporting.grid
    EARLIEST_DATE,
    LATEST_DATE,
    NO,
    REJECTED,
    YES,
    CellError,
    choice_parser,
    normalize_header,
    parse_bool,
    parse_choice,
    parse_date,
    parse_number,
    parse_text,
    shown,
)
from core.excel.reader import MAX_ERRORS_SHOWN, ImportReport, ImportSheet, Issue, Row, run_import  # noqa: F401
from core.excel.spec import Column, SheetSpec
from core.excel.writer import TEMPLATE_ROWS, SheetWriter
from core.policies import can
from org.models import Unit, User
from projects import rules, services
from projects.forms import ProjectForm
from projects.models import (
    Construction,
    FundingSource,
    Level,
    Light,
    Project,
    ProjectCategory,
    ProjectType,
    Stage,
)

SHEET = "重点项目"
NOTES_SHEET = "填写说明"
OPTIONS_SHEET = "可选值"
MAX_ROWS = guard.MAX_ROWS
XLSX_CONTENT_TYPE = guard.XLSX_CONTENT_TYPE
FileRejected = guard.FileRejected

PLAN_LABEL = "%(year)d年计划投资(万元)"
# Export-only columns, derived from the monthly reports and the light rules; never imported.
YTD_LABEL = "%(year)d年累计完成(万元)"
RATE_LABEL = "%(year)d年完成率(%%)"
LIGHT_LABEL = "红黄绿灯"
REASONS_LABEL = "灯色原因"
LIGHT_AS_OF_LABEL = "灯色计算日期"

# Shorter forms people type for the level, besides the display labels.
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "level": {"国家": Level.NATIONAL, "省": Level.PROVINCE, "市": Level.CITY, "区": Level.DISTRICT,
              "国家级": Level.NATIONAL, "省级": Level.PROVINCE, "市级": Level.CITY, "区级": Level.DISTRICT},
}
CHOICE_ENUMS: dict[str, type[enum.Enum]] = {
    "level": Level, "project_type": ProjectType, "stage": Stage, "construction": Construction,
}
NAMED = ("responsible_leader", "lead_unit", "town", "category", "funding_source")


def plan_label(year: int) -> str:
    return PLAN_LABEL % {"year": year}


def derived_labels(year: int) -> list[str]:
    return [YTD_LABEL % {"year": year}, RATE_LABEL % {"year": year}, LIGHT_LABEL, REASONS_LABEL, LIGHT_AS_OF_LABEL]


def choice_options(field_name: str) -> dict[str, str]:
    """Accepted text → stored value: the Chinese display labels and the aliases."""
    with translation.override("zh-hans"):
        options = {str(member.label): str(member.value) for member in CHOICE_ENUMS[field_name]}  # type: ignore[attr-defined]
    options.update({alias: str(value) for alias, value in CHOICE_ALIASES.get(field_name, {}).items()})
    return options


def choice_labels(field_name: str) -> list[str]:
    with translation.override("zh-hans"):
        return [str(member.label) for member in CHOICE_ENUMS[field_name]]  # type: ignore[attr-defined]


_MONEY_FIELD = Project._meta.get_field("total_investment")
_COORD_FIELD = Project._meta.get_field("latitude")


def parse_money(value: Any) -> Decimal | None:
    """万元, not negative, with the model's decimals and digits."""
    return parse_number(value, places=_MONEY_FIELD.decimal_places, max_digits=_MONEY_FIELD.max_digits)


def parse_coordinate(value: Any) -> Decimal | None:
    return parse_number(
        value, places=_COORD_FIELD.decimal_places, max_digits=_COORD_FIELD.max_digits, allow_negative=True,
    )


def _plan_year(param: str) -> str | None:
    return None if 2000 <= int(param) <= 2100 else _("年度应在 2000 至 2100 之间")


# --- the spec ---------------------------------------------------------------------------------

def _help(kind: Any, note: Any = "") -> Any:
    return format_lazy("{}。{}", kind, note) if note else kind


_TEXT = gettext_lazy("文字")
_CHOOSE = gettext_lazy("从下拉列表选择")
_MONEY = gettext_lazy("数字，单位万元，最多2位小数，不能为负")
_COORD = gettext_lazy("数字（度），最多6位小数")
_DATE = gettext_lazy("日期，格式 yyyy-mm-dd，如 2026-03-01；也可写 2026/3/1、2026.3.1、2026年3月1日")
_SEE_OPTIONS = gettext_lazy("见“可选值”表")


def _text(key: str, header: str, required: bool = False, width: int = 14, note: Any = "") -> Column:
    return Column(key, header, parse_text, required, _help(_TEXT, note), width=width, user_text=True)


def _choice(key: str, header: str, note: Any = "") -> Column:
    # Parser and labels are given when a file is read or written (the labels are translated then).
    return Column(key, header, None, True, _help(_CHOOSE, note), width=10)


def _money(key: str, header: str, required: bool = False, width: int = 14, note: Any = "") -> Column:
    return Column(key, header, parse_money, required, _help(_MONEY, note), width=width,
                  number_format=cells.MONEY_FORMAT)


def _coord(key: str, header: str, note: Any) -> Column:
    return Column(key, header, parse_coordinate, False, _help(_COORD, note), width=12,
                  number_format=cells.COORD_FORMAT)


def _date(key: str, header: str, note: Any = "") -> Column:
    return Column(key, header, parse_date, False, _help(_DATE, note), width=12, number_format=cells.DATE_FORMAT)


def _named(key: str, header: str, kind: Any, required: bool, width: int, note: Any) -> Column:
    # Names of units and people: the parser needs the database, given when a file is read.
    return Column(key, header, None, required, _help(kind, note), width=width, allowed=_SEE_OPTIONS)


def _derived(key: str, header: str, width: int, number_format: str | None = None, pattern: str | None = None) -> Column:
    return Column(key, header, None, help=gettext_lazy("导出时附带的统计列，导入时忽略，修改无效。"), width=width,
                  number_format=number_format, read_only=True, pattern=pattern)


# Headers are part of the file format (marked for extraction, never translated); they are the
# model's verbose names, and the columns are the project form's fields in its order.
COLUMNS: tuple[Column, ...] = (
    _text("code", N_("项目编号"), True, 16,
          gettext_lazy("唯一。编号已存在则更新该项目，编号不存在则新增项目。最多30字。")),
    _text("name", N_("项目名称"), True, 30, gettext_lazy("最多100字。")),
    _choice("level", N_("项目级别"), gettext_lazy("也可填 省、市、区。")),
    _choice("project_type", N_("项目类型")),
    _named("category", N_("项目类别"), gettext_lazy("类别名称"), False, 10,
           gettext_lazy("如 工业、文旅、民生实事，见“可选值”表；类别由系统管理员维护。")),
    Column("livelihood", N_("民生实事项目"), parse_bool, False, _help(_CHOOSE, gettext_lazy("留空视为“否”。")),
           choices=(YES, NO), width=10),
    _named("funding_source", N_("资金来源"), gettext_lazy("资金来源名称"), False, 10,
           gettext_lazy("如 政府投资、社会投资、专项债，见“可选值”表。")),
    _text("industry", N_("所属行业"), False, 12, gettext_lazy("最多40字。")),
    _choice("stage", N_("项目阶段"), gettext_lazy("在建、竣工、投产的项目必须填写实际开工日期。")),
    _choice("construction", N_("建设性质")),
    Column("is_special_bond", N_("专项债项目"), parse_bool, False, _help(_CHOOSE, gettext_lazy("留空视为“否”。")),
           choices=(YES, NO), width=10),
    _text("owner", N_("业主单位"), False, 20, gettext_lazy("最多100字。")),
    _text("owner_contact", N_("业主联系人"), False, 10, gettext_lazy("最多30字。")),
    _text("owner_phone", N_("联系电话"), False, 14, gettext_lazy("最多30字。")),
    _text("content", N_("建设内容及规模"), False, 40),
    _text("location", N_("建设地点"), False, 20, gettext_lazy("最多200字。")),
    _coord("latitude", N_("纬度"), gettext_lazy("-90 至 90；经度和纬度须同时填写或同时留空。")),
    _coord("longitude", N_("经度"), gettext_lazy("-180 至 180。")),
    _money("total_investment", N_("总投资(万元)"), True),
    _money("invested_before", N_("以前年度累计完成投资(万元)"), True, 16,
           gettext_lazy("项目纳入本系统之前已完成的投资，没有填 0。")),
    _date("planned_start", N_("计划开工日期")),
    _date("planned_completion", N_("计划竣工日期"), gettext_lazy("不能早于计划开工日期。")),
    _date("actual_start", N_("实际开工日期"), gettext_lazy("不能晚于今天。")),
    _text("period_text", N_("建设年限(原文)"), False, 14, gettext_lazy("清单上的写法，如 2025-2027；最多60字。")),
    _named("responsible_leader", N_("包靠区领导"), gettext_lazy("姓名"), False, 12,
           gettext_lazy("填区领导的姓名；重名时填其用户名。见“可选值”表。")),
    _named("lead_unit", N_("牵头单位"), gettext_lazy("单位名称"), True, 18,
           gettext_lazy("填单位全称或简称，见“可选值”表。部门的填报员只能填本单位。")),
    _named("co_units", N_("配合单位"), gettext_lazy("单位名称"), False, 18,
           gettext_lazy("可填多个，用“、”分隔；只有项目办导入时生效。配合单位能看到项目并填报进度。")),
    _named("town", N_("属地镇街"), gettext_lazy("镇街名称"), False, 12,
           gettext_lazy("填镇街全称或简称，见“可选值”表。")),
    _text("service_officer", N_("服务专员"), False, 10, gettext_lazy("最多30字。")),
    _text("remarks", N_("备注"), False, 30),
)
BY_FIELD: dict[str, Column] = {column.key: column for column in COLUMNS}

PLANS = Column(
    "plan", "{}年计划投资(万元)", parse_money, False,
    gettext_lazy("每年一列，列名如 %(headers)s，可增加其他年度的列（2000—2100年）。数字，单位万元，最多2位小数，"
                 "不能超过总投资。留空表示不修改该年已有的计划，不会删除；如需删除某年计划，请在网页上编辑项目。"),
    width=16, number_format=cells.MONEY_FORMAT, pattern=r"(\d{4})年计划投资\(万元\)", param_check=_plan_year,
    family_header=N_("YYYY年计划投资(万元)"),
)
YTD = _derived("ytd", "{}年累计完成(万元)", 14, cells.MONEY_FORMAT, r"(\d{4})年累计完成\(万元\)")
RATE = _derived("rate", "{}年完成率(%)", 12, "0.0", r"(\d{4})年完成率\(%\)")
DERIVED_TAIL = (
    _derived("light", LIGHT_LABEL, 10),
    _derived("light_reasons", REASONS_LABEL, 40),
    _derived("light_as_of", LIGHT_AS_OF_LABEL, 12, cells.DATE_FORMAT),
)


def _instructions() -> list[str]:
    return [
        _("1. 只填写“%(sheet)s”工作表：第1行为列名（不要修改、不要合并），从第2行起每行一个项目。") % {"sheet": SHEET},
        _("2. 以“项目编号”识别项目：编号已存在的更新该项目，新编号新增项目；同一文件中编号不能重复。"),
        _("3. 导入时先检查全部行，有任何错误则全部不保存，并列出每个错误所在的行和列；全部正确才一次性保存。"),
        _("4. 不要使用公式（请复制后“选择性粘贴-数值”）、不要合并单元格；完全空白的行会被跳过。"),
        _("5. 单个文件不超过 %(mb)d MB、不超过 %(rows)d 行；请保存为 .xlsx 格式（不支持 .xls、.csv）。")
        % {"mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024), "rows": MAX_ROWS},
        _("6. 未包含的选填列保持原值不变；包含但留空的选填列（年度计划投资除外）会把该项清空。"),
        _("7. 每次导入都会记录变更（谁、何时、原值、新值），与网页修改一样可在项目页查看。"),
    ]


SPEC = SheetSpec(
    title=SHEET, columns=(*COLUMNS, PLANS, YTD, RATE, *DERIVED_TAIL), instructions=_instructions,
    notes_title=NOTES_SHEET, freeze="C2",
)


# --- names of units and leaders ---------------------------------------------------------------

class Lookups:
    """Units, towns and leaders by the names people write in a sheet, loaded in two queries.

    Names of inactive units and of people who lead a project but are no longer leaders resolve
    too, so that an exported file reads back; whether they may be chosen is the form's business.
    """

    def __init__(self) -> None:
        units = list(Unit.objects.all())
        self.unit_names = _name_index(units, lambda u: [u.name, u.short_name])
        self.town_names = _name_index([u for u in units if u.kind == Unit.Kind.TOWN], lambda u: [u.name, u.short_name])
        leaders = list(
            User.objects.filter(Q(role=User.Role.LEADER) | Q(led_projects__isnull=False)).distinct().order_by("pk")
        )
        self.leader_names = _name_index(leaders, lambda u: [u.full_name, u.username])
        self.active_units = [u for u in units if u.is_active]
        self.active_towns = [u for u in self.active_units if u.kind == Unit.Kind.TOWN]
        self.active_leaders = [u for u in leaders if can(u, "projects.be_leader")]
        categories = list(ProjectCategory.objects.all())
        sources = list(FundingSource.objects.all())
        self.category_names = _name_index(categories, lambda c: [c.name])
        self.funding_names = _name_index(sources, lambda f: [f.name])
        self.active_categories = [c for c in categories if c.is_active]
        self.active_funding = [f for f in sources if f.is_active]

    def leader_label(self, user: User) -> str:
        """The leader's name as written in a file: the full name unless another leader shares it."""
        if user.full_name and self.leader_names.get(user.full_name) == [user]:
            return user.full_name
        return user.username

    def unit(self, value: Any) -> Unit | None:
        return self._find(value, self.unit_names, _("单位"))

    def town(self, value: Any) -> Unit | None:
        return self._find(value, self.town_names, _("镇街"))

    def leader(self, value: Any) -> User | None:
        return self._find(value, self.leader_names, _("区领导"))

    def category(self, value: Any) -> ProjectCategory | None:
        return self._find(value, self.category_names, _("项目类别"))

    def funding(self, value: Any) -> FundingSource | None:
        return self._find(value, self.funding_names, _("资金来源"))

    def units(self, value: Any) -> list[Unit]:
        """Several unit names separated by 、，, ; or spaces (配合单位)."""
        text = parse_text(value) or ""
        found: list[Unit] = []
        for name in re.split(r"[、，,;；\s]+", text):
            unit = self.unit(name) if name else None
            if unit is not None and unit not in found:
                found.append(unit)
        return found

    @staticmethod
    def _find(value: Any, index: Mapping[str, list[Any]], what: str) -> Any:
        text = parse_text(value)
        if not text:
            return None
        found = index.get(text, [])
        if not found:
            raise CellError(_("找不到名为“%(value)s”的%(what)s") % {"value": shown(text), "what": what})
        if len(found) > 1:
            raise CellError(
                _("“%(value)s”对应多个%(what)s，请填写全称或用户名") % {"value": shown(text), "what": what}
            )
        return found[0]


def _name_index(objects: Iterable[Any], names: Callable[[Any], Iterable[str]]) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}
    for obj in objects:
        for name in {n.strip() for n in names(obj) if n and n.strip()}:
            bucket = index.setdefault(name, [])
            if obj not in bucket:
                bucket.append(obj)
    return index


# --- writing ----------------------------------------------------------------------------------

def _written_spec(lookups: Lookups) -> SheetSpec:
    """The spec with its dropdowns: the choices' labels, and the names on the "可选值" sheet."""
    changes: dict[str, dict[str, Any]] = {name: {"choices": choice_labels(name)} for name in CHOICE_ENUMS}
    counts = {"lead_unit": len(lookups.active_units), "town": len(lookups.active_towns),
              "responsible_leader": len(lookups.active_leaders)}
    counts["category"] = len(lookups.active_categories)
    counts["funding_source"] = len(lookups.active_funding)
    for name, letter in zip(("lead_unit", "town", "responsible_leader", "category", "funding_source"), "ABCDE",
                            strict=True):
        if counts[name]:
            changes[name] = {"choices": f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${counts[name] + 1}"}
    return SPEC.with_columns(**changes)


def write_ledger(
    target: IO[bytes],
    *,
    projects: Iterable[Project],
    plans: Mapping[int, Mapping[int, Decimal]],
    plan_years: Sequence[int],
    lookups: Lookups,
    derived_year: int | None = None,
) -> int:
    """Write the workbook to ``target``; returns the number of project rows.

    ``projects`` may be an iterator over the database (rows are streamed, not held): with
    ``derived_year`` each needs the ``plan_amount``/``invested_ytd`` annotations of
    ``with_figures`` and select_related units and leader. ``plans`` is {project pk: {year: amount}}.
    """
    with translation.override("zh-hans"):
        choices = {
            name: {str(m.value): str(m.label) for m in enum_}  # type: ignore[attr-defined]
            for name, enum_ in CHOICE_ENUMS.items()
        }
        lights = {str(m.value): str(m.label) for m in Light}
    spec = _written_spec(lookups)
    columns = [*spec.fixed(), *(PLANS.expand(year) for year in plan_years)]
    if derived_year is not None:
        columns += [YTD.expand(derived_year), RATE.expand(derived_year), *DERIVED_TAIL]
    writer = SheetWriter(spec, columns=columns, validation_rows=TEMPLATE_ROWS)
    for project in projects:
        values = [_cell_value(project, column.key, choices, lookups) for column in COLUMNS]
        project_plans = plans.get(project.pk, {})
        values += [project_plans.get(year) for year in plan_years]
        if derived_year is not None:
            plan = getattr(project, "plan_amount", None)
            ytd = getattr(project, "invested_ytd", None)
            # The ledger's own rule (half-up), so the export shows what the page shows.
            rate = rules.rate_percent(ytd, plan) if ytd is not None else None
            reasons = "；".join(text for _light, text in (project.light_reasons or []))
            values += [ytd, rate, lights.get(project.light, project.light), reasons, project.light_as_of]
        writer.append(values)
    writer.write_notes()
    _write_options(writer.workbook, lookups)
    return writer.save(target)


def _cell_value(project: Project, key: str, choices: Mapping[str, Mapping[str, str]], lookups: Lookups) -> Any:
    value = getattr(project, key)
    if key in choices:
        return choices[key].get(value, value)
    if key in {"is_special_bond", "livelihood"}:
        return YES if value else NO
    if key == "co_units":
        # Prefetched by the export; names in the order they were chosen in.
        return "、".join(unit.name for unit in value.all()) or None
    if key == "responsible_leader":
        return lookups.leader_label(value) if value is not None else None
    if key in NAMED:
        return value.name if value is not None else None
    return value


def _write_options(wb: Any, lookups: Lookups) -> None:
    ws = wb.create_sheet(OPTIONS_SHEET)
    for letter in "ABCDE":
        ws.column_dimensions[letter].width = 24
    titles = (_("牵头单位"), _("属地镇街"), _("包靠区领导"), _("项目类别"), _("资金来源"))
    ws.append([cells.header_cell(ws, text, cells.OPTIONAL_FILL) for text in titles])
    lists = (
        [u.name for u in lookups.active_units],
        [u.name for u in lookups.active_towns],
        [lookups.leader_label(u) for u in lookups.active_leaders],
        [c.name for c in lookups.active_categories],
        [f.name for f in lookups.active_funding],
    )
    for index in range(max(len(names) for names in lists)):
        # Names are typed by people: written as text (see core.excel.cells).
        cells.append(ws, [names[index] if index < len(names) else None for names in lists])


# --- reading ----------------------------------------------------------------------------------

@dataclass
class _Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"

    project: Project
    plans: dict[int, Decimal]
    status: str
    co_units: list[Unit] | None = None  # None: the co-units stay as they are


class LedgerImport:
    """Validate and (when everything is right) save one uploaded ledger file, on ``core.excel.run_import``."""

    def __init__(self, *, by: User) -> None:
        self.user = by
        self.year = services.today().year
        self._lookups: Lookups | None = None

    @property
    def lookups(self) -> Lookups:
        if self._lookups is None:
            self._lookups = Lookups()
        return self._lookups

    def spec(self) -> SheetSpec:
        """The spec with the parsers that need the choices' labels or the database."""
        parsers: dict[str, Any] = {
            name: choice_parser(choice_options(name), choice_labels(name)) for name in CHOICE_ENUMS
        }
        parsers["lead_unit"] = lambda value: self.lookups.unit(value)
        parsers["town"] = lambda value: self.lookups.town(value)
        parsers["responsible_leader"] = lambda value: self.lookups.leader(value)
        parsers["category"] = lambda value: self.lookups.category(value)
        parsers["funding_source"] = lambda value: self.lookups.funding(value)
        parsers["co_units"] = lambda value: self.lookups.units(value)
        return SPEC.bind(**parsers)

    def run(self, upload: Any) -> ImportReport:
        return run_import(self.spec(), upload, check=self._check, apply=self._apply)

    def _check(self, sheet: ImportSheet) -> list[_Outcome]:
        codes: set[str] = {row.values["code"] for row in sheet.rows if row.values.get("code") and "code" not in row.bad}
        existing: dict[str, Project] = {}
        editable: set[int] = set()
        code_list = sorted(codes)
        for start in range(0, len(code_list), 500):
            chunk = code_list[start : start + 500]
            for project in (
                Project.objects.filter(code__in=chunk)
                .select_related("lead_unit", "town", "responsible_leader")
                .prefetch_related("plans")
            ):
                existing[project.code] = project
            editable.update(Project.objects.editable_by(self.user).filter(code__in=chunk).values_list("pk", flat=True))
        first_row: dict[str, int] = {}
        outcomes = []
        for row in sheet.rows:
            outcome = self._check_row(sheet, row, existing, editable, first_row)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _check_row(
        self,
        sheet: ImportSheet,
        row: Row,
        existing: Mapping[str, Project],
        editable: set[int],
        first_row: dict[str, int],
    ) -> _Outcome | None:
        number, report = row.number, sheet.report
        errors_before = len(report.errors)
        parsed = {key: value for key, value in row.good().items() if key in BY_FIELD}
        bad = {key for key in row.bad if key in BY_FIELD}
        plans: dict[int, Decimal] = {}
        plan_keys: dict[int, str] = {}
        for bound in sheet.header.family(PLANS.key):
            amount = row.values.get(bound.key)
            if bound.key not in row.bad and amount is not None:
                year = int(bound.column.param or 0)
                plans[year] = amount
                plan_keys[year] = bound.key

        code = parsed.get("code") or ""
        if code in first_row:
            sheet.error(number, "code", _("项目编号“%(code)s”与第 %(row)d 行重复")
                        % {"code": shown(code), "row": first_row[code]})
        elif code:
            first_row[code] = number
        original = existing.get(code) if code else None
        if original is not None and original.pk not in editable:
            # Say no more than that the code is taken: the project is outside the user's scope.
            sheet.error(number, "code",
                        _("项目编号“%(code)s”已被其他项目使用，您无权修改该项目") % {"code": shown(code)})
            return None

        old_plans = {plan.year: plan.amount for plan in original.plans.all()} if original is not None else {}
        data = self._form_data(original, parsed, bad)
        clean = not row.bad and len(report.errors) == errors_before
        if (
            original is not None
            and clean
            and data == self._form_data(original, {}, set())
            and all(old_plans.get(year) == amount for year, amount in plans.items())
        ):
            # Nothing to write, so nothing to validate: the form (eight queries) is for changes.
            return _Outcome(original, plans, _Outcome.UNCHANGED)
        before = audit_snapshot(original) if original is not None else {}
        form = ProjectForm(data, instance=original or Project(), user=self.user, year=self.year)
        self._adjust_form(form, original)
        valid = form.is_valid()
        for name, messages in form.errors.items():
            if name in bad:
                continue  # the cell's own error says it better
            for message in messages:
                sheet.error(number, name if name in BY_FIELD else None, str(message))
        co_units: list[Unit] | None = None
        if "co_units" in parsed and "co_units" not in bad:
            wanted = {unit.pk for unit in parsed["co_units"]}
            current = {unit.pk for unit in original.co_units.all()} if original is not None else set()
            if "co_units" in form.fields:
                co_units = list(parsed["co_units"])
            elif wanted != current:
                sheet.error(number, "co_units", _("配合单位只有项目办可以设定，请保持原值或留空。"))
        total = form.cleaned_data.get("total_investment") if valid else parsed.get("total_investment")
        for year, amount in plans.items():
            if total is not None and amount > total:
                sheet.error(number, plan_keys[year], _("年度计划投资不能超过总投资。"))
        if row.bad or len(report.errors) > errors_before:
            return None
        project = form.instance
        if original is None:
            return _Outcome(project, plans, _Outcome.CREATED, co_units)
        changed = (
            before != audit_snapshot(project)
            or any(old_plans.get(y) != a for y, a in plans.items())
            or (co_units is not None and {u.pk for u in co_units} != {u.pk for u in original.co_units.all()})
        )
        return _Outcome(project, plans, _Outcome.UPDATED if changed else _Outcome.UNCHANGED, co_units)

    @staticmethod
    def _form_data(original: Project | None, parsed: Mapping[str, Any], bad: set[str]) -> dict[str, Any]:
        """The form's data: the file's cells over the project's current values (for absent columns)."""
        data: dict[str, Any] = model_to_dict(original, fields=list(BY_FIELD)) if original is not None else {}
        for name, value in parsed.items():
            if name in bad:
                continue
            if isinstance(value, list):
                data[name] = sorted(item.pk for item in value)
            else:
                data[name] = value.pk if isinstance(value, (Unit, User, ProjectCategory, FundingSource)) else value
        if original is not None and "co_units" in data and "co_units" not in parsed:
            data["co_units"] = sorted(unit.pk for unit in data["co_units"])  # model_to_dict gives the units
        return {name: value for name, value in data.items() if value is not None}

    def _adjust_form(self, form: ProjectForm, original: Project | None) -> None:
        """Keeping a project's current unit or leader is always allowed, even if since deactivated:
        otherwise an exported file could not be uploaded back unchanged."""
        current = {
            "lead_unit": original.lead_unit_id if original else None,
            "town": original.town_id if original else None,
            "responsible_leader": original.responsible_leader_id if original else None,
        }
        for name, pk in current.items():
            if pk is not None:
                choices = form.fields[name].queryset  # type: ignore[attr-defined]
                form.fields[name].queryset = choices.model.objects.filter(  # type: ignore[attr-defined]
                    Q(pk__in=choices.values("pk")) | Q(pk=pk)
                )
        invalid = {
            # A unit's reporter may only choose the unit (the form limits the choices to it).
            "lead_unit": _("单位填报员只能填报本单位牵头的项目")
            if can(self.user, "projects.unit_scoped") else _("该单位已停用，不能选择"),
            "town": _("该镇街已停用，不能选择"),
            "responsible_leader": _("该用户已停用或已不是区领导，不能选择"),
        }
        for name, message in invalid.items():
            form.fields[name].error_messages["invalid_choice"] = message

    def _apply(self, sheet: ImportSheet, outcomes: Sequence[_Outcome]) -> None:
        """Runs in the import's transaction: a database error rolls every row back."""
        for outcome in outcomes:
            if outcome.status != _Outcome.UNCHANGED:
                services.project_save(
                    by=self.user, project=outcome.project, plans=outcome.plans, source="excel",
                    co_units=outcome.co_units,
                )
        report = sheet.report
        report.created = sum(1 for o in outcomes if o.status == _Outcome.CREATED)
        report.updated = sum(1 for o in outcomes if o.status == _Outcome.UPDATED)
        report.unchanged = sum(1 for o in outcomes if o.status == _Outcome.UNCHANGED)


def ledger_import(*, by: User, upload: Any) -> ImportReport:
    """Import an uploaded ledger file: all rows or none. See ``LedgerImport``."""
    return LedgerImport(by=by).run(upload)
