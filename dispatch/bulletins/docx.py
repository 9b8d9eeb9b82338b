"""The bulletin as a Word document in the official layout of GB/T 9704-2012 (党政机关公文格式).

Layout: A4 (210 × 297 mm); margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the
text block is 156 × 225 mm; 22 lines of 28 characters (see "The grid" below). The
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
LibreOffice substitutes by its own means, through fontconfig (README, deploy/fonts/).

The grid. 28 characters of 3号 (16 pt) are 448 pt, wider than the 442.2 pt of 156 mm. Word and
WPS, given a character grid (``linesAndChars`` with a negative ``charSpace``), squeeze each
character into the 15.79 pt pitch; LibreOffice never squeezes: a character wider than the grid
pitch takes two grid cells, so the same file ran 14 characters a line there and the demo's
November bulletin ran to 34 pages. The grid is therefore of lines only (22 lines of 28.95 pt),
and the Normal style condenses every character by 0.25 pt (``w:spacing`` −5 twentieths of a
point, :data:`CHAR_SPACING`): a pitch of 15.75 pt, at which 28 characters fit and 29 do not,
in Word, WPS and LibreOffice alike. Tables are off the grid (``snapToGrid`` 0), so a row of
小四 is one line high, not 28.95 pt.

Tables size each column to its content (:func:`column_widths`): numbers, amounts, dates and
short labels get the width of their longest value and never wrap ("733,515.00" once broke
into "733,515 / .00"); the text columns share the rest.

The end of the document (GB/T 9704 7.3.4, 7.3.5 and 7.4): the 附件说明 naming the Excel annex
by its file name, the signature (落款) and the date, and the 版记 at the foot of the last page:
抄送 and 印发机关/印发日期 between rules (thick first and last, thin between).

Other modules' sections (core.hooks.bulletin_parts, 招商引资) print where the template puts them, like
the bulletin's own: the level-1 heading as numbered, level-2 headings in 楷体, text as body, tables
by :func:`table`.

What the office shapes (the bulletin template, dispatch.bulletins.template, as frozen with the
period): the red header's words, the 文号 prefix, which level-1 sections print in what order (their
headings numbered as printed, ``f.sections``), the signature, 抄送 and 印发机关; all in ``f.header``.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.oxml.text.parfmt import CT_PPr
from docx.shared import Length, Mm, Pt, RGBColor, Twips
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from dispatch.bulletins.docx_style import LATIN_FONT, set_font
from dispatch.bulletins.docx_style import copy_to as copy_to
from dispatch.bulletins.figures import (
    BulletinFigures,
    InvestmentRow,
    NarrativeSection,
    PrintedPart,
    ProjectLine,
    Ranking,
    YearOnYear,
    fmt_money,
    fmt_rate,
    reproducible_zip,
)
from dispatch.models import BulletinSection

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
TEXT_WIDTH = Mm(156)  # 210 − 28 − 26
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines
CHARS_PER_LINE = 28
# Twentieths of a point added to every character: the largest condensing at which 28 characters of
# 3号 fit across the text block (−5: a pitch of 15.75 pt; see "The grid" above).
CHAR_SPACING = math.floor((TEXT_WIDTH.pt / CHARS_PER_LINE - SIZE_3.pt) * 20)
INDENT = Pt(32)  # two characters of 3号
TABLE_STYLE, TABLE_HEADER_STYLE = "BulletinTable", "BulletinTableHeader"
CELL_MARGIN = Pt(5.4)  # left and right, Word's default (108 twentieths), which the tables keep


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
    # Lines only: a character grid is read differently by Word and LibreOffice ("The grid" above);
    # the 28 characters come from the Normal style's condensed spacing.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(LINE_PITCH.pt * 20)))
    grid.attrib.pop(qn("w:charSpace"), None)
    doc.settings.odd_and_even_pages_header_footer = True


# What follows w:spacing in a run's properties (the schema's order).
_AFTER_SPACING = (
    "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
    "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
)


def _condense(rpr: CT_RPr) -> None:
    """Every character :data:`CHAR_SPACING` twentieths of a point closer."""
    spacing = rpr.find(qn("w:spacing"))
    if spacing is None:
        spacing = rpr.insert_element_before(OxmlElement("w:spacing"), *_AFTER_SPACING)
    spacing.set(qn("w:val"), str(CHAR_SPACING))


# What follows w:snapToGrid in a paragraph's properties (the schema's order).
_AFTER_SNAP_TO_GRID = (
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
    "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
    "w:pPrChange",
)


def _off_grid(ppr: CT_PPr) -> None:
    """Lines of this paragraph take their own height, not the grid's 28.95 pt (tables, the 版记)."""
    snap = ppr.find(qn("w:snapToGrid"))
    if snap is None:
        snap = ppr.insert_element_before(OxmlElement("w:snapToGrid"), *_AFTER_SNAP_TO_GRID)
    snap.set(qn("w:val"), "0")


