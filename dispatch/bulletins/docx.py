"""The bulletin as a Word document in the official layout of GB/T 9704-2012 (党政机关公文格式).

Layout: A4 (210 × 297 mm); margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the
text block is 156 × 225 mm; 22 lines of 28 characters (a document grid with a line pitch of
28.95 pt and the character pitch that fits 28 characters of 3号 type into 156 mm). The
issuing office (发文机关标志) is red 方正小标宋简体, the document number (发文字号) sits
above a red separator as wide as the text block; the title is 2号 (22 pt) 方正小标宋简体,
centred; body text 3号 (16 pt) 仿宋_GB2312 with a two-character first-line indent; level-1
headings "一、" in 黑体, level-2 headings "（一）" in 楷体_GB2312, both 3号; tables in
仿宋_GB2312 小四 (12 pt); page numbers "— 1 —" in 4号 (14 pt) 宋体 from a PAGE field, odd pages
on the right and even pages on the left, one character in from the edge.

Fonts. The official fonts are often missing on the machine that opens the file. Each run
names its Chinese font in ``w:rFonts/@w:eastAsia`` with ``w:hint="eastAsia"``, so Word uses
it for the Chinese characters, and the document's font table lists each official font with
an alternative name (``w:altName``) and the GB2312 character set, which Word and WPS use to
substitute when the font is absent. The chains are:

  方正小标宋简体 → 华文中宋 → 宋体
  仿宋_GB2312 → 仿宋
  楷体_GB2312 → 楷体
  黑体 (present everywhere) and 宋体 (present everywhere)

The first name of each chain is the one written on the runs; the font table carries the
next one as ``altName`` (a table entry takes one), and the last resort 宋体 is the
document's default east-Asian font, which Word falls back to when neither is installed.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from dispatch.bulletins.docx_style import LATIN_FONT, set_font
from dispatch.bulletins.figures import BulletinFigures, InvestmentRow, Ranking, fmt_money, fmt_rate, reproducible_zip

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
# Official font → the alternative written in the font table; 宋体 is the default beyond it.
FALLBACKS = {
    "方正小标宋简体": "华文中宋",
    "仿宋_GB2312": "仿宋",
    "楷体_GB2312": "楷体",
}
LAST_RESORT = "宋体"

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_SMALL_4 = Pt(12)  # 小四
RED = RGBColor(0xFF, 0x00, 0x00)

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines
CHARS_PER_LINE = 28
INDENT = Pt(32)  # two characters of 3号
TABLE_STYLE, TABLE_HEADER_STYLE = "BulletinTable", "BulletinTableHeader"


# --- fonts and paragraphs -------------------------------------------------------------------

def _exact_spacing(paragraph: Paragraph, pitch: Pt = LINE_PITCH) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = pitch
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _paragraph(doc: DocumentType, text: str = "", *, font: str = BODY_FONT, size: Pt = SIZE_3, bold: bool = False,
               align: WD_ALIGN_PARAGRAPH | None = None, indent: bool = True,
               color: RGBColor | None = None) -> Paragraph:
    paragraph = doc.add_paragraph()
    _exact_spacing(paragraph)
    paragraph.paragraph_format.first_line_indent = INDENT if indent else Pt(0)
    if align is not None:
        paragraph.alignment = align
    if text:
        set_font(paragraph.add_run(text), font, size, bold=bold, color=color)
    return paragraph


def heading1(doc: DocumentType, text: str) -> Paragraph:
    return _paragraph(doc, text, font=HEADING1_FONT)


def heading2(doc: DocumentType, text: str) -> Paragraph:
    return _paragraph(doc, text, font=HEADING2_FONT)


def body(doc: DocumentType, text: str) -> Paragraph:
    return _paragraph(doc, text)


# --- document set-up ------------------------------------------------------------------------

def _setup_page(doc: DocumentType) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = Mm(15)
    # The page number's top is 7 mm below the text block (GB/T 9704 7.5).
    section.footer_distance = Mm(20)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    text_width_pt = Decimal(156) / Decimal("25.4") * 72
    # charSpace is the pitch beyond the font size, in 1/4096 pt: 28 characters across 156 mm.
    char_space = int(((text_width_pt / CHARS_PER_LINE - 16) * 4096).to_integral_value())
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(int(LINE_PITCH.pt * 20)))
    grid.set(qn("w:charSpace"), str(char_space))
    doc.settings.odd_and_even_pages_header_footer = True


def _setup_styles(doc: DocumentType) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = SIZE_3
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    fonts.set(qn("w:hint"), "eastAsia")
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    # Beyond every named font, Word falls back to the document default east-Asian font.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            default_fonts = rpr.find(qn("w:rFonts"))
            if default_fonts is None:
                default_fonts = OxmlElement("w:rFonts")
                rpr.insert(0, default_fonts)
            default_fonts.set(qn("w:eastAsia"), LAST_RESORT)


def _setup_table_styles(doc: DocumentType) -> None:
    """Paragraph styles for table cells: 小四, single spacing, no indent; 仿宋 for data, 黑体 for headers."""
    for style_id, font in ((TABLE_STYLE, BODY_FONT), (TABLE_HEADER_STYLE, HEADING1_FONT)):
        style = doc.styles.add_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.font.name = LATIN_FONT
        style.font.size = SIZE_SMALL_4
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), font)
        fonts.set(qn("w:hint"), "eastAsia")
        fmt = style.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = Pt(0)
        fmt.space_before = fmt.space_after = Pt(0)


def _setup_font_table(doc: DocumentType) -> None:
    """Declare the official fonts with their alternatives, for substitution where they are absent."""
    part = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable"))
    root = etree.fromstring(part.blob)
    present = {font.get(qn("w:name")) for font in root.findall(qn("w:font"))}
    for name in (TITLE_FONT, BODY_FONT, HEADING1_FONT, HEADING2_FONT, PAGE_NUMBER_FONT, *FALLBACKS.values()):
        if name in present:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        if name in FALLBACKS:
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), FALLBACKS[name])
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")  # GB2312
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), "modern" if name == HEADING1_FONT else "roman")
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_number(paragraph: Paragraph) -> None:
    """"— N —" with N from a PAGE field, 4号 宋体 (digits in 宋体 too)."""
    def text(value: str) -> None:
        set_font(paragraph.add_run(value), PAGE_NUMBER_FONT, SIZE_4, latin=PAGE_NUMBER_FONT)

    def field_char(kind: str) -> None:
        run = set_font(paragraph.add_run(), PAGE_NUMBER_FONT, SIZE_4, latin=PAGE_NUMBER_FONT)
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run._element.append(char)

    text("— ")
    field_char("begin")
    instr_run = set_font(paragraph.add_run(), PAGE_NUMBER_FONT, SIZE_4, latin=PAGE_NUMBER_FONT)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    instr_run._element.append(instr)
    field_char("separate")
    text("1")
    field_char("end")
    text(" —")


def _setup_footer(doc: DocumentType) -> None:
    section = doc.sections[0]
    # Odd pages: right, one character in; even pages: left, one character in (GB/T 9704 7.5).
    for footer, align, side in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = align
        setattr(paragraph.paragraph_format, f"{side}_indent", SIZE_4)
        _page_number(paragraph)


# --- tables ---------------------------------------------------------------------------------

def table(doc: DocumentType, headers: Sequence[str], rows: Sequence[Sequence[str]],
          numeric: Sequence[int] = ()) -> Table:
    """A grid table in 仿宋 小四; the header row repeats on every page."""
    grid = doc.add_table(rows=1 + len(rows), cols=len(headers))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Read the rows once: python-docx rebuilds the row list on every ``rows`` access.
    all_rows = list(grid.rows)
    header_row = all_rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_row._tr.get_or_add_trPr().append(repeat)
    for i, label in enumerate(headers):
        _cell(header_row.cells[i].paragraphs[0], label, font=HEADING1_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
    for row, values in zip(all_rows[1:], rows, strict=True):
        cells = row.cells
        for i, value in enumerate(values):
            align = WD_ALIGN_PARAGRAPH.RIGHT if i in numeric else WD_ALIGN_PARAGRAPH.LEFT
            _cell(cells[i].paragraphs[0], value, align=align)
    # A blank line after a table, so the next paragraph does not touch it.
    _paragraph(doc, indent=False)
    return grid


def _cell(paragraph: Paragraph, text: str, *, font: str = BODY_FONT,
          align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.LEFT) -> None:
    # The font, size and spacing come from a paragraph style: setting them on each of
    # thousands of cells made a 2,000-project bulletin take seconds.
    ppr = paragraph._p.get_or_add_pPr()
    ppr.get_or_add_pStyle().val = TABLE_HEADER_STYLE if font == HEADING1_FONT else TABLE_STYLE
    if align != WD_ALIGN_PARAGRAPH.LEFT:
        paragraph.alignment = align
    paragraph.add_run(text)


# --- contents -------------------------------------------------------------------------------

def _date_text(day: dt.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def _join(names: Sequence[str], limit: int = 20) -> str:
    shown = "、".join(names[:limit])
    if len(names) > limit:
        shown += _("等")
    return shown


def _head(doc: DocumentType, figures: BulletinFigures) -> None:
    h = figures.header
    # Blank lines stand for the 35 mm between the text block's top and the issuing office mark.
    office = _paragraph(doc, h.office, font=TITLE_FONT, size=Pt(26), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
                        color=RED)
    office.paragraph_format.line_spacing = Pt(40)
    _paragraph(doc, indent=False)
    number = _paragraph(doc, h.number, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "8"), ("w:color", "FF0000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    number._p.get_or_add_pPr().append(border)
    _paragraph(doc, indent=False)
    _paragraph(doc, h.title, font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, indent=False)
    if figures.publication_note:
        # Before the figures: a reader must know at once that the period was published early or incomplete.
        body(doc, figures.publication_note)


def _overview(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, _("一、总体情况"))
    levels = "、".join(_("%(label)s %(n)d 个") % {"label": row.label, "n": row.count} for row in f.by_level)
    stages = "、".join(_("%(label)s %(n)d 个") % {"label": row.label, "n": row.count} for row in f.by_stage)
    body(doc, _("截至%(day)s，全区纳入调度的重点项目共 %(n)d 个，其中%(levels)s；按建设阶段分，%(stages)s。") % {
        "day": _date_text(f.header.as_of), "n": f.projects, "levels": levels, "stages": stages,
    })
    body(doc, _("应开工项目 %(due)d 个，已开工 %(started)d 个，开工率 %(rate)s；应投产项目 %(pdue)d 个，"
                "已投产 %(producing)d 个，投产率 %(prate)s。") % {
        "due": f.start_rate.denominator, "started": f.start_rate.numerator, "rate": fmt_rate(f.start_rate.rate),
        "pdue": f.production_rate.denominator, "producing": f.production_rate.numerator,
        "prate": fmt_rate(f.production_rate.rate),
    })
    body(doc, _("注：%(text)s") % {"text": f.definitions[0]})
    body(doc, _("注：%(text)s") % {"text": f.definitions[1]})
    table(
        doc, [_("级别"), *f.stage_labels, _("合计")],
        [[row.label, *(str(n) for n in row.by_stage), str(row.total)] for row in f.stage_level],
        numeric=range(1, len(f.stage_labels) + 2),
    )


def _investment_sentence(label: str, row: InvestmentRow) -> str:
    if row.rate is None:
        return _("%(label)s %(n)d 个，未安排年度计划投资，本年累计完成投资 %(done)s 亿元。") % {
            "label": label, "n": row.projects, "done": row.done_yi,
        }
    gap = row.gap or Decimal(0)
    if gap > 0:
        versus = _("落后序时进度 %(gap)s 个百分点") % {"gap": gap}
    elif gap < 0:
        versus = _("超序时进度 %(gap)s 个百分点") % {"gap": -gap}
    else:
        versus = _("与序时进度持平")
    return _("%(label)s %(n)d 个，年度计划投资 %(plan)s 亿元，累计完成投资 %(done)s 亿元，"
             "完成年度计划的 %(rate)s%%，%(versus)s。") % {
        "label": label, "n": row.projects, "plan": row.plan_yi, "done": row.done_yi, "rate": row.rate,
        "versus": versus,
    }


def _investment(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, _("二、投资完成情况"))
    body(doc, _("截至%(day)s，序时进度为 %(schedule)s%%。") % {
        "day": _date_text(f.header.as_of), "schedule": f.schedule,
    } + _investment_sentence(_("全区重点项目"), f.investment))
    for row in f.investment_by_level:
        if row.projects:
            body(doc, _investment_sentence(row.label + _("项目"), row))
    body(doc, _("注：%(text)s") % {"text": f.definitions[2]})
    table(
        doc, [_("类别"), _("项目数"), _("年度计划(万元)"), _("累计完成(万元)"), _("完成率"), _("序时进度")],
        [
            [row.label, str(row.projects), fmt_money(row.plan), fmt_money(row.done), fmt_rate(row.rate),
             f"{f.schedule}%"]
            for row in (f.investment, *f.investment_by_level)
        ],
        numeric=(1, 2, 3, 4, 5),
    )


def _rank_text(rank: int | None) -> str:
    return "—" if rank is None else str(rank)


def _top_and_bottom(ranking: Ranking) -> str:
    """Who is first and who is last on investment; tied units are named together."""
    ranked = [row for row in ranking.by_investment if row.rank is not None]
    if not ranked:
        return ""
    first = [row for row in ranked if row.rank == ranked[0].rank]
    last = [row for row in ranked if row.rank == ranked[-1].rank]
    if first == last:
        return _("各%(kind)s年度投资完成率均为 %(rate)s。") % {"kind": ranking.title, "rate": fmt_rate(first[0].rate)}
    return _("年度投资完成率排名第一的是%(first)s（%(frate)s），排名末位的是%(last)s（%(lrate)s）。") % {
        "first": "、".join(row.unit for row in first), "frate": fmt_rate(first[0].rate),
        "last": "、".join(row.unit for row in last), "lrate": fmt_rate(last[0].rate),
    }


def _rankings(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, _("三、镇街和部门排名"))
    body(doc, _("注：%(text)s") % {"text": f.definitions[4]})
    for number, ranking in ((_("（一）"), f.towns), (_("（二）"), f.departments)):
        heading2(doc, _("%(n)s%(kind)s排名") % {"n": number, "kind": ranking.title})
        if not ranking.by_investment:
            body(doc, _("本期没有可排名的%(kind)s。") % {"kind": ranking.title})
            continue
        sentence = _top_and_bottom(ranking)
        if sentence:
            body(doc, sentence)
        table(
            doc, [_("名次"), ranking.title, _("项目数"), _("年度计划(万元)"), _("累计完成(万元)"), _("完成率")],
            [[_rank_text(r.rank), r.unit, str(r.projects), fmt_money(r.plan), fmt_money(r.done), fmt_rate(r.rate)]
             for r in ranking.by_investment],
            numeric=(0, 2, 3, 4, 5),
        )
        table(
            doc, [_("名次"), ranking.title, _("项目数"), _("应开工"), _("已开工"), _("开工率")],
            [[_rank_text(r.rank), r.unit, str(r.projects), str(r.due), str(r.started), fmt_rate(r.rate)]
             for r in ranking.by_start],
            numeric=(0, 2, 3, 4, 5),
        )


def _lights(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, _("四、红黄灯项目"))
    body(doc, _("本期红灯项目 %(red)d 个、黄灯项目 %(yellow)d 个。请包靠领导和牵头单位对照原因逐项推进，"
                "下期调度时报告整改情况。") % {"red": len(f.red), "yellow": len(f.yellow)})
    if f.light_projects:
        table(
            doc, [_("序号"), _("项目名称"), _("灯"), _("牵头单位"), _("包靠领导"), _("原因")],
            [
                [str(i), p.name, _("红灯") if p.light == "red" else _("黄灯"), p.lead_unit, p.leader or "—",
                 "；".join(p.reasons)]
                for i, p in enumerate(f.light_projects, start=1)
            ],
            numeric=(0,),
        )


def _started_completed(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, _("五、新开工和竣工项目"))
    if f.started:
        body(doc, _("本期新开工项目 %(n)d 个：%(names)s。") % {
            "n": len(f.started), "names": _join([p.name for p in f.started]),
        })
        table(
            doc, [_("序号"), _("项目名称"), _("级别"), _("牵头单位"), _("开工日期"), _("总投资(万元)")],
            [[str(i), p.name, p.level_label, p.lead_unit, p.date.isoformat() if p.date else "—",
              fmt_money(p.total_investment)] for i, p in enumerate(f.started, start=1)],
            numeric=(0, 5),
        )
    else:
        body(doc, _("本期没有新开工项目。"))
    if f.completed:
        body(doc, _("本期新竣工（投产）项目 %(n)d 个：%(names)s。") % {
            "n": len(f.completed), "names": _join([p.name for p in f.completed]),
        })
        table(
            doc, [_("序号"), _("项目名称"), _("级别"), _("牵头单位"), _("总投资(万元)")],
            [[str(i), p.name, p.level_label, p.lead_unit, fmt_money(p.total_investment)]
             for i, p in enumerate(f.completed, start=1)],
            numeric=(0, 4),
        )
    else:
        body(doc, _("本期没有新竣工（投产）项目。"))


def _problems(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, _("六、问题督办情况"))
    overdue = sum(1 for p in f.problems_open if p.overdue_days > 0)
    body(doc, _("本期督办问题 %(total)d 个，已办结 %(closed)d 个，未办结 %(open)d 个，其中逾期 %(overdue)d 个。") % {
        "total": len(f.problems_open) + len(f.problems_closed), "closed": len(f.problems_closed),
        "open": len(f.problems_open), "overdue": overdue,
    })
    if f.problems_open:
        heading2(doc, _("（一）未办结问题（逾期在前）"))
        table(
            doc, [_("序号"), _("问题"), _("项目"), _("责任单位"), _("责任领导"), _("办结时限"), _("督办状态")],
            [[str(i), p.description, p.project or "—", p.unit, p.leader or "—", p.deadline.isoformat(),
              p.escalation_text] for i, p in enumerate(f.problems_open, start=1)],
            numeric=(0,),
        )
    if f.problems_closed:
        heading2(doc, _("（二）已办结问题") if f.problems_open else _("（一）已办结问题"))
        table(
            doc, [_("序号"), _("问题"), _("项目"), _("责任单位"), _("办结日期")],
            [[str(i), p.description, p.project or "—", p.unit, p.closed_on.isoformat() if p.closed_on else "—"]
             for i, p in enumerate(f.problems_closed, start=1)],
            numeric=(0,),
        )


def _reporting(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, _("七、报送情况"))
    for sentence in f.reporting:
        body(doc, sentence)
    if f.late_units or f.unreported_units:
        body(doc, _("请上述单位严格落实报送时限。"))


def _closing(doc: DocumentType, f: BulletinFigures) -> None:
    _paragraph(doc, indent=False)
    _paragraph(doc, indent=False)
    office = _paragraph(doc, f.header.office, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    office.paragraph_format.right_indent = SIZE_3 * 2
    date = _paragraph(doc, _date_text(f.header.published_on), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    # 成文日期 右空四字 (GB/T 9704 7.3.5.1).
    date.paragraph_format.right_indent = SIZE_3 * 4


SECTIONS = (_overview, _investment, _rankings, _lights, _started_completed, _problems, _reporting)


def bulletin_docx(figures: BulletinFigures, *, published_at: dt.datetime | None = None) -> bytes:
    """The Word document; the same figures and publication time give the same bytes."""
    doc = Document()
    _setup_page(doc)
    _setup_styles(doc)
    _setup_table_styles(doc)
    _setup_font_table(doc)
    _setup_footer(doc)
    # The template's empty first paragraph would push the head down a line.
    for paragraph in list(doc.paragraphs):
        paragraph._p.getparent().remove(paragraph._p)
    _head(doc, figures)
    for section in SECTIONS:
        section(doc, figures)
    _closing(doc, figures)
    props = doc.core_properties
    props.title = figures.header.title
    props.author = figures.header.office
    props.last_modified_by = figures.header.office
    props.revision = 1
    when = published_at or dt.datetime.combine(figures.header.published_on, dt.time(), tzinfo=dt.UTC)
    props.created = props.modified = when
    buffer = io.BytesIO()
    doc.save(buffer)
    return reproducible_zip(buffer.getvalue(), when)
