"""What every page's header needs: the unread notification count for the bell (core's notifications)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that do not render the header (fragments, downloads) run no query.
    count = SimpleLazyObject(lambda: Notification.objects.filter(user=user, read_at__isnull=True).count())
    return {"unread_notifications": count}