def _setup_styles(doc: DocumentType) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = SIZE_3
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    fonts.set(qn("w:hint"), "eastAsia")
    _condense(normal.element.get_or_add_rPr())
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    # 两端对齐, as official documents are set: full lines end flush whatever their mix of Chinese and digits.
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    # Every page full, 22 lines: no line is pushed over to keep a paragraph's first or last two together.
    fmt.widow_control = False
    # Punctuation stays inside the text block (Word and LibreOffice let it hang past the margin otherwise).
    no_hanging = OxmlElement("w:overflowPunct")
    no_hanging.set(qn("w:val"), "0")
    normal.element.get_or_add_pPr().insert_element_before(
        no_hanging, "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
        *_AFTER_SNAP_TO_GRID,
    )
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
        fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _off_grid(style.element.get_or_add_pPr())


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

# Advance widths of the Latin font (Times New Roman, and Liberation Serif, which LibreOffice puts in
# its place, has the same), in thousandths of an em, for what tables hold: digits, separators, dates.
_LATIN_WIDTHS = {
    **dict.fromkeys("0123456789", 500), **dict.fromkeys(" .,", 250), **dict.fromkeys(":;/", 278),
    **dict.fromkeys("-()", 333), **dict.fromkeys("+=<>", 564), "%": 833, "M": 889, "W": 944, "m": 778, "w": 722,
}
# Slack per column beyond the cell margins, for rounding and for a renderer's own metrics.
_SLACK = Pt(2)
_MIN_TEXT_EMS = 4  # a wrapping column is never narrower than four characters (or its header)


def text_width(text: str, size: Length) -> float:
    """The width of ``text`` on one line at ``size``, in points, never less than it prints.

    Latin characters by the table above (other capitals as wide as "H", lower case as "n"); every
    other character a full em: Chinese, full-width punctuation, and the ambiguous ones (“” — ÷ ·),
    which the runs' east-Asian hint sets in the Chinese font. Between Chinese and a Latin letter
    or digit, a quarter em: the space Word and LibreOffice put there (autoSpaceDE/DN).
    """
    return _units(text) * size.pt / 1000


@functools.lru_cache(maxsize=8192)
def _units(text: str) -> int:
    """:func:`text_width` in thousandths of an em; cached, as a table repeats its names, levels and dates."""
    units = 0
    previous = ""  # "wide", "alnum", or "" after anything else (a space, a full stop)
    for char in text:
        if ord(char) < 0x80:
            units += _LATIN_WIDTHS.get(char, 722 if char.isupper() else 500)
            kind = "alnum" if char.isalnum() else ""
        elif unicodedata.east_asian_width(char) in {"Na", "H"}:
            units, kind = units + 722, ""
        else:
            units, kind = units + 1000, "wide"
        if kind and previous and kind != previous:
            units += 250
        previous = kind
    return units


