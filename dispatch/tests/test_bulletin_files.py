"""The bulletin's Word document (GB/T 9704 layout) and Excel annex, read back with python-docx and openpyxl."""
from __future__ import annotations

import io
import zipfile
from typing import Any

import docx
import openpyxl
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures
from dispatch.bulletins.xlsx import bulletin_xlsx

# The shared fixture; "as april" marks the re-export, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april

SECTION_HEADINGS = [
    "一、总体情况", "二、投资完成情况", "三、镇街和部门排名", "四、红黄灯项目", "五、新开工和竣工项目",
    "六、问题督办情况", "七、报送情况",
]


def _docx(april: dict[str, Any]) -> tuple[bytes, Any]:
    period = april["period"]
    data = bulletin_docx(bulletin_figures(period), published_at=period.published_at)
    return data, docx.Document(io.BytesIO(data))


def _east_asia(run: Any) -> str | None:
    fonts = run._element.rPr.find(qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def _paragraph(document: Any, text: str) -> Any:
    return next(p for p in document.paragraphs if p.text == text)


def test_page_size_and_margins(april: dict[str, Any]) -> None:
    _data, document = _docx(april)
    section = document.sections[0]
    # Word stores twentieths of a point: A4 is 11906 × 16838.
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    sizes = [section.page_width, section.page_height, section.top_margin, section.bottom_margin,
             section.left_margin, section.right_margin]
    assert [round(size.mm, 1) for size in sizes] == [210.0, 297.0, 37.0, 35.0, 28.0, 26.0]
    grid = section._sectPr.find(qn("w:docGrid"))
    # 28.95 pt lines (22 a page); no character grid, which LibreOffice reads differently from Word.
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch")), grid.get(qn("w:charSpace"))) == (
        "lines", "579", None
    )
    # 28 characters across 156 mm: every character 0.25 pt closer, a pitch of 15.75 pt (28 × 15.75 ≤ 442.2 < 29 ×).
    spacing = document.styles["Normal"].element.rPr.find(qn("w:spacing"))
    assert spacing.get(qn("w:val")) == "-5"
    assert 28 * (16 - 0.25) <= 156 / 25.4 * 72 < 29 * (16 - 0.25)


def test_head_title_and_fonts(april: dict[str, Any]) -> None:
    _data, document = _docx(april)
    office = _paragraph(document, "示范区重点项目建设指挥部办公室")
    assert _east_asia(office.runs[0]) == "方正小标宋简体"
    assert str(office.runs[0].font.color.rgb) == "FF0000"
    number = _paragraph(document, "示调度〔2026〕4号")
    border = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "FF0000"
    title = _paragraph(document, "关于2026年4月全区重点项目建设情况的通报")
    run = title.runs[0]
    assert _east_asia(run) == "方正小标宋简体"
    assert run._element.rPr.find(qn("w:rFonts")).get(qn("w:hint")) == "eastAsia"
    assert run.font.size == Pt(22)
    assert title.alignment == 1  # centred
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.paragraph_format.line_spacing == Pt(28.95)
    body = next(p for p in document.paragraphs if p.text.startswith("截至2026年4月30日，全区"))
    assert _east_asia(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)


def test_every_section_heading_in_order_with_its_font(april: dict[str, Any]) -> None:
    _data, document = _docx(april)
    texts = [p.text for p in document.paragraphs]
    positions = [texts.index(heading) for heading in SECTION_HEADINGS]
    assert positions == sorted(positions)
    for heading in SECTION_HEADINGS:
        run = _paragraph(document, heading).runs[0]
        assert (_east_asia(run), run.font.size) == ("黑体", Pt(16))
    level2 = _paragraph(document, "（一）镇街排名").runs[0]
    assert (_east_asia(level2), level2.font.size) == ("楷体_GB2312", Pt(16))
    # The 附件说明, the issuing office and the date close the text; the 版记 (a table) and an empty
    # paragraph, which the body must end with, follow.
    assert texts[-6:] == [
        "附件：2026年4月调度通报附表.xlsx", "", "", "示范区重点项目建设指挥部办公室", "2026年5月5日", "",
    ]


