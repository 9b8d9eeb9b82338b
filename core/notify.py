"""Telling people: in-app always, by e-mail and to the district's group robot when configured.

Every module notifies through :func:`notify` (one text to some people) or :func:`notify_many` (a
batch: a text each to several groups of people, their e-mails over one connection, one robot post
for the lot), from its services and never from its views, so a page, a command and a background
task that do the same thing send the same messages. The two are one code path: who gets an e-mail
is decided in one place (:func:`mail_addresses`), whether a message goes alone or in a batch.

The in-app rows are written in the caller's transaction and disappear with it if the business
change fails. E-mail (``EMAIL_HOST`` …) and the DingTalk/WeCom group robot (``DIAODU_WEBHOOK_URL``)
go out only after that transaction commits, so nobody is told about a change that did not happen,
and a slow or unreachable server holds no database lock. Their failures are logged and never
raised: the change the office just made must not be lost because a mail server is down.

A caller outside any business transaction that records each channel's outcome at once (the
scheduled reminders log which channels reached each unit) passes ``at_once`` to send them now.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils.translation import gettext as _

from core.district import district
from core.models import Notification
from org.models import User

logger = logging.getLogger(__name__)

TEXT_LENGTH = 300  # Notification.text and .url
ROBOT_TIMEOUT_SECONDS = 5


@dataclass
class Message:
    """One text for some people: in-app with ``url``, by e-mail under ``subject`` (else the text's first line)."""

    users: Sequence[User]
    text: str
    url: str = ""
    subject: str = ""


@dataclass
class Delivery:
    """What one message reached. E-mail and robot fields are filled when the transaction commits
    (at once when there is none, or with ``at_once``)."""

    in_app: int = 0
    emails: int = 0
    robot: bool = False
    errors: list[str] = field(default_factory=list)
    # The first failure among this message's e-mails; the batch's other e-mails were still tried.
    mail_error: Exception | None = None


@dataclass
class Batch:
    """What a batch reached: a :class:`Delivery` per message, in their order, and the one robot post."""

    deliveries: list[Delivery] = field(default_factory=list)
    robot: bool = False
    robot_error: Exception | None = None

    @property
    def emails(self) -> int:
        return sum(delivery.emails for delivery in self.deliveries)

    @property
    def mail_errors(self) -> list[Exception]:
        return [delivery.mail_error for delivery in self.deliveries if delivery.mail_error is not None]

    @property
    def errors(self) -> list[str]:
        """Each different failure once (a mail server that is down fails every message the same way)."""
        return list(dict.fromkeys(error for delivery in self.deliveries for error in delivery.errors))


def notify(
    users: Iterable[User], text: str, url: str = "", *, email: bool = False, subject: str = "", robot: bool = False
) -> Delivery:
    """Tell ``users``: an in-app notification each; with ``email``, a mail to those with an address
    (when the district has a mail server); with ``robot``, one message to the group robot (when
    one is configured)."""
    return notify_many([Message(list(users), text, url, subject)], email=email, robot=robot).deliveries[0]


def notify_many(
    messages: Sequence[Message], *, email: bool = False, robot: bool = False, robot_text: str = "",
    at_once: bool = False,
) -> Batch:
    """Send each of ``messages`` as :func:`notify` sends one, in one go: the in-app rows now (one
    insert per message that has people); with ``email``, every mail of the batch over one connection
    to the mail server; with ``robot``, one post to the group robot for the whole batch:
    ``robot_text``, or else the district's name and the texts. E-mail and robot go after the
    commit, or now with ``at_once``.
    """
    messages = [Message(list(message.users), message.text, message.url, message.subject) for message in messages]
    batch = Batch()
    for message in messages:
        Notification.objects.bulk_create(
            [Notification(user=user, text=message.text[:TEXT_LENGTH], url=message.url[:TEXT_LENGTH])
             for user in message.users]
        )
        batch.deliveries.append(Delivery(in_app=len(message.users)))
    send_mail = email and bool(settings.EMAIL_HOST) and any(message.users for message in messages)
    robot_url = settings.DIAODU_WEBHOOK_URL if robot else ""
    if send_mail or robot_url:
        def send() -> None:
            if send_mail:
                _send_mails(batch, messages)
            if robot_url:
                _post_robot(batch, robot_url, robot_text or _robot_text(messages))

        if at_once:
            send()
        else:
            transaction.on_commit(send, robust=True)
    return batch


def mail_addresses(users: Iterable[User]) -> list[str]:
    """Whom a message's e-mail goes to: each of ``users`` who has an address, one mail each."""
    return [user.email for user in users if user.email]


def _first_line(text: str) -> str:
    return text.splitlines()[0][:60] if text else ""


def _robot_text(messages: Sequence[Message]) -> str:
    return _("【%(district)s】%(text)s") % {
        "district": district().district_name, "text": "\n".join(message.text for message in messages),
    }


def _send_mails(batch: Batch, messages: Sequence[Message]) -> None:
    """Every mail of the batch over one connection. A mail that fails is that message's failure: the
    others are still tried, so one refused address does not keep the rest of the batch from going."""
    outgoing = [
        (delivery, mail.EmailMessage(message.subject or _first_line(message.text), message.text,
                                     settings.DEFAULT_FROM_EMAIL, [address]))
        for message, delivery in zip(messages, batch.deliveries, strict=True)
        for address in mail_addresses(message.users)
    ]
    if not outgoing:
        return
    failed: list[Exception] = []

    def fail(delivery: Delivery, exc: Exception) -> None:
        failed.append(exc)
        if delivery.mail_error is None:
            delivery.mail_error = exc
            delivery.errors.append(_("邮件发送失败：%(error)s") % {"error": exc})

    try:
        # Looked up on the module at each call, so a test can count the connections opened.
        connection = mail.get_connection(fail_silently=False)
        connection.open()
    except Exception as exc:  # no connection: every mail of the batch failed the same way
        for delivery, _message in outgoing:
            fail(delivery, exc)
    else:
        try:
            for delivery, message in outgoing:
                try:
                    delivery.emails += connection.send_messages([message])
                except Exception as exc:  # any mail failure: logged, the change stays
                    fail(delivery, exc)
        finally:
            try:
                connection.close()
            except Exception as exc:  # the mails are sent; a failing goodbye is only logged
                logger.warning("closing the mail connection failed: %s", exc)
    if failed:
        logger.warning(
            "notification e-mail failed: %s (%d of %d not sent)", failed[0], len(failed), len(outgoing),
            exc_info=failed[0],
        )


def _post_robot(batch: Batch, url: str, content: str) -> None:
    try:
        robot_post(url, content)
    except Exception as exc:  # an unreachable robot: logged, the change stays
        logger.warning("notification robot post failed: %s", exc)
        batch.robot_error = exc
        for delivery in batch.deliveries:
            delivery.errors.append(_("群机器人 Webhook 发送失败：%(error)s") % {"error": exc})
    else:
        batch.robot = True
        for delivery in batch.deliveries:
            delivery.robot = True


def robot_post(url: str, content: str) -> None:
    """Post a text message in the format both DingTalk and WeCom group robots accept; failures are raised."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(_("Webhook 地址应以 http:// 或 https:// 开头。"))
    body = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=ROBOT_TIMEOUT_SECONDS) as response:  # noqa: S310
        response.read()
