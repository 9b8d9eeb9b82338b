"""core.notify: one way to tell people, in-app always, by e-mail and to the group robot when configured.

External channels go out only after the business change commits, and their failures are logged,
never raised: an unreachable mail server or robot cannot undo what the office just did.
"""
from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from conftest import make_user
from core.models import Notification
from core.notify import notify, robot_post, send_email
from org.models import Unit, User


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def people(units: dict[str, Unit]) -> list[User]:
    return [
        make_user("with_mail", User.Role.REPORTER, units["town_a"], email="a@example.gov.cn"),
        make_user("no_mail", User.Role.REPORTER, units["town_a"]),
    ]


@override_settings(EMAIL_HOST="", DIAODU_WEBHOOK_URL="")
def test_only_in_app_when_nothing_is_configured(people: list[User], django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        delivery = notify(people, "第1行数据有误" * 60, "/dispatch/", email=True, robot=True)
    rows = list(Notification.objects.order_by("user__username").values_list("user__username", "text", "url"))
    # Texts longer than the column are cut, not refused: a notification never fails the action.
    assert rows == [("no_mail", ("第1行数据有误" * 60)[:300], "/dispatch/"),
                    ("with_mail", ("第1行数据有误" * 60)[:300], "/dispatch/")]
    assert (delivery.in_app, delivery.emails, delivery.robot) == (2, 0, False)
    assert mail.outbox == []


@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_DISTRICT_NAME="示范区")
def test_every_channel_when_configured(
    people: list[User], robot: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]), django_capture_on_commit_callbacks(execute=True):
        delivery = notify(people, "东城街道的月报被退回", "/dispatch/", email=True, subject="【退回】月报", robot=True)
    assert Notification.objects.count() == 2
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["a@example.gov.cn"], "【退回】月报", "东城街道的月报被退回")
    ]
    assert [post["body"] for post in robot["received"]] == [
        {"msgtype": "text", "text": {"content": "【示范区】东城街道的月报被退回"}}
    ]
    assert (delivery.in_app, delivery.emails, delivery.robot, delivery.errors) == (2, 1, True, [])


@override_settings(EMAIL_HOST="smtp.example.gov.cn")
def test_channels_are_asked_for_not_implied(
    people: list[User], robot: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]), django_capture_on_commit_callbacks(execute=True):
        notify(people, "站内消息")
    assert Notification.objects.count() == 2
    assert mail.outbox == [] and robot["received"] == []


@override_settings(EMAIL_HOST="smtp.example.gov.cn")
def test_nothing_leaves_the_building_when_the_change_is_rolled_back(
    people: list[User], robot: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]), django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(RuntimeError), transaction.atomic():
        notify(people, "不会发出的消息", email=True, robot=True)
        raise RuntimeError("the business change failed")
    assert not Notification.objects.exists()
    assert mail.outbox == [] and robot["received"] == []


@override_settings(
    EMAIL_HOST="127.0.0.1", EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_TIMEOUT=2,
)
def test_a_failing_robot_or_mail_server_does_not_roll_back_the_business_change(
    people: list[User], django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    port = _closed_port()
    with override_settings(DIAODU_WEBHOOK_URL=f"http://127.0.0.1:{port}/robot", EMAIL_PORT=port), \
            caplog.at_level(logging.WARNING, logger="core.notify"), \
            django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        unit = Unit.objects.create(name="北湖街道", kind=Unit.Kind.TOWN)
        delivery = notify(people, "北湖街道已设立", email=True, robot=True)
    assert Unit.objects.filter(pk=unit.pk).exists()
    assert Notification.objects.filter(text="北湖街道已设立").count() == 2
    assert (delivery.emails, delivery.robot) == (0, False)
    assert len(delivery.errors) == 2
    assert {r.getMessage().split(":")[0] for r in caplog.records} >= {"notification e-mail failed",
                                                                     "notification robot post failed"}


def test_robot_post_checks_the_scheme_and_send_email_skips_people_without_an_address(people: list[User]) -> None:
    with pytest.raises(ValueError, match="http://"):
        robot_post("ftp://example/robot", "x")
    assert send_email(people, "主题", "正文") == 1
    assert [m.to for m in mail.outbox] == [["a@example.gov.cn"]]
