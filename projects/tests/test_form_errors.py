"""Every form says why it refused, even when no field is to blame.

A form's own errors (a frozen month, a report handed in, someone else's change) and the errors of its
hidden fields have no field on the page to stand beside; the shared ``templates/_form_errors.html``
shows them, and every form template includes it.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import client_for
from core import district
from core.models import Period
from dispatch.models import UnitReport
from dispatch.periods import services as periods
from org.models import Unit, User
from projects import views
from projects.models import ProgressReport

pytestmark = pytest.mark.usefixtures("clock")  # 15 May 2026

FROZEN = "2026年4月已发布，数据已冻结；如需更正，请提交更正申请，由项目办审批。"


def _published_april(office: User) -> Period:
    period = periods.period_open(year=2026, month=4, by=office)
    period = periods.period_close(period=period, by=office)
    # Before the deadline and with drafts owed, so publishing takes the office's reason.
    return periods.period_publish(period=period, by=office, reason="领导要求提前召开调度会")


def _errors_shown(body: str) -> list[str]:
    """The texts of the form-level errors the page shows (the shared include marks them)."""
    return [re.sub(r"<[^>]+>", "", text) for text in re.findall(r"<p [^>]*data-form-error[^>]*>(.*?)</p>", body)]


# --- the progress form ------------------------------------------------------------------------

def test_the_progress_form_says_a_published_month_is_frozen(
    personas: dict[str, User], make_project: Any
) -> None:
    project = make_project()
    _published_april(personas["office"])
    response = client_for(personas["office"]).post(
        reverse("projects:progress_new", args=[project.pk]),
        {"year": "2026", "month": "4", "invested": "12", "progress_percent": "30"},
    )
    assert response.status_code == 200
    assert _errors_shown(response.content.decode()) == [FROZEN]
    assert not project.reports.exists()


def test_editing_a_report_of_a_published_month_says_so_too(personas: dict[str, User], make_project: Any) -> None:
    project = make_project()
    report = ProgressReport.objects.create(project=project, year=2026, month=4, invested=Decimal("10"))
    _published_april(personas["office"])
    response = client_for(personas["office"]).post(
        reverse("projects:progress_edit", args=[project.pk, report.pk]),
        {"year": "2026", "month": "4", "invested": "99", "progress_percent": "30"},
    )
    assert _errors_shown(response.content.decode()) == [FROZEN]
    report.refresh_from_db()
    assert report.invested == Decimal("10")


def test_a_unit_report_handed_in_is_named_on_the_form(
    personas: dict[str, User], make_project: Any, units: dict[str, Unit]
) -> None:
    project = make_project(lead_unit=units["town_a"])
    period = periods.period_open(year=2026, month=4, by=personas["office"])
    unit_report = UnitReport.objects.get(period=period, unit=units["town_a"])
    periods.unit_report_submit(unit_report=unit_report, version=unit_report.version, by=personas["reporter"])
    response = client_for(personas["reporter"]).post(
        reverse("projects:progress_new", args=[project.pk]),
        {"year": "2026", "month": "4", "invested": "12", "progress_percent": "30"},
    )
    shown = _errors_shown(response.content.decode())
    assert len(shown) == 1 and "东城街道2026年4月的月报" in shown[0] and "联系项目办退回" in shown[0]


def test_a_refusal_that_comes_only_at_saving_is_shown_not_a_server_error(
    personas: dict[str, User], make_project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The month may be published between the form's check and the save: the form says so."""
    project = make_project()

    def published_meanwhile(**_kwargs: Any) -> ProgressReport:
        raise ValidationError(FROZEN)

    monkeypatch.setattr(views.services, "progress_save", published_meanwhile)
    response = client_for(personas["office"]).post(
        reverse("projects:progress_new", args=[project.pk]),
        {"year": "2026", "month": "4", "invested": "12", "progress_percent": "30"},
    )
    assert response.status_code == 200
    assert _errors_shown(response.content.decode()) == [FROZEN]


# --- hidden fields ----------------------------------------------------------------------------

def test_an_error_of_a_hidden_field_is_shown(personas: dict[str, User]) -> None:
    """The district settings' version (the "someone else changed it" lock) is a hidden field."""
    current = district.district()
    data = {name: getattr(current, name) for name in district.EDITABLE if not isinstance(getattr(current, name), bool)}
    response = client_for(personas["admin"]).post(reverse("core:district_settings"), data)  # no version
    assert response.status_code == 200
    assert "version" in response.context["form"].errors
    shown = _errors_shown(response.content.decode())
    assert len(shown) == 1 and shown[0].startswith("页面中的隐藏项“Version”有误：") and "请刷新页面后重试" in shown[0]


def test_a_milestone_row_deleted_meanwhile_says_so_in_its_row(personas: dict[str, User], make_project: Any) -> None:
    project = make_project()
    gone = project.milestones.create(order=1, name="环评")
    data = {
        "m-TOTAL_FORMS": "1", "m-INITIAL_FORMS": "1", "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "1000",
        "m-0-id": str(gone.pk), "m-0-order": "1", "m-0-name": "环评批复", "m-0-planned_date": "",
        "m-0-actual_date": "", "m-0-note": "",
    }
    gone.delete()  # by someone else, while this page was open
    response = client_for(personas["office"]).post(reverse("projects:milestones", args=[project.pk]), data)
    body = response.content.decode()
    assert "有节点已被他人删除或不属于本项目，请刷新页面后重新填写。" in body  # the formset's own words
    row = body.split("<tbody>")[1].split("</tr>")[0]
    shown = _errors_shown(row)  # and the row whose hidden id no longer exists says so where it stands
    assert len(shown) == 1 and shown[0].startswith("页面中的隐藏项“Id”有误：") and "请刷新页面后重试" in shown[0]
    assert not project.milestones.exists()


# --- every form template ----------------------------------------------------------------------

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / part for part in
                 ("templates", "projects/templates", "dispatch/templates", "core/templates")]
TAG = re.compile(r"\{[{%](.*?)[%}]\}", re.S)
# A form variable inside a template tag: form, act_form, schedule_form…, not an attribute
# (formset.management_form) and not the include's own keyword (form=).
FORM_VARIABLE = re.compile(r"(?<![\w.])((?:\w+_)?form)\b(?!\s*=)")
STRING = re.compile(r"\"[^\"]*\"|'[^']*'")


def _form_templates() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if path.name == "_form_errors.html":
                continue
            names = {
                name
                for tag in TAG.findall(path.read_text(encoding="utf-8"))
                for name in FORM_VARIABLE.findall(STRING.sub("", tag))
            }
            if names:
                found[str(path.relative_to(settings.BASE_DIR))] = names
    return found


def test_every_form_template_shows_the_errors_no_field_shows() -> None:
    templates = _form_templates()
    # The finder finds the forms it must: the one of the bug, a formset's rows, a page of several.
    assert {"form"} <= templates["projects/templates/projects/progress_form.html"]
    assert {"form", "schedule_form"} <= templates["projects/templates/projects/milestones.html"]
    assert {"act_form", "reassign_form"} <= templates["dispatch/templates/dispatch/problem_detail.html"]
    missing = {
        path: sorted(name for name in names
                     if f'{{% include "_form_errors.html" with form={name} %}}' not in Path(
                         settings.BASE_DIR, path).read_text(encoding="utf-8"))
        for path, names in templates.items()
    }
    assert {path: names for path, names in missing.items() if names} == {}
