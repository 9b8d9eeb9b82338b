"""Dispatch URLs: each part of the cycle keeps its own views module and patterns."""
from __future__ import annotations

from dispatch.bulletins import views as views_bulletin
from dispatch.leaders import views as views_leaders
from dispatch.reporting import views as views_report
from dispatch.review import views as views_review
from dispatch.supervision import views as views_problems

app_name = "dispatch"
urlpatterns = [
    *views_review.urlpatterns,
    *views_report.urlpatterns,
    *views_problems.urlpatterns,
    *views_bulletin.urlpatterns,
    *views_leaders.urlpatterns,
]
