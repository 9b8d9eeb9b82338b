"""The supervision slip (督办单) of one problem, as a Word document in the GB/T 9704 layout.

A4, margins 37 mm top / 35 mm bottom / 28 mm left / 26 mm right; the title in 2号 (22 pt)
方正小标宋简体, the body in 3号 (16 pt) 仿宋_GB2312. Chinese fonts are named in the east-asian
slot of ``w:rFonts``; Latin text and digits use Times New Roman. A reader without the official
fonts gets Word's substitute for them, the layout stays the same.
"""
from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from dispatch.bulletins.docx_style import LATIN_FONT, office_name, set_font
from dispatch.models import Problem
from dispatch.supervision import services as problems

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_SIZE = Pt(22)  # 2号
BODY_SIZE = Pt(16)  # 3号
TABLE_SIZE = Pt(14)  # 4号: a table in 3号 leaves too few characters per cell line


def _paragraph(paragraph: Paragraph, text: str, font: str, size: Pt, *, bold: bool = False) -> Paragraph:
    set_font(paragraph.add_run(text), font, size, bold=bold)
    return paragraph


def _cell(cell: _Cell, lines: list[str], *, bold: bool = False) -> None:
    cell.text = ""
    first = cell.paragraphs[0]
    for index, line in enumerate(lines or [""]):
        paragraph = first if index == 0 else cell.add_paragraph()
        _paragraph(paragraph, line, HEADING_FONT if bold else BODY_FONT, TABLE_SIZE)


def chinese_date(day: dt.date) -> str:
    return _("%(year)d年%(month)d月%(day)d日") % {"year": day.year, "month": day.month, "day": day.day}


def slip_number(problem: Problem) -> str:
    """督办〔year〕id号: the id, not a yearly count, so a number never changes once printed."""
    year = timezone.localtime(problem.created_at).year
    return _("督办〔%(year)d〕%(number)d号") % {"year": year, "number": problem.pk}


def slip_fields(problem: Problem, on: dt.date) -> list[tuple[str, list[str]]]:
    """The rows of the slip's table: label and lines of text."""
    steps = [
        _("%(at)s %(who)s %(action)s（%(state)s）%(text)s")
        % {
            "at": timezone.localtime(step.at).strftime("%Y-%m-%d %H:%M"),
            "who": step.by or "—",
            "action": step.get_action_display(),
            "state": step.get_state_after_display(),
            "text": step.text,
        }
        for step in problem.steps.select_related("by").order_by("at", "id")
    ]
    return [
        (_("项目"), [f"{problem.project.code} {problem.project.name}" if problem.project else "—"]),
        (_("问题来源"), [problem.get_source_display() + (f"（{problem.period}）" if problem.period else "")]),
        (_("问题描述"), problem.description.splitlines() or [""]),
        (_("责任单位"), [str(problem.responsible_unit)]),
        (_("责任领导"), [str(problem.responsible_leader) if problem.responsible_leader else "—"]),
        (_("交办时间"), [timezone.localtime(problem.created_at).strftime("%Y-%m-%d %H:%M")]),
        (_("办结时限"), [problem.deadline.isoformat()]),
        (_("当前状态"), [problem.get_state_display()]),
        (_("督办等级"), [problems.escalation(problem, on).text]),
        (_("办理过程"), steps or ["—"]),
    ]


@translation.override(settings.LANGUAGE_CODE)
def slip_docx(problem: Problem, on: dt.date | None = None) -> bytes:
    """The slip as .docx bytes, in the district's language whatever the reader's."""
    day = on or problems.today()
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    title = _paragraph(document.add_paragraph(), _("督 办 单"), TITLE_FONT, TITLE_SIZE)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number = _paragraph(document.add_paragraph(), slip_number(problem), BODY_FONT, BODY_SIZE)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER

    rows = slip_fields(problem, day)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row, (label, lines) in zip(table.rows, rows, strict=True):
        row.cells[0].width, row.cells[1].width = Mm(32), Mm(124)
        _cell(row.cells[0], [label], bold=True)
        _cell(row.cells[1], lines)

    # 落款: the issuing office and the date, right-aligned under the table.
    document.add_paragraph()
    for text in (office_name(), chinese_date(day)):
        paragraph = _paragraph(document.add_paragraph(), text, BODY_FONT, BODY_SIZE)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def slip_filename(problem: Problem) -> str:
    return f"督办单-{problem.pk}.docx"
