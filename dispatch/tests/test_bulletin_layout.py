"""The bulletin's Word document: tables sized to their content, the 附件说明 and the 版记 (GB/T 9704 7.3.4, 7.4).

Read back with python-docx; the same layout rendered by LibreOffice is checked in test_bulletin_pdf.py.
"""
from __future__ import annotations

import io
import re
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from hypothesis import given
from hypothesis import strategies as st

from core import publication
from dispatch.bulletins import jobs
from dispatch.bulletins.docx import (
    CELL_MARGIN,
    SIZE_SMALL_4,
    bulletin_docx,
    column_widths,
    copy_to,
    text_width,
)
from dispatch.bulletins.figures import bulletin_figures
from dispatch.periods.snapshots import Letterhead

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april

TEXT_TWIPS = 8844  # 156 mm in twentieths of a point
MONEY = re.compile(r"^[\d,]+\.\d\d$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def _document(april: dict[str, Any]) -> Any:
    period = april["period"]
    return docx.Document(io.BytesIO(bulletin_docx(bulletin_figures(period), published_at=period.published_at)))


def _grid(table: Any) -> list[int]:
    return [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]


def _least_width(text: str) -> float:
    """What ``text`` needs at 小四 in Times New Roman's own metrics (digits half an em, "," "." a quarter,
    "-" a third), and the cell's margins: less than this and it wraps."""
    ems = sum(0.5 if c.isdigit() else 0.25 if c in ",." else 0.333 if c == "-" else 1.0 for c in text)
    return ems * 12 + 2 * CELL_MARGIN.pt


# --- tables ---------------------------------------------------------------------------------------

def test_every_table_spans_the_text_block_with_fixed_widths(april: dict[str, Any]) -> None:
    document = _document(april)
    tables = document.tables[:-1]  # the last is the 版记
    assert len(tables) >= 8
    for table in tables:
        widths = _grid(table)
        assert sum(widths) == TEXT_TWIPS
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        # Word reads the cells' widths, LibreOffice the grid's: they agree.
        for row in table.rows:
            assert [int(cell._tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for cell in row.cells] == widths


def test_amounts_dates_and_headers_get_the_width_they_need(april: dict[str, Any]) -> None:
    """Each column of amounts or dates is wider than its longest value needs, so none wraps (six equal
    columns of 26 mm broke "733,515.00" into "733,515" and ".00")."""
    checked = 0
    for table in _document(april).tables[:-1]:
        widths = _grid(table)
        for i, width in enumerate(widths):
            values = [row.cells[i].text for row in table.rows[1:]]
            if values and all(MONEY.match(v) or DATE.match(v) or v == "—" for v in values):
                assert width / 20 >= max(_least_width(v) for v in values), (table.rows[0].cells[i].text, width)
                header = table.rows[0].cells[i].text
                assert width / 20 >= text_width(header, SIZE_SMALL_4), header  # "年度计划(万元)" on one line
                checked += 1
    assert checked >= 6


def test_text_columns_share_the_rest_by_weight(april: dict[str, Any]) -> None:
    document = _document(april)
    lights = next(t for t in document.tables if t.rows[0].cells[-1].text == "原因")
    widths = dict(zip([c.text for c in lights.rows[0].cells], _grid(lights), strict=True))
    # The number and the light as wide as they need; the reasons, weighted most, the widest column.
    assert widths["序号"] <= widths["灯"] < widths["项目名称"] < widths["原因"]
    assert widths["灯"] / 20 < text_width("红灯", SIZE_SMALL_4) + 2 * CELL_MARGIN.pt + 30


def test_column_widths_give_each_column_its_content() -> None:
    headers = ["名次", "镇街", "年度计划(万元)"]
    rows = [["1", "东城街道", "1,971,868.00"], ["12", "西山镇", "9,125.00"]]
    widths = column_widths(headers, rows, wrap={1: 1})
    assert sum(widths) == TEXT_TWIPS
    # All fit on one line: each column its longest value or header, and an equal share of the spare width.
    assert widths[2] / 20 >= text_width("年度计划(万元)", SIZE_SMALL_4) + 2 * CELL_MARGIN.pt
    assert widths[2] - widths[0] == pytest.approx((text_width("年度计划(万元)", SIZE_SMALL_4) - 24) * 20, abs=4)
    assert widths[1] - widths[0] == pytest.approx((48 - 24) * 20, abs=4)  # 镇街: four characters at least
    # Too much text for one line: the text columns share what is left by weight, the amounts keep theirs.
    long_rows = [["1", "东" * 60, "很" * 90, "1,971,868.00"]]
    widths = column_widths(["序号", "项目名称", "原因", "总投资(万元)"], long_rows, wrap={1: 1, 2: 2})
    assert sum(widths) == TEXT_TWIPS
    assert widths[3] / 20 >= _least_width("1,971,868.00")
    assert abs(widths[2] - 2 * widths[1]) <= 2
    # A text column that needs little keeps what it needs; the other takes the rest.
    widths = column_widths(["序号", "项目名称", "原因"], [["1", "短", "很" * 90]], wrap={1: 1, 2: 1})
    assert widths[1] / 20 == text_width("项目名称", SIZE_SMALL_4) + 2 * CELL_MARGIN.pt + 2  # its header, 4 ems
    assert widths[2] > 5 * widths[1]


def test_text_width_follows_the_fonts() -> None:
    assert text_width("1,971,868.00", SIZE_SMALL_4) == 63  # 9 digits of 6 pt, 3 marks of 3 pt
    assert text_width("年度计划(万元)", SIZE_SMALL_4) == pytest.approx(6 * 12 + 2 * 4, abs=0.01)
    # A quarter em between Chinese and digits, as Word and LibreOffice space them.
    assert text_width("2026年", SIZE_SMALL_4) == 4 * 6 + 12 + 3
    assert text_width("— “红灯”", SIZE_SMALL_4) == 5 * 12 + 3  # ambiguous widths set in the Chinese font


amounts = st.decimals(min_value=0, max_value=10**9, places=2).map(lambda d: f"{d:,.2f}")
names = st.text(alphabet="东西城镇街道项目工程建设产业园ABC-0123456789", min_size=1, max_size=80)


@given(rows=st.lists(st.tuples(names, names, amounts, amounts), min_size=1, max_size=8))
def test_widths_always_fill_the_block_and_amounts_never_wrap(rows: list[tuple[str, str, str, str]]) -> None:
    headers = ["项目名称", "原因", "年度计划(万元)", "累计完成(万元)"]
    widths = column_widths(headers, rows, wrap={0: 1, 1: 2})
    assert sum(widths) == TEXT_TWIPS and all(w > 0 for w in widths)
    for i in (2, 3):
        assert widths[i] / 20 >= max(_least_width(row[i]) for row in rows)
    for i in (0, 1):
        assert widths[i] / 20 >= 4 * 12 + 2 * CELL_MARGIN.pt  # never narrower than four characters


# --- the 附件说明 and the 版记 -------------------------------------------------------------------------

def test_the_annex_is_named_by_its_file_below_the_text(april: dict[str, Any]) -> None:
    document = _document(april)
    texts = [p.text for p in document.paragraphs]
    name = jobs.download_names(april["period"])[1]
    assert name == "2026年4月调度通报附表.xlsx"
    at = texts.index(f"附件：{name}")
    # Below the text with a line left empty (GB/T 9704 7.3.4), before the issuing office and the date.
    assert texts[at - 2:at] == ["请上述单位严格落实报送时限。", ""]
    assert texts[at + 1:at + 5] == ["", "", "示范区重点项目建设指挥部办公室", "2026年5月5日"]
    note = document.paragraphs[at]
    assert note.paragraph_format.first_line_indent == Pt(32)  # 左空二字
    # The text's last paragraph, the note, the office and the date stay on one page.
    assert all(document.paragraphs[i].paragraph_format.keep_with_next for i in range(at - 2, at + 4))


def test_the_imprint_closes_the_document(april: dict[str, Any]) -> None:
    document = _document(april)
    imprint = document.tables[-1]
    body = document.element.body
    # The last table, followed only by the empty paragraph the body must end with.
    assert body.index(imprint._tbl) == len(body) - 3 and document.paragraphs[-1].text == ""
    copy, issue = (row.cells[0] for row in imprint.rows)
    assert len(imprint.columns) == 1
    assert copy.text == "抄送：区委、区人大、区政府、区政协领导。"
    assert issue.text == "示范区重点项目建设指挥部办公室\t2026年5月5日印发"
    for cell in (copy, issue):
        run = cell.paragraphs[0].runs[0]
        assert run.font.size == Pt(14)  # 4号
        assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    # As wide as the text block, no cell margins: the rules span it, the text is one character in.
    assert _grid(imprint) == [TEXT_TWIPS]
    copy_format = copy.paragraphs[0].paragraph_format
    # 抄送 one character in; a second line would start under the first recipient, after "抄送：".
    assert (copy_format.left_indent, copy_format.first_line_indent, copy_format.right_indent) == (
        Pt(14 * 4), -Pt(14 * 3), Pt(14)
    )
    issue_format = issue.paragraphs[0].paragraph_format
    assert issue_format.left_indent == Pt(14)
    (stop,) = issue_format.tab_stops
    assert stop.alignment == 2 and stop.position == Pt(TEXT_TWIPS / 20) - Pt(14)  # the date one character in
    # Thick rule above and below, thin between (0.35 / 0.25 mm: 8 and 6 eighths of a point).
    def rule(cell: Any, side: str) -> str | None:
        border = cell._tc.tcPr.find(qn("w:tcBorders"))
        found = border.find(qn(f"w:{side}")) if border is not None else None
        return None if found is None else found.get(qn("w:sz"))

    assert (rule(copy, "top"), rule(copy, "bottom"), rule(issue, "bottom")) == ("8", "6", "8")
    # At the foot of the page's text block, whatever comes above it.
    position = imprint._tbl.tblPr.find(qn("w:tblpPr"))
    assert (position.get(qn("w:vertAnchor")), position.get(qn("w:tblpYSpec"))) == ("margin", "bottom")


def test_the_imprint_names_the_district_frozen_at_publication(april: dict[str, Any]) -> None:
    period = april["period"]
    publication.record_write(period=period, snapshot=Letterhead(district_name="沂南县", document_prefix="沂调度"))
    document = docx.Document(io.BytesIO(bulletin_docx(bulletin_figures(period), published_at=period.published_at)))
    copy, issue = (row.cells[0].text for row in document.tables[-1].rows)
    assert copy == "抄送：县委、县人大、县政府、县政协领导。"
    assert issue == "沂南县重点项目建设指挥部办公室\t2026年5月5日印发"


def test_copy_to_follows_the_district_level() -> None:
    assert copy_to("寒亭区") == "区委、区人大、区政府、区政协领导。"
    assert copy_to("寿光市") == "市委、市人大、市政府、市政协领导。"
    assert copy_to("沂南县") == "县委、县人大、县政府、县政协领导。"
    assert copy_to("示范") == "区委、区人大、区政府、区政协领导。"  # no level in the name: a district


def test_the_body_is_justified_off_the_character_grid(april: dict[str, Any]) -> None:
    document = _document(april)
    normal = document.styles["Normal"]
    assert normal.paragraph_format.alignment == 3  # 两端对齐
    assert normal.paragraph_format.widow_control is False  # every page 22 lines
    assert normal.element.pPr.find(qn("w:overflowPunct")).get(qn("w:val")) == "0"
    for style_id in ("BulletinTable", "BulletinTableHeader"):
        style = document.styles[style_id]
        # A table row is a line of 小四, not 28.95 pt of grid.
        assert style.element.pPr.find(qn("w:snapToGrid")).get(qn("w:val")) == "0"
        assert style.paragraph_format.alignment == 0
