"""Login with lockout, logout."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import ngettext

from org.security import client_ip, login_attempt_begin, login_attempt_record


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "org/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        if not login_attempt_begin(username, client_ip(request)):
            # An unbound form: binding it would check the password of a locked account.
            form = self.get_form_class()(request, initial={"username": username})
            minutes = max(1, -(-settings.LOGIN_LOCKOUT_SECONDS // 60))  # rounded up
            lockout = ngettext(
                "登录失败次数过多，账号已锁定，请 %(minutes)d 分钟后再试。",
                "登录失败次数过多，账号已锁定，请 %(minutes)d 分钟后再试。",
                minutes,
            ) % {"minutes": minutes}
            return self.render_to_response(self.get_context_data(form=form, lockout=lockout), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        login_attempt_record(username=form.get_user().get_username(), ip=client_ip(self.request), succeeded=True)
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        login_attempt_record(
            username=self.request.POST.get("username", ""), ip=client_ip(self.request), succeeded=False
        )
        return super().form_invalid(form)
