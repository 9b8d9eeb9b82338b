"""Platform URLs: background jobs, the health check and the district's settings."""
from __future__ import annotations

from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("jobs/<int:pk>/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/district/", views.district_settings, name="district_settings"),
]
