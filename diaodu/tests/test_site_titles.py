"""What the site calls itself and its languages: each language by its own name, the admin by the district's."""
from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from conftest import client_for
from core import district as district_settings
from org.models import User


def _options(page: str) -> dict[str, str]:
    select = re.search(r'<select name="language"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select.group(1)))


def test_each_language_is_offered_by_its_own_name(personas: dict[str, User]) -> None:
    client = client_for(personas["office"])
    assert _options(client.get(reverse("projects:ledger")).content.decode()) == {
        "zh-hans": "简体中文", "en": "English",
    }
    client.post(reverse("set_language"), {"language": "en", "next": "/projects/"})
    page = client.get(reverse("projects:ledger")).content.decode()
    assert '<html lang="en">' in page
    assert _options(page) == {"zh-hans": "简体中文", "en": "English"}


def test_the_login_page_offers_the_languages_by_their_own_names(db: None) -> None:
    assert _options(Client().get(reverse("login")).content.decode())["en"] == "English"


def test_the_admin_is_titled_with_the_districts_name(personas: dict[str, User]) -> None:
    client = client_for(personas["admin"])
    name = district_settings.district().district_name
    page = client.get(reverse("admin:index")).content.decode()
    assert f"{name}重点项目调度管理后台" in page
    assert re.search(rf"<title>[^<]*{name}重点项目调度管理后台</title>", page)
    assert "Django 管理" not in page and "Django administration" not in page
    district_settings.district_settings_update(
        values={"district_name": "新区"}, version=district_settings.current_row().version, by=personas["admin"]
    )
    assert "新区重点项目调度管理后台" in client.get(reverse("admin:index")).content.decode()
