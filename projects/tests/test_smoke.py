from __future__ import annotations

from typing import Any

from django.test import Client

from conftest import PASSWORD


def test_ledger_and_detail_render(personas: dict[str, Any], make_project: Any) -> None:
    project = make_project()
    client = Client()
    assert client.login(username="office", password=PASSWORD)
    response = client.get("/projects/")
    assert response.status_code == 200
    assert project.name in response.content.decode()
    response = client.get(f"/projects/{project.pk}/")
    assert response.status_code == 200
    assert "红黄绿灯" in response.content.decode()