def _header_pieces(header: str) -> list[str]:
    """A header may break before its unit, "年度计划(万元)" into "年度计划" and "(万元)", and nowhere else."""
    head, paren, unit = header.partition("(")
    return [head, paren + unit] if paren and head else [header]


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], *, wrap: dict[int, int] | None = None,
                  size: Length = SIZE_SMALL_4, total: Length = TEXT_WIDTH) -> list[int]:
    """Widths in twentieths of a point, summing to ``total``, each column sized to its content.

    A column not in ``wrap`` (numbers, amounts, dates, short labels) is as wide as its longest
    value, so it never wraps: "733,515.00" stays on one line. The columns in ``wrap`` (names,
    reasons, descriptions; the value is the column's weight) share what is left: each gets its
    longest value if all of them fit, otherwise a share in proportion to its weight, never
    below four characters or its header, and never more than it needs (what one column does not
    need goes to the others). A table narrower than the text block is widened, the spare width
    shared equally among its columns.
    """
    wrap = wrap or {}
    padding = 2 * CELL_MARGIN.pt + _SLACK.pt
    natural: list[float] = []
    least: list[float] = []
    for i, header in enumerate(headers):
        longest = max((text_width(row[i], size) for row in rows), default=0.0)
        if i in wrap:
            heading = max(text_width(piece, size) for piece in _header_pieces(header))
            least.append(max(heading, _MIN_TEXT_EMS * size.pt) + padding)
            natural.append(max(longest, text_width(header, size), least[-1] - padding) + padding)
        else:
            # The header on one line too: "年度计划(万元)" broke into "年度计划(万" and "元)".
            natural.append(max(longest, text_width(header, size)) + padding)
            least.append(natural[-1])
    widths = list(natural)
    room = total.pt - sum(w for i, w in enumerate(natural) if i not in wrap)
    flexible = sorted(wrap)
    if flexible and sum(natural[i] for i in flexible) > room >= sum(least[i] for i in flexible):
        widths = _share(room, [(least[i], natural[i], wrap[i]) for i in flexible], widths, flexible)
    if sum(widths) < total.pt:
        spare = (total.pt - sum(widths)) / len(widths)
        widths = [w + spare for w in widths]
    elif sum(widths) > total.pt:
        # Only when the unwrapping columns alone are wider than the page: everything shrinks alike.
        widths = [w * total.pt / sum(widths) for w in widths]
    twips = [int(w * 20) for w in widths]
    twips[-1] += int(total.pt * 20) - sum(twips)
    return twips


def _share(room: float, columns: list[tuple[float, float, int]], widths: list[float],
           indexes: list[int]) -> list[float]:
    """Fill ``room`` with the wrapping columns (least, natural, weight): each min(natural, max(least, c × weight)).

    The total grows with c, from the sum of the least widths to the sum of the natural ones; the
    c that fills the room exactly is found by bisection.
    """
    def filled(c: float) -> list[float]:
        return [min(high, max(low, c * weight)) for low, high, weight in columns]

    low_c, high_c = 0.0, max(high / weight for _low, high, weight in columns)
    for _step in range(60):
        middle = (low_c + high_c) / 2
        low_c, high_c = (middle, high_c) if sum(filled(middle)) < room else (low_c, middle)
    result = list(widths)
    for i, width in zip(indexes, filled(high_c), strict=True):
        result[i] = width
    return result


