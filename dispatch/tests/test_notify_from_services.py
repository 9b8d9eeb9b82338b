"""Notifications are a side effect of the services, never of the views.

Whoever calls a service (a page, a command, a background task, another module) gets the same
messages sent, and no view module imports or calls the notifier.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from conftest import make_user
from core.models import Notification
from dispatch.models import UnitReport
from dispatch.periods import services
from dispatch.review import corrections
from dispatch.tests.test_review_corrections import published as published  # the shared fixture
from org.models import Unit, User
from projects.models import ProgressReport


def _view_modules() -> list[Path]:
    base = Path(settings.BASE_DIR).resolve()
    found: set[Path] = set()
    for config in apps.get_app_configs():
        root = Path(config.path).resolve()
        if base not in root.parents:
            continue  # Django's own and third-party apps
        found.update(p for p in root.rglob("views*.py") if "tests" not in p.parts)
        found.update(p for p in root.rglob("views/*.py") if "tests" not in p.parts)
    return sorted(found)


def _notify_uses(source: str) -> list[str]:
    """Imports of a notifier, calls of notify*, and notifications created by hand, with their line numbers."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and (
            node.module.endswith("notify") or any(a.name.startswith("notify") for a in node.names)
        ):
            uses.append(f"{node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.Import) and any(a.name.endswith("notify") for a in node.names):
            uses.append(f"{node.lineno}: import …notify")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name.startswith("notify"):
                uses.append(f"{node.lineno}: {name}(…)")
            elif name in {"create", "bulk_create"} and "Notification" in ast.unparse(func):
                uses.append(f"{node.lineno}: {ast.unparse(func)}(…)")
    return uses


def test_the_check_finds_a_notifying_view() -> None:
    source = "from dispatch.notify import notify_unit\ndef v(r):\n    notify_unit(1, 'x')\n"
    assert _notify_uses(source) == ["1: from dispatch.notify import …", "3: notify_unit(…)"]
    assert _notify_uses("def v(r):\n    Notification.objects.create(user=r.user, text='x')\n") == [
        "2: Notification.objects.create(…)"
    ]
    assert _notify_uses("def v(r):\n    Notification.objects.filter(user=r.user).update(read_at=1)\n") == []


def test_no_view_module_notifies() -> None:
    modules = _view_modules()
    assert any(p.parts[-2:] == ("review", "views.py") for p in modules)
    assert any(p.parent.name == "projects" for p in modules)
    offenders = {str(p.relative_to(settings.BASE_DIR)): uses for p in modules if (uses := _notify_uses(p.read_text()))}
    assert offenders == {}


# --- the services notify ----------------------------------------------------------------------------

def test_returning_a_report_tells_the_units_reporters(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    make_project(lead_unit=units["town_a"], town=units["town_a"])
    second = make_user("reporter2", User.Role.REPORTER, units["town_a"])
    period = services.period_open(year=2026, month=3, by=personas["office"])
    report = period.unit_reports.get(unit=units["town_a"])
    report = services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
    services.unit_report_return(unit_report=report, version=report.version, by=personas["office"], reason="第1行有误")
    notes = Notification.objects.filter(text__contains="第1行有误")
    assert set(notes.values_list("user", flat=True)) == {personas["reporter"].pk, second.pk}
    assert set(notes.values_list("url", flat=True)) == {reverse("dispatch:report_grid", args=[report.pk])}
    assert UnitReport.objects.get(pk=report.pk).state == UnitReport.State.RETURNED


@pytest.fixture
def published_report(published: dict[str, Any]) -> ProgressReport:
    """test_review_corrections' February, without the notifications its publication sent."""
    Notification.objects.all().delete()
    return published["report"]


def test_filing_and_deciding_a_correction_tell_the_office_and_then_the_requester(
    published_report: ProgressReport, personas: dict[str, User]
) -> None:
    item = corrections.correction_request(report=published_report, changes={"invested": "75"}, reason="漏报",
                                          by=personas["reporter"])
    office_note = Notification.objects.get(user=personas["office"])
    assert "更正申请" in office_note.text and published_report.project.name in office_note.text
    assert office_note.url == reverse("dispatch:corrections") + "?state=pending"
    corrections.correction_reject(request=item, by=personas["office"], note="附件不全")
    note = Notification.objects.get(user=personas["reporter"])
    assert "被驳回" in note.text and "附件不全" in note.text and note.url == reverse("dispatch:corrections")

    again = corrections.correction_request(report=published_report, changes={"invested": "75"}, reason="补附件",
                                           by=personas["reporter"])
    corrections.correction_approve(request=again, by=personas["office"])
    assert Notification.objects.filter(user=personas["reporter"], text__contains="已批准").count() == 1
