"""Login lockout: repeated failures for one user name or from one address lock login."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from org.models import LoginAttempt


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") or None


def _recent_failures(**filters: object) -> int:
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    last_success = (
        LoginAttempt.objects.filter(succeeded=True, at__gte=since, **filters)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    failures = LoginAttempt.objects.filter(succeeded=False, at__gte=last_success or since, **filters)
    return failures.count()


def login_locked(username: str, ip: str | None) -> bool:
    limit = settings.LOGIN_MAX_FAILURES
    if _recent_failures(username=username.strip().lower()) >= limit:
        return True
    # An address trying many names gets a wider allowance before it is stopped.
    return ip is not None and _recent_failures(ip=ip) >= limit * 4


def login_attempt_record(*, username: str, ip: str | None, succeeded: bool) -> None:
    LoginAttempt.objects.create(username=username.strip().lower()[:150], ip=ip, succeeded=succeeded)
