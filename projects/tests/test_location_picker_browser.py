"""The project form's location picker in Chromium: the saved point shown, a click fills 纬度 and 经度,
typed values move the point; no map tiles, as on an offline intranet."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from org.models import Unit, User
from projects.models import Project
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


def _marker(tab: Tab) -> tuple[float, float]:
    lat, lng = tab.page.locator("#location-map").get_attribute("data-marker").split(",")  # type: ignore[union-attr]
    return float(lat), float(lng)


def _box(tab: Tab) -> dict[str, float]:
    """The map's box in the viewport (scrolled into view: a click outside the viewport reaches nothing)."""
    tab.page.locator("#location-map").scroll_into_view_if_needed()
    box = tab.page.locator("#location-map").bounding_box()
    assert box is not None
    return box


def test_the_saved_point_is_shown_and_a_click_moves_it(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project(name="东城污水处理厂扩建", latitude=Decimal("36.700000"), longitude=Decimal("119.160000"))
    make_project(name="西山农产品冷链物流", latitude=Decimal("36.650000"), longitude=Decimal("119.100000"))
    make_project(name="东城社区养老中心")  # no coordinates
    page = tab.page
    tab.login(personas["office"])
    tab.goto(reverse("projects:edit", args=[project.pk]))

    picker = page.locator("#location-map")
    expect(picker).to_have_attribute("data-marker", "36.700000,119.160000")
    expect(picker).to_have_attribute("data-points", "1")  # the other project with coordinates, not itself
    expect(page.locator("#location-map .leaflet-tile")).to_have_count(0)

    # The map is centred on the saved point: a click at its centre gives the point back (to a few metres),
    # a click 150 px to the right a point further east on the same latitude.
    box = _box(tab)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lat, lng = float(page.locator("#id_latitude").input_value()), float(page.locator("#id_longitude").input_value())
    assert abs(lat - 36.7) < 0.0005 and abs(lng - 119.16) < 0.0005
    page.mouse.click(box["x"] + box["width"] / 2 + 150, box["y"] + box["height"] / 2)
    east = float(page.locator("#id_longitude").input_value())
    assert east > lng + 0.005 and abs(float(page.locator("#id_latitude").input_value()) - lat) < 0.0005
    assert _marker(tab) == (float(page.locator("#id_latitude").input_value()), east)
    expect(page.locator("#location-status")).to_have_text("已按点击位置填入纬度和经度，保存后生效。")
    assert len(page.locator("#id_longitude").input_value().split(".")[1]) == 6

    page.get_by_role("button", name="保存").click()
    expect(page.locator("h1")).to_contain_text("东城污水处理厂扩建")
    saved = Project.objects.get(pk=project.pk)
    assert saved.longitude == Decimal(str(east)).quantize(Decimal("0.000001"))
    assert abs(saved.latitude - Decimal("36.7")) < Decimal("0.0005")  # type: ignore[operator]
    tab.assert_no_js_errors()


def test_a_new_project_is_placed_among_the_others_and_typed_values_move_the_point(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    make_project(name="东城污水处理厂扩建", latitude=Decimal("36.700000"), longitude=Decimal("119.160000"))
    make_project(name="西山农产品冷链物流", latitude=Decimal("36.650000"), longitude=Decimal("119.100000"))
    page = tab.page
    tab.login(personas["office"])
    tab.goto(reverse("projects:create"))
    picker = page.locator("#location-map")
    expect(picker).to_have_attribute("data-points", "2")
    assert picker.get_attribute("data-marker") is None
    # Fitted to the two projects: a click in the middle lands between them.
    box = _box(tab)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lat, lng = float(page.locator("#id_latitude").input_value()), float(page.locator("#id_longitude").input_value())
    assert 36.65 < lat < 36.70 and 119.10 < lng < 119.16
    expect(picker).to_have_attribute("data-marker", f"{lat:.6f},{lng:.6f}")

    page.locator("#id_latitude").fill("36.66")
    expect(picker).to_have_attribute("data-marker", f"36.660000,{lng:.6f}")
    page.locator("#id_longitude").fill("")
    expect(picker).not_to_have_attribute("data-marker", f"36.660000,{lng:.6f}")
    assert picker.get_attribute("data-marker") is None
    tab.assert_no_js_errors()

