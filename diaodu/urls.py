"""Top-level URLs."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.i18n import set_language

from core.district import district
from dispatch.leaders import views as leaders


def _admin_title() -> str:
    """The admin's header and window title, with the district's name as it is at each request."""
    return gettext("%(district)s重点项目调度管理后台") % {"district": district().district_name}


# Not "Django 管理": lazy, so a renamed district (区县设置) shows from the next page on.
admin.site.site_header = lazy(_admin_title, str)()
admin.site.site_title = lazy(_admin_title, str)()
admin.site.index_title = _("系统管理")

urlpatterns = [
    # The ledger for everybody, a leader's own home page (领导首页) for a leader.
    path("", leaders.root),
    path("", include("org.urls")),
    path("", include("core.urls")),
    path("projects/", include("projects.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("investment/", include("investment.urls")),
    # The language can be chosen before logging in, on the login page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # The admin's own login form has no lockout: send it to ours, which does.
    path("admin/login/", login_not_required(RedirectView.as_view(pattern_name="login", query_string=True))),
    path("admin/", admin.site.urls),
]
