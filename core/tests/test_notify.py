"""core.notify: one way to tell people, in-app always, by e-mail and to the group robot when configured.

External channels go out only after the business change commits, and their failures are logged,
never raised: an unreachable mail server or robot cannot undo what the office just did. A batch
(``notify_many``) reaches exactly the people single sends would, over one mail connection.
"""
from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings

from conftest import make_user
from core.models import Notification
from core.notify import Message, notify, notify_many, robot_post
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


def test_robot_post_checks_the_scheme() -> None:
    with pytest.raises(ValueError, match="http://"):
        robot_post("ftp://example/robot", "x")


# --- batches ----------------------------------------------------------------------------------------------

SMTP = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1", "EMAIL_TIMEOUT": 5}


@contextmanager
def mail_server(refused: frozenset[str] = frozenset()) -> Iterator[dict[str, Any]]:
    """A mail server on localhost speaking just enough SMTP. ``connections`` has one list per connection
    made to it, of the recipients of each mail it accepted; an address in ``refused`` is answered 550."""
    connections: list[list[list[str]]] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            accepted: list[list[str]] = []
            connections.append(accepted)
            recipients: list[str] = []
            self.reply("220 fake ESMTP")
            while line := self.rfile.readline():
                command = line.decode().strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 fake")
                elif verb in ("MAIL", "RSET"):
                    recipients = []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    address = command.split(":", 1)[1].strip().split()[0].strip("<>")
                    if address in refused:
                        self.reply("550 no such mailbox")
                    else:
                        recipients.append(address)
                        self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with a dot")
                    while self.rfile.readline() not in (b".\r\n", b""):
                        pass
                    accepted.append(recipients)
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

        def reply(self, text: str) -> None:
            self.wfile.write(text.encode() + b"\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"port": server.server_address[1], "connections": connections}
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def crowd(people: list[User], units: dict[str, Unit]) -> list[User]:
    """``people`` (one with an address, one without) and two more with an address."""
    return [
        *people,
        make_user("b_mail", User.Role.REPORTER, units["town_b"], email="b@example.gov.cn"),
        make_user("c_mail", User.Role.OFFICE, email="c@example.gov.cn"),
    ]


def _batch(crowd: list[User]) -> list[Message]:
    with_mail, no_mail, b_mail, c_mail = crowd
    return [
        Message([with_mail, no_mail], "东城街道的月报被退回", "/dispatch/1/", "【退回】月报"),
        Message([b_mail], "西山镇尚未报送\n请尽快报送", "/dispatch/2/"),
        Message([no_mail], "只在站内"),
        Message([], "没有人"),
        Message([c_mail, no_mail], "项目办：请审核", "/dispatch/3/", "【审核】"),
    ]


@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_WEBHOOK_URL="")
def test_a_batch_reaches_exactly_whom_single_sends_reach(
    crowd: list[User], django_capture_on_commit_callbacks: Any
) -> None:
    messages = _batch(crowd)
    singles: list[tuple[list[str], str, str]] = []
    for message in messages:
        with django_capture_on_commit_callbacks(execute=True):
            notify(message.users, message.text, message.url, email=True, subject=message.subject)
        singles.extend((m.to, m.subject, m.body) for m in mail.outbox)
        mail.outbox.clear()
    single_rows = list(Notification.objects.order_by("pk").values_list("user__username", "text", "url"))
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        batch = notify_many(messages, email=True)
    # The same mails (nobody without an address; the subject, else the text's first line) and the same rows.
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == singles == [
        (["a@example.gov.cn"], "【退回】月报", "东城街道的月报被退回"),
        (["b@example.gov.cn"], "西山镇尚未报送", "西山镇尚未报送\n请尽快报送"),
        (["c@example.gov.cn"], "【审核】", "项目办：请审核"),
    ]
    assert list(Notification.objects.order_by("pk").values_list("user__username", "text", "url")) == single_rows
    assert [(d.in_app, d.emails, d.robot, d.errors) for d in batch.deliveries] == [
        (2, 1, False, []), (1, 1, False, []), (1, 0, False, []), (0, 0, False, []), (2, 1, False, []),
    ]
    assert (batch.emails, batch.robot, batch.errors) == (3, False, [])


