"""Templates ask the same rules as the views: ``{% can "projects.edit" project as allowed %}`` or
``{% if user|can:"projects.create" %}``."""
from __future__ import annotations

from typing import Any

from django import template

from core import policies

register = template.Library()


@register.simple_tag(takes_context=True, name="can")
def can_tag(context: template.Context, name: str, obj: Any = None) -> bool:
    """The rule for the page's user (``user`` in the context, as the auth context processor puts it)."""
    return policies.can(context.get("user"), name, obj)


@register.filter(name="can")
def can_filter(user: Any, name: str) -> bool:
    """``user|can:"<rule>"``: a rule that needs no object, inside ``{% if %}``."""
    return policies.can(user, name)
