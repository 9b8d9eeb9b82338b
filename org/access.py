"""Access helpers every app's views start with."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from org.models import User


def current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # LoginRequiredMiddleware guarantees it
    return user


def require_office(request: HttpRequest) -> User:
    """The project office (and administrators): the people who act for the whole district."""
    user = current_user(request)
    if not user.is_office:
        raise PermissionDenied
    return user
