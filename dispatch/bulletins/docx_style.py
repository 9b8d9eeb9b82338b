"""What every Word document the office issues shares: its name, its usual 抄送, and how a run names its fonts.

The bulletin (bulletin_docx) and the supervision slip (slip) both follow GB/T 9704; they used
to carry their own copies of these, which had drifted apart (the slip's runs lacked the
east-Asian hint, so Word could set Chinese text in the Latin font).
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.run import Run

from core.district import district

LATIN_FONT = "Times New Roman"


def office_name(district_name: str | None = None) -> str:
    """The issuing office (发文机关), as the bulletin's head and the slip's signature print it.

    A bulletin passes the district's name as published; the slip prints today's.
    """
    return _("%(district)s重点项目建设指挥部办公室") % {"district": district_name or district().district_name}


def copy_to(district_name: str) -> str:
    """The 抄送 line's usual recipients: the district's four leading bodies, named by its level (区, 县, 市, 旗).

    What the bulletin prints when the office's template (dispatch.models.BulletinTemplate) names no
    recipients, and what every bulletin printed before there was a template; the district's own name
    gives the level.
    """
    level = district_name[-1:] if district_name[-1:] in {"区", "县", "市", "旗"} else "区"
    return _("%(level)s委、%(level)s人大、%(level)s政府、%(level)s政协领导。") % {"level": level}


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
