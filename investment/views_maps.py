"""The heat map (招商合作热力图) and where projects land, by town. Built from leads, which are commercial secrets:
every number comes from ``Lead.objects.visible_to`` (investment.heatmap), the rule ``investment.view_maps``
keeps the viewers (and so any public screen) out, and the responses are not cached by anyone in between."""
from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.district import district
from core.policies import require
from investment import heatmap
from org.access import current_user


def _leads_url(**params: str) -> str:
    return reverse("investment:leads") + "?" + urlencode(params)


@require_GET
@never_cache
def heatmap_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.view_maps")
    settings = district()
    found = heatmap.heatmap(user, home_province=settings.province, now=timezone.now())
    data = found.chart_data()
    for row in data["provinces"]:
        row["url"] = _leads_url(province=row["name"])
    for row in data["cities"]:
        row["url"] = _leads_url(city=row["name"])
    context = {
        "map": found,
        "district": settings,
        "rules": heatmap.rules_in_words(),
        "chart": {
            "china": static(heatmap.map_url()),
            "home": static(heatmap.map_url(found.home)) if found.home else None,
            "home_name": found.home.name if found.home else None,
            **data,
        },
        "province_rows": [(cell, _leads_url(province=cell.name)) for cell in found.provinces],
        "city_rows": [(cell, _leads_url(city=cell.name)) for cell in found.cities],
        "foreign_rows": [(cell, _leads_url(province=cell.name)) for cell in found.foreign],
    }
    return render(request, "investment/heatmap.html", context)


@require_GET
@never_cache
def heatmap_towns(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.view_maps")
    found = heatmap.towns(user, now=timezone.now())
    ledger = reverse("projects:ledger")

    def link(row: heatmap.TownRow) -> str | None:
        # The ledger filters by an active town; a project without a town, or of a retired one, has no link.
        return f"{ledger}?{urlencode({'town': row.town_id})}" if row.town_id is not None and row.active else None

    context = {
        "towns": found,
        "rules": heatmap.towns_rules_in_words(),
        "chart": found.chart_data(),
        "lead_rows": [(row, link(row)) for row in found.from_leads],
        "all_rows": [(row, link(row)) for row in found.all_projects],
    }
    return render(request, "investment/heatmap_towns.html", context)
