from __future__ import annotations

from django.urls import URLPattern, path

from investment import views_targets

urlpatterns: list[URLPattern] = [
    path("targets/", views_targets.targets, name="targets"),
    path("ranking/", views_targets.ranking, name="ranking"),
]
