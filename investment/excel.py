"""Leads in Excel, on the platform's Excel kit (``core.excel``): the lead sheet (线索台账) and the list of
signed projects the 招商局 keeps (签约项目清单), each one layout for its template, its export and its import.

Leads are commercial secrets. Every file written here carries its watermark (:class:`Watermark`): a line
above the header naming who downloaded it and when, the same in the printed page's header and footer, and
in the document's properties. An export holds only the leads the user may see, and is recorded in the
audit log (:func:`export_record`).

The lead sheet. Row 1 the watermark, row 2 the headers, one lead a row from row 3. "线索编号" names a lead
to update (blank: a new lead); "版本号" is the lead's version when it was exported: a row that would change
a lead changed by someone else since is refused (optimistic locking), so a stale sheet never overwrites
newer data. The import is all or nothing (``core.excel.run_import``): every row is checked first (cells,
credit code, amounts, who may write which lead, the stage and its evidence by ``investment.rules``), and
only a file without a problem is saved, in one transaction, through ``investment.services`` (``lead_save``,
which checks for collisions, and ``stage_advance`` for the steps). The stages of an import:

- an existing lead goes up by the rules: one step at a time, or, by the office, several at once as its
  decision (recorded as such in the lead's steps); never back;
- a unit's new lead starts at 线索 or 在谈 (as on the lead's page); a later stage is refused: the unit enters
  the lead and takes the steps on its page, where each has its evidence and skipping is the office's;
- the office's new lead at a later stage is entered at 线索 and taken there in one step recorded as the
  office's decision, with the evidence of every stage it passes.

The signed list. 序号, 项目名称, 投资方, 投资额(万元), 签约时间, 责任单位; the export lists the leads signed (or
later) in a date range. Its import is the office's: each row signs the lead of that investor when there is
one (matched by name as collisions are, ``investment.names``), or creates the lead and signs it.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_
from django_tasks import task
from openpyxl.styles import Font

from audit.models import AuditEntry
from core import clock
from core import tasks as core_tasks
from core.excel import cells, guard
from core.excel.parsers import CellError, choice_parser, parse_date, parse_number, parse_text, shown
from core.excel.reader import MAX_ERRORS_SHOWN, ImportReport, ImportSheet, Row, run_import
from core.excel.report import KeptUploads
from core.excel.spec import Column, SheetSpec
from core.excel.writer import TEMPLATE_ROWS, SheetWriter
from core.models import Job
from core.policies import can
from investment import creditcode, names, rules, services
from investment.models import AmountUnit, ChainNode, Collision, Lead, Light, Origin, Stage
from org.models import Unit, User

SHEET = "线索台账"
SIGNED_SHEET = "签约项目清单"
NOTES_SHEET = "说明"
OPTIONS_SHEET = "可选值"
XLSX_CONTENT_TYPE = guard.XLSX_CONTENT_TYPE
# Row 1 is the watermark line; the headers are in row 2.
HEADER_ROW = 2
EXPORT_ACTION = AuditEntry.Action.EXPORT
SOURCE = "excel"

# The facts of the stages (``rules.Evidence``), which only a step changes, in the order of the stages.
STAGE_FIELDS = ("signed_on", "signed_amount", "counterpart", "started_on", "producing_on", "dropped_reason")
_FACTS_OF = {
    rules.SIGNED: ("signed_on", "signed_amount", "counterpart"),
    rules.STARTED: ("started_on",),
    rules.PRODUCING: ("producing_on",),
    rules.DROPPED: ("dropped_reason",),
}
# The facts a lead describes, which ``services.lead_save`` writes.
EDIT_FIELDS = (
    "enterprise", "credit_code", "origin", "origin_province", "origin_city", "industry", "chain_node",
    "amount_original", "amount_unit", "currency", "exchange_rate", "content", "source_unit", "source_person",
    "contact_person", "next_step", "next_step_due",
)
_SIGNED_OR_LATER = (rules.SIGNED, rules.STARTED, rules.PRODUCING)
# A lead sheet with more data rows than this is imported by the worker (job kind JOB_KIND), not in the request:
# each row is matched against every lead for collisions and recorded.
BACKGROUND_ROWS = 300
JOB_KIND = "lead_import"
# Uploads with errors, kept for their uploader's error report (investment.views_excel).
ERROR_UPLOADS = KeptUploads("investment_leads")
SIGNED_ERROR_UPLOADS = KeptUploads("investment_signed")
_ATTNAMES = {f.name: f.attname for f in Lead._meta.concrete_fields}


# --- the watermark ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Watermark:
    """Who downloaded a file and when: on every sheet of it, in its printed pages and its properties."""

    user: str
    at: dt.datetime

    @classmethod
    def of(cls, user: User, now: dt.datetime | None = None) -> Watermark:
        name = user.full_name or user.username
        if user.unit_id is not None:
            name = f"{name}（{user.unit}）"
        return cls(name, timezone.localtime(now or timezone.now()))

    @property
    def time(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M:%S")

    def line(self) -> str:
        return _("商业秘密 注意保密 导出人：%(user)s 导出时间：%(time)s") % {"user": self.user, "time": self.time}

    def apply(self, workbook: Any, title: str) -> None:
        """The printed header and footer of every sheet, and the document's properties."""
        # "&" starts a code in a header or footer: a name with one is written "&&".
        def escaped(text: str) -> str:
            return text.replace("&", "&&")

        for ws in workbook.worksheets:
            ws.oddHeader.center.text = escaped(_("商业秘密 注意保密"))
            ws.oddHeader.right.text = escaped(self.user)
            ws.oddFooter.center.text = escaped(
                _("导出人：%(user)s 导出时间：%(time)s") % {"user": self.user, "time": self.time}
            ) + " &P/&N"
        props = workbook.properties
        props.title = title
        props.subject = _("商业秘密 注意保密")
        props.creator = self.user
        props.lastModifiedBy = self.user
        props.keywords = _("商业秘密")
        props.category = _("商业秘密")
        props.description = self.line()
        props.created = props.modified = self.at.astimezone(dt.UTC).replace(tzinfo=None)


BANNER_FONT = Font(bold=True, color="C00000")


