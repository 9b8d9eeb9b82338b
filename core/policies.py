"""Who may do what on which object: one registry of named rules that views, templates and tests ask.

Each app registers its rules in its own ``policies`` module (imported in its AppConfig.ready), one
function per rule with a docstring that says the rule in words. Views call ``require`` (403) or
``can``; templates ask the same rules through ``{% load policies %}``. Scoping a list to the user
stays a QuerySet method (``visible_to``, ``editable_by``); rules use those for checks on one object.

Deliberately tiny and without a dependency: a dict of predicates. A name asked for but never
registered is a programming error (KeyError), not a silent "no", so a typo cannot hide a button
or open a view.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured, PermissionDenied

Predicate = Callable[..., bool]
P = TypeVar("P", bound=Predicate)

_RULES: dict[str, Predicate] = {}


def rule(name: str) -> Callable[[P], P]:
    """Register ``predicate(user, obj=None) -> bool`` as the rule ``name`` (``<app>.<action>``).

    A rule must say itself in words (its docstring): the rules are listed for people, and a rule
    nobody can read is refused here rather than shipped.
    """

    def register(predicate: P) -> P:
        if name in _RULES and _RULES[name] is not predicate:
            raise ImproperlyConfigured(f"policy rule {name!r} is registered twice")
        if not (predicate.__doc__ or "").strip():
            raise ImproperlyConfigured(f"policy rule {name!r} has no docstring saying it in words")
        _RULES[name] = predicate
        return predicate

    return register


def can(user: Any, name: str, obj: Any = None) -> bool:
    """Whether ``user`` may do ``name`` (on ``obj``). An anonymous user may do nothing."""
    predicate = _RULES[name]  # KeyError for an unknown rule, on purpose
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(predicate(user, obj))


def require(user: Any, name: str, obj: Any = None) -> None:
    """Raise PermissionDenied (403) unless ``user`` may do ``name`` (on ``obj``)."""
    if not can(user, name, obj):
        raise PermissionDenied


def registered() -> dict[str, str]:
    """Every registered rule name with its words (the first paragraph of its docstring), sorted by name."""
    return {
        name: " ".join((predicate.__doc__ or "").strip().split("\n\n")[0].split())
        for name, predicate in sorted(_RULES.items())
    }


# --- the platform's own rules -----------------------------------------------------------------

@rule("core.see_job")
def see_job(user: Any, job: Any = None) -> bool:
    """A background job's progress and retry button are for whoever asked for it and for the project office."""
    if getattr(user, "is_office", False):
        return True
    return job is not None and job.requested_by_id is not None and job.requested_by_id == user.pk


@rule("core.view_district")
def view_district(user: Any, obj: Any = None) -> bool:
    """The district's settings (its name, the lights' thresholds, the reporting deadline, reminders and
    escalation) are shown to the administrators and the project office."""
    return bool(getattr(user, "is_office", False))


@rule("core.change_district")
def change_district(user: Any, obj: Any = None) -> bool:
    """Only an administrator changes the district's settings: they change every project's light, every
    new period's deadline and every reminder, so the office reads them but does not change them."""
    from org.models import User

    return getattr(user, "role", None) == User.Role.ADMIN or bool(getattr(user, "is_superuser", False))
