"""Extension (申请延期) and return (退回申请) requests on a tracked item, decided by the office.

The responsible unit asks; the office approves or rejects with :func:`core.tracking.decisions.decide`.
Each step checks its policy rule (passed in by the item's module), moves the item's version (so a
request and a step taken at once cannot both pass), writes a history event and an audit entry.
Notifying people is the caller's business: it knows who they are.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_snapshot
from core import clock
from core.policies import can
from core.tracking import items
from core.tracking.decisions import Decision, DecisionRequest, decide
from core.tracking.errors import TrackingError
from core.tracking.items import ExtensionRequestBase, ReturnRequestBase, TrackedItem
from core.tracking.transitions import NOT_AUDITED, bump, stale


def _reload(item: TrackedItem) -> TrackedItem:
    return type(item)._default_manager.get(pk=item.pk)


def _requests(item: TrackedItem, name: str) -> Any:
    return item.related_model(name)._default_manager.filter(**{item.ITEM_FIELD: item})


def _check_state(current: TrackedItem, *, version: int, states: frozenset[str], what: str) -> None:
    if current.state not in states:
        if current.version != version:
            raise stale(current)
        raise TrackingError(
            _("该%(item)s当前状态为“%(state)s”，不能%(what)s。")
            % {
                "item": type(current)._meta.verbose_name,
                "state": current.get_state_display(),  # type: ignore[attr-defined]
                "what": what,
            }
        )


# --- extensions -----------------------------------------------------------------------------

@transaction.atomic
def extension_request(
    item: TrackedItem, *, version: int, by: Any, new_deadline: dt.date, reason: str, rule: str,
    states: frozenset[str],
) -> ExtensionRequestBase:
    """Ask for a later deadline: from ``states``, before the deadline, one pending request at a time."""
    current = _reload(item)
    if not can(by, rule, current):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise TrackingError(_("请写明延期理由。"))
    _check_state(current, version=version, states=states, what=_("申请延期"))
    if clock.today() >= current.deadline:
        raise TrackingError(
            _("延期须在办结时限（%(deadline)s）之前申请；已到或超过时限，不能再申请延期，请尽快办结。")
            % {"deadline": current.deadline.isoformat()}
        )
    if new_deadline <= current.deadline:
        raise TrackingError(
            _("申请延至的日期应晚于当前办结时限（%(deadline)s）。") % {"deadline": current.deadline.isoformat()}
        )
    if _requests(current, current.EXTENSIONS).filter(state=Decision.PENDING).exists():
        raise TrackingError(_("已有一项延期申请待审批，请等待项目办审批后再申请。"))
    # The version moves on even though the state does not, so two requests at once cannot both pass.
    bump(current, version=version, states=states)
    request = current.related_model(current.EXTENSIONS)._default_manager.create(
        **{current.ITEM_FIELD: current}, new_deadline=new_deadline, reason=reason, requested_by=by
    )
    assert isinstance(request, ExtensionRequestBase)
    current.record(
        action=items.EXTEND_REQUEST,
        by=by,
        text=_("申请将办结时限由 %(old)s 延至 %(new)s。理由：%(reason)s")
        % {"old": current.deadline.isoformat(), "new": new_deadline.isoformat(), "reason": reason},
    )
    audit_record(by=by, instance=request, before={}, subject=current.audit_subject())
    return request


@transaction.atomic
def extension_decide(
    request: ExtensionRequestBase, *, item: TrackedItem, version: int, by: Any, approve: bool, note: str = "",
    rule: str,
) -> str:
    """Approve (the deadline becomes the requested date) or reject (with the reason); returns the event text."""
    current = _reload(item)
    if not can(by, rule, current):
        raise PermissionDenied
    note = note.strip()
    if not approve and not note:
        raise TrackingError(_("驳回延期时必须写明原因。"))
    if approve and current.is_closed:
        raise TrackingError(
            _("该%(item)s已办结，不能再批准延期。") % {"item": type(current)._meta.verbose_name}
        )
    decide(request, by=by, approve=approve, note=note, subject=current.audit_subject())
    before = audit_snapshot(current, exclude=NOT_AUDITED)
    old_deadline = current.deadline
    if approve:
        bump(current, version=version, deadline=request.new_deadline)
    else:
        bump(current, version=version)
    if approve:
        text = _("批准延期：办结时限由 %(old)s 延至 %(new)s。") % {
            "old": old_deadline.isoformat(), "new": request.new_deadline.isoformat()
        }
    else:
        text = _("驳回延期申请（申请延至 %(new)s）。") % {"new": request.new_deadline.isoformat()}
    text = f"{text}{note}"
    current.refresh_from_db()
    current.record(action=items.EXTEND_APPROVE if approve else items.EXTEND_REJECT, by=by, text=text)
    audit_record(by=by, instance=current, before=before, subject=current.audit_subject(), exclude=NOT_AUDITED)
    return text


# --- returns --------------------------------------------------------------------------------

@transaction.atomic
def return_request(
    item: TrackedItem, *, version: int, by: Any, reason: str, rule: str, states: frozenset[str]
) -> ReturnRequestBase:
    """The responsible unit says the item is not theirs, and why; one pending request at a time."""
    current = _reload(item)
    if not can(by, rule, current):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise TrackingError(_("请写明退回理由。"))
    _check_state(current, version=version, states=states, what=_("申请退回"))
    if _requests(current, current.RETURNS).filter(state=Decision.PENDING).exists():
        raise TrackingError(_("已有一项退回申请待审批，请等待项目办审批。"))
    bump(current, version=version, states=states)
    request = current.related_model(current.RETURNS)._default_manager.create(
        **{current.ITEM_FIELD: current}, reason=reason, requested_by=by
    )
    assert isinstance(request, ReturnRequestBase)
    current.record(action=items.RETURN_REQUEST, by=by, text=_("申请退回：%(reason)s") % {"reason": reason})
    audit_record(by=by, instance=request, before={}, subject=current.audit_subject())
    return request


@transaction.atomic
def return_decide(
    request: ReturnRequestBase, *, item: TrackedItem, version: int, by: Any, approve: bool, note: str = "",
    rule: str, states: frozenset[str], target: str,
) -> str:
    """Approve (the item goes from ``states`` to ``target``, back with the office) or reject (with the
    reason, the unit keeps it); returns the event text."""
    current = _reload(item)
    if not can(by, rule, current):
        raise PermissionDenied
    note = note.strip()
    if not approve and not note:
        raise TrackingError(_("驳回退回申请时必须写明原因。"))
    decide(request, by=by, approve=approve, note=note, subject=current.audit_subject())
    if approve:
        _check_state(current, version=version, states=states, what=_("退回"))
    before = audit_snapshot(current, exclude=NOT_AUDITED)
    if approve:
        bump(current, version=version, states=states, state=target)
        text = _("同意退回，交回项目办重新交办。")
        # The unit no longer holds the item, so its pending extension lapses with it.
        if current.EXTENSIONS:
            extensions = current.related_model(current.EXTENSIONS)._default_manager
            for pending in extensions.filter(**{current.ITEM_FIELD: current, "state": Decision.PENDING}):
                assert isinstance(pending, DecisionRequest)
                decide(pending, by=by, approve=False, note=_("问题已退回项目办，延期申请不再办理。"),
                       subject=current.audit_subject())
    else:
        bump(current, version=version)
        text = _("驳回退回申请：")
    text = f"{text}{note}"
    current.refresh_from_db()
    current.record(action=items.RETURN_APPROVE if approve else items.RETURN_REJECT, by=by, text=text)
    audit_record(by=by, instance=current, before=before, subject=current.audit_subject(), exclude=NOT_AUDITED)
    return text
