"""Dispatch views: the bulletin (调度通报) of a published period, its files and the meeting view.

A published bulletin is for everyone logged in, reporters included; only the project office
generates (or, explicitly, regenerates) it. Figures come from the period's snapshots only.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.models import Period
from core.policies import can, require
from dispatch.access import current_user
from dispatch.bulletins import jobs
from dispatch.bulletins import template as bulletin_template
from dispatch.bulletins.figures import (
    BulletinFigures,
    InvestmentRank,
    NotPublished,
    PrintedSection,
    bulletin_figures,
    fmt_money,
    numbered,
)
from dispatch.bulletins.narrative import narrative_page
from dispatch.models import Bulletin, BulletinSection
from dispatch.periods.services import DispatchError
from projects.templatetags.diaodu_format import format_rate

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
KINDS = ("docx", "xlsx", "pdf")
CONTENT_TYPES = {"docx": DOCX_TYPE, "xlsx": XLSX_TYPE, "pdf": PDF_TYPE}


def _period(pk: int) -> Period:
    return get_object_or_404(Period, pk=pk)


def _bulletin(period: Period) -> Bulletin | None:
    return Bulletin.objects.filter(period=period).first()


def _figures(period: Period) -> BulletinFigures | None:
    try:
        return bulletin_figures(period)
    except NotPublished:
        return None


def _status_context(request: HttpRequest, period: Period, bulletin: Bulletin | None) -> dict[str, Any]:
    user = current_user(request)
    active = bulletin is not None and bulletin.state in {Bulletin.State.PENDING, Bulletin.State.RUNNING}
    stale = bulletin is not None and jobs.bulletin_is_stale(bulletin)
    return {
        "period": period,
        "bulletin": bulletin,
        # Polling stops once the job ends, or when its thread has evidently died.
        "active": active and not stale,
        "stale": stale,
        "can_generate": can(user, "dispatch.generate_bulletin", period),
        "download_names": jobs.download_names(period),
    }


# --- charts ---------------------------------------------------------------------------------------

def _number(value: Decimal | int | None) -> float | None:
    """For the chart's bars only; the text beside every chart carries the exact figures."""
    return None if value is None else float(value)


def _ranking_chart(title: str, kind: str, rows: tuple[InvestmentRank, ...]) -> dict[str, Any]:
    described = [
        _("%(unit)s %(rate)s（累计完成 %(done)s 万元 ÷ 年度计划 %(plan)s 万元）") % {
            "unit": r.unit, "rate": format_rate(r.rate), "done": fmt_money(r.done), "plan": fmt_money(r.plan)}
        if r.rate is not None else _("%(unit)s —（未安排年度计划投资）") % {"unit": r.unit}
        for r in rows
    ]
    return {
        "type": "bar", "title": title, "unit": "%",
        "labels": [r.unit for r in rows], "values": [_number(r.rate) for r in rows],
        "alt": _("%(title)s，按名次：%(units)s。") % {"title": title, "units": "；".join(described)}
        if rows else _("本期没有可排名的%(kind)s。") % {"kind": kind},
    }


