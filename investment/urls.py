from __future__ import annotations

from django.urls import path

from investment import (
    urls_attachments,
    urls_chains,
    urls_conversion,
    urls_excel,
    urls_maps,
    urls_targets,
    views,
)

app_name = "investment"
urlpatterns = [
    path("leads/", views.lead_list, name="leads"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("leads/<int:pk>/stage/", views.stage_advance, name="stage_advance"),
    path("collisions/", views.collisions, name="collisions"),
    path("collisions/<int:pk>/rule/", views.collision_rule, name="collision_rule"),
    path("collisions/<int:pk>/dismiss/", views.collision_dismiss, name="collision_dismiss"),
]
urlpatterns += [
    *urls_chains.urlpatterns, *urls_conversion.urlpatterns, *urls_targets.urlpatterns, *urls_maps.urlpatterns,
    *urls_excel.urlpatterns, *urls_attachments.urlpatterns,
]