def test_a_batch_goes_over_one_connection_where_single_sends_open_one_each(
    crowd: list[User], django_capture_on_commit_callbacks: Any
) -> None:
    messages = _batch(crowd)
    with mail_server() as server, override_settings(**SMTP, EMAIL_PORT=server["port"]):
        with django_capture_on_commit_callbacks(execute=True):
            batch = notify_many(messages, email=True)
        assert server["connections"] == [[["a@example.gov.cn"], ["b@example.gov.cn"], ["c@example.gov.cn"]]]
        assert [d.emails for d in batch.deliveries] == [1, 1, 0, 0, 1]
        # The same messages one by one: a connection for each message with an address.
        for message in messages:
            with django_capture_on_commit_callbacks(execute=True):
                notify(message.users, message.text, email=True)
        assert len(server["connections"]) == 1 + 3


def test_a_refused_address_fails_its_own_message_and_the_batch_goes_on(
    crowd: list[User], django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    messages = _batch(crowd)
    with mail_server(refused=frozenset({"b@example.gov.cn"})) as server, \
            override_settings(**SMTP, EMAIL_PORT=server["port"]), \
            caplog.at_level(logging.WARNING, logger="core.notify"), \
            django_capture_on_commit_callbacks(execute=True):
        batch = notify_many(messages, email=True)
    assert server["connections"] == [[["a@example.gov.cn"], ["c@example.gov.cn"]]]
    second = batch.deliveries[1]
    assert second.emails == 0 and "b@example.gov.cn" in str(second.mail_error)
    assert [d.mail_error is None for d in batch.deliveries] == [True, False, True, True, True]
    assert batch.emails == 2 and batch.mail_errors == [second.mail_error]
    assert second.errors == batch.errors and len(batch.errors) == 1 and batch.errors[0].startswith("邮件发送失败：")
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["notification e-mail failed"]
    assert Notification.objects.count() == 6


def test_a_mail_server_that_is_down_fails_every_message_of_the_batch(
    crowd: list[User], django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(**SMTP, EMAIL_PORT=_closed_port()), django_capture_on_commit_callbacks(execute=True):
        batch = notify_many(_batch(crowd), email=True)
    assert [d.mail_error is not None for d in batch.deliveries] == [True, True, False, False, True]
    assert batch.emails == 0 and len(batch.errors) == 1
    assert Notification.objects.count() == 6


@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_DISTRICT_NAME="示范区")
def test_the_robot_gets_one_post_for_the_batch_after_the_commit(
    crowd: list[User], robot: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    messages = _batch(crowd)[:2]
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]):
        with django_capture_on_commit_callbacks() as callbacks:
            batch = notify_many(messages, email=True, robot=True)
        assert Notification.objects.count() == 3
        assert mail.outbox == [] and robot["received"] == [] and not batch.robot
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            named = notify_many(messages, robot=True, robot_text="【示范区】两个单位尚未报送")
    assert len(mail.outbox) == 2
    assert [post["body"]["text"]["content"] for post in robot["received"]] == [
        "【示范区】东城街道的月报被退回\n西山镇尚未报送\n请尽快报送", "【示范区】两个单位尚未报送",
    ]
    assert batch.robot and named.robot and all(d.robot for d in [*batch.deliveries, *named.deliveries])


@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_WEBHOOK_URL="")
def test_a_rolled_back_batch_sends_nothing_and_at_once_does_not_wait_for_the_commit(
    crowd: list[User], django_capture_on_commit_callbacks: Any
) -> None:
    messages = _batch(crowd)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify_many(messages, email=True)
        raise RuntimeError("the business change failed")
    assert mail.outbox == [] and not Notification.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        batch = notify_many(messages, email=True, at_once=True)
        assert [m.to for m in mail.outbox] == [["a@example.gov.cn"], ["b@example.gov.cn"], ["c@example.gov.cn"]]
    assert callbacks == [] and batch.emails == 3
