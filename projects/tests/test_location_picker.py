"""The project form's location picker as the template writes it (its behaviour: test_location_picker_browser.py)."""
from __future__ import annotations

import json
import re

from django.template.loader import render_to_string
from django.test import RequestFactory

from org.models import User
from projects.forms import ProjectForm


def _page(user: User, **context: object) -> str:
    request = RequestFactory().get("/projects/new/")
    request.user = user
    form = ProjectForm(user=user, year=2026)
    return render_to_string("projects/form.html", {"form": form, "project": None, **context}, request=request)


def test_the_map_follows_the_coordinates_with_the_points_to_click_near(personas: dict[str, User]) -> None:
    page = _page(personas["office"])
    assert page.index('name="longitude"') < page.index('id="location-map"') < page.index('name="total_investment"')
    assert 'data-points-url="/projects/map/points.json"' in page
    assert "vendor/leaflet/leaflet.js" in page and "js/location_picker.js" in page
    assert 'id="location-map-config"' not in page


def test_a_tile_layer_given_by_the_view_reaches_the_script(personas: dict[str, User]) -> None:
    config = {"tiles": "https://tiles.example/{z}/{x}/{y}.png", "attribution": "<b>底图</b>", "center": [36.7, 119.16]}
    page = _page(personas["office"], map_config=config)
    found = re.search(r'<script id="location-map-config" type="application/json">(.*?)</script>', page)
    assert found is not None and json.loads(found.group(1)) == config
    assert "<b>底图</b>" not in page  # escaped for the page by json_script


def test_no_map_where_the_coordinates_cannot_be_changed(personas: dict[str, User]) -> None:
    request = RequestFactory().get("/projects/new/")
    request.user = personas["office"]
    form = ProjectForm(user=personas["office"], year=2026)
    form.fields["latitude"].disabled = form.fields["longitude"].disabled = True
    page = render_to_string("projects/form.html", {"form": form, "project": None}, request=request)
    assert 'name="longitude"' in page and 'id="location-map"' not in page
