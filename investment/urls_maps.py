from __future__ import annotations

from django.urls import URLPattern, path

from investment import views_maps

urlpatterns: list[URLPattern] = [
    path("heatmap/", views_maps.heatmap_page, name="heatmap"),
    path("heatmap/towns/", views_maps.heatmap_towns, name="heatmap_towns"),
]
