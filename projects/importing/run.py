"""Importing a district's own list of key projects: read, map, check every row, then save all or nothing.

A list is any .xlsx a district has (title rows, merged headers, 亿元 or 万元, "2022-2023", several
units in one cell). ``analyse`` finds its table (``fields.find_project_table``), takes the mapping
of columns to fields from the user's ``Choices`` (the mapping page, a saved ``ImportProfile``) or
the guess, reads every row with the parsers of ``values`` and resolves names (units, towns,
leaders, categories, funding sources, levels, stages) against the database, collecting every
problem as an ``Issue`` with its row, column letter and header. ``save`` then writes the rows in
one transaction with bulk queries: new projects, the projects a row matches (by code, else by
name), their co-units, annual plans, yearly figures, audit entries and lights.

What the user decided is a ``Choices``; what the file says under it is an ``Analysis``; both are
plain data so that the page, the command line and the worker share them.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import audit_snapshot
from core.district import scope as district_scope
from core.excel.guard import FileRejected, open_upload
from core.excel.layout import ColumnGuess, LayoutError, Table, TableColumn
from core.excel.parsers import CellError, shown
from core.excel.reader import Issue
from org.models import Unit, User
from projects import rules, services
from projects.importing import fields as F
from projects.importing import values as V
from projects.models import (
    ZERO,
    AnnualPlan,
    Construction,
    FundingSource,
    LedgerState,
    Level,
    Project,
    ProjectCategory,
    ProjectType,
    Stage,
)

DEFAULT_CODE_PATTERN = "{year}-{seq:04d}"
NEW = "new"  # a value mapped to a unit, category or funding source created by the import
SKIP = "skip"  # a value deliberately left out (a co-unit group such as 各相关乡镇)
BATCH = 1000
CONSTRUCTION_WORDS = {"新建": Construction.NEW, "新开工": Construction.NEW, "续建": Construction.CONTINUING}
PREVIEW_ROWS = 10

# The fields whose values are names resolved against the database, as ``unknown_values`` keys them.
NAMED_FIELDS = ("unit", "town", "responsible_leader", "level", "category", "funding_source", "project_type",
                "stage", "construction")
# Fields a row sets on a project; the others (plan, period, units) are handled on their own.
PROJECT_TEXT = {"name": 100, "content": None, "location": 200, "owner": 100, "owner_contact": 30,
                "owner_phone": 30, "service_officer": 30, "remarks": None}
SAVED_FIELDS = (
    "name", "content", "location", "owner", "owner_contact", "owner_phone", "service_officer", "remarks",
    "total_investment", "invested_before", "planned_start", "planned_completion", "period_text", "lead_unit",
    "town", "responsible_leader", "level", "project_type", "category", "funding_source", "stage", "construction",
    "is_special_bond", "livelihood", "latitude", "longitude",
)


class ImportRefused(Exception):
    """The file cannot be read as a list at all (not an .xlsx, no table found); the message says why."""


@dataclass
class Choices:
    """What the user decided about a list (or what a profile remembers).

    ``mapping``: column header as written (``TableColumn.label``) → field key, "" to ignore a column;
    columns it does not name keep the guess. ``values``: ``NAMED_FIELDS`` key → {value folded
    (``V.fold``) → an id, a choice's code, ``NEW`` or ``SKIP``}. ``defaults``: field → value for rows
    whose list says nothing (level, project_type, stage, construction, category and funding_source
    ids, lead_unit id, invested_before in 万元). ``rates``: currency → 元 per unit. ``amount_unit``: the
    unit of bare numbers when neither the header nor the title says. ``year``: the list's year
    ("本年计划投资", "建设工期2年"), by default the one in its title, else this year.
    """

    sheet: str | None = None
    header_rows: tuple[int, ...] | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)
    amount_unit: str = ""
    code_pattern: str = DEFAULT_CODE_PATTERN
    year: int | None = None

    @classmethod
    def from_profile(cls, profile: Any) -> Choices:
        return cls(
            mapping=dict(profile.mapping), values={k: dict(v) for k, v in profile.values.items()},
            defaults=dict(profile.defaults), rates=dict(profile.rates), amount_unit=profile.amount_unit,
            code_pattern=profile.code_pattern or DEFAULT_CODE_PATTERN,
        )

    def value_for(self, kind: str, raw: str) -> str | None:
        return self.values.get(kind, {}).get(V.fold(raw))


@dataclass
class Row:
    """One data row as it will be saved: the project's fields, its plans by year and its co-units."""

    number: int
    fields: dict[str, Any] = field(default_factory=dict)
    plans: dict[int, Decimal] = field(default_factory=dict)
    co_units: list[Any] = field(default_factory=list)  # Unit, or ("new", name)
    code: str = ""
    match: Project | None = None  # the existing project this row updates
    ok: bool = True


@dataclass
class Analysis:
    table: Table
    choices: Choices
    columns: list[tuple[TableColumn, str | None]]  # each column and the field it is read into
    rows: list[Row] = field(default_factory=list)
    skipped: list[Any] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {folded: as written}
    missing_rates: set[str] = field(default_factory=set)
    total_investment_wan: Decimal = ZERO
    year: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def mapping(self) -> dict[str, str]:
        return {column.label: key for column, key in self.columns if key}

    @property
    def unknown_values(self) -> dict[str, list[str]]:
        return {name: sorted(found.values()) for name, found in self.unknown.items() if found}

    def error(self, row: int | None, column: TableColumn | None, message: str) -> None:
        self.errors.append(Issue(row, column.label if column else "", message, column.index if column else 0))

    def as_json(self) -> dict[str, Any]:
        """What ``manage.py import_projects --format json`` prints."""
        return {
            "sheet": self.table.sheet,
            "header_rows": list(self.table.header_rows),
            "rows": len(self.rows),
            "skipped": [{"row": s.number, "reason": s.reason, "text": s.text} for s in self.skipped],
            "mapping": self.mapping,
            "unmapped": [column.label for column, key in self.columns if not key],
            "total_investment_wan": str(self.total_investment_wan),
            "unknown_values": self.unknown_values,
            "missing_rates": sorted(self.missing_rates),
            "warnings": list(self.warnings),
            "errors": [
                {"row": issue.row, "column": issue.letter, "header": issue.column, "message": issue.message}
                for issue in sorted(self.errors, key=_issue_order)
            ],
        }


def _issue_order(issue: Issue) -> tuple[int, int]:
    return (issue.row or 0, issue.position)


def active_leaders() -> list[User]:
    """The district leaders a list's 包靠领导 can name."""
    return list(User.objects.filter(role=User.Role.LEADER, is_active=True).order_by("full_name", "username"))


# --- the names in the database ------------------------------------------------------------------------

class Names:
    """Units, towns, leaders, categories, funding sources and existing projects, read once per analysis."""

    def __init__(self) -> None:
        self.units = list(Unit.objects.all())
        self.by_name: dict[str, list[Unit]] = defaultdict(list)
        self.by_key: dict[str, list[Unit]] = defaultdict(list)
        for unit in self.units:
            for name in {unit.name, unit.short_name} - {""}:
                if unit not in self.by_name[V.fold(name)]:
                    self.by_name[V.fold(name)].append(unit)
                if unit not in self.by_key[V.unit_key(name)]:
                    self.by_key[V.unit_key(name)].append(unit)
        self.units_by_pk = {str(unit.pk): unit for unit in self.units}
        self.leaders: dict[str, list[User]] = defaultdict(list)
        self.leaders_by_pk: dict[str, User] = {}
        for user in active_leaders():
            self.leaders_by_pk[str(user.pk)] = user
            for name in {user.full_name, user.username} - {""}:
                self.leaders[V.fold(name)].append(user)
        self.categories = {V.category_key(c.name): c for c in ProjectCategory.objects.all()}
        self.categories_by_pk = {str(c.pk): c for c in self.categories.values()}
        self.funding = {V.fold(f.name): f for f in FundingSource.objects.all()}
        self.funding_by_pk = {str(f.pk): f for f in self.funding.values()}
        self.codes: dict[str, Project] = {}
        self.names: dict[str, list[Project]] = defaultdict(list)

    def load_projects(self, codes: Iterable[str], name_keys: Iterable[str]) -> None:
        """The projects a list's rows may update: those with its codes, or with its names folded
        (``search_name``, indexed), a batch of names per query, whatever the ledger's size."""
        wanted_codes, wanted_names = sorted(set(codes) - {""}), sorted(set(name_keys) - {""})
        found: dict[int, Project] = {}
        for field_name, wanted in (("code", wanted_codes), ("search_name", wanted_names)):
            for start in range(0, len(wanted), BATCH):
                chunk = wanted[start : start + BATCH]
                for project in Project.objects.filter(**{f"{field_name}__in": chunk}).prefetch_related("plans"):
                    found.setdefault(project.pk, project)
        for project in found.values():
            self.codes[project.code] = project
            self.names[project.search_name].append(project)


# --- reading --------------------------------------------------------------------------------------------

def open_table(upload: Any, choices: Choices) -> Table:
    """The list's table: the sheet and header rows the user chose, else the ones found."""
    try:
        workbook = open_upload(upload)
    except FileRejected as error:
        raise ImportRefused(str(error)) from error
    try:
        return F.find_project_table(workbook, sheet=choices.sheet, header_rows=choices.header_rows)
    except LayoutError as error:
        raise ImportRefused(str(error)) from error
    finally:
        workbook.close()


def column_fields(table: Table, choices: Choices) -> list[tuple[TableColumn, str | None, ColumnGuess | None]]:
    """Each column with the field it is read into: the user's choice for its header, else the guess."""
    guesses = {guess.column.index: guess for guess in table.guesses}
    result = []
    for column in table.columns:
        guess = guesses.get(column.index)
        if column.label in choices.mapping:
            key = choices.mapping[column.label] or None
            if key is not None and key not in F.BY_KEY:
                key = None
        else:
            key = guess.key if guess is not None else None
        if key is not None and F.BY_KEY[key].kind == F.IGNORE:
            key = None
        result.append((column, key, guess))
    return result


def analyse(upload: Any, choices: Choices | None = None, *, names: Names | None = None) -> Analysis:
    """Read the list under ``choices`` (the guess when None) and check every row; nothing is saved."""
    choices = choices or Choices()
    table = open_table(upload, choices)
    with district_scope():
        return Reader(table, choices, names or Names()).read()


class Reader:
    def __init__(self, table: Table, choices: Choices, names: Names) -> None:
        self.table, self.choices, self.names = table, choices, names
        self.year = choices.year or table.year or services.today().year
        self.columns = column_fields(table, choices)
        self.analysis = Analysis(
            table=table, choices=choices, columns=[(c, k) for c, k, _g in self.columns], year=self.year,
        )
        self.analysis.warnings.extend(table.warnings)
        self.units_of: dict[int, str | None] = {}
        for column, key, guess in self.columns:
            if key is not None and F.BY_KEY[key].kind == F.AMOUNT:
                self.units_of[column.index] = (guess.unit if guess is not None and guess.key == key else None) or (
                    table.unit or choices.amount_unit or None
                )

    def read(self) -> Analysis:
        analysis = self.analysis
        keys = [key for _c, key, _g in self.columns if key]
        for key in ("name",):
            if key not in keys:
                analysis.error(None, None, _("没有找到“%(field)s”列，请在对应页面指定哪一列是%(field)s。")
                               % {"field": _(F.BY_KEY[key].label)})
        if "lead_unit" not in keys and not self.choices.defaults.get("lead_unit"):
            analysis.error(
                None, None, _("没有找到“责任单位”列：请指定哪一列是责任单位，或为全部项目选择一个牵头单位。")
            )
        if "total_investment" not in keys:
            analysis.error(None, None, _("没有找到“总投资”列，请在对应页面指定哪一列是总投资。"))
        try:
            rows = self.table.rows()
        except LayoutError as error:
            raise ImportRefused(str(error)) from error
        analysis.skipped = rows.skipped
        for data in rows.rows:
            analysis.rows.append(self.read_row(data))
        self.names.load_projects((row.code for row in analysis.rows),
                                 (services.search_name(row.fields.get("name", "")) for row in analysis.rows))
        codes_seen: dict[str, int] = {}
        names_seen: dict[str, int] = {}
        for row in analysis.rows:
            self.match(row, codes_seen, names_seen)
        return analysis

    # one row

    def read_row(self, data: Any) -> Row:
        row = Row(number=data.number)
        fields = row.fields
        period_columns: dict[str, TableColumn] = {}
        for column, key, guess in self.columns:
            if key is None:
                continue
            value = data.value(column.index)
            kind = F.BY_KEY[key].kind
            try:
                if kind == F.AMOUNT:
                    self.read_amount(row, column, key, guess, value)
                elif kind == F.PERIOD:
                    period = V.parse_period(value, year=self.year)
                    if period is not None:
                        fields["period_text"] = V.clean_text(period.text, max_length=60, one_line=True)
                        fields.setdefault("planned_start", period.planned_start)
                        fields.setdefault("planned_completion", period.planned_completion)
                        period_columns["period"] = column
                elif kind == F.MONTH:
                    period = V.parse_period(value, year=self.year)
                    if period is not None:
                        point = period.start or period.end
                        if point is not None:
                            fields[key] = point.first_day() if key == "planned_start" else point.last_day()
                            period_columns[key] = column
                elif kind == F.UNITS:
                    self.read_units(row, column, key, value)
                elif kind == F.TOWN:
                    if not V.clean_text(value):
                        continue
                    town = self.resolve_unit(row, column, "town", V.clean_text(value, one_line=True))
                    if town is not SKIP:
                        fields["town"] = town
                elif kind == F.PERSON:
                    if V.clean_text(value):
                        fields["responsible_leader"] = self.resolve_leader(row, column, value)
                elif kind == F.LEVEL:
                    self.read_level(row, column, value)
                elif kind == F.CATEGORY:
                    self.read_category(row, column, value)
                elif kind == F.PROJECT_TYPE:
                    self.read_choice(row, column, "project_type", value, ProjectType)
                elif kind == F.FUNDING:
                    self.read_funding(row, column, value)
                elif kind == F.STAGE:
                    self.read_choice(row, column, "stage", value, Stage)
                elif kind == F.CONSTRUCTION:
                    self.read_choice(row, column, "construction", value, Construction)
                elif kind == F.FLAG:
                    text = V.clean_text(value)
                    if text:
                        fields[key] = _flag(text)
                elif kind == F.COORDINATE:
                    if V.clean_text(value):
                        fields[key] = _coordinate(value, key)
                elif kind == F.CODE:
                    row.code = V.clean_text(value, max_length=30, one_line=True)
                elif key in PROJECT_TEXT:
                    text = V.clean_text(value, max_length=PROJECT_TEXT[key], one_line=PROJECT_TEXT[key] is not None)
                    if text:
                        fields[key] = text
                elif key in {"annual_goal", "progress"}:
                    text = V.clean_text(value)
                    if text:
                        label = _(F.BY_KEY[key].label)
                        fields.setdefault("extra_remarks", []).append(f"{label}：{text}")
            except V.MissingRate as error:
                self.analysis.missing_rates.add(error.currency)
                self.fail(row, column, str(error))
            except CellError as error:
                self.fail(row, column, str(error))
        self.section_defaults(row, data)
        self.apply_defaults(row)
        self.check_row(row, period_columns)
        return row

    def fail(self, row: Row, column: TableColumn | None, message: str) -> None:
        row.ok = False
        self.analysis.error(row.number, column, message)

    def read_amount(self, row: Row, column: TableColumn, key: str, guess: ColumnGuess | None, value: Any) -> None:
        amount = V.parse_amount(value, unit=self.units_of.get(column.index), rates=self.choices.rates)
        if amount is None:
            return
        if amount.wan < 0:
            raise CellError(_("金额不能为负数：“%(value)s”") % {"value": shown(value)})
        if amount.currency != V.CNY:
            # The amount as written and the rate used stay with the project, in its remarks.
            row.fields.setdefault("extra_remarks", []).append(
                _("%(field)s原文：%(text)s，按汇率 %(rate)s 折合 %(wan)s 万元")
                % {"field": _(F.BY_KEY[key].label), "text": amount.text, "rate": amount.rate, "wan": amount.wan}
            )
            self.analysis.warnings.append(
                _("第 %(row)d 行 %(letter)s列：%(text)s 按汇率 %(rate)s 折合 %(wan)s 万元")
                % {"row": row.number, "letter": column.letter, "text": amount.text, "rate": amount.rate,
                   "wan": amount.wan}
            )
        if key == "total_investment":
            row.fields["total_investment"] = amount.wan
            self.analysis.total_investment_wan += amount.wan
        elif key == "plan":
            param = guess.param if guess is not None and guess.key == "plan" else None
            row.plans[int(param) if param else self.year] = amount.wan
        elif key == "invested_before":
            row.fields["invested_before"] = amount.wan

    def read_units(self, row: Row, column: TableColumn, key: str, value: Any) -> None:
        units = V.split_units(value)
        if units is None:
            return
        leads = [u for u in units.leads if not u.group] if key == "lead_unit" else []
        co = [*units.co, *(units.leads if key == "co_units" else [u for u in units.leads if u.group])]
        if key == "lead_unit":
            if not leads:
                self.fail(row, column, _("“%(value)s”没有写明牵头单位") % {"value": shown(units.text)})
            else:
                lead = self.resolve_unit(row, column, "unit", leads[0].name)
                if lead is SKIP:
                    self.fail(row, column, _("牵头单位“%(name)s”不能不导入，请选择对应单位或新建")
                              % {"name": leads[0].name})
                else:
                    row.fields["lead_unit"] = lead
                co = [*leads[1:], *co]
        for name in co:
            if name.group and self.choices.value_for("unit", name.name) is None:
                self.analysis.warnings.append(
                    _("第 %(row)d 行 %(letter)s列：“%(name)s”不是一个单位，未列为配合单位（可在对应页面指定）")
                    % {"row": row.number, "letter": column.letter, "name": name.name}
                )
                continue
            unit = self.resolve_unit(row, column, "unit", name.name)
            if unit is not None and unit is not SKIP and unit not in row.co_units:
                row.co_units.append(unit)

    def resolve_unit(self, row: Row, column: TableColumn, kind: str, name: str) -> Any:
        """A unit (or ``("new", name)``, or ``SKIP``) for a name; unknown names are recorded and fail the row."""
        chosen = self.choices.value_for(kind, name)
        if chosen == NEW and len(existing := self.names.by_name.get(V.fold(name), [])) == 1:
            return existing[0]  # created by an earlier import of the same mapping
        if chosen == NEW:
            return (NEW, name)
        if chosen == SKIP:
            return SKIP
        if chosen is not None:
            unit = self.names.units_by_pk.get(chosen)
            if unit is not None:
                return unit
        found = self.names.by_name.get(V.fold(name)) or self.names.by_key.get(V.unit_key(name)) or []
        if kind == "town":
            found = [u for u in found if u.kind == Unit.Kind.TOWN]
        if len(found) == 1:
            return found[0]
        self.analysis.unknown.setdefault(kind, {})[V.fold(name)] = name
        what = _("镇街") if kind == "town" else _("单位")
        if found:
            self.fail(row, column, _("“%(name)s”对应多个%(what)s，请在对应页面指定") % {"name": name, "what": what})
        else:
            self.fail(row, column, _("找不到%(what)s“%(name)s”，请在对应页面选择已有%(what)s或新建")
                      % {"name": name, "what": what})
        return None

    def resolve_leader(self, row: Row, column: TableColumn, value: Any) -> User | None:
        name = V.clean_text(value, one_line=True)
        chosen = self.choices.value_for("responsible_leader", name)
        if chosen == SKIP:
            return None
        if chosen is not None and chosen in self.names.leaders_by_pk:
            return self.names.leaders_by_pk[chosen]
        found = self.names.leaders.get(V.fold(name), [])
        if len(found) == 1:
            return found[0]
        self.analysis.unknown.setdefault("responsible_leader", {})[V.fold(name)] = name
        self.fail(row, column, _("找不到区领导“%(name)s”，请在对应页面指定或留空") % {"name": name})
        return None

    def read_level(self, row: Row, column: TableColumn, value: Any) -> None:
        text = V.clean_text(value, one_line=True)
        if not text:
            return
        chosen = self.choices.value_for("level", text)
        if chosen in Level.values:
            row.fields["level"] = chosen
            return
        result = V.parse_level(value)
        if result is not None and result.level in Level.values:
            row.fields["level"] = result.level
            return
        if result is not None and result.size_min is not None:
            return  # "亿元以上" is a size class, not a level: the default level applies
        self.analysis.unknown.setdefault("level", {})[V.fold(text)] = text
        self.fail(row, column, _("无法识别项目级别“%(value)s”，请在对应页面指定") % {"value": text})

    def read_category(self, row: Row, column: TableColumn, value: Any) -> None:
        text = V.clean_text(value, one_line=True)
        if not text:
            return
        chosen = self.choices.value_for("category", text)
        existing = self.names.categories.get(V.category_key(text))
        if chosen == NEW and existing is None:
            row.fields["category"] = (NEW, text)
            return
        if chosen == SKIP:
            return
        category = self.names.categories_by_pk.get(chosen or "") or existing
        if category is None:
            self.analysis.unknown.setdefault("category", {})[V.fold(text)] = text
            self.fail(row, column, _("项目类别“%(value)s”不在类别表中，请在对应页面选择已有类别或新建")
                      % {"value": text})
            return
        row.fields["category"] = category

    def read_funding(self, row: Row, column: TableColumn, value: Any) -> None:
        parts = V.split_list(value)
        if not parts:
            return
        text = parts[0]
        chosen = self.choices.value_for("funding_source", text)
        if chosen == NEW and V.fold(text) not in self.names.funding:
            row.fields["funding_source"] = (NEW, text)
        elif chosen == SKIP:
            return
        elif (source := self.names.funding_by_pk.get(chosen or "") or self.names.funding.get(V.fold(text))):
            row.fields["funding_source"] = source
        else:
            self.analysis.unknown.setdefault("funding_source", {})[V.fold(text)] = text
            self.fail(row, column, _("资金来源“%(value)s”不在列表中，请在对应页面选择或新建") % {"value": text})
            return
        if len(parts) > 1:
            row.fields.setdefault("extra_remarks", []).append(_("资金来源：%(text)s") % {"text": "、".join(parts)})

    def read_choice(self, row: Row, column: TableColumn, key: str, value: Any, choices: Any) -> None:
        text = V.clean_text(value, one_line=True)
        if not text:
            return
        chosen = self.choices.value_for(key, text)
        labels = {V.fold(str(label)): code for code, label in choices.choices}
        labels.update({V.fold(code): code for code in choices.values})
        code = chosen if chosen in choices.values else labels.get(V.fold(text))
        if code is None and key == "construction":
            code = CONSTRUCTION_WORDS.get(V.fold(text))
        if code is None and key == "project_type":
            code = V.guess_project_type(text)
        if code is None:
            self.analysis.unknown.setdefault(key, {})[V.fold(text)] = text
            self.fail(row, column, _("无法识别“%(value)s”，请在对应页面指定") % {"value": text})
            return
        row.fields[key] = code

    def section_defaults(self, row: Row, data: Any) -> None:
        """A category heading above the row ("一、工业项目") stands for a category column the list lacks."""
        if "category" in row.fields or not data.section:
            return
        for title in reversed(data.section):
            category = self.names.categories.get(V.category_key(title))
            if category is not None:
                row.fields["category"] = category
                return
            if (code := CONSTRUCTION_WORDS.get(V.category_key(title))) and "construction" not in row.fields:
                row.fields["construction"] = code

    def apply_defaults(self, row: Row) -> None:
        fields, defaults = row.fields, self.choices.defaults
        fields.setdefault("level", defaults.get("level") or Level.DISTRICT)
        category = fields.get("category")
        if "project_type" not in fields:
            guessed = V.guess_project_type(category.name) if isinstance(category, ProjectCategory) else None
            fields["project_type"] = defaults.get("project_type") or guessed or ProjectType.OTHER
        fields.setdefault("construction", defaults.get("construction") or Construction.NEW)
        fields.setdefault("stage", defaults.get("stage") or Stage.PREPARING)
        if "category" not in fields and defaults.get("category"):
            fields["category"] = self.names.categories_by_pk.get(defaults["category"])
        if "funding_source" not in fields and defaults.get("funding_source"):
            fields["funding_source"] = self.names.funding_by_pk.get(defaults["funding_source"])
        if "lead_unit" not in fields and defaults.get("lead_unit"):
            fields["lead_unit"] = self.names.units_by_pk.get(defaults["lead_unit"])
        if "invested_before" not in fields:
            fields["invested_before"] = Decimal(defaults.get("invested_before") or 0)
        if isinstance(category, ProjectCategory) and category.livelihood:
            fields.setdefault("livelihood", True)

    def check_row(self, row: Row, period_columns: Mapping[str, TableColumn]) -> None:
        fields = row.fields
        name_column = self.column_of("name")
        if not fields.get("name"):
            self.fail(row, name_column, _("项目名称不能为空"))
        total = fields.get("total_investment")
        if total is None and self.column_of("total_investment") is not None:
            self.fail(row, self.column_of("total_investment"), _("总投资不能为空"))
        for year, amount in row.plans.items():
            if total is not None and amount > total:
                self.fail(row, self.column_of("plan"), _("%(year)d年计划投资 %(plan)s 万元超过总投资 %(total)s 万元")
                          % {"year": year, "plan": amount, "total": total})
        start, end = fields.get("planned_start"), fields.get("planned_completion")
        if start and end and end < start:
            column = period_columns.get("period") or period_columns.get("planned_completion")
            self.fail(row, column, _("竣工时间早于开工时间"))
        if fields.get("stage") in rules.STARTED_STAGES and not fields.get("actual_start"):
            # A list of projects under construction rarely says when each started: their planned start.
            if start and start <= services.today():
                fields["actual_start"] = start
            else:
                self.fail(row, self.column_of("stage"), _("项目阶段为在建、竣工或投产，但没有已过的开工时间"))

    def column_of(self, key: str) -> TableColumn | None:
        return next((column for column, k, _g in self.columns if k == key), None)

    # existing projects

    def match(self, row: Row, codes_seen: dict[str, int], names_seen: dict[str, int]) -> None:
        """The project a row updates: by its code, else by its name; duplicates in the list are errors."""
        name_key = services.search_name(row.fields.get("name", ""))
        if row.code:
            if row.code in codes_seen:
                self.fail(row, self.column_of("code"), _("项目编号“%(code)s”与第 %(row)d 行重复")
                          % {"code": row.code, "row": codes_seen[row.code]})
            codes_seen.setdefault(row.code, row.number)
            row.match = self.names.codes.get(row.code)
        elif name_key:
            if name_key in names_seen:
                self.fail(row, self.column_of("name"), _("项目名称与第 %(row)d 行相同") % {"row": names_seen[name_key]})
            names_seen.setdefault(name_key, row.number)
            found = self.names.names.get(name_key, [])
            if len(found) > 1:
                self.fail(row, self.column_of("name"), _("项目库中有 %(n)d 个同名项目，请在清单中加上项目编号")
                          % {"n": len(found)})
            elif found:
                row.match = found[0]


def _flag(text: str) -> bool:
    key = V.fold(text)
    if key in {"是", "y", "yes", "√", "✓", "1", "true"}:
        return True
    if key in {"否", "n", "no", "×", "0", "false"}:
        return False
    raise CellError(_("应填“是”或“否”，实际为“%(value)s”") % {"value": shown(text)})


def _coordinate(value: Any, key: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as error:
        raise CellError(_("应为数字（度），实际为“%(value)s”") % {"value": shown(value)}) from error
    limit = 90 if key == "latitude" else 180
    if not number.is_finite() or abs(number) > limit:
        raise CellError(
            _("应在 -%(limit)d 至 %(limit)d 之间，实际为“%(value)s”") % {"limit": limit, "value": shown(value)}
        )
    return number.quantize(Decimal("0.000001"))


# --- saving ---------------------------------------------------------------------------------------------

@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: list[str] = field(default_factory=list)
    project_ids: list[int] = field(default_factory=list)


def save(analysis: Analysis, *, by: User | None, progress: Any = None) -> SaveResult:
    """Write every row in one transaction (nothing when the analysis has errors). ``progress(percent, text)``
    is told how far it is (the worker's job). Office only: the caller checks ``projects.import_lists``."""
    if not analysis.ok:
        raise ValueError("an analysis with errors is never saved")
    step = progress or (lambda _percent, _text: None)
    result = SaveResult()
    with district_scope(), transaction.atomic():
        created_names = _create_named(analysis, result)
        step(55, _("正在保存项目"))
        news: list[Row] = []
        updates: list[Row] = []
        for row in analysis.rows:
            _resolve_new(row, created_names)
            (updates if row.match is not None else news).append(row)
        _assign_codes(news, analysis)
        now = timezone.now()
        entries: list[AuditEntry] = []
        created = _create_projects(news, by=by, now=now, entries=entries)
        step(70, _("正在更新已有项目"))
        changed = _update_projects(updates, by=by, now=now, entries=entries)
        _save_co_units([*news, *updates])
        plan_years = _save_plans(news, updates, by=by, now=now, entries=entries)
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH)
        ids = [p.pk for p in created] + [p.pk for p in changed]
        step(85, _("正在计算年度数据和红黄绿灯"))
        if ids or plan_years:
            services.year_figures_rebuild(project_ids=sorted({*ids, *plan_years}))
        # New projects got their lights when they were made; the changed ones are computed again.
        existing = sorted({p.pk for p in changed} | (plan_years - {p.pk for p in created}))
        if existing:
            services.lights_refresh_all(project_ids=existing)
        result.created, result.updated = len(created), len(changed)
        result.unchanged = len(updates) - len(changed)
        result.project_ids = sorted({*ids, *plan_years})
    return result


def _create_named(analysis: Analysis, result: SaveResult) -> dict[tuple[str, str], Any]:
    """Units, towns, categories and funding sources the user chose to create, once each."""
    made: dict[tuple[str, str], Any] = {}
    wanted: list[tuple[str, str]] = []
    for row in analysis.rows:
        for key in ("lead_unit", "town", "category", "funding_source"):
            value = row.fields.get(key)
            if isinstance(value, tuple):
                wanted.append((key, value[1]))
        wanted += [("co_units", unit[1]) for unit in row.co_units if isinstance(unit, tuple)]
    for key, name in dict.fromkeys(wanted):
        kind = {"lead_unit": "unit", "co_units": "unit"}.get(key, key)
        if (kind, V.fold(name)) in made:
            continue
        if kind in {"unit", "town"}:
            unit_kind = Unit.Kind.TOWN if kind == "town" else Unit.Kind.DEPARTMENT
            obj: Any = Unit.objects.create(name=name[:60], kind=unit_kind)
            result.units_created.append(obj.name)
        elif kind == "category":
            obj = ProjectCategory.objects.create(name=name[:30])
        else:
            obj = FundingSource.objects.create(name=name[:30])
        made[(kind, V.fold(name))] = obj
    return made


def _resolve_new(row: Row, made: Mapping[tuple[str, str], Any]) -> None:
    for key in ("lead_unit", "town", "category", "funding_source"):
        value = row.fields.get(key)
        if isinstance(value, tuple):
            kind = "unit" if key == "lead_unit" else key
            row.fields[key] = made[(kind, V.fold(value[1]))]
    row.co_units = [made[("unit", V.fold(u[1]))] if isinstance(u, tuple) else u for u in row.co_units]


def _assign_codes(rows: list[Row], analysis: Analysis) -> None:
    """Codes for new rows without one, by the pattern, skipping codes already taken."""
    taken = set(Project.objects.values_list("code", flat=True)) | {row.code for row in rows if row.code}
    pattern = analysis.choices.code_pattern or DEFAULT_CODE_PATTERN
    n = 0
    for row in rows:
        if row.code:
            continue
        while True:
            n += 1
            code = V.make_code(pattern, n, year=analysis.year)
            if code not in taken:
                break
        taken.add(code)
        row.code = code


def _project_values(row: Row) -> dict[str, Any]:
    values = {key: row.fields[key] for key in SAVED_FIELDS if key in row.fields}
    extra = row.fields.get("extra_remarks")
    if extra:
        values["remarks"] = "\n".join([values.get("remarks", ""), *extra]).strip()
    if "actual_start" in row.fields:
        values["actual_start"] = row.fields["actual_start"]
    return values


def _create_projects(rows: list[Row], *, by: User | None, now: dt.datetime, entries: list[AuditEntry]) -> list[Project]:
    projects = []
    as_of = services.today()
    for row in rows:
        values = _project_values(row)
        project = Project(code=row.code, ledger_state=LedgerState.ACTIVE, **values)
        project.initials = services.name_initials(V.fold(project.name))
        project.search_name = services.search_name(project.name)
        # A new project has no milestones or reports yet: its light is known before it is saved.
        plans = [AnnualPlan(year=year, amount=amount) for year, amount in row.plans.items()]
        light = _light(project, plans, as_of)
        project.light, project.light_as_of = light.light, as_of
        project.light_reasons = [[reason.light, reason.text] for reason in light.reasons]
        projects.append(project)
    created = Project.objects.bulk_create(projects, batch_size=BATCH)
    if created and created[0].pk is None:  # a database that does not return ids (none of ours)
        by_code = dict(Project.objects.filter(code__in=[p.code for p in created]).values_list("code", "pk"))
        for project in created:
            project.pk = by_code[project.code]
    for row, project in zip(rows, created, strict=True):
        row.match = project
        entry = _entry(by, project, {}, now, action=AuditEntry.Action.CREATE)
        if entry is not None:
            entries.append(entry)
    return created


@translation.override(settings.LANGUAGE_CODE)
def _light(project: Project, plans: list[AnnualPlan], as_of: dt.date) -> rules.LightResult:
    return services.project_light_of(project, milestones=(), plans=plans, reports=(), as_of=as_of)


def _update_projects(rows: list[Row], *, by: User | None, now: dt.datetime, entries: list[AuditEntry]) -> list[Project]:
    changed: list[Project] = []
    names: set[str] = set()
    exclude = frozenset({"co_units"})
    for row in rows:
        project = row.match
        assert project is not None
        before = audit_snapshot(project, exclude=exclude)
        for key, value in _project_values(row).items():
            setattr(project, key, value)
            names.add(key)
        project.initials = services.name_initials(V.fold(project.name))
        project.search_name = services.search_name(project.name)
        entry = _entry(by, project, before, now, action=AuditEntry.Action.UPDATE)
        if entry is not None:
            entries.append(entry)
            changed.append(project)
    if changed:
        Project.objects.bulk_update(changed, sorted({*names, "initials", "search_name", "updated_at"}),
                                    batch_size=BATCH)
        for project in changed:
            project.updated_at = now
    return changed


def _save_co_units(rows: Iterable[Row]) -> None:
    """A list adds co-units; it never removes one (that is the project form's business)."""
    through = Project.co_units.through
    links = []
    for row in rows:
        if row.match is None:
            continue
        lead = row.fields["lead_unit"].pk if "lead_unit" in row.fields else row.match.lead_unit_id
        links += [through(project_id=row.match.pk, unit_id=unit.pk) for unit in row.co_units if unit.pk != lead]
    if links:
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)


