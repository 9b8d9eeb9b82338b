"""The abstract records of a tracked item: the item, its history, its extension and return requests.

A concrete item (``dispatch.Problem``) names its history and request models and their foreign key to
it (``EVENTS``, ``EXTENSIONS``, ``RETURNS``, ``ITEM_FIELD``), overrides ``state`` with its choices,
and may say which object its history is read on (:meth:`TrackedItem.audit_subject`).
"""
from __future__ import annotations

from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.tracking.decisions import DecisionRequest

# The history actions every tracked item shares (its Action choices include them with their labels).
EXTEND_REQUEST, EXTEND_APPROVE, EXTEND_REJECT = "ext_req", "ext_ok", "ext_no"
RETURN_REQUEST, RETURN_APPROVE, RETURN_REJECT = "ret_req", "ret_ok", "ret_no"


class TrackedItem(models.Model):
    """Something assigned with a deadline and supervised to closure; ``version`` moves on every write."""

    # "app_label.Model" of the history and of the requests, and the name of their foreign key to the item.
    EVENTS: ClassVar[str]
    EXTENSIONS: ClassVar[str] = ""
    RETURNS: ClassVar[str] = ""
    ITEM_FIELD: ClassVar[str]
    # The state in which the item is closed (办结): no escalation, no extension.
    CLOSED_STATE: ClassVar[str] = "closed"

    deadline = models.DateField(_("办结时限"))
    # A concrete item overrides this with its choices and first state.
    state = models.CharField(_("状态"), max_length=10)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("交办人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("交办时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_closed(self) -> bool:
        return self.state == self.CLOSED_STATE

    @classmethod
    def related_model(cls, name: str) -> type[models.Model]:
        return apps.get_model(name)

    def audit_subject(self) -> models.Model:
        """The object whose history shows this item's changes (the item itself unless overridden)."""
        return self

    def record(self, *, action: str, by: Any, text: str = "", state_after: str | None = None) -> TrackedEvent:
        """Write one history event of this item."""
        model = self.related_model(self.EVENTS)
        event = model._default_manager.create(
            **{self.ITEM_FIELD: self}, action=action, by=by, text=text, state_after=state_after or self.state
        )
        assert isinstance(event, TrackedEvent)
        return event


class TrackedEvent(models.Model):
    """One step of an item's history: what was done, by whom, when, with which words, and the state after."""

    action = models.CharField(_("操作"), max_length=10)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    text = models.TextField(_("内容"), blank=True)
    state_after = models.CharField(_("操作后状态"), max_length=10)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class ExtensionRequestBase(DecisionRequest):
    """The responsible unit asks for a later deadline (申请延期); approval moves the item's deadline."""

    new_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期理由"))

    class Meta(DecisionRequest.Meta):
        abstract = True
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")


class ReturnRequestBase(DecisionRequest):
    """The responsible unit says the item is not theirs (退回申请); approval hands it back to the office."""

    reason = models.TextField(_("退回理由"))

    class Meta(DecisionRequest.Meta):
        abstract = True
        verbose_name = _("退回申请")
        verbose_name_plural = _("退回申请")
