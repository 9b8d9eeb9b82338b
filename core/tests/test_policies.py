"""The policy registry, its template tag, the words of every rule, and that views and templates ask it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.template import Context, Template

from core import policies
from org.models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An empty registry for the test, so test rules do not leak into the apps' rules."""
    fresh: dict[str, Any] = {}
    monkeypatch.setattr(policies, "_RULES", fresh)
    return fresh


def _office_only(user: Any, obj: Any = None) -> bool:
    """Only the office."""
    return bool(user.is_office)


def _own_unit(user: Any, obj: Any = None) -> bool:
    """A user of the object's unit."""
    return obj is not None and obj.unit_id == user.unit_id


# --- the registry ------------------------------------------------------------------------------

def test_can_and_require_ask_the_registered_rule(registry: dict[str, Any]) -> None:
    policies.rule("t.office")(_office_only)
    office, viewer = User(role=User.Role.OFFICE), User(role=User.Role.VIEWER)
    assert policies.can(office, "t.office")
    assert not policies.can(viewer, "t.office")
    policies.require(office, "t.office")
    with pytest.raises(PermissionDenied):
        policies.require(viewer, "t.office")


def test_a_rule_gets_the_object(registry: dict[str, Any]) -> None:
    policies.rule("t.own")(_own_unit)
    user = User(role=User.Role.REPORTER, unit_id=3)

    class Thing:
        def __init__(self, unit_id: int) -> None:
            self.unit_id = unit_id

    assert policies.can(user, "t.own", Thing(3))
    assert not policies.can(user, "t.own", Thing(4))
    assert not policies.can(user, "t.own")


def test_anonymous_and_missing_users_may_do_nothing(registry: dict[str, Any]) -> None:
    def anyone(user: Any, obj: Any = None) -> bool:
        """Everybody."""
        return True

    policies.rule("t.anyone")(anyone)
    assert policies.can(User(role=User.Role.VIEWER), "t.anyone")
    assert not policies.can(AnonymousUser(), "t.anyone")
    assert not policies.can(None, "t.anyone")
    with pytest.raises(PermissionDenied):
        policies.require(AnonymousUser(), "t.anyone")


def test_an_unknown_rule_is_an_error_not_a_no(registry: dict[str, Any]) -> None:
    with pytest.raises(KeyError):
        policies.can(User(role=User.Role.OFFICE), "t.misspelt")


def test_a_rule_without_words_is_refused(registry: dict[str, Any]) -> None:
    def silent(user: Any, obj: Any = None) -> bool:
        return True

    with pytest.raises(ImproperlyConfigured, match="docstring"):
        policies.rule("t.silent")(silent)
    assert "t.silent" not in registry


def test_a_name_registered_twice_is_refused(registry: dict[str, Any]) -> None:
    policies.rule("t.office")(_office_only)
    policies.rule("t.office")(_office_only)  # the same function again (a module imported twice) is fine
    with pytest.raises(ImproperlyConfigured, match="twice"):
        policies.rule("t.office")(_own_unit)


# --- templates ask the same rules ------------------------------------------------------------------

def test_template_tag_and_filter(registry: dict[str, Any]) -> None:
    policies.rule("t.office")(_office_only)
    policies.rule("t.own")(_own_unit)
    page = Template(
        '{% load policies %}{% can "t.office" as office %}{% can "t.own" thing as own %}'
        '{{ office }} {{ own }} {% if user|can:"t.office" %}yes{% else %}no{% endif %}'
    )

    class Thing:
        unit_id = 3

    office = User(role=User.Role.OFFICE, unit_id=3)
    viewer = User(role=User.Role.VIEWER, unit_id=4)
    assert page.render(Context({"user": office, "thing": Thing()})) == "True True yes"
    assert page.render(Context({"user": viewer, "thing": Thing()})) == "False False no"
    # A page rendered without a user (an e-mail, a fragment) shows nothing guarded.
    assert page.render(Context({"thing": Thing()})) == "False False no"


# --- the apps' rules ---------------------------------------------------------------------------------

def test_every_rule_says_itself_in_words() -> None:
    """The list of who may do what, as people read it; a rule without a sentence of words fails."""
    rules = policies.registered()
    assert any(name.startswith("projects.") for name in rules)
    assert any(name.startswith("dispatch.") for name in rules)
    for name, words in rules.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", name), name
        assert len(words) >= 30 and words.endswith("."), (name, words)


def _sources(pattern: str) -> list[Path]:
    return sorted(
        path for config in apps.get_app_configs() if Path(config.path).is_relative_to(ROOT)
        for path in Path(config.path).rglob(pattern) if "tests" not in path.parts
    )


def test_every_rule_asked_for_is_registered() -> None:
    """A misspelt name in a view or a template would fail only on the page that asks it; here it fails at once."""
    asked: set[str] = set()
    for path in [*_sources("*.py"), *_sources("*.html"), *ROOT.joinpath("templates").rglob("*.html")]:
        text = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r"""\b(?:can|require)\(\s*[\w.]+,\s*["']([\w.]+)["']""", text))
        asked |= set(re.findall(r"""(?:\|can:|\{%\s*can\s+)["']([\w.]+)["']""", text))
    assert asked, "no rule asked for anywhere"
    assert asked <= set(policies.registered()), asked - set(policies.registered())


ROLE_CHECK = re.compile(
    r"\.role\s*[!=]=|==\s*[\w.]*\.role\b|Role\.(ADMIN|OFFICE|LEADER|REPORTER|VIEWER)\b|\.is_office\b"
)


@pytest.mark.parametrize("app", ["core", "projects", "dispatch"])
def test_views_ask_the_policies_not_the_role(app: str) -> None:
    """Views say which rule they need; who has a role is decided in the app's policies module."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(ROOT.joinpath(app).rglob("views*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ROLE_CHECK.search(line)
    ]
    assert not found, "\n".join(found)


def test_templates_ask_the_policies_not_the_role() -> None:
    pattern = re.compile(r"user\.role\b|\.is_office\b")
    templates = [*_sources("*.html"), *ROOT.joinpath("templates").rglob("*.html")]
    assert templates
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in templates
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)


COMPARISON = re.compile(r"\.role\s*[!=]=|==\s*[\w.]*\.role\b|\.role\s+(not\s+)?in\b|\.is_office\b")


@pytest.mark.parametrize("app", ["core", "projects", "dispatch"])
def test_no_module_but_the_policies_compares_roles(app: str) -> None:
    """Services, forms, the Excel kit's users, supervision: who may do what is asked of a rule. Choosing
    users by role for a list (``filter(role=…)``) is a query, not a check, and stays; demo and benchmark data
    create users with roles."""
    modules = [
        path for path in sorted(ROOT.joinpath(app).rglob("*.py"))
        if not {"tests", "migrations", "management"} & set(path.parts)
        and path.name not in {"policies.py", "demo.py", "bench.py"}
    ]
    assert len(modules) > 10
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in modules
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COMPARISON.search(line)
    ]
    assert not found, "\n".join(found)
