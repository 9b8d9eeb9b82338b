"""Dispatch URLs: each part of the cycle keeps its own views module and patterns."""
from __future__ import annotations

from dispatch import views_bulletin, views_problems, views_report, views_review

app_name = "dispatch"
urlpatterns = [
    *views_review.urlpatterns,
    *views_report.urlpatterns,
    *views_problems.urlpatterns,
    *views_bulletin.urlpatterns,
]
