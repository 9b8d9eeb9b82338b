"""Top-level URLs."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:ledger", permanent=False)),
    path("", include("org.urls")),
    path("", include("core.urls")),
    path("projects/", include("projects.urls")),
    path("dispatch/", include("dispatch.urls")),
    # The language can be chosen before logging in, on the login page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # The admin's own login form has no lockout: send it to ours, which does.
    path("admin/login/", login_not_required(RedirectView.as_view(pattern_name="login", query_string=True))),
    path("admin/", admin.site.urls),
]
