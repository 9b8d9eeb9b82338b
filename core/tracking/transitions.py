"""The transitions table of a tracked item and the one service that moves an item by it.

The table is declarative: each row says from which states an action goes to which state, which
policy rule (``core.policies``) says who may take it, and which history action it writes. The
table answers ``(state, action) → transition``; :func:`transition` checks the rule and the state,
moves the item with a conditional update on the version the user saw (``UPDATE … WHERE pk=… AND
version=…``), writes the history event and the audit entry.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_snapshot
from core.policies import can
from core.tracking.errors import StaleVersion, TrackingError
from core.tracking.items import TrackedItem

# The version is bookkeeping, not a change anybody made.
NOT_AUDITED = frozenset({"version"})

T = TypeVar("T", bound=TrackedItem)


@dataclass(frozen=True)
class Transition:
    action: str  # what a page posts ("accept")
    sources: frozenset[str]  # the states it may start from
    target: str  # the state it leads to
    rule: str  # the policy rule saying who may take it
    step: str  # the history action it writes
    needs_text: bool = False
    missing_text: str | Promise = ""  # what the user is told when the text is missing


class TransitionTable:
    """The rows of a transitions table, read by action or by ``(state, action)``."""

    def __init__(self, *rows: Transition) -> None:
        self._rows = {row.action: row for row in rows}
        if len(self._rows) != len(rows):
            raise ValueError("an action appears twice in the transitions table")
        self.moves: dict[tuple[str, str], Transition] = {
            (state, row.action): row for row in rows for state in row.sources
        }

    def __getitem__(self, action: str) -> Transition:
        return self._rows[action]

    def __contains__(self, action: object) -> bool:
        return action in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def items(self) -> list[tuple[str, Transition]]:
        return list(self._rows.items())

    def get(self, state: str, action: str) -> Transition | None:
        """The transition ``action`` takes from ``state``, or None when it is not allowed from there."""
        return self.moves.get((state, action))

    def may_take(self, user: Any, item: TrackedItem, action: str) -> bool:
        """Whether the rule of ``action`` lets ``user`` take it on ``item``, whatever the item's state."""
        return can(user, self._rows[action].rule, item)

    def available(self, user: Any, item: TrackedItem, actions: tuple[str, ...] | None = None) -> list[str]:
        """The actions (of ``actions``, default all) the user may take on the item now: rule and state."""
        return [
            action for action in (actions or tuple(self._rows))
            if self.get(item.state, action) is not None and self.may_take(user, item, action)
        ]


def stale(item: TrackedItem) -> StaleVersion:
    """The refusal of a write made on an old version: who changed the item last, and its state now."""
    model = type(item)
    current = model._default_manager.get(pk=item.pk)
    events = model.related_model(model.EVENTS)._default_manager
    last = events.filter(**{model.ITEM_FIELD: current}).select_related("by").order_by("-at", "-id").first()
    who = (last.by if last and last.by else None) or _("他人")  # type: ignore[attr-defined]
    return StaleVersion(
        _("该%(item)s刚被%(who)s处理，当前状态为“%(state)s”，您的操作未保存，请刷新后再看。")
        % {"item": model._meta.verbose_name, "who": who, "state": current.get_state_display()}  # type: ignore[attr-defined]
    )


def bump(item: TrackedItem, *, version: int, states: frozenset[str] | None = None, **fields: Any) -> None:
    """The conditional update every write goes through: refused when the version (or state) moved on."""
    rows = type(item)._default_manager.filter(pk=item.pk, version=version)
    if states is not None:
        rows = rows.filter(state__in=states)
    if not rows.update(version=F("version") + 1, **fields):
        raise stale(item)


def transition(
    item: T, *, table: TransitionTable, action: str, version: int, by: Any, text: str = "", **fields: Any
) -> T:
    """Take ``action`` on ``item`` as ``by`` on the ``version`` the user saw; returns the item reloaded.

    Refused with PermissionDenied when the action's rule says no, TrackingError when the text is
    missing or the state does not allow it, StaleVersion when someone else moved the item first.
    ``fields`` are written with the state (a closing time, a new responsible unit).
    Call inside a transaction.
    """
    row = table[action]
    model = type(item)
    current = model._default_manager.get(pk=item.pk)
    if not can(by, row.rule, current):
        raise PermissionDenied
    text = text.strip()
    if row.needs_text and not text:
        raise TrackingError(str(row.missing_text or _("请填写说明。")))
    if table.get(current.state, action) is None:
        if current.version != version:
            raise stale(current)
        raise TrackingError(
            _("该%(item)s当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {
                "item": model._meta.verbose_name,
                "state": current.get_state_display(),  # type: ignore[attr-defined]
                "action": _step_label(model, row.step),
            }
        )
    before = audit_snapshot(current, exclude=NOT_AUDITED)
    bump(current, version=version, states=row.sources, state=row.target, **fields)
    current.refresh_from_db()
    current.record(action=row.step, by=by, text=text, state_after=row.target)
    audit_record(by=by, instance=current, before=before, subject=current.audit_subject(), exclude=NOT_AUDITED)
    return current


def _step_label(model: type[TrackedItem], step: str) -> str:
    field = model.related_model(model.EVENTS)._meta.get_field("action")
    return str(dict(field.choices or []).get(step, step))  # type: ignore[union-attr]
