"""The ledger's Excel round trip: one column layout for the blank template, the export and the import.

The layout is defined once, in ``COLUMNS``: sheet "重点项目", row 1 the headers, data from row 2,
then one column per year "YYYY年计划投资(万元)". The export appends read-only derived columns
(``derived_labels``) that the importer recognises and ignores, so an exported file can be edited
and uploaded back as it is.

The import is all or nothing: every row is parsed and validated first (through ``ProjectForm``,
so the web form's rules and messages apply), every problem is collected as (row, column,
message), and only a file without problems is saved, in one transaction, through
``services.project_save``.
"""
from __future__ import annotations

import datetime as dt
import enum
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from audit.services import audit_snapshot
from org.models import Unit, User
from projects import rules, services, xlsx
from projects.forms import ProjectForm
from projects.models import Construction, Level, Light, Project, ProjectType, Stage

log = logging.getLogger(__name__)

SHEET = "重点项目"
NOTES_SHEET = "填写说明"
OPTIONS_SHEET = "可选值"
MAX_ROWS = xlsx.MAX_ROWS
# Rows the template's dropdowns and number formats cover.
TEMPLATE_ROWS = 2_000
MAX_ERRORS_SHOWN = 1_000
XLSX_CONTENT_TYPE = xlsx.XLSX_CONTENT_TYPE

MONEY_FORMAT = "#,##0.00"
COORD_FORMAT = "0.000000"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
EARLIEST_DATE = dt.date(1950, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


class Kind(enum.Enum):
    TEXT = "text"
    CHOICE = "choice"
    BOOL = "bool"
    MONEY = "money"
    COORD = "coord"
    DATE = "date"
    LEADER = "leader"
    UNIT = "unit"
    TOWN = "town"


@dataclass(frozen=True)
class Column:
    field: str
    # The header is part of the file format, the same in every UI language (files travel
    # between offices), so it is marked for extraction but never translated.
    label: str
    kind: Kind
    required: bool = False
    width: int = 14
    note: Any = ""


COLUMNS: tuple[Column, ...] = (
    Column("code", N_("项目编号"), Kind.TEXT, True, 16,
           gettext_lazy("唯一。编号已存在则更新该项目，编号不存在则新增项目。最多30字。")),
    Column("name", N_("项目名称"), Kind.TEXT, True, 30, gettext_lazy("最多100字。")),
    Column("level", N_("项目级别"), Kind.CHOICE, True, 10, gettext_lazy("也可填 省、市、区。")),
    Column("project_type", N_("项目类型"), Kind.CHOICE, True, 10),
    Column("industry", N_("所属行业"), Kind.TEXT, False, 12, gettext_lazy("最多40字。")),
    Column("stage", N_("项目阶段"), Kind.CHOICE, True, 10,
           gettext_lazy("在建、竣工、投产的项目必须填写实际开工日期。")),
    Column("construction", N_("建设性质"), Kind.CHOICE, True, 10),
    Column("is_special_bond", N_("专项债项目"), Kind.BOOL, False, 10, gettext_lazy("留空视为“否”。")),
    Column("owner", N_("业主单位"), Kind.TEXT, False, 20, gettext_lazy("最多100字。")),
    Column("owner_contact", N_("业主联系人"), Kind.TEXT, False, 10, gettext_lazy("最多30字。")),
    Column("owner_phone", N_("联系电话"), Kind.TEXT, False, 14, gettext_lazy("最多30字。")),
    Column("content", N_("建设内容及规模"), Kind.TEXT, False, 40),
    Column("location", N_("建设地点"), Kind.TEXT, False, 20, gettext_lazy("最多200字。")),
    Column("latitude", N_("纬度"), Kind.COORD, False, 12,
           gettext_lazy("-90 至 90；经度和纬度须同时填写或同时留空。")),
    Column("longitude", N_("经度"), Kind.COORD, False, 12, gettext_lazy("-180 至 180。")),
    Column("total_investment", N_("总投资(万元)"), Kind.MONEY, True, 14),
    Column("invested_before", N_("以前年度累计完成投资(万元)"), Kind.MONEY, True, 16,
           gettext_lazy("项目纳入本系统之前已完成的投资，没有填 0。")),
    Column("planned_start", N_("计划开工日期"), Kind.DATE, False, 12),
    Column("planned_completion", N_("计划竣工日期"), Kind.DATE, False, 12,
           gettext_lazy("不能早于计划开工日期。")),
    Column("actual_start", N_("实际开工日期"), Kind.DATE, False, 12, gettext_lazy("不能晚于今天。")),
    Column("responsible_leader", N_("包靠区领导"), Kind.LEADER, False, 12,
           gettext_lazy("填区领导的姓名；重名时填其用户名。见“可选值”表。")),
    Column("lead_unit", N_("牵头单位"), Kind.UNIT, True, 18,
           gettext_lazy("填单位全称或简称，见“可选值”表。部门的填报员只能填本单位。")),
    Column("town", N_("属地镇街"), Kind.TOWN, False, 12, gettext_lazy("填镇街全称或简称，见“可选值”表。")),
    Column("service_officer", N_("服务专员"), Kind.TEXT, False, 10, gettext_lazy("最多30字。")),
    Column("remarks", N_("备注"), Kind.TEXT, False, 30),
)
BY_LABEL: dict[str, Column] = {column.label: column for column in COLUMNS}
BY_FIELD: dict[str, Column] = {column.field: column for column in COLUMNS}

PLAN_LABEL = "%(year)d年计划投资(万元)"
PLAN_RE = re.compile(r"^(\d{4})年计划投资\(万元\)$")
# Export-only columns, derived from the monthly reports and the light rules; never imported.
YTD_LABEL = "%(year)d年累计完成(万元)"
RATE_LABEL = "%(year)d年完成率(%%)"
LIGHT_LABEL = "红黄绿灯"
REASONS_LABEL = "灯色原因"
LIGHT_AS_OF_LABEL = "灯色计算日期"
DERIVED_RE = re.compile(r"^(\d{4}年累计完成\(万元\)|\d{4}年完成率\(%\)|红黄绿灯|灯色原因|灯色计算日期)$")

# Shorter forms people type for the level, besides the display labels.
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "level": {"省": Level.PROVINCE, "市": Level.CITY, "区": Level.DISTRICT,
              "省级": Level.PROVINCE, "市级": Level.CITY, "区级": Level.DISTRICT},
}
CHOICE_ENUMS: dict[str, type[enum.Enum]] = {
    "level": Level, "project_type": ProjectType, "stage": Stage, "construction": Construction,
}
YES, NO = "是", "否"