def table(doc: DocumentType, headers: Sequence[str], rows: Sequence[Sequence[str]],
          numeric: Iterable[int] = (), wrap: dict[int, int] | None = None) -> Table:
    """A grid table in 仿宋 小四 across the text block; the header row repeats on every page.

    ``numeric`` columns are right-aligned; ``wrap`` names the columns that may wrap, with their
    weights (:func:`column_widths`); every other column is as wide as its longest value.
    """
    numeric = set(numeric)
    widths = column_widths(headers, rows, wrap=wrap)
    grid = doc.add_table(rows=1 + len(rows), cols=len(headers))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Fixed layout with the widths in the grid (LibreOffice reads these) and in every cell (Word).
    grid.autofit = False
    table_width = grid._tbl.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:w"), str(sum(widths)))
    table_width.set(qn("w:type"), "dxa")
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Twips(width)
    # Read the rows once: python-docx rebuilds the row list on every ``rows`` access.
    all_rows = list(grid.rows)
    header_row = all_rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_row._tr.get_or_add_trPr().append(repeat)
    for cell, label in zip(header_row.cells, headers, strict=True):
        _cell(cell.paragraphs[0], label, font=HEADING1_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
    for row, values in zip(all_rows[1:], rows, strict=True):
        for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            _cell(cell.paragraphs[0], value, align=WD_ALIGN_PARAGRAPH.RIGHT if i in numeric else None)
    # Each cell's width in the w:tcW that python-docx wrote (with an equal share): set on the XML,
    # since python-docx's cell.width doubled the time a 2,000-project bulletin takes.
    cell_width, value = qn("w:tcW"), qn("w:w")
    texts = [str(width) for width in widths]
    for tr in grid._tbl.tr_lst:
        for tc, text in zip(tr.tc_lst, texts, strict=True):
            tc.tcPr.find(cell_width).set(value, text)
    # A blank line after a table, so the next paragraph does not touch it.
    _paragraph(doc, indent=False)
    return grid


def _cell(paragraph: Paragraph, text: str, *, font: str = BODY_FONT, align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    # The font, size, spacing and left alignment come from a paragraph style: setting them on
    # each of thousands of cells made a 2,000-project bulletin take seconds.
    ppr = paragraph._p.get_or_add_pPr()
    ppr.get_or_add_pStyle().val = TABLE_HEADER_STYLE if font == HEADING1_FONT else TABLE_STYLE
    if align is not None:
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
    office = _paragraph(doc, h.red_header, font=TITLE_FONT, size=Pt(26), align=WD_ALIGN_PARAGRAPH.CENTER,
                        indent=False, color=RED)
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
    title = _paragraph(doc, h.title, font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    # Its lines 28.95 pt apart as set: on the grid, LibreOffice gives two grid lines to a line of 2号
    # type in a font taller than the pitch (Noto Serif CJK, for one).
    _off_grid(title._p.get_or_add_pPr())
    _paragraph(doc, indent=False)
    if figures.publication_note:
        # Before the figures: a reader must know at once that the period was published early or incomplete.
        body(doc, figures.publication_note)


def _overview(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, f.heading(BulletinSection.OVERVIEW))
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
    construction = next((split for split in f.splits if split.key == "construction"), None)
    if construction is not None:
        body(doc, _("按建设性质分，%(groups)s。") % {"groups": "、".join(
            _("%(label)s项目 %(n)d 个") % {"label": row.label, "n": row.projects} for row in construction.rows
        )} + construction.note)
    if f.progress_spread:
        body(doc, _progress_sentence(f))
    body(doc, _("注：%(text)s") % {"text": f.definitions[0]})
    body(doc, _("注：%(text)s") % {"text": f.definitions[1]})
    table(
        doc, [_("级别"), *f.stage_labels, _("合计")],
        [[row.label, *(str(n) for n in row.by_stage), str(row.total)] for row in f.stage_level],
        numeric=range(1, len(f.stage_labels) + 2),
    )


def _progress_sentence(f: BulletinFigures) -> str:
    """形象进度分布 in words: the buckets that have projects, then those without a percent."""
    *buckets, unreported = f.progress_spread
    shown = [_("%(label)s 的 %(n)d 个") % {"label": row.label, "n": row.count} for row in buckets if row.count]
    text = _("本期填报形象进度的项目 %(n)d 个") % {"n": sum(row.count for row in buckets)}
    if shown:
        text += _("，其中形象进度 %(buckets)s") % {"buckets": "、".join(shown)}
    return text + _("；未填报形象进度的 %(n)d 个。") % {"n": unreported.count}


def _investment_sentence(label: str, row: InvestmentRow, last_year: YearOnYear | None = None) -> str:
    if row.rate is None:
        return _("%(label)s %(n)d 个，总投资 %(total)s 亿元，未安排年度计划投资，本年累计完成投资 %(done)s 亿元。") % {
            "label": label, "n": row.projects, "total": row.total_yi, "done": row.done_yi,
        }
    gap = row.gap or Decimal(0)
    if gap > 0:
        versus = _("落后序时进度 %(gap)s 个百分点") % {"gap": gap}
    elif gap < 0:
        versus = _("超序时进度 %(gap)s 个百分点") % {"gap": -gap}
    else:
        versus = _("与序时进度持平")
    if last_year is not None:
        versus += "，" + last_year.in_words()
    return _("%(label)s %(n)d 个，总投资 %(total)s 亿元，年度计划投资 %(plan)s 亿元，累计完成投资 %(done)s 亿元，"
             "完成年度计划的 %(rate)s%%，%(versus)s。") % {
        "label": label, "n": row.projects, "total": row.total_yi, "plan": row.plan_yi, "done": row.done_yi,
        "rate": row.rate, "versus": versus,
    }


def _investment(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, f.heading(BulletinSection.INVESTMENT))
    body(doc, _("截至%(day)s，序时进度为 %(schedule)s%%。") % {
        "day": _date_text(f.header.as_of), "schedule": f.schedule,
    } + _investment_sentence(_("全区重点项目"), f.investment, f.last_year))
    for row in f.investment_by_level:
        if row.projects:
            body(doc, _investment_sentence(row.label + _("项目"), row))
    body(doc, _("注：%(text)s") % {"text": f.definitions[2]})
    if f.last_year is not None:
        body(doc, _("注：%(text)s") % {"text": f.last_year.explain})
    table(
        doc, [_("类别"), _("项目数"), _("年度计划(万元)"), _("累计完成(万元)"), _("完成率"), _("序时进度")],
        [
            [row.label, str(row.projects), fmt_money(row.plan), fmt_money(row.done), fmt_rate(row.rate),
             f"{f.schedule}%"]
            for row in (f.investment, *f.investment_by_level)
        ],
        numeric=(1, 2, 3, 4, 5),
    )
    if f.splits:
        _splits(doc, f)


def _splits(doc: DocumentType, f: BulletinFigures) -> None:
    """By 建设性质, 项目类别 and 资金来源: a sentence each for the groups with projects, one table for all."""
    for split in f.splits:
        groups = [
            _("%(label)s %(n)d 个、完成 %(done)s 亿元、完成率 %(rate)s") % {
                "label": row.label, "n": row.projects, "done": row.done_yi, "rate": fmt_rate(row.rate),
            }
            for row in split.rows if row.projects
        ]
        body(doc, _("按%(title)s分：%(groups)s。") % {"title": split.title, "groups": "；".join(groups)} + split.note)
    table(
        doc,
        [_("分组"), _("类别"), _("项目数"), _("总投资(万元)"), _("年度计划(万元)"), _("累计完成(万元)"), _("完成率")],
        [
            [split.title, row.label, str(row.projects), fmt_money(row.total), fmt_money(row.plan), fmt_money(row.done),
             fmt_rate(row.rate)]
            for split in f.splits for row in split.rows
        ],
        numeric=(2, 3, 4, 5, 6), wrap={1: 1},
    )
    body(doc, _("注：%(text)s") % {"text": f.definitions[13]})


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
    heading1(doc, f.heading(BulletinSection.RANKINGS))
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
            numeric=(0, 2, 3, 4, 5), wrap={1: 1},
        )
        table(
            doc, [_("名次"), ranking.title, _("项目数"), _("应开工"), _("已开工"), _("开工率")],
            [[_rank_text(r.rank), r.unit, str(r.projects), str(r.due), str(r.started), fmt_rate(r.rate)]
             for r in ranking.by_start],
            numeric=(0, 2, 3, 4, 5), wrap={1: 1},
        )


def _lights(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, f.heading(BulletinSection.LIGHTS))
    body(doc, _("本期红灯项目 %(red)d 个、黄灯项目 %(yellow)d 个。请包靠领导和牵头单位对照原因逐项推进，"
                "下期调度时报告整改情况。") % {"red": len(f.red), "yellow": len(f.yellow)})
    if f.behind is not None:
        body(doc, _behind_sentence(f))
        if f.behind.projects:
            body(doc, _("注：%(text)s") % {"text": f.definitions[9]})
    if f.light_projects:
        table(
            doc, [_("序号"), _("项目名称"), _("灯"), _("牵头单位"), _("包靠领导"), _("原因")],
            [
                [str(i), p.name, _("红灯") if p.light == "red" else _("黄灯"), p.lead_unit, p.leader or "—",
                 "；".join(p.reasons)]
                for i, p in enumerate(f.light_projects, start=1)
            ],
            numeric=(0,), wrap={1: 2, 3: 1, 4: 1, 5: 3},
        )


def _behind_sentence(f: BulletinFigures) -> str:
    """滞后项目: how many, their share, by tag, and each named with its tags."""
    behind = f.behind
    assert behind is not None
    if not behind.projects:
        return _("本期没有投资滞后或开工滞后的项目。")
    named = [_("%(name)s（%(tags)s）") % {"name": p.name, "tags": "、".join(p.tags)} for p in behind.projects]
    return _("滞后项目 %(n)d 个，占全部项目的 %(rate)s，其中投资滞后 %(investment)d 个、开工滞后 %(start)d 个"
             "（两者皆有的计一次）：%(names)s。") % {
        "n": len(behind.projects), "rate": fmt_rate(behind.share.rate), "investment": behind.investment,
        "start": behind.start, "names": _join(named),
    }


def _early_sentence(lines: Sequence[ProjectLine], *, start: bool) -> str:
    named = [
        (_("%(name)s（计划 %(planned)s 开工，%(actual)s 开工）") if start else _("%(name)s（计划 %(planned)s 竣工）"))
        % {"name": p.name, "planned": p.planned.isoformat() if p.planned else "—",
           "actual": p.date.isoformat() if p.date else "—"}
        for p in lines
    ]
    text = _("其中提前开工 %(n)d 个：%(names)s。") if start else _("其中提前竣工 %(n)d 个：%(names)s。")
    return text % {"n": len(lines), "names": _join(named)}


def _started_completed(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, f.heading(BulletinSection.STARTED))
    if f.started:
        body(doc, _("本期新开工项目 %(n)d 个：%(names)s。") % {
            "n": len(f.started), "names": _join([p.name for p in f.started]),
        } + (_early_sentence(f.early_starts, start=True) if f.early_starts else ""))
        table(
            doc, [_("序号"), _("项目名称"), _("级别"), _("牵头单位"), _("开工日期"), _("总投资(万元)")],
            [[str(i), p.name, p.level_label, p.lead_unit, p.date.isoformat() if p.date else "—",
              fmt_money(p.total_investment)] for i, p in enumerate(f.started, start=1)],
            numeric=(0, 5), wrap={1: 2, 3: 1},
        )
    else:
        body(doc, _("本期没有新开工项目。"))
    if f.completed:
        body(doc, _("本期新竣工（投产）项目 %(n)d 个：%(names)s。") % {
            "n": len(f.completed), "names": _join([p.name for p in f.completed]),
        } + (_early_sentence(f.early_completions, start=False) if f.early_completions else ""))
        table(
            doc, [_("序号"), _("项目名称"), _("级别"), _("牵头单位"), _("总投资(万元)")],
            [[str(i), p.name, p.level_label, p.lead_unit, fmt_money(p.total_investment)]
             for i, p in enumerate(f.completed, start=1)],
            numeric=(0, 4), wrap={1: 2, 3: 1},
        )
    else:
        body(doc, _("本期没有新竣工（投产）项目。"))


def _problems(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, f.heading(BulletinSection.SUPERVISION))
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
            numeric=(0,), wrap={1: 3, 2: 2, 3: 1, 4: 1, 6: 1},
        )
    if f.problems_closed:
        heading2(doc, _("（二）已办结问题") if f.problems_open else _("（一）已办结问题"))
        table(
            doc, [_("序号"), _("问题"), _("项目"), _("责任单位"), _("办结日期")],
            [[str(i), p.description, p.project or "—", p.unit, p.closed_on.isoformat() if p.closed_on else "—"]
             for i, p in enumerate(f.problems_closed, start=1)],
            numeric=(0,), wrap={1: 3, 2: 2, 3: 1},
        )


def _reporting(doc: DocumentType, f: BulletinFigures) -> None:
    heading1(doc, f.heading(BulletinSection.REPORTING))
    for sentence in f.reporting:
        body(doc, sentence)
    if f.late_units or f.unreported_units:
        body(doc, _("请上述单位严格落实报送时限。"))


def _narrative(doc: DocumentType, words: NarrativeSection) -> None:
    """One of the office's sections frozen with the period (in ``f.sections`` only when written)."""
    heading1(doc, words.heading)
    for paragraph in words.paragraphs:
        body(doc, paragraph)


def _part(doc: DocumentType, part: PrintedPart) -> None:
    """Another module's section (core.hooks.bulletin_parts): its level-1 heading as numbered, then its blocks,
    level-2 headings "（一）" in 楷体, paragraphs as body text, tables as the bulletin's own (a column of
    figures right-aligned on one line, the others sharing the rest and wrapping)."""
    heading1(doc, part.heading)
    for block in part.blocks:
        if block.kind == "heading":
            heading2(doc, block.text)
        elif block.kind == "text":
            body(doc, block.text)
        else:
            wrap = {i: 1 for i in range(len(block.headers)) if i not in block.numeric}
            table(doc, block.headers, block.rows, numeric=block.numeric, wrap=wrap)


def annex_name(period_label: str) -> str:
    """The Excel annex's file name: what the browser saves it as and what the 附件说明 names."""
    return _("%(period)s调度通报附表.xlsx") % {"period": period_label}


def _annex_note(doc: DocumentType, f: BulletinFigures) -> None:
    """附件说明 (GB/T 9704 7.3.4): below the text, a line left empty, then two characters in
    "附件：" and the annex's name, here its file name, since it travels as a separate file."""
    # The text's last paragraph, the note, the issuing office and the date go together: the page
    # that carries the signature carries some of the text too (no widow control holds them).
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    _paragraph(doc, indent=False).paragraph_format.keep_with_next = True
    note = body(doc, _("附件：%(name)s") % {"name": annex_name(f.header.period_label)})
    note.paragraph_format.keep_with_next = True


def _closing(doc: DocumentType, f: BulletinFigures) -> None:
    for _blank in range(2):
        _paragraph(doc, indent=False).paragraph_format.keep_with_next = True
    office = _paragraph(doc, f.header.signature, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    office.paragraph_format.right_indent = SIZE_3 * 2
    office.paragraph_format.keep_with_next = True
    date = _paragraph(doc, _date_text(f.header.published_on), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    # 成文日期 右空四字 (GB/T 9704 7.3.5.1).
    date.paragraph_format.right_indent = SIZE_3 * 4


def _border(cell_pr: etree._Element, side: str, eighths: int) -> None:
    borders = cell_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        cell_pr.append(borders)
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", "0"), ("w:color", "000000")):
        line.set(qn(key), value)
    borders.append(line)


def _imprint_paragraph(paragraph: Paragraph, text: str) -> Paragraph:
    _exact_spacing(paragraph)
    _off_grid(paragraph._p.get_or_add_pPr())
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    set_font(paragraph.add_run(text), BODY_FONT, SIZE_4)
    return paragraph


# Rules of the 版记 in eighths of a point: 0.35 mm first and last, 0.25 mm between (GB/T 9704 7.4.1).
THICK_RULE, THIN_RULE = 8, 6


def _imprint(doc: DocumentType, f: BulletinFigures) -> Table:
    """The 版记 (GB/T 9704 7.4) at the foot of the last page, as wide as the text block, in 4号 仿宋:

    a thick rule; "抄送：" and the recipients, one character in from each side, a wrapped line
    starting under the first recipient; a thin rule; the 印发机关 one character in from the left and
    the 印发日期 one character in from the right, "…日印发"; a thick rule on the text block's
    bottom edge. A table floating at the bottom of the text block, so Word, WPS and LibreOffice
    all put it there whatever the length of the text above.
    """
    block = doc.add_table(rows=2, cols=1)
    props = block._tbl.tblPr
    floating = OxmlElement("w:tblpPr")
    for key, value in (
        ("w:leftFromText", "0"), ("w:rightFromText", "0"), ("w:topFromText", "0"), ("w:bottomFromText", "0"),
        ("w:vertAnchor", "margin"), ("w:tblpYSpec", "bottom"),
        # From the page's edge: LibreOffice floats a table only so, when it is as wide as the text.
        ("w:horzAnchor", "page"), ("w:tblpX", str(int(MARGIN_LEFT.pt * 20))),
    ):
        floating.set(qn(key), value)
    props.insert_element_before(floating, "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
                                "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
                                "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    width = int(TEXT_WIDTH.pt * 20)
    block.autofit = False
    table_width = props.find(qn("w:tblW"))
    table_width.set(qn("w:w"), str(width))
    table_width.set(qn("w:type"), "dxa")
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "0")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    props.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    block.columns[0].width = Twips(width)
    copy_row, issue_row = (row.cells[0] for row in block.rows)
    for cell in (copy_row, issue_row):
        cell.width = Twips(width)
    _border(copy_row._tc.get_or_add_tcPr(), "top", THICK_RULE)
    _border(copy_row._tc.get_or_add_tcPr(), "bottom", THIN_RULE)
    _border(issue_row._tc.get_or_add_tcPr(), "bottom", THICK_RULE)

    label = _("抄送：")
    copy = _imprint_paragraph(copy_row.paragraphs[0], label + f.header.copy_to)
    # 回行时与冒号后的首字对齐: the wrapped lines start under the first recipient.
    copy.paragraph_format.left_indent = SIZE_4 * (1 + len(label))
    copy.paragraph_format.first_line_indent = -SIZE_4 * len(label)
    copy.paragraph_format.right_indent = SIZE_4
    issued = _("%(day)s印发") % {"day": _date_text(f.header.published_on)}
    issue = _imprint_paragraph(issue_row.paragraphs[0], f"{f.header.issued_by}\t{issued}")
    issue.paragraph_format.left_indent = SIZE_4
    issue.paragraph_format.tab_stops.add_tab_stop(Twips(width) - SIZE_4, WD_TAB_ALIGNMENT.RIGHT)
    # The body may not end with a table; this empty paragraph also anchors the floating one.
    _paragraph(doc, indent=False)
    return block


# What prints each of the figures' level-1 sections (dispatch.models.BulletinSection), in the order of
# ``f.sections``; the office's two print their words (_narrative).
SECTIONS: dict[str, Callable[[DocumentType, BulletinFigures], None]] = {
    BulletinSection.OVERVIEW: _overview,
    BulletinSection.INVESTMENT: _investment,
    BulletinSection.RANKINGS: _rankings,
    BulletinSection.LIGHTS: _lights,
    BulletinSection.STARTED: _started_completed,
    BulletinSection.SUPERVISION: _problems,
    BulletinSection.REPORTING: _reporting,
}


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
    for section in figures.sections:
        if section.words is not None:
            _narrative(doc, section.words)
        elif section.part is not None:
            _part(doc, section.part)
        else:
            SECTIONS[section.key](doc, figures)
    _annex_note(doc, figures)
    _closing(doc, figures)
    _imprint(doc, figures)
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
