"""Recording changes. Services call ``audit_snapshot`` before a write and ``audit_record`` after it;
a delete is one call, ``audit_delete``."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation

from audit.models import AuditEntry

Snapshot = dict[str, tuple[str, str]]  # field name -> (label, display value)


def _display(instance: models.Model, field: models.Field[Any, Any]) -> str:
    if field.choices:
        return str(getattr(instance, f"get_{field.name}_display")())
    if isinstance(field, models.ForeignKey):
        related_id = getattr(instance, field.attname)
        if related_id is None:
            return ""
        return str(getattr(instance, field.name))
    value = getattr(instance, field.attname)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        # To the field's places first: a form or upload gives 12.5 where the database gives
        # back 12.50, and the same amount must read the same or a no-op save leaves a record.
        places = getattr(field, "decimal_places", None)
        if places is not None and value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-places))
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, dt.datetime):
        # Local time to the second: the database gives UTC with microseconds, a form gives local
        # time without them, and the same moment must not show as a change.
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@lru_cache(maxsize=512)
def _fields(
    model: type[models.Model], language: str | None
) -> tuple[tuple[models.Field[Any, Any], str, dict[Any, str] | None], ...]:
    """The editable concrete fields of ``model`` with their labels and choice labels, in ``language``."""
    return tuple(
        (field, str(field.verbose_name),
         {key: str(label) for key, label in field.flatchoices} if field.choices else None)
        for field in model._meta.concrete_fields
        if not field.primary_key and field.editable
    )


# History is evidence read by everyone: labels and choice names are kept in the district's
# language whatever the language of the user who made the change.
@translation.override(settings.LANGUAGE_CODE)
def audit_snapshot(instance: models.Model | None, *, exclude: frozenset[str] = frozenset()) -> Snapshot:
    """The concrete, editable fields of ``instance`` as display strings."""
    if instance is None:
        return {}
    snapshot: Snapshot = {}
    for field, label, choices in _fields(type(instance), translation.get_language()):
        if field.name in exclude:
            continue
        if choices is not None:
            # As get_FOO_display gives it, from labels translated once per model (an import of
            # 10,000 rows would otherwise translate 100,000 labels).
            value = getattr(instance, field.attname)
            snapshot[field.name] = (label, choices.get(value, "" if value is None else str(value)))
        else:
            snapshot[field.name] = (label, _display(instance, field))
    if instance.pk is not None:
        # Many-to-many fields (a project's co-units) as the sorted names, one query each.
        for m2m in instance._meta.many_to_many:
            if m2m.editable and m2m.name not in exclude:
                names = sorted(str(related) for related in getattr(instance, m2m.name).all())
                snapshot[m2m.name] = (str(m2m.verbose_name), "、".join(names))
    return snapshot


def audit_record(
    *,
    by: Any,
    instance: models.Model,
    before: Snapshot,
    subject: models.Model | None = None,
    action: str | None = None,
    source: str = "",
    exclude: frozenset[str] = frozenset(),
) -> AuditEntry | None:
    """Write one entry for the difference between ``before`` and ``instance`` now.

    ``before == {}`` means the object was created; ``action="delete"`` records its last
    values as old values. Returns None when nothing changed, so an identical save or a
    second identical upload leaves no trace.
    """
    after = {} if action == AuditEntry.Action.DELETE else audit_snapshot(instance, exclude=exclude)
    if action is None:
        action = AuditEntry.Action.CREATE if not before else AuditEntry.Action.UPDATE
    changes: dict[str, list[str]] = {}
    # Field order, not set order, so history reads like the form.
    for name in [*after, *(key for key in before if key not in after)]:
        label, old = before.get(name, ("", ""))
        label_new, new = after.get(name, (label, ""))
        if old != new:
            changes[label or label_new] = [old, new]
    if not changes:
        return None
    subject = subject or instance
    return AuditEntry.objects.create(
        user=by if getattr(by, "pk", None) else None,
        action=action,
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        subject_model=subject._meta.label_lower,
        subject_id=str(subject.pk),
        changes=changes,
        source=source,
    )


def audit_delete(
    *,
    by: Any,
    instance: models.Model,
    subject: models.Model | None = None,
    source: str = "",
    exclude: frozenset[str] = frozenset(),
) -> AuditEntry | None:
    """Delete ``instance`` and record its last values as a delete entry.

    The snapshot is taken before the delete, and the pk (which ``delete()`` clears) is put back
    on ``instance`` so the entry names the row that was deleted.
    """
    # No savepoint inside a caller's transaction: the caller's atomic block already makes the
    # delete and its record one; alone, this opens one so neither is kept without the other.
    with transaction.atomic(savepoint=False):
        before = audit_snapshot(instance, exclude=exclude)
        pk = instance.pk
        instance.delete()
        instance.pk = pk
        return audit_record(
            by=by, instance=instance, before=before, subject=subject, action=AuditEntry.Action.DELETE, source=source
        )


def history_for(subject: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        subject_model=subject._meta.label_lower, subject_id=str(subject.pk)
    ).select_related("user")