def plan_label(year: int) -> str:
    return PLAN_LABEL % {"year": year}


def derived_labels(year: int) -> list[str]:
    return [YTD_LABEL % {"year": year}, RATE_LABEL % {"year": year}, LIGHT_LABEL, REASONS_LABEL, LIGHT_AS_OF_LABEL]


def normalize_header(value: Any) -> str:
    """Full-width brackets and digits to ASCII, whitespace removed: "总投资（万元）" is "总投资(万元)"."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def choice_options(field_name: str) -> dict[str, str]:
    """Accepted text → stored value: the Chinese display labels and the aliases."""
    with translation.override("zh-hans"):
        options = {str(member.label): str(member.value) for member in CHOICE_ENUMS[field_name]}  # type: ignore[attr-defined]
    options.update({alias: str(value) for alias, value in CHOICE_ALIASES.get(field_name, {}).items()})
    return options


def choice_labels(field_name: str) -> list[str]:
    with translation.override("zh-hans"):
        return [str(member.label) for member in CHOICE_ENUMS[field_name]]  # type: ignore[attr-defined]


# --- cell parsers: pure functions, raising only CellError -----------------------------------

class CellError(ValueError):
    """A cell that cannot be read; ``message`` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(value: Any, limit: int = 30) -> str:
    """The cell as the user sees it, shortened for a message."""
    try:
        text = _number_text(value) if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else (
            value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
        )
    except (ValueError, ArithmeticError):  # an integer too long to print
        text = "…"
    return text if len(text) <= limit else text[:limit] + "…"


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: float | int | Decimal) -> str:
    """12345.0 as "12345", 0.1 as "0.1": how Excel shows a number in a general cell."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        value = Decimal(repr(value))
    if not value.is_finite() or abs(value.adjusted()) > 30:
        return str(value)
    text = format(value, "f")
    return text.split(".")[0] if "." in text and value == value.to_integral_value() else text


def parse_text(value: Any) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, (int, float, Decimal)):
        # A code or a phone number typed without a text format arrives as a number.
        try:
            return _number_text(value)
        except ValueError as error:  # an integer longer than Python will print
            raise CellError(_("数字过长")) from error
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _not_a_number(value: Any) -> CellError:
    return CellError(_("应为数字，实际为“%(value)s”") % {"value": shown(value)})


def _not_a_date(value: Any) -> CellError:
    return CellError(_("应为日期（如 2026-03-01），实际为“%(value)s”") % {"value": shown(value)})


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, (bool, dt.date, dt.time, dt.timedelta)):
        raise _not_a_number(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _not_a_number(value)
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _not_a_number(value)
        return value
    if isinstance(value, str):
        # Thousands separators, spaces and full-width digits are how people type numbers as text.
        text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", value))
        if _NUMBER_RE.match(text):
            return Decimal(text)
    raise _not_a_number(value)


def parse_number(
    value: Any, *, places: int, max_digits: int, allow_negative: bool = False
) -> Decimal | None:
    """A number with at most ``places`` decimals and ``max_digits`` digits in all, or None if blank.

    A float that is a decimal number plus binary noise (0.30000000000000004 for a cell showing
    0.30) is taken as the decimal; a typed third decimal is an error, never rounded away.
    """
    if _is_blank(value):
        return None
    number = _to_decimal(value)
    if not allow_negative and number < 0:
        raise CellError(_("不能为负数，实际为“%(value)s”") % {"value": shown(value)})
    if abs(number) >= Decimal(10) ** (max_digits - places):
        raise CellError(_("数值过大，实际为“%(value)s”") % {"value": shown(value)})
    step = Decimal(1).scaleb(-places)
    # Adding zero turns a -0.00 into 0.00.
    rounded = number.quantize(step) + 0
    if rounded != number:
        noise = isinstance(value, float) and abs(rounded - number) <= max(abs(number), Decimal(1)) * Decimal("1e-12")
        if not noise:
            raise CellError(
                _("最多保留 %(places)d 位小数，实际为“%(value)s”") % {"places": places, "value": shown(value)}
            )
    return rounded


_MONEY_FIELD = Project._meta.get_field("total_investment")
_COORD_FIELD = Project._meta.get_field("latitude")


def parse_money(value: Any) -> Decimal | None:
    """万元, not negative, with the model's decimals and digits."""
    return parse_number(
        value, places=_MONEY_FIELD.decimal_places, max_digits=_MONEY_FIELD.max_digits
    )