def charts(f: BulletinFigures) -> dict[str, dict[str, Any]]:
    """What the page's and the meeting's charts draw (passed with json_script, drawn by
    static/js/bulletin_charts.js), each with its text alternative carrying every number."""
    spread_total = sum(row.count for row in f.progress_spread)
    category = next((split for split in f.splits if split.key == "category"), None)
    result: dict[str, dict[str, Any]] = {
        "towns": _ranking_chart(_("各镇街年度投资完成率（%）"), f.towns.title, f.towns.by_investment),
        "departments": _ranking_chart(_("各部门年度投资完成率（%）"), f.departments.title, f.departments.by_investment),
        "lights": {
            "type": "pie", "title": _("红黄绿灯项目（个）"), "unit": _("个"),
            "labels": [row.label for row in f.lights], "values": [row.count for row in f.lights],
            "colors": [row.code or "none" for row in f.lights],
            "alt": _("红黄绿灯：%(lights)s，共 %(n)d 个项目。") % {
                "lights": "、".join(_("%(label)s %(n)d 个") % {"label": row.label, "n": row.count} for row in f.lights),
                "n": f.projects,
            },
        },
        "progress": {
            "type": "bar", "title": _("形象进度分布（个）"), "unit": _("个"),
            "labels": [row.label for row in f.progress_spread], "values": [row.count for row in f.progress_spread],
            "alt": _("形象进度分布（共 %(n)d 个项目）：%(buckets)s。") % {
                "n": spread_total,
                "buckets": "、".join(_("%(label)s %(n)d 个") % {"label": row.label, "n": row.count}
                                    for row in f.progress_spread),
            },
        },
    }
    if category is not None:
        result["categories"] = {
            "type": "bars", "title": _("按项目类别的年度计划与累计完成投资（万元）"), "unit": _("万元"),
            "labels": [row.label for row in category.rows],
            "series": [
                {"name": _("年度计划"), "values": [_number(row.plan) for row in category.rows]},
                {"name": _("累计完成"), "values": [_number(row.done) for row in category.rows]},
            ],
            "alt": _("按项目类别：%(groups)s。") % {"groups": "；".join(
                _("%(label)s %(n)d 个项目，年度计划 %(plan)s 万元，累计完成 %(done)s 万元，完成率 %(rate)s") % {
                    "label": row.label, "n": row.projects, "plan": fmt_money(row.plan), "done": fmt_money(row.done),
                    "rate": format_rate(row.rate)}
                for row in category.rows
            )} + category.note,
        }
    return result


