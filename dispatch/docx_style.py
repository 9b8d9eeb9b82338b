"""What every Word document the office issues shares: its name, and how a run names its fonts.

The bulletin (bulletin_docx) and the supervision slip (slip) both follow GB/T 9704; they used
to carry their own copies of these, which had drifted apart (the slip's runs lacked the
east-Asian hint, so Word could set Chinese text in the Latin font).
"""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.run import Run

LATIN_FONT = "Times New Roman"


def office_name() -> str:
    """The issuing office (发文机关), as the bulletin's head and the slip's signature print it."""
    return _("%(district)s重点项目建设指挥部办公室") % {"district": settings.DIAODU_DISTRICT_NAME}


def set_font(run: Run, east_asia: str, size: Pt | None = None, *, bold: bool = False,
             color: RGBColor | None = None, latin: str = LATIN_FONT) -> Run:
    """Name the Chinese font where Word reads it (eastAsia, with the eastAsia hint); Latin text in ``latin``."""
    run.font.name = latin  # w:ascii and w:hAnsi
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")
    return run