class WatermarkedWriter(SheetWriter):
    """The kit's writer with the watermark line in row 1, above the header (``spec.header_row`` is 2)."""

    def __init__(
        self, spec: SheetSpec, *, mark: Watermark, columns: Sequence[Column] | None = None,
        validation_rows: int = TEMPLATE_ROWS,
    ) -> None:
        assert spec.header_row == HEADER_ROW, spec.header_row
        self.mark = mark
        super().__init__(spec, columns=columns, validation_rows=validation_rows, above_header=[mark.line()],
                         above_header_font=BANNER_FONT)

    def write_notes(self, *, stamp: Sequence[tuple[str, Any]] = ()) -> Any:
        stamp = [(_("导出人"), self.mark.user), (_("导出时间"), self.mark.time), *stamp]
        return super().write_notes(stamp=stamp)

    def finish(self, target: IO[bytes], title: str) -> int:
        self.mark.apply(self.workbook, title)
        return self.save(target)


def export_record(*, by: User, what: str, count: int, filters: str = "") -> AuditEntry:
    """The export in the audit log: who exported how many leads, when (the entry's time), with which filter."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _("%(what)s，%(count)d 条") % {"what": what, "count": count}
        if filters:
            text += _("（筛选：%(filters)s）") % {"filters": filters}
        return AuditEntry.objects.create(
            user=by, action=EXPORT_ACTION, model="investment.lead", object_id="",
            object_repr=(_("导出%(what)s %(count)d 条") % {"what": what, "count": count})[:200],
            subject_model="org.user", subject_id=str(by.pk),
            changes={_("导出"): ["", text]}, source=SOURCE,
        )


# --- names of units and chain links ------------------------------------------------------------

def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _node_label(node: ChainNode) -> str:
    return f"{node.chain.name}·{node.name}"


class Lookups:
    """Units and chain links by the names people write, loaded in two queries."""

    def __init__(self) -> None:
        self.units = list(Unit.objects.all())
        self.unit_names: dict[str, list[Unit]] = {}
        for unit in self.units:
            for name in {unit.name, unit.short_name}:
                if name and name.strip():
                    self.unit_names.setdefault(_key(name), []).append(unit)
        self.nodes = list(ChainNode.objects.select_related("chain").order_by("chain__order", "chain__name",
                                                                              "order", "name"))
        self.node_names: dict[str, list[ChainNode]] = {}
        for node in self.nodes:
            for name in {_node_label(node), f"{node.chain.name}/{node.name}", node.name}:
                bucket = self.node_names.setdefault(_key(name), [])
                if node not in bucket:
                    bucket.append(node)

    @property
    def active_units(self) -> list[Unit]:
        return [unit for unit in self.units if unit.is_active]

    def unit(self, value: Any) -> Unit | None:
        return self._find(value, self.unit_names, _("单位"))

    def node(self, value: Any) -> ChainNode | None:
        return self._find(value, self.node_names, _("产业链环节"))

    @staticmethod
    def _find(value: Any, index: Mapping[str, list[Any]], what: str) -> Any:
        text = parse_text(value)
        if not text:
            return None
        found = index.get(_key(text), [])
        if not found:
            raise CellError(_("找不到名为“%(value)s”的%(what)s，见“可选值”表") % {"value": shown(text), "what": what})
        if len(found) > 1:
            raise CellError(_("“%(value)s”对应多个%(what)s，请填写全称") % {"value": shown(text), "what": what})
        return found[0]


def _write_options(workbook: Any, lookups: Lookups) -> None:
    ws = workbook.create_sheet(OPTIONS_SHEET)
    for letter in "AB":
        ws.column_dimensions[letter].width = 28
    ws.append([cells.header_cell(ws, text, cells.OPTIONAL_FILL) for text in (_("招商单位"), _("产业链环节"))])
    units = [unit.name for unit in lookups.active_units]
    nodes = [_node_label(node) for node in lookups.nodes]
    for index in range(max(len(units), len(nodes))):
        cells.append(ws, [units[index] if index < len(units) else None, nodes[index] if index < len(nodes) else None])


# --- cell parsers -----------------------------------------------------------------------------

def parse_id(value: Any) -> int | None:
    number = parse_number(value, places=0, max_digits=12)
    if number is not None and number <= 0:
        raise CellError(_("应为正整数，实际为“%(value)s”") % {"value": shown(value)})
    return None if number is None else int(number)


def parse_credit_code(value: Any) -> str:
    """A unified social credit code, its check digits verified (``investment.creditcode``)."""
    code = creditcode.normalise(parse_text(value))
    if not code:
        return ""
    try:
        return creditcode.validate(code)
    except ValidationError as error:
        raise CellError("；".join(error.messages)) from error


def _number(places: int, digits: int) -> Callable[[Any], Decimal | None]:
    def parse(value: Any) -> Decimal | None:
        return parse_number(value, places=places, max_digits=digits)

    return parse


def parse_currency(value: Any) -> str:
    text = _key(parse_text(value)).upper()
    aliases = {"人民币": rules.CNY, "RMB": rules.CNY, "美元": "USD", "欧元": "EUR", "港币": "HKD", "港元": "HKD",
               "日元": "JPY", "英镑": "GBP"}
    text = aliases.get(text, text)
    if text and not re.fullmatch(r"[A-Z]{3}", text):
        raise CellError(_("币种应为三个字母的代码（如 CNY、USD、EUR、HKD、JPY），实际为“%(value)s”")
                        % {"value": shown(value)})
    return text


def _labels(choices: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Stored value → the Chinese label, whatever the user's language (files travel between offices)."""
    with translation.override("zh-hans"):
        return {str(value): str(label) for value, label in choices}