@require_GET
def bulletin_page(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(pk)
    figures = _figures(period)
    bulletin = _bulletin(period)
    context = {
        **_status_context(request, period, bulletin), "f": figures,
        "charts": charts(figures) if figures is not None else None,
        "can_write_narrative": can(current_user(request), "dispatch.write_narrative", period),
        "can_edit_template": can(current_user(request), "dispatch.edit_bulletin_template"),
    }
    return render(request, "dispatch/bulletin_page.html", context)


@require_POST
def bulletin_generate(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, "dispatch.generate_bulletin")
    period = _period(pk)
    regenerate = request.POST.get("regenerate") == "1"
    try:
        bulletin = jobs.bulletin_generate(period=period, by=user, regenerate=regenerate)
    except DispatchError as exc:
        messages.error(request, str(exc))
    else:
        if bulletin.state == Bulletin.State.FAILED:
            messages.error(request, _("通报生成失败：%(error)s") % {"error": bulletin.error})
        elif bulletin.state == Bulletin.State.DONE:
            messages.success(request, _("%(period)s的通报已生成。") % {"period": period.label})
        else:
            messages.info(request, _("通报正在后台生成，完成后可下载。"))
    return redirect("dispatch:bulletin", pk=period.pk)


@require_GET
def bulletin_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the bulletin page polls while a generation runs."""
    period = _period(pk)
    return render(request, "dispatch/_bulletin_status.html", _status_context(request, period, _bulletin(period)))


def _download(period: Period, kind: str) -> HttpResponse:
    bulletin = _bulletin(period)
    # The linked files are complete whatever the state: a regeneration running or failed keeps the
    # previous files linked until new ones are complete.
    if bulletin is None:
        raise Http404
    field, digest = getattr(bulletin, kind), getattr(bulletin, f"{kind}_sha256")
    if not field:
        raise Http404
    with field.open("rb") as handle:
        data = handle.read()
    # The kept file must be the one generated: a changed or damaged file is refused, not served.
    if hashlib.sha256(data).hexdigest() != digest:
        return HttpResponse(
            _("文件校验失败：保存的通报文件与生成时不一致，请联系项目办重新生成。"), status=409,
            content_type="text/plain; charset=utf-8",
        )
    name = dict(zip(KINDS, jobs.download_names(period), strict=True))[kind]
    response = HttpResponse(data, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    response["X-Content-SHA256"] = digest
    return response


@require_GET
def bulletin_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(_period(pk), "docx")


@require_GET
def bulletin_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(_period(pk), "xlsx")


@require_GET
def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF, where the server made one (LibreOffice); read by the same people as the Word document."""
    return _download(_period(pk), "pdf")


def _section_slides(f: BulletinFigures, section: PrintedSection) -> list[dict[str, Any]]:
    """The slides of one section of the bulletin, the first (or each ranking's) under its numbered heading."""
    key, heading = section.key, section.heading
    if key == BulletinSection.RANKINGS:
        # Each ranking its own slide, numbered as the section: "三、镇街排名", "三、部门排名".
        return [
            {"kind": "ranking", "ranking": ranking, "chart": chart,
             "heading": numbered(section.index, _("%(kind)s排名") % {"kind": ranking.title})}
            for ranking, chart in ((f.towns, "towns"), (f.departments, "departments"))
        ]
    if key == BulletinSection.LIGHTS:
        return [{"kind": "lights", "heading": heading},
                *({"kind": "red", "project": p, "number": i} for i, p in enumerate(f.red, start=1))]
    if key == BulletinSection.SUPERVISION:
        by_unit: dict[str, list[Any]] = {}
        for problem in f.problems_open:
            by_unit.setdefault(problem.unit, []).append(problem)
        # Units with the most overdue problem first, as the problems are already ordered.
        return [{"kind": "problems", "units": len(by_unit), "heading": heading},
                *({"kind": "unit", "unit": unit, "problems": items} for unit, items in by_unit.items())]
    if section.words is not None:
        return [{"kind": "narrative", "section": section.words, "heading": heading}]
    if section.part is not None:
        # Another module's section (招商引资): one slide, its level-2 headings, paragraphs and tables in order.
        return [{"kind": "part", "part": section.part, "heading": heading}]
    return [{"kind": key, "heading": heading}]


def _slides(f: BulletinFigures) -> list[dict[str, Any]]:
    """The meeting's slides: the sections' summaries in the bulletin's order and numbering, each red project,
    each unit with open problems, the office's words (one slide a section; none without them), other
    modules' sections (one slide each)."""
    slides: list[dict[str, Any]] = [{"kind": "title"}]
    for section in f.sections:
        slides += _section_slides(f, section)
    return slides


@require_GET
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    period = _period(pk)
    figures = _figures(period)
    if figures is None:
        messages.error(request, _("%(period)s尚未发布，发布后才能召开调度会。") % {"period": period.label})
        return redirect(reverse("dispatch:bulletin", kwargs={"pk": period.pk}))
    return render(request, "dispatch/meeting.html", {
        "period": period, "f": figures, "slides": _slides(figures), "charts": charts(figures),
    })


urlpatterns: list[URLPattern] = [
    path("periods/<int:pk>/bulletin/", bulletin_page, name="bulletin"),
    path("periods/<int:pk>/bulletin/generate/", bulletin_generate, name="bulletin_generate"),
    path("periods/<int:pk>/bulletin/status/", bulletin_status, name="bulletin_status"),
    path("periods/<int:pk>/bulletin/docx/", bulletin_docx, name="bulletin_docx"),
    path("periods/<int:pk>/bulletin/xlsx/", bulletin_xlsx, name="bulletin_xlsx"),
    path("periods/<int:pk>/bulletin/pdf/", bulletin_pdf, name="bulletin_pdf"),
    path("periods/<int:pk>/meeting/", meeting, name="meeting"),
    path("periods/<int:pk>/bulletin/narrative/", narrative_page, name="bulletin_narrative"),
    *bulletin_template.urlpatterns,
]
