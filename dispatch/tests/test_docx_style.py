"""The bulletin and the supervision slip share one office name and one way of naming fonts."""
from __future__ import annotations

import datetime as dt
import io

import docx
from docx.oxml.ns import qn

from dispatch.bulletins import docx_style
from dispatch.models import Problem
from dispatch.supervision.slip import slip_docx
from org.models import Unit


def test_every_run_of_the_slip_names_its_chinese_font_with_the_hint(units: dict[str, Unit]) -> None:
    problem = Problem.objects.create(description="征地未完成", responsible_unit=units["town_a"],
                                     deadline=dt.date(2026, 5, 1))
    document = docx.Document(io.BytesIO(slip_docx(problem, dt.date(2026, 5, 20))))
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [run for t in document.tables for row in t.rows for cell in row.cells for p in cell.paragraphs
             for run in p.runs]
    runs = [run for run in runs if run.text]  # ``cell.text = ""`` leaves an empty run without properties
    assert runs
    for run in runs:
        fonts = run._element.rPr.find(qn("w:rFonts"))
        # Without the hint Word may set Chinese punctuation and digits in the Latin font.
        assert fonts.get(qn("w:hint")) == "eastAsia", run.text
        assert fonts.get(qn("w:ascii")) == docx_style.LATIN_FONT
    texts = [p.text for p in document.paragraphs]
    assert docx_style.office_name() in texts
