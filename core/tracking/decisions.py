"""Requests the project office approves or rejects (更正申请, 延期申请, 退回申请, …), on one base.

A request is decided once: :func:`decide` is a conditional ``UPDATE … WHERE state='pending'``, so of
two office members deciding at once only the first one's decision is written; the second is told who
decided and how, and nothing of theirs is saved.
"""
from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record, audit_snapshot
from core.tracking.errors import StaleVersion


class Decision(models.TextChoices):
    """The states of a request the project office approves or rejects."""

    PENDING = "pending", gettext_lazy("待审批")
    APPROVED = "approved", gettext_lazy("已批准")
    REJECTED = "rejected", gettext_lazy("已驳回")


class DecisionRequest(models.Model):
    """Who asked for what and why, and who decided it, when and with which note."""

    State = Decision

    reason = models.TextField(gettext_lazy("理由"))
    state = models.CharField(gettext_lazy("状态"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(gettext_lazy("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=gettext_lazy("审批人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    decided_at = models.DateTimeField(gettext_lazy("审批时间"), null=True, blank=True)
    decision_note = models.TextField(gettext_lazy("审批意见"), blank=True)

    class Meta:
        abstract = True
        ordering = ["-requested_at"]

    @property
    def is_pending(self) -> bool:
        return self.state == Decision.PENDING


R = TypeVar("R", bound=DecisionRequest)


def decide(
    request: R, *, by: Any, approve: bool, note: str = "", subject: models.Model | None = None, source: str = ""
) -> R:
    """Approve or reject ``request`` if it is still pending, audited; otherwise raise StaleVersion.

    Call it inside the caller's transaction, before the consequences of the decision, so a refused
    decision rolls them back.
    """
    model = type(request)
    before = audit_snapshot(request)
    changed = model._default_manager.filter(pk=request.pk, state=Decision.PENDING).update(
        state=Decision.APPROVED if approve else Decision.REJECTED,
        decided_by=by,
        decided_at=timezone.now(),
        decision_note=note.strip(),
    )
    request.refresh_from_db()
    if not changed:
        raise StaleVersion(
            _("该%(request)s已由%(who)s处理（%(state)s），您的操作未保存。")
            % {
                "request": model._meta.verbose_name,
                "who": request.decided_by or _("他人"),
                "state": request.get_state_display(),
            }
        )
    audit_record(by=by, instance=request, before=before, subject=subject, source=source)
    return request