def parse_coordinate(value: Any) -> Decimal | None:
    return parse_number(
        value, places=_COORD_FIELD.decimal_places, max_digits=_COORD_FIELD.max_digits,
        allow_negative=True,
    )


_DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(\s+\d{1,2}:\d{2}(:\d{2})?)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)


def _in_range(day: dt.date, value: Any) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(
            _("日期应在 %(first)s 至 %(last)s 之间，实际为“%(value)s”")
            % {"first": EARLIEST_DATE.year, "last": LATEST_DATE.year, "value": shown(value)}
        )
    return day


def _from_serial(serial: float | int | Decimal, value: Any) -> dt.date:
    # Serials of 1950..2100 only; anything else (a year typed alone, 2026) is not a date.
    if not 18264 <= serial <= 73415:
        raise _not_a_date(value)
    try:
        converted = from_excel(float(serial), WINDOWS_EPOCH)
    except (ValueError, OverflowError, TypeError) as error:
        raise _not_a_date(value) from error
    return _in_range(converted.date() if isinstance(converted, dt.datetime) else converted, value)


def parse_date(value: Any) -> dt.date | None:
    """A date cell, an Excel serial number, or text as 2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日, 20260301."""
    if _is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return _in_range(value.date(), value)
    if isinstance(value, dt.date):
        return _in_range(value, value)
    if isinstance(value, bool):
        raise _not_a_date(value)
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _not_a_date(value)
        if isinstance(value, Decimal) and not value.is_finite():
            raise _not_a_date(value)
        return _from_serial(value, value)
    if not isinstance(value, str):
        raise _not_a_date(value)
    text = unicodedata.normalize("NFKC", value).strip()
    if re.fullmatch(r"\d{1,5}", text):
        return _from_serial(int(text), value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError as error:
                raise CellError(_("日期不存在：“%(value)s”") % {"value": shown(value)}) from error
            return _in_range(day, value)
    raise _not_a_date(value)


def parse_choice(value: Any, options: Mapping[str, str], labels: Sequence[str]) -> str | None:
    """The stored value for a display label (or an accepted alias); None if blank."""
    if _is_blank(value):
        return None
    text = unicodedata.normalize("NFKC", parse_text(value)).strip()
    if text in options:
        return options[text]
    raise CellError(
        _("应为以下之一：%(choices)s，实际为“%(value)s”") % {"choices": "、".join(labels), "value": shown(value)}
    )


def parse_bool(value: Any) -> bool:
    if _is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = parse_text(value).strip()
    if text == YES:
        return True
    if text == NO:
        return False
    raise CellError(_("应为“是”或“否”，实际为“%(value)s”") % {"value": shown(value)})


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
        self.active_leaders = [u for u in leaders if u.is_active and u.role == User.Role.LEADER]

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

HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
DERIVED_FILL = PatternFill("solid", fgColor="D9D9D9")
WRAP = Alignment(wrap_text=True, vertical="top")
# Text columns are formatted as text so that a code or a phone number typed later stays as typed.
KIND_FORMAT = {Kind.MONEY: MONEY_FORMAT, Kind.COORD: COORD_FORMAT, Kind.DATE: DATE_FORMAT, Kind.TEXT: TEXT_FORMAT}


def _header_cell(ws: Any, label: str, fill: PatternFill) -> WriteOnlyCell:
    cell = xlsx.text_cell(ws, label)
    cell.font = HEADER_FONT
    cell.fill = fill
    cell.alignment = WRAP
    return cell


def _styled(ws: Any, value: Any, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


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
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    plan_columns = [plan_label(year) for year in plan_years]
    derived = derived_labels(derived_year) if derived_year is not None else []
    widths = [c.width for c in COLUMNS] + [16] * len(plan_columns) + [14, 12, 10, 40, 12][: len(derived)]
    formats = [KIND_FORMAT.get(c.kind) for c in COLUMNS] + [MONEY_FORMAT] * len(plan_columns)
    for index, width in enumerate(widths, start=1):
        dimension = ws.column_dimensions[get_column_letter(index)]
        dimension.width = width
        # The column's format is what Excel gives the cells people type into later.
        if index <= len(formats) and formats[index - 1]:
            dimension.number_format = formats[index - 1]
    ws.freeze_panes = "C2"
    _add_validations(ws, lookups, last_row=TEMPLATE_ROWS + 1)

    header = [_header_cell(ws, c.label, REQUIRED_FILL if c.required else OPTIONAL_FILL) for c in COLUMNS]
    header += [_header_cell(ws, label, OPTIONAL_FILL) for label in plan_columns]
    header += [_header_cell(ws, label, DERIVED_FILL) for label in derived]
    ws.append(header)

    with translation.override("zh-hans"):
        lights = {str(m.value): str(m.label) for m in Light}
    pool = _CellPool(ws, formats + [MONEY_FORMAT, "0.0", None, None, DATE_FORMAT][: len(derived)])
    count = 0
    for project in projects:
        count += 1
        values = [_cell_value(project, column, choices, lookups) for column in COLUMNS]
        project_plans = plans.get(project.pk, {})
        values += [project_plans.get(year) for year in plan_years]
        if derived:
            plan = getattr(project, "plan_amount", None)
            ytd = getattr(project, "invested_ytd", None)
            # The ledger's own rule (half-up), so the export shows what the page shows.
            rate = rules.rate_percent(ytd, plan) if ytd is not None else None
            reasons = "；".join(text for _light, text in (project.light_reasons or []))
            values += [ytd, rate, lights.get(project.light, project.light), reasons, project.light_as_of]
        ws.append(pool.fill(values))
    _write_notes(wb, plan_years=plan_years, derived=derived)
    _write_options(wb, lookups)
    wb.save(target)
    return count


class _CellPool:
    """One formatted cell per column, reused row after row.

    The write-only sheet writes an appended row before ``append`` returns, so a cell can carry
    the next row's value; creating and styling a cell per value costs more than all the rest
    of a 20,000-row export.
    """

    def __init__(self, ws: Any, formats: Sequence[str | None]) -> None:
        self.ws = ws
        self.cells = [_styled(ws, None, number_format) if number_format else None for number_format in formats]

    def fill(self, values: Sequence[Any]) -> list[Any]:
        row: list[Any] = []
        for index, value in enumerate(values):
            cell = self.cells[index] if index < len(self.cells) else None
            if value is None or value == "":
                row.append(None)
            elif cell is None:
                # A project's text is written as text, never as a formula (see projects.xlsx).
                row.append(xlsx.text_cell(self.ws, value))
            else:
                row.append(xlsx.set_value(cell, value))
        return row


def _cell_value(project: Project, column: Column, choices: Mapping[str, Mapping[str, str]], lookups: Lookups) -> Any:
    value = getattr(project, column.field)
    if column.kind is Kind.CHOICE:
        return choices[column.field].get(value, value)
    if column.kind is Kind.BOOL:
        return YES if value else NO
    if column.kind is Kind.LEADER:
        return lookups.leader_label(value) if value is not None else None
    if column.kind in {Kind.UNIT, Kind.TOWN}:
        return value.name if value is not None else None
    return value


def _add_validations(ws: Any, lookups: Lookups, *, last_row: int) -> None:
    """Dropdowns on the choice columns; names of units and leaders come from the "可选值" sheet."""
    options_count = {
        Kind.UNIT: len(lookups.active_units),
        Kind.TOWN: len([u for u in lookups.active_units if u.kind == Unit.Kind.TOWN]),
        Kind.LEADER: len(lookups.active_leaders),
    }
    options_column = {Kind.UNIT: "A", Kind.TOWN: "B", Kind.LEADER: "C"}
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        if column.kind is Kind.CHOICE:
            formula = '"' + ",".join(choice_labels(column.field)) + '"'
            dv = DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="stop")
        elif column.kind is Kind.BOOL:
            dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True, errorStyle="stop")
        elif column.kind in options_column and options_count[column.kind]:
            source = options_column[column.kind]
            end = options_count[column.kind] + 1
            # A warning, not a stop: a short name or a user name is accepted too.
            dv = DataValidation(
                type="list", formula1=f"'{OPTIONS_SHEET}'!${source}$2:${source}${end}",
                allow_blank=True, errorStyle="warning",
            )
        else:
            continue
        dv.error = _("请从下拉列表中选择，或参见“填写说明”表。")
        dv.showErrorMessage = True
        dv.add(f"{letter}2:{letter}{last_row}")
        ws.data_validations.append(dv)