def test_numbers_are_those_published(april: dict[str, Any]) -> None:
    _data, document = _docx(april)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "全区纳入调度的重点项目共 6 个，其中省重点 1 个、市重点 2 个、区重点 3 个" in text
    assert "应开工项目 5 个，已开工 3 个，开工率 60.0%；应投产项目 2 个，已投产 1 个，投产率 50.0%" in text
    assert "年度计划投资 0.45 亿元，累计完成投资 0.10 亿元，完成年度计划的 22.2%，落后序时进度 11.1 个百分点" in text
    assert "本期红灯项目 2 个、黄灯项目 2 个" in text
    assert "本期新开工项目 1 个：五号项目" in text and "本期新竣工（投产）项目 1 个：四号项目" in text
    # Overdue as of 30 April, the period's end (published 5 May): 环评批复 was due 1 May.
    assert "本期督办问题 4 个，已办结 1 个，未办结 3 个，其中逾期 1 个" in text
    assert "迟报 1 个：发改局（4月28日 09:00报送）；截至发布时未报送 1 个：东城街道（草稿）" in text
    assert "均按时报送" not in text
    # Departments tie: both named first, no "last".
    assert "各部门年度投资完成率均为 20.0%" in text
    tables = document.tables
    towns = next(t for t in tables if t.rows[0].cells[1].text == "镇街" and t.rows[0].cells[5].text == "完成率")
    assert [[c.text for c in row.cells] for row in towns.rows[1:]] == [
        ["1", "东城街道", "3", "2,000.00", "600.00", "30.0%"], ["2", "西山镇", "2", "2,500.00", "400.00", "16.0%"],
    ]
    lights = next(t for t in tables if t.rows[0].cells[-1].text == "原因")
    rows = [[c.text for c in row.cells] for row in lights.rows[1:]]
    assert [(r[1], r[2], r[4]) for r in rows] == [("二号项目", "红灯", "—"), ("六号项目", "红灯", "张区长"),
                                                  ("五号项目", "黄灯", "—"), ("四号项目", "黄灯", "—")]
    assert "施工许可" in rows[1][5]
    problems = next(t for t in tables if t.rows[0].cells[-1].text == "督办状态")
    assert [row.cells[1].text for row in problems.rows[1:]] == ["征地未完成", "环评批复", "电力接入"]
    # Table text is 仿宋_GB2312 小四.
    for cell, font in ((towns.rows[1].cells[1], "仿宋_GB2312"), (towns.rows[0].cells[1], "黑体")):
        style = cell.paragraphs[0].style
        fonts = style.element.rPr.find(qn("w:rFonts"))
        assert (fonts.get(qn("w:eastAsia")), style.font.size) == (font, Pt(12))
        assert style.paragraph_format.first_line_indent == 0


def test_page_numbers_and_font_fallbacks(april: dict[str, Any]) -> None:
    data, document = _docx(april)
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    for footer in (section.footer, section.even_page_footer):
        xml = footer.paragraphs[0]._p.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml
        assert footer.paragraphs[0].text == "— 1 —"
        run = footer.paragraphs[0].runs[0]
        assert (_east_asia(run), run.font.size) == ("宋体", Pt(14))
    assert section.footer.paragraphs[0].alignment == 2  # odd pages right
    assert section.even_page_footer.paragraphs[0].alignment == 0  # even pages left
    fonts = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/fontTable.xml"))
    alt = {
        f.get(qn("w:name")): f.find(qn("w:altName")).get(qn("w:val"))
        for f in fonts.findall(qn("w:font")) if f.find(qn("w:altName")) is not None
    }
    assert alt["方正小标宋简体"] == "华文中宋" and alt["仿宋_GB2312"] == "仿宋" and alt["楷体_GB2312"] == "楷体"
    styles = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/styles.xml"))
    default_fonts = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    assert default_fonts.get(qn("w:eastAsia")) == "宋体"


def test_the_same_figures_give_the_same_bytes(april: dict[str, Any]) -> None:
    period = april["period"]
    figures = bulletin_figures(period)
    assert bulletin_docx(figures, published_at=period.published_at) == bulletin_docx(
        bulletin_figures(period), published_at=period.published_at
    )
    assert bulletin_xlsx(figures, published_at=period.published_at) == bulletin_xlsx(
        figures, published_at=period.published_at
    )


def test_the_excel_annex(april: dict[str, Any]) -> None:
    period = april["period"]
    wb = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(bulletin_figures(period), published_at=period.published_at)))
    assert wb.sheetnames == [
        "总体情况", "开工率和投产率", "投资完成情况", "镇街投资完成率排名", "镇街开工率排名", "部门投资完成率排名",
        "部门开工率排名", "红黄灯项目", "新开工项目", "竣工项目", "未办结问题", "已办结问题", "迟报单位", "说明",
    ]
    rates = wb["开工率和投产率"]
    assert [c.value for c in rates[2]][:4] == ["开工率", 3, 5, 60.0]
    assert [c.value for c in rates[3]][:4] == ["投产率", 1, 2, 50.0]
    invest = wb["投资完成情况"]
    headers = [c.value for c in invest[1]][:5]
    assert headers == ["类别", "项目数", "年度计划投资(万元)", "累计完成投资(万元)", "完成率(%)"]
    total = [c.value for c in invest[2]]
    assert total[0] == "全部项目" and total[1] == 6
    assert float(total[2]) == 4500.0 and float(total[3]) == 1000.0 and float(total[4]) == 22.2
    assert invest.cell(row=2, column=3).number_format == "#,##0.00"
    assert invest.cell(row=2, column=3).data_type == "n"
    departments = wb["部门投资完成率排名"]
    assert [(r[0].value, r[1].value) for r in departments.iter_rows(min_row=2)] == [(1, "发改局"), (1, "工信局")]
    lights = wb["红黄灯项目"]
    assert [r[2].value for r in lights.iter_rows(min_row=2)] == ["二号项目", "六号项目", "五号项目", "四号项目"]
    assert "施工许可" in lights.cell(row=3, column=14).value
    late = wb["迟报单位"]
    assert sorted(r[1].value for r in late.iter_rows(min_row=2)) == ["东城街道", "发改局"]
    notes = [r[1].value for r in wb["说明"].iter_rows(min_row=2)]
    assert any(text.startswith("开工率 = 已开工项目数 ÷ 应开工项目数") for text in notes)
    assert "示调度〔2026〕4号" in notes[0]