def _save_plans(
    news: list[Row], updates: list[Row], *, by: User | None, now: dt.datetime, entries: list[AuditEntry]
) -> set[int]:
    """New and changed annual plans, one query for each batch; returns the projects whose plans changed.
    A project just created has no plans; an existing one's were read with it (``Names.load_projects``)."""
    plans: list[AnnualPlan] = []
    touched: set[int] = set()
    for row, saved_before in [*((row, False) for row in news), *((row, True) for row in updates)]:
        project = row.match
        assert project is not None
        existing = {plan.year: plan for plan in project.plans.all()} if saved_before else {}
        for year, amount in row.plans.items():
            old = existing.get(year)
            if old is not None and old.amount == amount:
                continue
            plans.append(AnnualPlan(project_id=project.pk, year=year, amount=amount))
            touched.add(project.pk)
            entries.append(AuditEntry(
                user=by, action=AuditEntry.Action.UPDATE if old else AuditEntry.Action.CREATE,
                model="projects.annualplan", object_id="", object_repr=f"{project.code} {year}"[:200],
                subject_model="projects.project", subject_id=str(project.pk), source="list-import",
                changes={str(AnnualPlan._meta.get_field("amount").verbose_name): [
                    "" if old is None else str(old.amount), str(amount)]},
                at=now,
            ))
    if plans:
        AnnualPlan.objects.bulk_create(plans, batch_size=BATCH, update_conflicts=True,
                                       unique_fields=["project", "year"], update_fields=["amount"])
    return touched


def _entry(
    by: User | None, project: Project, before: dict[str, Any], now: dt.datetime, *, action: str
) -> AuditEntry | None:
    after = audit_snapshot(project, exclude=frozenset({"co_units"}))
    changes = {}
    for name in after:
        label, new = after[name]
        old = before.get(name, (label, ""))[1]
        if old != new:
            changes[label] = [old, new]
    if not changes:
        return None
    return AuditEntry(
        user=by, action=action, model="projects.project", object_id=str(project.pk),
        object_repr=str(project)[:200], subject_model="projects.project", subject_id=str(project.pk),
        changes=changes, source="list-import", at=now,
    )