def _write_notes(wb: Workbook, *, plan_years: Sequence[int], derived: Sequence[str]) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    for letter, width in zip("ABCD", (28, 10, 36, 60), strict=True):
        ws.column_dimensions[letter].width = width
    titles = (_("列名"), _("是否必填"), _("可填写的值"), _("格式与说明"))
    ws.append([_header_cell(ws, text, OPTIONAL_FILL) for text in titles])
    formats = {
        Kind.TEXT: _("文字"),
        Kind.CHOICE: _("从下拉列表选择"),
        Kind.BOOL: _("从下拉列表选择"),
        Kind.MONEY: _("数字，单位万元，最多2位小数，不能为负"),
        Kind.COORD: _("数字（度），最多6位小数"),
        Kind.DATE: _("日期，格式 yyyy-mm-dd，如 2026-03-01；也可写 2026/3/1、2026.3.1、2026年3月1日"),
        Kind.LEADER: _("姓名"),
        Kind.UNIT: _("单位名称"),
        Kind.TOWN: _("镇街名称"),
    }
    for column in COLUMNS:
        if column.kind is Kind.CHOICE:
            allowed = "、".join(choice_labels(column.field))
        elif column.kind is Kind.BOOL:
            allowed = f"{YES}、{NO}"
        elif column.kind in {Kind.UNIT, Kind.TOWN, Kind.LEADER}:
            allowed = _("见“可选值”表")
        else:
            allowed = ""
        note = f"{formats[column.kind]}。{column.note}" if column.note else formats[column.kind]
        xlsx.append(ws, [column.label, _("必填") if column.required else _("选填"), allowed, _wrapped(ws, note)])
    years = "、".join(plan_label(year) for year in plan_years)
    xlsx.append(ws, [
        _("YYYY年计划投资(万元)"), _("选填"), "",
        _wrapped(ws, _("每年一列，列名如 %(years)s，可增加其他年度的列（2000—2100年）。数字，单位万元，最多2位小数，"
                       "不能超过总投资。留空表示不修改该年已有的计划，不会删除；如需删除某年计划，请在网页上编辑项目。")
                 % {"years": years}),
    ])
    for label in derived:
        xlsx.append(ws, [label, _("只读"), "", _wrapped(ws, _("导出时附带的统计列，导入时忽略，修改无效。"))])
    ws.append([])
    general = [
        _("1. 只填写“%(sheet)s”工作表：第1行为列名（不要修改、不要合并），从第2行起每行一个项目。") % {"sheet": SHEET},
        _("2. 以“项目编号”识别项目：编号已存在的更新该项目，新编号新增项目；同一文件中编号不能重复。"),
        _("3. 导入时先检查全部行，有任何错误则全部不保存，并列出每个错误所在的行和列；全部正确才一次性保存。"),
        _("4. 不要使用公式（请复制后“选择性粘贴-数值”）、不要合并单元格；完全空白的行会被跳过。"),
        _("5. 单个文件不超过 %(mb)d MB、不超过 %(rows)d 行；请保存为 .xlsx 格式（不支持 .xls、.csv）。")
        % {"mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024), "rows": MAX_ROWS},
        _("6. 未包含的选填列保持原值不变；包含但留空的选填列（年度计划投资除外）会把该项清空。"),
        _("7. 每次导入都会记录变更（谁、何时、原值、新值），与网页修改一样可在项目页查看。"),
    ]
    for line in general:
        xlsx.append(ws, [line])


def _wrapped(ws: Any, text: str) -> WriteOnlyCell:
    cell = xlsx.text_cell(ws, text)
    cell.alignment = WRAP
    return cell


def _write_options(wb: Workbook, lookups: Lookups) -> None:
    ws = wb.create_sheet(OPTIONS_SHEET)
    for letter in "ABC":
        ws.column_dimensions[letter].width = 24
    ws.append([_header_cell(ws, text, OPTIONAL_FILL) for text in (_("牵头单位"), _("属地镇街"), _("包靠区领导"))])
    units = [u.name for u in lookups.active_units]
    towns = [u.name for u in lookups.active_units if u.kind == Unit.Kind.TOWN]
    leaders = [lookups.leader_label(u) for u in lookups.active_leaders]
    for index in range(max(len(units), len(towns), len(leaders))):
        # Names are typed by people: written as text (see projects.xlsx).
        xlsx.append(ws, [names[index] if index < len(names) else None for names in (units, towns, leaders)])


# --- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Issue:
    """One problem: ``row`` is the Excel row number (None for the whole file)."""

    row: int | None
    column: str
    message: str
    position: int = 0

    def __str__(self) -> str:
        if self.row is None:
            return f"「{self.column}」：{self.message}" if self.column else self.message
        return _("第 %(row)d 行「%(column)s」：%(message)s") % {
            "row": self.row, "column": self.column or "—", "message": self.message,
        }


@dataclass
class ImportReport:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted_errors(self) -> list[Issue]:
        return sorted(self.errors, key=lambda issue: (issue.row or 0, issue.position, issue.column, issue.message))


FileRejected = xlsx.FileRejected


# A formula or error cell, already reported; its row is checked without it.
REJECTED = object()


@dataclass
class _Header:
    columns: dict[int, Column] = field(default_factory=dict)
    plans: dict[int, int] = field(default_factory=dict)  # column index -> year
    labels: dict[int, str] = field(default_factory=dict)  # column index -> label as written

    def wanted(self) -> set[int]:
        return set(self.columns) | set(self.plans)


class LedgerImport:
    """Parse, validate and (when everything is right) save one uploaded ledger file."""

    def __init__(self, *, by: User) -> None:
        self.user = by
        self.year = services.today().year
        self.report = ImportReport()
        self.lookups: Lookups | None = None
        self.header = _Header()
        self.options = {name: choice_options(name) for name in CHOICE_ENUMS}
        self.labels = {name: choice_labels(name) for name in CHOICE_ENUMS}

    # The steps, in order; each adds issues to the report.

    def run(self, upload: Any) -> ImportReport:
        try:
            workbook = xlsx.open_upload(upload)
        except FileRejected as rejected:
            return self._fail(rejected.message)
        try:
            rows = self._read(workbook)
        except FileRejected as rejected:
            return self._fail(rejected.message)
        finally:
            workbook.close()
        if not rows:  # the header or the layout is wrong: the rows cannot be read
            return self.report
        outcomes = self._validate(rows)
        if self.report.errors:
            return self.report
        self._save(outcomes)
        return self.report

    def _fail(self, message: str) -> ImportReport:
        self.report.errors.append(Issue(None, "", message))
        return self.report

    def _error(self, row: int | None, column: str, message: str, position: int = 0) -> None:
        self.report.errors.append(Issue(row, column, message, position))

    def _read(self, workbook: Any) -> list[tuple[int, dict[int, Any]]]:
        """The non-empty data rows as (row number, {column index: value}) after the file checks."""
        names = [normalize_header(name) for name in workbook.sheetnames]
        if SHEET not in names:
            raise FileRejected(
                _("找不到名为“%(sheet)s”的工作表（文件中的工作表：%(names)s）。请使用下载的模板，不要修改工作表名称。")
                % {"sheet": SHEET, "names": "、".join(workbook.sheetnames) or "—"}
            )
        ws = workbook.worksheets[names.index(SHEET)]
        if ws.sheet_state != "visible":
            raise FileRejected(
                _("工作表“%(sheet)s”被隐藏了。请在 Excel 中取消隐藏，核对其中的内容后再上传。") % {"sheet": ws.title}
            )
        if hidden := xlsx.hidden_sheets(workbook):
            self.report.warnings.append(xlsx.hidden_warning(hidden))
        # Only the cells that hold something, streamed: a stray value in row 1,000,000 is one
        # cell, not a million empty rows, and a file over the row limit stops at the limit.
        sheet = xlsx.read_sheet(ws)
        cells = sheet.cells
        header = self._header({col: cell for (row, col), cell in cells.items() if row == 1})
        for merged in sorted(sheet.merged, key=lambda r: (r.min_row, r.min_col)):
            label = header.labels.get(merged.min_col) or get_column_letter(merged.min_col)
            self._error(
                merged.min_row, label,
                _("有合并单元格 %(range)s，请取消合并后再上传") % {"range": merged.coord}, merged.min_col,
            )
        if self.report.errors:
            return []
        wanted = header.wanted()
        rows: dict[int, dict[int, Any]] = {}
        stray: set[int] = set()
        for (row, col), cell in cells.items():
            if row < 2 or _is_blank(cell.value):
                continue
            if col in wanted:
                rows.setdefault(row, {})[col] = cell
            elif col not in header.labels:
                stray.add(col)
        for col in sorted(stray):
            self.report.warnings.append(
                _("第 %(letter)s 列没有列名，其中的内容已忽略。") % {"letter": get_column_letter(col)}
            )
        if not rows:
            raise FileRejected(_("“%(sheet)s”工作表中没有数据行（第2行起）。") % {"sheet": SHEET})
        self.header = header
        values: list[tuple[int, dict[int, Any]]] = []
        for number in sorted(rows):
            row_values: dict[int, Any] = {}
            for col, cell in rows[number].items():
                label = header.labels[col]
                if cell.data_type == "f":
                    self._error(
                        number, label,
                        _("单元格是公式“%(formula)s”，请复制后“选择性粘贴-数值”再上传")
                        % {"formula": shown(cell.value)},
                        col,
                    )
                elif cell.data_type == "e":
                    self._error(number, label, _("单元格是错误值“%(value)s”") % {"value": shown(cell.value)}, col)
                if cell.data_type in {"f", "e"}:
                    # The other cells of the row are still checked, so every problem shows at once.
                    row_values[col] = REJECTED
                else:
                    row_values[col] = cell.value
            values.append((number, row_values))
        return values

    def _header(self, cells: Mapping[int, Any]) -> _Header:
        header = _Header()
        seen: dict[str, int] = {}
        for col in sorted(cells):
            cell = cells[col]
            if cell.data_type == "f":
                self._error(1, get_column_letter(col), _("列名不能是公式"), col)
                continue
            label = normalize_header(cell.value)
            if not label:
                continue
            header.labels[col] = label
            if label in seen:
                self._error(
                    1, label,
                    _("列名重复（第 %(first)s 列和第 %(second)s 列）")
                    % {"first": get_column_letter(seen[label]), "second": get_column_letter(col)}, col,
                )
                continue
            seen[label] = col
            if label in BY_LABEL:
                header.columns[col] = BY_LABEL[label]
            elif match := PLAN_RE.match(label):
                year = int(match[1])
                if not 2000 <= year <= 2100:
                    self._error(1, label, _("年度应在 2000 至 2100 之间"), col)
                header.plans[col] = year
            elif not DERIVED_RE.match(label):
                self.report.warnings.append(
                    _("未识别的列“%(label)s”（第 %(letter)s 列）已忽略。")
                    % {"label": label, "letter": get_column_letter(col)}
                )
        present = {column.field for column in header.columns.values()}
        missing = [column.label for column in COLUMNS if column.required and column.field not in present]
        if missing:
            self._error(
                1, "", _("缺少必填列：%(columns)s。请使用下载的模板，第1行为列名。") % {"columns": "、".join(missing)}
            )
        absent = [column.label for column in COLUMNS if not column.required and column.field not in present]
        if absent and not missing:
            self.report.warnings.append(
                _("文件中没有以下列，已有项目的这些内容保持不变：%(columns)s。") % {"columns": "、".join(absent)}
            )
        return header

    def _validate(self, rows: Sequence[tuple[int, dict[int, Any]]]) -> list[_Outcome]:
        self.lookups = Lookups()
        code_col = next(col for col, column in self.header.columns.items() if column.field == "code")
        codes: set[str] = set()
        for _number, values in rows:
            try:
                codes.add(parse_text(values.get(code_col)))
            except CellError:
                continue  # reported with the row
        codes.discard("")
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
        for number, values in rows:
            outcome = self._validate_row(number, values, existing, editable, first_row)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _validate_row(
        self,
        number: int,
        values: Mapping[int, Any],
        existing: Mapping[str, Project],
        editable: set[int],
        first_row: dict[str, int],
    ) -> _Outcome | None:
        errors_before = len(self.report.errors)
        parsed: dict[str, Any] = {}
        bad: set[str] = set()
        for col, column in self.header.columns.items():
            if values.get(col) is REJECTED:
                bad.add(column.field)
                continue
            try:
                parsed[column.field] = self._parse(column, values.get(col))
            except CellError as error:
                self._error(number, column.label, error.message, col)
                bad.add(column.field)
        plans: dict[int, Decimal] = {}
        plan_cols: dict[int, tuple[int, str]] = {}
        for col, year in self.header.plans.items():
            label = self.header.labels[col]
            if values.get(col) is REJECTED:
                continue
            try:
                amount = parse_money(values.get(col))
            except CellError as error:
                self._error(number, label, error.message, col)
                continue
            if amount is not None:
                plans[year] = amount
                plan_cols[year] = (col, label)

        code = parsed.get("code") or ""
        if code in first_row:
            self._error(
                number, BY_FIELD["code"].label,
                _("项目编号“%(code)s”与第 %(row)d 行重复") % {"code": shown(code), "row": first_row[code]},
                self._position("code"),
            )
        elif code:
            first_row[code] = number
        original = existing.get(code) if code else None
        if original is not None and original.pk not in editable:
            # Say no more than that the code is taken: the project is outside the user's scope.
            self._error(
                number, BY_FIELD["code"].label,
                _("项目编号“%(code)s”已被其他项目使用，您无权修改该项目") % {"code": shown(code)},
                self._position("code"),
            )
            return None

        old_plans = {plan.year: plan.amount for plan in original.plans.all()} if original is not None else {}
        data = self._form_data(original, parsed, bad)
        if (
            original is not None
            and len(self.report.errors) == errors_before
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
            spec = BY_FIELD.get(name)
            for message in messages:
                self._error(number, spec.label if spec else "", str(message), self._position(name))
        total = form.cleaned_data.get("total_investment") if valid else parsed.get("total_investment")
        for year, amount in plans.items():
            if total is not None and amount > total:
                col, label = plan_cols[year]
                self._error(number, label, _("年度计划投资不能超过总投资。"), col)
        if len(self.report.errors) > errors_before:
            return None
        project = form.instance
        if original is None:
            return _Outcome(project, plans, _Outcome.CREATED)
        changed = before != audit_snapshot(project) or any(old_plans.get(y) != a for y, a in plans.items())
        return _Outcome(project, plans, _Outcome.UPDATED if changed else _Outcome.UNCHANGED)

    def _position(self, field_name: str) -> int:
        for col, column in self.header.columns.items():
            if column.field == field_name:
                return col
        return 0

    def _parse(self, column: Column, value: Any) -> Any:
        assert self.lookups is not None
        kind = column.kind
        if kind is Kind.TEXT:
            return parse_text(value)
        if kind is Kind.CHOICE:
            return parse_choice(value, self.options[column.field], self.labels[column.field])
        if kind is Kind.BOOL:
            return parse_bool(value)
        if kind is Kind.MONEY:
            return parse_money(value)
        if kind is Kind.COORD:
            return parse_coordinate(value)
        if kind is Kind.DATE:
            return parse_date(value)
        if kind is Kind.LEADER:
            return self.lookups.leader(value)
        if kind is Kind.UNIT:
            return self.lookups.unit(value)
        return self.lookups.town(value)

    @staticmethod
    def _form_data(original: Project | None, parsed: Mapping[str, Any], bad: set[str]) -> dict[str, Any]:
        """The form's data: the file's cells over the project's current values (for absent columns)."""
        data: dict[str, Any] = model_to_dict(original, fields=list(BY_FIELD)) if original is not None else {}
        for name, value in parsed.items():
            if name in bad:
                continue
            data[name] = value.pk if isinstance(value, (Unit, User)) else value
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
            "lead_unit": _("单位填报员只能填报本单位牵头的项目")
            if self.user.role == User.Role.REPORTER else _("该单位已停用，不能选择"),
            "town": _("该镇街已停用，不能选择"),
            "responsible_leader": _("该用户已停用或已不是区领导，不能选择"),
        }
        for name, message in invalid.items():
            form.fields[name].error_messages["invalid_choice"] = message

    def _save(self, outcomes: Sequence[_Outcome]) -> None:
        report = self.report
        try:
            with transaction.atomic():
                for outcome in outcomes:
                    if outcome.status == _Outcome.UNCHANGED:
                        continue
                    services.project_save(by=self.user, project=outcome.project, plans=outcome.plans, source="excel")
        except DatabaseError as error:
            log.warning("excel import: saving failed, rolled back: %r", error)
            self._error(
                None, "",
                _("保存时数据库报错（可能有人同时修改了这些项目），没有保存任何数据，请稍后重新上传。"),
            )
            return
        report.created = sum(1 for o in outcomes if o.status == _Outcome.CREATED)
        report.updated = sum(1 for o in outcomes if o.status == _Outcome.UPDATED)
        report.unchanged = sum(1 for o in outcomes if o.status == _Outcome.UNCHANGED)


@dataclass
class _Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"

    project: Project
    plans: dict[int, Decimal]
    status: str


def ledger_import(*, by: User, upload: Any) -> ImportReport:
    """Import an uploaded ledger file: all rows or none. See ``LedgerImport``."""
    return LedgerImport(by=by).run(upload)

