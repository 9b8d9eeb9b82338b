from __future__ import annotations

from django.urls import URLPattern, path

from investment import views_conversion

urlpatterns: list[URLPattern] = [
    path("leads/<int:pk>/convert/", views_conversion.lead_convert, name="lead_convert"),
    path("leads/<int:pk>/funds/", views_conversion.funds_add, name="funds_add"),
    path("signed-to-started/", views_conversion.signed_to_started, name="signed_to_started"),
]
