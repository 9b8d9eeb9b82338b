"""The bulletin's Excel annex (附表): one sheet per table, Chinese headers in the first row.

Numbers are numbers, not text, so the office can sum and sort them: money in 万元 with two
decimals, rates in % with one decimal (an empty cell where a rate is not computed), counts
as integers. The 说明 sheet says how each figure was computed. Every cell goes through the Excel
kit's string cells (``core.excel.cells``): a name or a problem typed by people stays text. The
layout keeps its own look, since its bytes are part of what publishing records (sha256).
"""
from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.excel import cells
from dispatch.bulletins.figures import BulletinFigures, PrintedPart, Ranking, percent, reproducible_zip

MONEY_FORMAT = cells.MONEY_FORMAT
RATE_FORMAT = "0.0"
HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
HEADER_FONT = Font(bold=True)
MONEY, RATE, INT, TEXT, DATE = "money", "rate", "int", "text", "date"


def _sheet(wb: Workbook, title: str, columns: Sequence[tuple[str, str, int]], rows: Sequence[Sequence[Any]]) -> None:
    """``columns``: (header, kind, width in characters)."""
    ws: Worksheet = wb.create_sheet(title=title[:31])
    for c, (header, _kind, width) in enumerate(columns, start=1):
        cell = cells.put(ws, 1, c, header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, values in enumerate(rows, start=2):
        for c, ((_header, kind, _width), value) in enumerate(zip(columns, values, strict=True), start=1):
            # Names and problems are typed by people: a text starting with "=" stays text.
            cell = cells.put(ws, r, c, value)
            if kind == MONEY:
                cell.number_format = MONEY_FORMAT
            elif kind == RATE:
                cell.number_format = RATE_FORMAT
            elif kind == DATE:
                cell.number_format = cells.DATE_FORMAT
            elif kind == TEXT:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _ranking_sheets(wb: Workbook, ranking: Ranking) -> None:
    _sheet(
        wb, _("%(kind)s投资完成率排名") % {"kind": ranking.title},
        [(_("名次"), INT, 6), (ranking.title, TEXT, 18), (_("项目数"), INT, 8), (_("年度计划投资(万元)"), MONEY, 16),
         (_("累计完成投资(万元)"), MONEY, 16), (_("完成率(%)"), RATE, 10), (_("计算方法"), TEXT, 60)],
        [[r.rank, r.unit, r.projects, r.plan, r.done, r.rate, r.explain] for r in ranking.by_investment],
    )
    _sheet(
        wb, _("%(kind)s开工率排名") % {"kind": ranking.title},
        [(_("名次"), INT, 6), (ranking.title, TEXT, 18), (_("项目数"), INT, 8), (_("应开工项目数"), INT, 12),
         (_("已开工项目数"), INT, 12), (_("开工率(%)"), RATE, 10), (_("计算方法"), TEXT, 50)],
        [[r.rank, r.unit, r.projects, r.due, r.started, r.rate, r.explain] for r in ranking.by_start],
    )


def _behind_rows(f: BulletinFigures) -> list[list[Any]]:
    """滞后项目: the share of all projects, then each tag's count of them."""
    if f.behind is None:
        return []
    share = f.behind.share
    return [
        [_("滞后项目"), share.numerator, share.denominator, share.rate, share.explain],
        *([tag, count, share.denominator, percent(count, share.denominator),
           _("%(tag)s项目数 ÷ 项目总数（见说明）") % {"tag": tag}]
          for tag, count in ((_("投资滞后"), f.behind.investment), (_("开工滞后"), f.behind.start))),
    ]


def _progress_rows(f: BulletinFigures) -> list[list[Any]]:
    """形象进度分布: each bucket's share of all projects."""
    total = sum(row.count for row in f.progress_spread)
    return [
        [_("形象进度 %(label)s") % {"label": row.label}, row.count, total, percent(row.count, total),
         _("本期月报形象进度在该档的项目数 ÷ 项目总数")]
        for row in f.progress_spread
    ]


# Characters a sheet's title may not hold (Excel's rule).
_NOT_IN_TITLES = str.maketrans({char: "_" for char in "[]:*?/\\"})


def _width(text: str) -> int:
    """Excel's column width for ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1 for char in text)


def _figure(value: str, decimals: bool) -> Decimal | int | None:
    """A cell of a column of figures as a number ("1,234.50" → 1234.50); None for "—" or blank."""
    text = value.strip().replace(",", "").replace("−", "-")
    if text in {"", "—", "-"}:
        return None
    return Decimal(text) if decimals else int(text)


def _part_sheets(wb: Workbook, part: PrintedPart) -> None:
    """Another module's section (招商引资): one sheet per table, named by the section and the level-2
    heading above it. A column of plain figures is written as numbers (amounts with two decimals); a
    column with percentages, and every other, as text, as printed."""
    title = part.heading.partition("、")[2] or part.heading
    for number, (under, block) in enumerate(part.tables, start=1):
        name = f"{title}{under}" if under else (f"{title}{number}" if len(part.tables) > 1 else title)
        kinds: list[str] = []
        for i in range(len(block.headers)):
            values = [row[i] for row in block.rows]
            if i in block.numeric and not any("%" in value for value in values):
                kinds.append(MONEY if any("." in value for value in values) else INT)
            else:
                kinds.append(TEXT)
        widths = [
            min(40, max(8, *(_width(row[i]) + 2 for row in (block.headers, *block.rows))))
            for i in range(len(block.headers))
        ]
        _sheet(
            wb, name.translate(_NOT_IN_TITLES),
            [(header, kind, width) for header, kind, width in zip(block.headers, kinds, widths, strict=True)],
            [[value if kind == TEXT else _figure(value, kind == MONEY) for value, kind in zip(row, kinds, strict=True)]
             for row in block.rows],
        )


def bulletin_xlsx(figures: BulletinFigures, *, published_at: dt.datetime | None = None) -> bytes:
    """The annex; the same figures and publication time give the same bytes."""
    f = figures
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb, _("总体情况"),
        [(_("级别"), TEXT, 12), *((label, INT, 8) for label in f.stage_labels), (_("合计"), INT, 8)],
        [[row.label, *row.by_stage, row.total] for row in f.stage_level],
    )
    _sheet(
        wb, _("开工率和投产率"),
        [(_("指标"), TEXT, 16), (_("分子(个)"), INT, 10), (_("分母(个)"), INT, 10), (_("比率(%)"), RATE, 10),
         (_("计算方法"), TEXT, 60)],
        [[_("开工率"), f.start_rate.numerator, f.start_rate.denominator, f.start_rate.rate, f.start_rate.explain],
         [_("投产率"), f.production_rate.numerator, f.production_rate.denominator, f.production_rate.rate,
          f.production_rate.explain],
         *_behind_rows(f),
         *_progress_rows(f)],
    )
    last = f.last_year
    _sheet(
        wb, _("投资完成情况"),
        [(_("类别"), TEXT, 12), (_("项目数"), INT, 8), (_("年度计划投资(万元)"), MONEY, 18),
         (_("累计完成投资(万元)"), MONEY, 18), (_("完成率(%)"), RATE, 10), (_("序时进度(%)"), RATE, 12),
         (_("落后序时进度(百分点)"), RATE, 14), (_("总投资(万元)"), MONEY, 18), (_("去年同期完成率(%)"), RATE, 12),
         (_("比去年同期(百分点)"), RATE, 12), (_("计算方法"), TEXT, 60)],
        [
            [f.investment.label, f.investment.projects, f.investment.plan, f.investment.done, f.investment.rate,
             f.schedule, f.investment.gap, f.investment.total, last.rate if last else None,
             last.difference if last else None,
             f.investment.explain + ("；" + last.explain if last else "")],
            *([row.label, row.projects, row.plan, row.done, row.rate, f.schedule, row.gap, row.total, None, None,
               row.explain] for row in f.investment_by_level),
            *([_("%(title)s：%(label)s") % {"title": split.title, "label": row.label}, row.projects, row.plan, row.done,
               row.rate, f.schedule, row.gap, row.total, None, None, row.explain]
              for split in f.splits for row in split.rows),
        ],
    )
    _ranking_sheets(wb, f.towns)
    _ranking_sheets(wb, f.departments)
    _sheet(
        wb, _("红黄灯项目"),
        [(_("序号"), INT, 6), (_("项目编号"), TEXT, 14), (_("项目名称"), TEXT, 28), (_("灯"), TEXT, 6),
         (_("级别"), TEXT, 8), (_("阶段"), TEXT, 8), (_("牵头单位"), TEXT, 14), (_("属地镇街"), TEXT, 12),
         (_("包靠领导"), TEXT, 10), (_("年度计划投资(万元)"), MONEY, 16), (_("累计完成投资(万元)"), MONEY, 16),
         (_("完成率(%)"), RATE, 10), (_("原因"), TEXT, 50), (_("滞后节点"), TEXT, 40), (_("滞后类型"), TEXT, 20)],
        [[i, p.code, p.name, _("红灯") if p.light == "red" else _("黄灯"), p.level_label, p.stage_label, p.lead_unit,
          p.town, p.leader, p.plan, p.done, p.rate, "；".join(p.reasons),
          "；".join(_("%(name)s（计划%(date)s，逾期%(days)d天）") % {"name": m.name, "date": m.planned, "days": m.days}
                   for m in p.milestones_behind),
          "、".join(p.tags)]
         for i, p in enumerate(f.light_projects, start=1)],
    )
    _sheet(
        wb, _("新开工项目"),
        [(_("序号"), INT, 6), (_("项目编号"), TEXT, 14), (_("项目名称"), TEXT, 28), (_("级别"), TEXT, 8),
         (_("牵头单位"), TEXT, 14), (_("属地镇街"), TEXT, 12), (_("开工日期"), DATE, 12),
         (_("总投资(万元)"), MONEY, 16), (_("计划开工日期"), DATE, 12), (_("提前开工"), TEXT, 8)],
        [[i, p.code, p.name, p.level_label, p.lead_unit, p.town, p.date, p.total_investment, p.planned,
          _("是") if p.early else ""]
         for i, p in enumerate(f.started, start=1)],
    )
    _sheet(
        wb, _("竣工项目"),
        [(_("序号"), INT, 6), (_("项目编号"), TEXT, 14), (_("项目名称"), TEXT, 28), (_("级别"), TEXT, 8),
         (_("牵头单位"), TEXT, 14), (_("属地镇街"), TEXT, 12), (_("总投资(万元)"), MONEY, 16),
         (_("计划竣工日期"), DATE, 12), (_("提前竣工"), TEXT, 8)],
        [[i, p.code, p.name, p.level_label, p.lead_unit, p.town, p.total_investment, p.planned,
          _("是") if p.early else ""]
         for i, p in enumerate(f.completed, start=1)],
    )
    _sheet(
        wb, _("未办结问题"),
        [(_("序号"), INT, 6), (_("问题"), TEXT, 40), (_("项目"), TEXT, 24), (_("责任单位"), TEXT, 14),
         (_("责任领导"), TEXT, 10), (_("办结时限"), DATE, 12), (_("状态"), TEXT, 8), (_("逾期天数"), INT, 8),
         (_("督办状态"), TEXT, 30)],
        [[i, p.description, p.project, p.unit, p.leader, p.deadline, p.state_label, p.overdue_days,
          p.escalation_text] for i, p in enumerate(f.problems_open, start=1)],
    )
    _sheet(
        wb, _("已办结问题"),
        [(_("序号"), INT, 6), (_("问题"), TEXT, 40), (_("项目"), TEXT, 24), (_("责任单位"), TEXT, 14),
         (_("责任领导"), TEXT, 10), (_("办结时限"), DATE, 12), (_("办结日期"), DATE, 12)],
        [[i, p.description, p.project, p.unit, p.leader, p.deadline, p.closed_on]
         for i, p in enumerate(f.problems_closed, start=1)],
    )
    _sheet(
        wb, _("迟报单位"),
        [(_("序号"), INT, 6), (_("单位"), TEXT, 20), (_("月报状态"), TEXT, 10), (_("报送时间"), TEXT, 20)],
        [[i, u.unit, u.state_label, u.submitted_at.strftime("%Y-%m-%d %H:%M") if u.submitted_at else _("未报送")]
         for i, u in enumerate((*f.late_units, *f.unreported_units), start=1)],
    )
    for part in f.parts:
        _part_sheets(wb, part)
    _sheet(
        wb, _("说明"),
        [(_("序号"), INT, 6), (_("说明"), TEXT, 100)],
        [
            [1, _("%(title)s（%(number)s）附表，数据截至%(day)s，发布于%(published)s。") % {
                "title": f.header.title, "number": f.header.number, "day": f.header.as_of.isoformat(),
                "published": f.header.published_on.isoformat(),
            }],
            *([i, text] for i, text in enumerate(
                (*f.definitions, *f.reporting, f.publication_note, *(split.note for split in f.splits)), start=2
            ) if text),
        ],
    )
    wb.properties.title = f.header.title
    wb.properties.creator = f.header.office
    when = published_at or dt.datetime.combine(f.header.published_on, dt.time(), tzinfo=dt.UTC)
    buffer = io.BytesIO()
    wb.save(buffer)
    return reproducible_zip(buffer.getvalue(), when)
