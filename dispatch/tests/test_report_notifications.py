"""Notifications both ways around a unit's monthly report (issue 8 §4).

The office is told when a unit submits or resubmits; the unit's reporters when the office approves
or returns. Each goes in-app, by e-mail and to the group robot when configured, the mail and the
robot only after the service's transaction commits; the person who acted is not told.
"""
from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from conftest import make_user
from core.models import Notification, Period
from dispatch.models import UnitReport
from dispatch.periods import services
from org.models import Unit, User


@pytest.fixture
def period(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Period:
    """March 2026 with a report of 东城街道 (two reporters, one with an address) and a second office user."""
    make_project(lead_unit=units["town_a"], town=units["town_a"])
    make_project(lead_unit=units["town_b"], town=units["town_b"])
    User.objects.filter(pk=personas["reporter"].pk).update(email="dc@example.gov.cn")
    User.objects.filter(pk=personas["office"].pk).update(email="office@example.gov.cn")
    make_user("reporter2", User.Role.REPORTER, units["town_a"])
    make_user("office2", User.Role.OFFICE, email="office2@example.gov.cn")
    make_user("office_gone", User.Role.OFFICE, email="gone@example.gov.cn", is_active=False)
    return services.period_open(year=2026, month=3, by=personas["office"])


def _report(period: Period, unit: Unit) -> UnitReport:
    return period.unit_reports.get(unit=unit)


def _told(text: str) -> dict[str, str]:
    """username -> url of the notifications whose text contains ``text``."""
    return {n.user.username: n.url for n in Notification.objects.filter(text__contains=text).select_related("user")}


# --- the office is told of a submission -------------------------------------------------------------

@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_WEBHOOK_URL="")
def test_a_submission_tells_every_active_office_user(
    period: Period, personas: dict[str, User], units: dict[str, Unit], django_capture_on_commit_callbacks: Any
) -> None:
    report = _report(period, units["town_a"])
    with django_capture_on_commit_callbacks(execute=True):
        services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
    review = reverse("dispatch:review", args=[report.pk])
    assert _told("东城街道已报送2026年3月的月报") == {"office": review, "office2": review}
    # Nobody else: not the reporters, not the leader, not an inactive office account.
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["office2@example.gov.cn", "office@example.gov.cn"]
    assert all(m.subject == "【报送】东城街道2026年3月月报" for m in mail.outbox)
    assert "请审核" in mail.outbox[0].body


def test_the_office_user_who_submits_for_a_unit_is_not_told(
    period: Period, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    report = _report(period, units["town_b"])
    services.unit_report_submit(unit_report=report, version=report.version, by=personas["office"])
    assert set(_told("西山镇已报送")) == {"office2"}


def test_a_resubmission_says_so_with_the_reason_it_was_returned(
    period: Period, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    report = _report(period, units["town_a"])
    report = services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
    report = services.unit_report_return(unit_report=report, version=report.version, by=personas["office"],
                                         reason="第2行投资为负")
    Notification.objects.all().delete()
    services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
    told = Notification.objects.get(user=personas["office"]).text
    assert "重新报送" in told and "第2行投资为负" in told
    # Once approved the reason is cleared, so a later return and submission is a resubmission again only then.
    report.refresh_from_db()
    report = services.unit_report_approve(unit_report=report, version=report.version, by=personas["office"])
    assert report.return_reason == ""


# --- the unit is told of the office's decision ---------------------------------------------------------

@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_WEBHOOK_URL="")
def test_an_approval_tells_the_units_reporters(
    period: Period, personas: dict[str, User], units: dict[str, Unit], django_capture_on_commit_callbacks: Any
) -> None:
    report = _report(period, units["town_a"])
    report = services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.unit_report_approve(unit_report=report, version=report.version, by=personas["office"],
                                     note="数据完整")
    grid = reverse("dispatch:report_grid", args=[report.pk])
    assert _told("东城街道2026年3月的月报已审核通过") == {"reporter": grid, "reporter2": grid}
    assert "审核意见：数据完整" in Notification.objects.get(user=personas["reporter"]).text
    assert Notification.objects.count() == 2  # not the office, not 西山镇's reporter
    # Only the reporter with an address gets a mail.
    assert [(m.to, m.subject) for m in mail.outbox] == [(["dc@example.gov.cn"], "【审核通过】东城街道2026年3月月报")]


@override_settings(EMAIL_HOST="smtp.example.gov.cn")
def test_a_return_goes_by_every_channel(
    period: Period, personas: dict[str, User], units: dict[str, Unit], robot: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _report(period, units["town_a"])
    report = services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
    mail.outbox.clear()
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"], DIAODU_DISTRICT_NAME="示范区"), \
            django_capture_on_commit_callbacks(execute=True):
        services.unit_report_return(unit_report=report, version=report.version, by=personas["office"],
                                    reason="附件缺失")
    assert set(_told("被退回：附件缺失")) == {"reporter", "reporter2"}
    assert [m.subject for m in mail.outbox] == ["【退回】东城街道2026年3月月报"]
    assert len(robot["received"]) == 1
    content = robot["received"][0]["body"]["text"]["content"]
    assert content.startswith("【示范区】") and "附件缺失" in content


# --- only after the commit ------------------------------------------------------------------------------

@override_settings(EMAIL_HOST="smtp.example.gov.cn")
def test_mail_and_robot_wait_for_the_commit(
    period: Period, personas: dict[str, User], units: dict[str, Unit], robot: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _report(period, units["town_a"])
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]):
        with django_capture_on_commit_callbacks() as callbacks:
            services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
            # Written in the transaction, sent after it.
            assert Notification.objects.filter(user=personas["office"]).exists()
            assert mail.outbox == [] and robot["received"] == []
        assert len(callbacks) == 1
        callbacks[0]()
    assert len(mail.outbox) == 2 and len(robot["received"]) == 1
    assert "东城街道已报送2026年3月的月报" in robot["received"][0]["body"]["text"]["content"]


@override_settings(EMAIL_HOST="smtp.example.gov.cn")
def test_a_change_rolled_back_tells_nobody(
    period: Period, personas: dict[str, User], units: dict[str, Unit], robot: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = _report(period, units["town_a"])
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
            raise RuntimeError("the caller's transaction fails after the service")
        # A stale version is refused before anything is written or sent.
        with pytest.raises(services.ConcurrentChange):
            services.unit_report_submit(unit_report=report, version=report.version + 5, by=personas["reporter"])
    assert not Notification.objects.exists()
    assert mail.outbox == [] and robot["received"] == []
    assert _report(period, units["town_a"]).state == UnitReport.State.DRAFT
