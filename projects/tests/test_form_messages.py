"""The project form says what is wrong in words, never Django's stock "具有 项目编号 的 重点项目 已存在。"."""
from __future__ import annotations

from typing import Any

from django.urls import reverse

from conftest import client_for
from org.models import Unit, User


def test_a_taken_code_and_a_long_name_are_said_plainly(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    make_project(code="2026-T-900")
    response = client_for(personas["office"]).post(reverse("projects:create"), {
        "code": "2026-T-900", "name": "长" * 101, "level": "district", "project_type": "industry",
        "stage": "planning", "construction": "new", "total_investment": "100", "invested_before": "0",
        "lead_unit": units["gxj"].pk,
    })
    errors = response.context["form"].errors
    assert errors["code"] == ["这个项目编号已被其他项目使用（可能是您无权查看的项目），请换一个编号。"]
    assert errors["name"] == ["最多 100 个字，现有 101 个字，请删减后再提交。"]
    html = response.content.decode()
    assert "已存在" not in html and "该变量" not in html
