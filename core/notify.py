"""Telling people: in-app always, by e-mail and to the district's group robot when configured.

Every module notifies through :func:`notify`, from its services and never from its views, so a
page, a command and a background task that do the same thing send the same messages. The in-app
rows are written in the caller's transaction and disappear with it if the business change fails.
E-mail (``EMAIL_HOST`` …) and the DingTalk/WeCom group robot (``DIAODU_WEBHOOK_URL``) go out only
after that transaction commits, so nobody is told about a change that did not happen, and a slow
or unreachable server holds no database lock. Their failures are logged and never raised: the
change the office just made must not be lost because a mail server is down.

Callers that need each channel's outcome at once (the reminders record which channels reached a
unit) call :func:`send_email` and :func:`robot_post` themselves, outside any business transaction.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils.translation import gettext as _

from core.district import district
from core.models import Notification
from org.models import User

logger = logging.getLogger(__name__)

TEXT_LENGTH = 300  # Notification.text and .url
ROBOT_TIMEOUT_SECONDS = 5


@dataclass
class Delivery:
    """What one notification reached. E-mail and robot fields are filled when the transaction commits
    (at once when there is none)."""

    in_app: int = 0
    emails: int = 0
    robot: bool = False
    errors: list[str] = field(default_factory=list)


def notify(
    users: Iterable[User], text: str, url: str = "", *, email: bool = False, subject: str = "", robot: bool = False
) -> Delivery:
    """Tell ``users``: an in-app notification each; with ``email``, a mail to those with an address
    (when the district has a mail server); with ``robot``, one message to the group robot (when
    one is configured)."""
    recipients = list(users)
    Notification.objects.bulk_create(
        [Notification(user=user, text=text[:TEXT_LENGTH], url=url[:TEXT_LENGTH]) for user in recipients]
    )
    delivery = Delivery(in_app=len(recipients))
    send_mail = email and bool(settings.EMAIL_HOST) and bool(recipients)
    robot_url = settings.DIAODU_WEBHOOK_URL if robot else ""
    if send_mail or robot_url:
        def send() -> None:
            _send_outside(delivery, recipients if send_mail else [], subject or _first_line(text), text, robot_url)

        transaction.on_commit(send, robust=True)
    return delivery


def _first_line(text: str) -> str:
    return text.splitlines()[0][:60] if text else ""


def _send_outside(delivery: Delivery, recipients: Sequence[User], subject: str, text: str, robot_url: str) -> None:
    if recipients:
        try:
            delivery.emails = send_email(recipients, subject, text)
        except Exception as exc:  # any mail failure: logged, the change stays
            logger.warning("notification e-mail failed: %s", exc, exc_info=True)
            delivery.errors.append(_("邮件发送失败：%(error)s") % {"error": exc})
    if robot_url:
        content = _("【%(district)s】%(text)s") % {"district": district().district_name, "text": text}
        try:
            robot_post(robot_url, content)
        except Exception as exc:  # an unreachable robot: logged, the change stays
            logger.warning("notification robot post failed: %s", exc)
            delivery.errors.append(_("群机器人 Webhook 发送失败：%(error)s") % {"error": exc})
        else:
            delivery.robot = True


def send_email(users: Iterable[User], subject: str, text: str) -> int:
    """One mail to each of ``users`` with an address; the number sent. Failures are raised to the caller."""
    addresses = [user.email for user in users if user.email]
    if not addresses:
        return 0
    messages = [(subject, text, settings.DEFAULT_FROM_EMAIL, [address]) for address in addresses]
    return send_mass_mail(messages, fail_silently=False)


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