def _options(choices: Iterable[tuple[Any, Any]], aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    options = {label: value for value, label in _labels(choices).items()}
    options.update(aliases or {})
    return options


_UNIT_ALIASES = {"万": rules.WAN, "亿": rules.YI, "万元人民币": rules.WAN, "亿元人民币": rules.YI}


# --- the lead sheet ---------------------------------------------------------------------------

_TEXT = gettext_lazy("文字")
_CHOOSE = gettext_lazy("从下拉列表选择")
_DATE = gettext_lazy("日期，格式 yyyy-mm-dd，如 2026-03-01；也可写 2026/3/1、2026年3月1日")
_MONEY = gettext_lazy("数字，单位万元，最多2位小数，不能为负")


def _help(kind: Any, note: Any = "") -> Any:
    return format_lazy("{}。{}", kind, note) if note else kind


def _text(key: str, header: str, width: int = 14, note: Any = "", *, required: bool = False) -> Column:
    return Column(key, header, parse_text, required, _help(_TEXT, note), width=width, user_text=True)


def _date(key: str, header: str, note: Any = "") -> Column:
    return Column(key, header, parse_date, False, _help(_DATE, note), width=12, number_format=cells.DATE_FORMAT)


def _derived(key: str, header: str, width: int, number_format: str | None = None) -> Column:
    return Column(key, header, None, help=gettext_lazy("导出时附带，供查看；导入时忽略，修改无效。"), width=width,
                  number_format=number_format, read_only=True)


# Headers are part of the file format (marked for extraction, never translated): the model's verbose names.
LEAD_COLUMNS: tuple[Column, ...] = (
    Column("id", N_("线索编号"), parse_id, False,
           gettext_lazy("系统编号。导出的线索带有编号，修改后导入即更新该线索；新线索留空。不要修改编号。"),
           width=10, number_format=cells.INTEGER_FORMAT),
    _text("enterprise", N_("企业名称"), 28, gettext_lazy("投资企业全称，最多100字。"), required=True),
    Column("credit_code", N_("统一社会信用代码"), parse_credit_code, False,
           gettext_lazy("18 位，检查校验位；不知道可以留空。"), width=20, user_text=True),
    Column("origin", N_("境内外"), None, False, _help(_CHOOSE, gettext_lazy("留空为“国内”。")), width=8),
    _text("origin_province", N_("来源省份/国家"), 12, gettext_lazy("境外填国家或地区。")),
    _text("origin_city", N_("来源城市"), 12),
    _text("industry", N_("所属行业"), 12),
    Column("chain_node", N_("产业链环节"), None, False,
           gettext_lazy("写作“产业链·环节”，见“可选值”表；环节名称唯一时也可只写环节。"), width=20),
    Column("amount_original", N_("意向投资额"), _number(4, 16), False,
           gettext_lazy("按企业给出的金额填写，单位见“金额单位”，外币另填币种和汇率，系统折算为万元人民币。"),
           width=12, number_format="#,##0.00##"),
    Column("amount_unit", N_("金额单位"), None, False, _help(_CHOOSE, gettext_lazy("万元或亿元，留空为万元。")),
           width=8),
    Column("currency", N_("币种"), parse_currency, False,
           gettext_lazy("三个字母的代码，如 CNY、USD、EUR、HKD、JPY，也可写人民币、美元；留空为人民币。"), width=8,
           user_text=True),
    Column("exchange_rate", N_("汇率"), _number(6, 12), False,
           gettext_lazy("1 单位外币折合人民币元数，外币金额必填；人民币留空。"), width=10, number_format="0.000000"),
    _derived("intended_investment", N_("折合意向投资额(万元)"), 14, cells.MONEY_FORMAT),
    _text("content", N_("项目内容"), 36),
    Column("source_unit", N_("招商单位"), None, False,
           gettext_lazy("单位全称或简称，见“可选值”表。项目办导入时必填；单位填报员只能填本单位或留空。"), width=16),
    _text("source_person", N_("招商责任人"), 10, gettext_lazy("招商单位负责这条线索的人，最多60字。")),
    _text("contact_person", N_("企业联系人"), 10, gettext_lazy("最多60字。")),
    Column("stage", N_("阶段"), None, False,
           _help(_CHOOSE, gettext_lazy("留空：新线索为“线索”，已有线索不变。阶段只能逐级推进，见本表末尾的规则。")),
           width=8),
    _date("signed_on", N_("签约日期"), gettext_lazy("签约及以后阶段必填，不能晚于今天。")),
    Column("signed_amount", N_("签约金额(万元)"), _number(2, 14), False,
           _help(_MONEY, gettext_lazy("签约及以后阶段必填，大于 0。")), width=14, number_format=cells.MONEY_FORMAT),
    _text("counterpart", N_("签约主体"), 20, gettext_lazy("签约及以后阶段必填。")),
    _date("started_on", N_("开工日期"), gettext_lazy("开工及以后阶段必填，不早于签约日期。")),
    _date("producing_on", N_("投产日期"), gettext_lazy("投产阶段必填，不早于开工日期。")),
    _text("dropped_reason", N_("终止原因"), 20, gettext_lazy("阶段为“终止”时必填。")),
    _text("next_step", N_("下一步工作"), 24, gettext_lazy("最多200字。")),
    _date("next_step_due", N_("下一步完成时限")),
    Column("version", N_("版本号"), parse_id, False,
           gettext_lazy("导出时线索的版本，导入时据此判断导出后是否有人改过该线索；不要修改。新线索留空。"),
           width=8, number_format=cells.INTEGER_FORMAT),
    _derived("light", N_("红黄绿灯"), 8),
    _derived("light_reasons", N_("灯色原因"), 36),
    _derived("last_contact_on", N_("最近洽谈日期"), 12, cells.DATE_FORMAT),
)
_LEAD_KEYS = {column.key for column in LEAD_COLUMNS}
_EVIDENCE_LABELS = (
    ("signed_on", N_("签约日期")), ("signed_amount", N_("签约金额")), ("counterpart", N_("签约主体")),
    ("started_on", N_("开工日期")), ("producing_on", N_("投产日期")), ("dropped_reason", N_("终止原因")),
)


def _lead_instructions() -> list[str]:
    thresholds = services.stale_thresholds()
    return [
        _("1. 第1行是导出人和导出时间（水印），第2行为列名（不要修改、不要合并），从第3行起每行一条线索。"),
        _("2. “线索编号”留空为新增线索；有编号的更新该线索。单位填报员只能新增和修改本单位的线索，"
          "填写其他单位的线索编号会被拒绝。"),
        _("3. “版本号”是导出时线索的版本：导出后若有人修改过该线索，该行会被拒绝，以免旧表覆盖新数据；"
          "请重新导出后再改。未作改动的行不受影响。"),
        _("4. 阶段的规则：已有线索只能逐级推进（线索 → 在谈 → 签约 → 开工 → 投产），不能回退；"
          "项目办可以一次推进多个阶段，导入时记为项目办的跨阶段决定。"),
        _("5. 新增线索：单位填报员只能从“线索”或“在谈”开始，签约及以后的阶段请录入后在线索页逐级推进；"
          "项目办新增的线索可以直接是签约、开工或投产，导入时记为项目办的跨阶段决定，须填写所经各阶段的信息。"),
        _("6. 签约须有签约日期、大于 0 的签约金额和签约主体；开工须有开工日期（不早于签约日期）；"
          "投产须有投产日期（不早于开工日期）；终止须写明原因。日期不能晚于今天。"
          "阶段不变时这些信息不能在导入中修改，如需更正请联系项目办。"),
        _("7. 导入时先检查全部行，有任何错误则全部不保存，并列出每个错误所在的行和列；全部正确才一次性保存，"
          "每处修改都记入变更记录。与已有线索可能是同一企业的（撞单），导入后列出并提交项目办裁定。"),
        _("8. 不要使用公式（请复制后“选择性粘贴-数值”），不要合并单元格；以“=”开头的文字按文字保存，不会计算。"),
        _("9. 单个文件不超过 %(mb)d MB、不超过 %(rows)d 行；请保存为 .xlsx 格式。")
        % {"mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024), "rows": guard.MAX_ROWS},
        _("10. 线索是商业秘密：本表只含您有权查看的线索，带有导出人和导出时间，请勿外传。"),
        *[_("规则：%(rule)s") % {"rule": text} for text in rules.rules_in_words(thresholds)],
    ]


LEAD_SPEC = SheetSpec(
    title=SHEET, columns=LEAD_COLUMNS, header_row=HEADER_ROW, instructions=_lead_instructions,
    notes_title=NOTES_SHEET, freeze="C3", template_name=gettext_lazy("线索台账模板"),
)


def _lead_choices() -> dict[str, Any]:
    return {
        "origin": _options(Origin.choices, {"境内": Origin.DOMESTIC, "境外": Origin.FOREIGN, "国外": Origin.FOREIGN}),
        "amount_unit": _options(AmountUnit.choices, _UNIT_ALIASES),
        "stage": _options(Stage.choices),
    }


def _written_lead_spec(lookups: Lookups) -> SheetSpec:
    changes: dict[str, dict[str, Any]] = {
        key: {"choices": list(_labels(choices).values())}
        for key, choices in (("origin", Origin.choices), ("amount_unit", AmountUnit.choices), ("stage", Stage.choices))
    }
    if lookups.active_units:
        changes["source_unit"] = {"choices": f"'{OPTIONS_SHEET}'!$A$2:$A${len(lookups.active_units) + 1}"}
    if lookups.nodes:
        changes["chain_node"] = {"choices": f"'{OPTIONS_SHEET}'!$B$2:$B${len(lookups.nodes) + 1}"}
    return LEAD_SPEC.with_columns(**changes)


def lead_rows(leads: Iterable[Lead]) -> Iterable[list[Any]]:
    """The sheet's values of each lead (select_related source_unit and chain_node__chain)."""
    stages, origins, units, lights = (_labels(Stage.choices), _labels(Origin.choices), _labels(AmountUnit.choices),
                                      _labels(Light.choices))
    for lead in leads:
        values: dict[str, Any] = {
            "id": lead.pk, "version": lead.version,
            "origin": origins.get(lead.origin, lead.origin), "amount_unit": units.get(lead.amount_unit),
            "stage": stages.get(lead.stage, lead.stage),
            "chain_node": _node_label(lead.chain_node) if lead.chain_node is not None else None,
            "source_unit": lead.source_unit.name, "light": lights.get(lead.light, lead.light),
            "light_reasons": "；".join(text for _light, text in lead.light_reasons or []),
        }
        yield [values[c.key] if c.key in values else getattr(lead, c.key) for c in LEAD_COLUMNS]


def write_leads(target: IO[bytes], *, leads: Iterable[Lead], mark: Watermark, lookups: Lookups | None = None) -> int:
    """The lead sheet (the template when ``leads`` is empty), watermarked; returns the number of leads."""
    lookups = lookups or Lookups()
    with translation.override(settings.LANGUAGE_CODE):
        writer = WatermarkedWriter(_written_lead_spec(lookups), mark=mark)
        for values in lead_rows(leads):
            writer.append(values)
        writer.write_notes()
        _write_options(writer.workbook, lookups)
        return writer.finish(target, SHEET)


# --- importing the lead sheet ----------------------------------------------------------------

@dataclass
class _Plan:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"

    row: int
    status: str
    lead: Lead
    save: bool = False  # the lead's own facts are written (lead_save)
    version: int | None = None
    to: str | None = None  # a step to take (stage_advance)
    evidence: dict[str, Any] = field(default_factory=dict)
    skip: str = ""


def _fresh(stored: Lead) -> Lead:
    """A separate instance with the stored values (a copy would share the related-object cache)."""
    lead = Lead(**{f.attname: getattr(stored, f.attname) for f in Lead._meta.concrete_fields})
    lead._state.adding = False
    lead._state.db = stored._state.db
    return lead


def _blank(value: Any) -> Any:
    return None if value == "" else value


def _column_of(message: str) -> str | None:
    """The evidence column a rule's reason is about: the first one it names."""
    found = [(message.find(str(label)), key) for key, label in _EVIDENCE_LABELS if str(label) in message]
    return min(found)[1] if found else None


class LeadImport:
    """Check and (when every row is right) save an uploaded lead sheet; see the module's docstring."""

    def __init__(self, *, by: User) -> None:
        self.user = by
        self.office = can(by, "investment.skip_stage")
        self.today = clock.today()
        self.lookups = Lookups()
        self.collisions: list[Collision] = []

    def spec(self) -> SheetSpec:
        options = _lead_choices()
        parsers: dict[str, Any] = {
            key: choice_parser(options[key], list(_labels(choices).values()))
            for key, choices in (("stage", Stage.choices), ("origin", Origin.choices),
                                 ("amount_unit", AmountUnit.choices))
        }
        parsers["source_unit"] = self.lookups.unit
        parsers["chain_node"] = self.lookups.node
        return LEAD_SPEC.bind(**parsers)

    def run(self, upload: Any) -> ImportReport:
        return run_import(self.spec(), upload, check=self._check, apply=self._apply)

    # --- checking ---------------------------------------------------------------------------

    def _check(self, sheet: ImportSheet) -> list[_Plan]:
        ids = {row.values["id"] for row in sheet.rows if row.values.get("id") and "id" not in row.bad}
        stored: dict[int, Lead] = {}
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            for lead in (Lead.objects.visible_to(self.user).filter(pk__in=id_list[start:start + 500])
                         .select_related("source_unit", "chain_node__chain")):
                stored[lead.pk] = lead
        seen: dict[int, int] = {}
        plans = []
        for row in sheet.rows:
            plan = self._check_row(sheet, row, stored, seen)
            if plan is not None:
                plans.append(plan)
        return plans

    def _check_row(
        self, sheet: ImportSheet, row: Row, stored: Mapping[int, Lead], seen: dict[int, int]
    ) -> _Plan | None:
        number, report = row.number, sheet.report
        errors_before = len(report.errors)
        present = sheet.header.keys()
        values = row.good()
        pk = values.get("id")
        original: Lead | None = None
        if "id" in row.bad:
            return None
        if pk is not None:
            if pk in seen:
                sheet.error(number, "id", _("线索编号 %(id)s 与第 %(row)d 行重复") % {"id": pk, "row": seen[pk]})
                return None
            seen[pk] = number
            original = stored.get(pk)
            if original is None:
                # Nothing more: the lead is not one the user may see (another unit's), or there is none.
                sheet.error(number, "id", _("找不到编号为 %(id)s 的线索，"
                                            "或该线索不是您可以修改的（单位填报员只能修改本单位的"
                                            "线索）。新线索请将编号留空。") % {"id": pk})
                return None

        lead = _fresh(original) if original is not None else Lead(stage=Stage.LEAD)
        self._facts(sheet, row, lead, original, present, values)
        to, evidence = self._stage(sheet, row, lead, original, present, values)
        if len(report.errors) > errors_before or row.bad:
            return None
        changed = original is None or any(
            getattr(lead, name) != getattr(original, name)
            for name in (*(_ATTNAMES[f] for f in EDIT_FIELDS), "intended_investment")
        )
        if original is not None and not changed and to is None:
            return _Plan(number, _Plan.UNCHANGED, original)
        if original is not None:
            if not can(self.user, "investment.edit", original):
                if original.stage in rules.FINAL:
                    sheet.error(number, "id", _("该线索已“%(stage)s”，不能再修改。")
                                % {"stage": rules.stage_name(original.stage)})
                else:
                    sheet.error(number, "id", _("您可以查看但无权修改该线索。"))
                return None
            version = values.get("version")
            if version is None:
                sheet.error(number, "version", _("修改已有线索须保留导出时的版本号；请重新导出后在导出的表中修改。"))
                return None
            if version != original.version:
                sheet.error(number, "version", _(
                    "该线索在导出后已被他人修改（表中为第 %(file)d 版，"
                    "现为第 %(now)d 版）。为免旧表覆盖新数据，本行不能导入；"
                    "请重新导出后再改。") % {"file": version, "now": original.version})
                return None
        if not self._valid(sheet, number, lead):
            return None
        skip = ""
        if to is not None and rules.is_skip(original.stage if original else rules.LEAD, to):
            skip = _("Excel 导入：项目办决定由“%(from)s”直接推进到“%(to)s”。") % {
                "from": rules.stage_name(original.stage if original else rules.LEAD), "to": rules.stage_name(to)}
        status = _Plan.CREATED if original is None else _Plan.UPDATED
        return _Plan(number, status, lead, save=changed, version=original.version if original else None, to=to,
                     evidence=evidence, skip=skip)

    def _facts(self, sheet: ImportSheet, row: Row, lead: Lead, original: Lead | None, present: set[str],
               values: Mapping[str, Any]) -> None:
        """The lead's own facts from the file's columns (an absent column keeps the lead's)."""
        number = row.number
        for name in EDIT_FIELDS:
            if name not in present or name in row.bad:
                continue
            value = values.get(name)
            if name == "source_unit":
                continue
            if name == "chain_node":
                lead.chain_node = value
            elif name == "origin":
                lead.origin = value or Origin.DOMESTIC
            elif name == "amount_unit":
                lead.amount_unit = value or AmountUnit.WAN
            elif name == "currency":
                lead.currency = value or rules.CNY
            elif name in {"amount_original", "exchange_rate", "next_step_due"}:
                setattr(lead, name, value)
            else:
                setattr(lead, name, value or "")
        unit = values.get("source_unit") if "source_unit" in present and "source_unit" not in row.bad else None
        if self.office:
            if unit is not None:
                lead.source_unit = unit
            elif original is None and "source_unit" not in row.bad:
                sheet.error(number, "source_unit", _("请填写招商单位。"))
        else:
            own = self.user.unit_id
            if unit is not None and unit.pk != own:
                sheet.error(number, "source_unit", _("单位填报员只能录入、修改本单位的线索，"
                                                     "招商单位应为“%(unit)s”或留空。")
                            % {"unit": self.user.unit})
            if original is None and own is not None:
                lead.source_unit_id = own
        lead.enterprise = " ".join((lead.enterprise or "").split())
        lead.currency = (lead.currency or rules.CNY).strip().upper()
        if lead.currency == rules.CNY:
            if lead.exchange_rate is not None and "exchange_rate" in present:
                sheet.error(number, "exchange_rate", _("人民币金额不需要汇率，请留空。"))
            lead.exchange_rate = None
        if lead.amount_original is None:
            if lead.currency != rules.CNY or lead.amount_unit != rules.WAN:
                sheet.error(number, "amount_original", _("填写了币种或金额单位，请填写意向投资额。"))
            elif original is None or original.amount_original is not None:
                # A lead entered with only its 万元 figure keeps it; a cleared amount clears it.
                lead.intended_investment = None
        elif lead.currency != rules.CNY and lead.exchange_rate is None:
            sheet.error(number, "exchange_rate", _("外币金额须填写汇率（1 单位外币折合人民币元数）。"))
        else:
            lead.intended_investment = rules.amount_in_wan(
                lead.amount_original, lead.amount_unit, lead.currency, lead.exchange_rate)
        lead.name_normalised = names.normalise_name(lead.enterprise)
        lead.name_key = names.name_key(lead.name_normalised)

    def _stage(self, sheet: ImportSheet, row: Row, lead: Lead, original: Lead | None, present: set[str],
               values: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """The step the row asks for (None: none) and its evidence; refusals by the rules go to the report."""
        number = row.number
        current = original.stage if original is not None else rules.LEAD
        wanted = values.get("stage") if "stage" in present and "stage" not in row.bad else None
        target = wanted or current
        facts: dict[str, Any] = {}
        for name in STAGE_FIELDS:
            stored = getattr(original, name) if original is not None else None
            stored = stored if stored not in ("", None) else None
            facts[name] = _blank(values.get(name)) if name in present and name not in row.bad else stored
        # Facts of stages after the target: none (a lead at 签约 has no start date). Facts of the stages the lead
        # has reached: as they are (a step does not rewrite a signing; the office corrects one on the lead's page).
        after = [s for s in rules.ORDER if target in rules.ORDER and rules.ORDER.index(s) > rules.ORDER.index(target)]
        if target != rules.DROPPED:
            after.append(rules.DROPPED)
        later = {name: stage for stage in after for name in _FACTS_OF.get(stage, ())}
        if original is None:
            reached: set[str] = set()
        elif target == current or current not in rules.ORDER:
            reached = {name for name in STAGE_FIELDS if name not in later}
        else:
            reached = {name for stage in rules.ORDER[:rules.ORDER.index(current) + 1]
                       for name in _FACTS_OF.get(stage, ())}
        for name in STAGE_FIELDS:
            if name not in present or name in row.bad:
                continue
            if name in later and facts[name] is not None:
                sheet.error(number, name, _("“%(field)s”属于“%(of)s”阶段，本行阶段为“%(stage)s”，请留空。")
                            % {"field": sheet.label(name), "of": rules.stage_name(later[name]),
                               "stage": rules.stage_name(target)})
            elif original is not None and name in reached:
                theirs = getattr(original, name)
                if facts[name] != (theirs if theirs not in ("", None) else None):
                    sheet.error(number, name, _(
                        "“%(field)s”是该线索已有的阶段信息，不能在导入中修改（签约、开工、投产、终止信息随推进阶段填写）；"
                        "如有录入错误，请联系项目办更正。") % {"field": sheet.label(name)})
        if original is None:
            start = target if target in {rules.LEAD, rules.NEGOTIATING} else rules.LEAD
            if target == rules.DROPPED:
                sheet.error(number, "stage", _("新线索不能直接录入为“终止”。"))
                return None, {}
            if target not in {rules.LEAD, rules.NEGOTIATING} and not self.office:
                sheet.error(number, "stage", _(
                    "单位新录入的线索只能从“线索”或“在谈”开始；签约及以后的阶段请录入后在线索页逐级推进"
                    "（跨阶段须由项目办决定）。"))
                return None, {}
            lead.stage = start
            if start == target:
                return None, {}
            self._evidence(sheet, number, rules.LEAD, target, facts)
            return target, facts
        if target == current:
            return None, {}
        refusals = rules.step_refusals(current, target, skip_decided=self.office)
        for reason in refusals:
            sheet.error(number, "stage", reason)
        if not refusals:
            self._evidence(sheet, number, current, target, facts)
        return target, facts

    def _evidence(self, sheet: ImportSheet, number: int, current: str, target: str, facts: Mapping[str, Any]) -> None:
        evidence = rules.Evidence(
            signed_on=facts["signed_on"], signed_amount=facts["signed_amount"], counterpart=facts["counterpart"] or "",
            started_on=facts["started_on"], producing_on=facts["producing_on"],
            dropped_reason=facts["dropped_reason"] or "",
        )
        for reason in rules.evidence_refusals(current, target, evidence, today=self.today):
            sheet.error(number, _column_of(reason) or "stage", reason)

    @staticmethod
    def _valid(sheet: ImportSheet, number: int, lead: Lead) -> bool:
        """The model's own checks (lengths, ranges), with the column of each."""
        try:
            lead.full_clean(exclude=["created_by", "project", *STAGE_FIELDS, "stage"], validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                key = name if name in _LEAD_KEYS else None
                for message in messages:
                    sheet.error(number, key, message)
            return False
        return True

    # --- saving -------------------------------------------------------------------------------

    def _apply(self, sheet: ImportSheet, plans: Sequence[_Plan]) -> None:
        """Runs in the import's transaction: an error here rolls every row back."""
        report = sheet.report
        for plan in plans:
            if plan.status == _Plan.UNCHANGED:
                continue
            lead = plan.lead
            try:
                version = plan.version
                if plan.save:
                    saved = services.lead_save(by=self.user, lead=lead, version=version, source=SOURCE)
                    self.collisions += saved.collisions
                    lead, version = saved.lead, None
                if plan.to is not None:
                    services.stage_advance(
                        by=self.user, lead=lead, to=plan.to, version=version, source=SOURCE,
                        note=_("Excel 导入"), skip_decision=plan.skip,
                        **{name: value for name, value in plan.evidence.items() if value is not None},
                    )
            except ValidationError as error:
                for message in error.messages:
                    sheet.error(plan.row, "version" if getattr(error, "code", "") == "stale" else None, message)
            except PermissionDenied:
                sheet.error(plan.row, "id", _("您无权修改该线索。"))
        report.created = sum(1 for p in plans if p.status == _Plan.CREATED)
        report.updated = sum(1 for p in plans if p.status == _Plan.UPDATED)
        report.unchanged = sum(1 for p in plans if p.status == _Plan.UNCHANGED)


def lead_import(*, by: User, upload: Any) -> tuple[ImportReport, list[Collision]]:
    """Import an uploaded lead sheet, all rows or none; the report and the collisions it opened."""
    importer = LeadImport(by=by)
    report = importer.run(upload)
    return report, importer.collisions if report.ok else []


# --- large lead sheets, by the worker --------------------------------------------------------------

def upload_is_large(upload: Any, *, sheet: str = SHEET, limit: int | None = None) -> bool:
    """More than ``BACKGROUND_ROWS`` data rows in ``sheet`` (counted up to that, after the file checks); a
    file the checks refuse is not large: the request refuses it at once with the reason."""
    limit = BACKGROUND_ROWS if limit is None else limit
    try:
        workbook = guard.open_upload(upload)
    except guard.FileRejected:
        return False
    try:
        if sheet not in workbook.sheetnames:
            return False
        rows = (row for row in workbook[sheet].iter_rows(min_row=HEADER_ROW + 1, values_only=True)
                if any(value not in (None, "") for value in row))
        return sum(1 for _row in islice(rows, limit + 1)) > limit
    finally:
        workbook.close()
        upload.seek(0)


def import_dir() -> Path:
    return core_tasks.import_dir()


def lead_import_start(*, upload: Any, by: User) -> Job:
    """Keep the upload under MEDIA_ROOT/imports and queue its import (job kind ``lead_import``)."""
    path = core_tasks.upload_keep(upload)
    return core_tasks.job_start(
        task_path="investment.excel.lead_import_task", kind=JOB_KIND, key=error_scope(by.pk),
        args=[path.name, str(getattr(upload, "name", "") or path.name), by.pk], by=by, max_attempts=2,
    )


def error_scope(user_pk: int) -> str:
    """A kept upload with errors is its uploader's."""
    return f"user:{user_pk}"


def import_result(report: ImportReport, collisions: Sequence[Collision], user: User,
                  error_report: str | None = None) -> dict[str, Any]:
    """What the import page shows of a finished background import (JSON, kept on its job)."""
    errors = report.sorted_errors()
    return {
        "ok": report.ok, "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "warnings": list(report.warnings), "collisions": collision_texts(collisions, user),
        "errors": [{"row": issue.row, "column": issue.column, "letter": issue.letter, "message": issue.message}
                   for issue in errors[:MAX_ERRORS_SHOWN]],
        "error_count": len(errors), "error_report": error_report or "",
    }


@task()
def lead_import_task(job_pk: int, file_name: str, upload_name: str, by_pk: int) -> None:
    path = import_dir() / Path(file_name).name
    with core_tasks.job_running(job_pk):
        core_tasks.job_progress(job_pk, 10, _("正在检查文件并逐行校验"))
        by = User.objects.get(pk=by_pk)
        with path.open("rb") as handle:
            report, collisions = lead_import(by=by, upload=File(handle, name=upload_name))
        token = None
        if not report.ok:
            token = ERROR_UPLOADS.keep_path(path, name=upload_name, sheet=SHEET, errors=report.errors,
                                            scope=error_scope(by_pk))
        core_tasks.job_progress(job_pk, 95, _("正在整理结果"), result=import_result(report, collisions, by, token))
    path.unlink(missing_ok=True)


# --- the signed list (签约项目清单) ------------------------------------------------------------

SIGNED_COLUMNS: tuple[Column, ...] = (
    Column("number", N_("序号"), parse_id, False, gettext_lazy("顺序号，导入时不使用。"), width=6,
           number_format=cells.INTEGER_FORMAT),
    _text("project", N_("项目名称"), 36,
          gettext_lazy("新增线索时记入线索的“项目内容”；导出时为线索项目内容的第一行。"), required=True),
    _text("investor", N_("投资方"), 28, gettext_lazy("投资企业全称；按名称与已有线索比对（与撞单的规则相同），"
                                                  "找到的签约该线索，找不到的新增线索。"), required=True),
    Column("amount", N_("投资额(万元)"), _number(2, 14), True, _help(_MONEY, gettext_lazy("签约金额，大于 0。")),
           width=14, number_format=cells.MONEY_FORMAT),
    Column("signed_on", N_("签约时间"), parse_date, True, _help(_DATE, gettext_lazy("不能晚于今天。")), width=12,
           number_format=cells.DATE_FORMAT),
    Column("unit", N_("责任单位"), None, True, gettext_lazy("招商单位全称或简称，见“可选值”表。"), width=16),
)


def _signed_instructions() -> list[str]:
    return [
        _("1. 第1行是导出人和导出时间（水印），第2行为列名，从第3行起每行一个签约项目。"),
        _("2. 导出：所选签约时间范围内已签约（含已开工、已投产）的线索，只含您有权查看的线索。"),
        _("3. 导入（项目办）：按“投资方”与已有线索比对；找到一条的，"
          "将该线索推进到“签约”（从“线索”直接签约的记为项目办的跨阶段"
          "决定），责任单位须与线索的招商单位一致；找不到的，新增该单位的线索并记为签约，签约主体记为投资方。"
          "已签约的线索，签约时间和投资额与清单一致的不作改动，不一致的请在线索页更正。"),
        _("4. 导入时先检查全部行，有任何错误则全部不保存，并列出每个错误所在的行和列。"),
        _("5. 不要使用公式，不要合并单元格；以“=”开头的文字按文字保存，不会计算。"),
        _("6. 线索是商业秘密：本表带有导出人和导出时间，请勿外传。"),
    ]


SIGNED_SPEC = SheetSpec(
    title=SIGNED_SHEET, columns=SIGNED_COLUMNS, header_row=HEADER_ROW, instructions=_signed_instructions,
    notes_title=NOTES_SHEET, freeze="C3", template_name=gettext_lazy("签约项目清单模板"),
)


def signed_leads(leads: Any, *, start: dt.date | None, end: dt.date | None) -> Any:
    """Of ``leads`` (a scoped queryset), those signed or later, signed between ``start`` and ``end``."""
    qs = leads.filter(stage__in=_SIGNED_OR_LATER)
    if start is not None:
        qs = qs.filter(signed_on__gte=start)
    if end is not None:
        qs = qs.filter(signed_on__lte=end)
    return qs.select_related("source_unit").order_by("signed_on", "pk")


def write_signed(target: IO[bytes], *, leads: Iterable[Lead], mark: Watermark, period: str = "",
                 lookups: Lookups | None = None) -> int:
    lookups = lookups or Lookups()
    with translation.override(settings.LANGUAGE_CODE):
        spec = SIGNED_SPEC
        if lookups.active_units:
            spec = spec.with_columns(unit={"choices": f"'{OPTIONS_SHEET}'!$A$2:$A${len(lookups.active_units) + 1}"})
        writer = WatermarkedWriter(spec, mark=mark)
        for number, lead in enumerate(leads, start=1):
            # The first line of the lead's content; its investor's name when it has none (so the file reads back).
            project = (lead.content.strip().splitlines() or [lead.enterprise])[0]
            writer.append([number, project, lead.enterprise, lead.signed_amount, lead.signed_on,
                           lead.source_unit.name])
        writer.write_notes(stamp=[(_("签约时间"), period)] if period else [])
        _write_options(writer.workbook, lookups)
        return writer.finish(target, SIGNED_SHEET)


@dataclass
class _Signing:
    row: int
    lead: Lead | None  # the lead to sign; None: a new one
    values: dict[str, Any]
    unchanged: bool = False


class SignedImport:
    """The office's import of a signed list: each row signs its investor's lead, or a new one."""

    def __init__(self, *, by: User) -> None:
        self.user = by
        self.today = clock.today()
        self.lookups = Lookups()
        self.collisions: list[Collision] = []

    def run(self, upload: Any) -> ImportReport:
        return run_import(SIGNED_SPEC.bind(unit=self.lookups.unit), upload, check=self._check, apply=self._apply)

    def _check(self, sheet: ImportSheet) -> list[_Signing]:
        plans: list[_Signing] = []
        taken: dict[int, int] = {}
        for row in sheet.rows:
            if row.bad:
                continue
            values = row.good()
            number, errors_before = row.number, len(sheet.report.errors)
            investor = " ".join((values.get("investor") or "").split())
            amount, signed_on, unit = values.get("amount"), values.get("signed_on"), values.get("unit")
            if amount is not None and amount <= 0:
                sheet.error(number, "amount", _("签约须填写大于 0 的签约金额（万元）。"))
            if signed_on is not None and signed_on > self.today:
                sheet.error(number, "signed_on", _("签约日期（%(day)s）"
                                                   "不能晚于今天。") % {"day": signed_on.isoformat()})
            for key, value in (("project", values.get("project")), ("investor", investor), ("amount", amount),
                               ("signed_on", signed_on), ("unit", unit)):
                if value in (None, ""):
                    sheet.error(number, key, _("必填，不能为空。"))
            if len(sheet.report.errors) > errors_before or unit is None:
                continue
            lead = self._match(sheet, number, investor)
            if lead is False:
                continue
            values["investor"] = investor
            if isinstance(lead, Lead):
                if lead.pk in taken:
                    sheet.error(number, "investor", _("与第 %(row)d 行是同一条线索（“%(name)s”）"
                                                      "，一条线索只记一次签约。")
                                % {"row": taken[lead.pk], "name": lead.enterprise})
                    continue
                taken[lead.pk] = number
                if lead.source_unit_id != unit.pk:
                    sheet.error(number, "unit", _("“%(name)s”的线索由%(unit)s招商，"
                                                  "责任单位应一致；如需更改招商单位请在线索页修改。")
                                % {"name": lead.enterprise, "unit": lead.source_unit})
                    continue
                if lead.stage in _SIGNED_OR_LATER:
                    if lead.signed_on == signed_on and lead.signed_amount == amount:
                        plans.append(_Signing(number, lead, values, unchanged=True))
                    else:
                        sheet.error(number, "signed_on" if lead.signed_on != signed_on else "amount", _(
                            "“%(name)s”已于 %(day)s 签约，"
                            "签约金额 %(amount)s 万元，与本行不一致；如需更正请在线索页处理。")
                            % {"name": lead.enterprise, "day": lead.signed_on.isoformat() if lead.signed_on else "—",
                               "amount": lead.signed_amount})
                    continue
                if not can(self.user, "investment.edit", lead):
                    sheet.error(number, "investor", _("“%(name)s”的线索不能再修改。") % {"name": lead.enterprise})
                    continue
                plans.append(_Signing(number, lead, values))
            else:
                new = Lead(enterprise=investor, content=values["project"], source_unit=unit, stage=Stage.LEAD)
                new.name_normalised = names.normalise_name(investor)
                new.name_key = names.name_key(new.name_normalised)
                try:
                    new.full_clean(exclude=["created_by", "project"], validate_unique=False)
                except ValidationError as error:
                    for name, messages in error.message_dict.items():
                        for message in messages:
                            sheet.error(number, {"enterprise": "investor", "content": "project"}.get(name), message)
                    continue
                plans.append(_Signing(number, None, values))
        return plans

    def _match(self, sheet: ImportSheet, number: int, investor: str) -> Lead | bool | None:
        """The lead of ``investor``: the one lead alike by name (False: several, reported; None: none)."""
        found = services.collision_candidates(investor)
        if not found:
            return None
        key = names.name_key(names.normalise_name(investor))
        same = [lm for lm in found if lm.lead.name_key == key]
        if len(same) == 1:
            return same[0].lead
        if len(found) == 1:
            return found[0].lead
        sheet.error(number, "investor", _("投资方与多条线索相似（%(names)s），无法确定签约哪一条；请在线索页签约。")
                    % {"names": "、".join(f"{lm.lead.enterprise}（{lm.lead.source_unit}）" for lm in found[:5])})
        return False

    def _apply(self, sheet: ImportSheet, plans: Sequence[_Signing]) -> None:
        report = sheet.report
        for plan in plans:
            if plan.unchanged:
                report.unchanged += 1
                continue
            values = plan.values
            try:
                lead = plan.lead
                if lead is None:
                    saved = services.lead_save(by=self.user, source=SOURCE, lead=Lead(
                        enterprise=values["investor"], content=values["project"], source_unit=values["unit"]))
                    self.collisions += saved.collisions
                    lead = saved.lead
                    report.created += 1
                else:
                    report.updated += 1
                skip = ""
                if rules.is_skip(lead.stage, rules.SIGNED):
                    skip = _("签约项目清单导入：项目办决定由“%(from)s”直接记为签约。") % {
                        "from": rules.stage_name(lead.stage)}
                services.stage_advance(
                    by=self.user, lead=lead, to=rules.SIGNED, signed_on=values["signed_on"],
                    signed_amount=values["amount"], counterpart=lead.counterpart or values["investor"],
                    note=_("签约项目清单导入：%(project)s") % {"project": values["project"]}, skip_decision=skip,
                    source=SOURCE,
                )
            except ValidationError as error:
                for message in error.messages:
                    sheet.error(plan.row, None, message)
            except PermissionDenied:
                sheet.error(plan.row, "investor", _("您无权修改该线索。"))


def signed_import(*, by: User, upload: Any) -> tuple[ImportReport, list[Collision]]:
    importer = SignedImport(by=by)
    report = importer.run(upload)
    return report, importer.collisions if report.ok else []


# --- collisions, in words ---------------------------------------------------------------------

def collision_texts(collisions: Sequence[Collision], user: User) -> list[str]:
    """What the user is told of the collisions an import opened: of a lead he or she may not see, only its unit
    and the day it was entered (as ``services`` tells the unit)."""
    texts = []
    for collision in collisions:
        later, first = collision.lead, collision.existing
        values = {"later": later.enterprise, "later_unit": later.source_unit, "first": first.enterprise,
                  "first_unit": first.source_unit,
                  "on": timezone.localtime(first.created_at).date().isoformat(), "reason": collision.reason}
        if can(user, "investment.view", first) and can(user, "investment.view", later):
            texts.append(_("撞单：“%(later)s”（%(later_unit)s）"
                           "可能与%(first_unit)s于 %(on)s 录入的“%(first)s”是同一企业"
                           "（%(reason)s），已提交项目办裁定。") % values)
        else:
            texts.append(_("撞单：“%(later)s”可能已由%(first_unit)s于 %(on)s 首报。"
                           "按首报首谈，由项目办裁定跟进单位和业绩分成。")
                         % values)
    return texts


def describe_filters(data: Mapping[str, Any]) -> str:
    """The filter of an export in words, for its audit record."""
    parts = []
    for name, value in data.items():
        if value in (None, "") or name in {"sort", "page"}:
            continue
        parts.append(f"{name}={value}")
    return "；".join(parts)


__all__ = [
    "HEADER_ROW", "LEAD_SPEC", "SHEET", "SIGNED_SHEET", "SIGNED_SPEC", "XLSX_CONTENT_TYPE", "LeadImport", "Lookups",
    "SignedImport", "Watermark", "WatermarkedWriter", "collision_texts", "describe_filters", "export_record",
    "lead_import", "signed_import", "signed_leads", "write_leads", "write_signed",
]
