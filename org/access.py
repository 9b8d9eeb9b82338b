"""The logged-in user every app's views start with; what the user may do is asked of ``core.policies``."""
from __future__ import annotations

from django.http import HttpRequest

from org.models import User


def current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # LoginRequiredMiddleware guarantees it
    return user
