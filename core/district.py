"""The district's settings as every module reads them: ``district()``, a frozen :class:`District`.

The values live in one row (``core.models.DistrictSettings``), changed by the administrator on
/settings/district/; until that row exists they are the deployment's environment settings, so an
installation that never opens the page keeps its behaviour (and ``override_settings`` keeps
working in tests).

Caching, simple and correct for every process: each web request reads the row once, on the first
``district()`` it makes (``request_started`` opens the scope, ``request_finished`` closes it),
so one page sees one set of values and the next request of any process sees a change. Outside a
request every call reads the row (one indexed query by primary key), unless the caller opens a
:func:`scope` itself, as the background tasks do, so a publication or a bulletin uses one set of
values from start to end. A save clears the scope's copy in the saving thread at once.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from django import forms
from django.core.signals import request_finished, request_started, setting_changed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from audit.models import AuditEntry
from audit.services import audit_record, audit_snapshot
from core.models import DistrictSettings, Period
from core.rules import DeadlineRule


@dataclass(frozen=True)
class District:
    """The district's settings at one moment. See DistrictSettings for what each value means."""

    district_name: str
    bulletin_prefix: str
    light_yellow_gap: Decimal
    light_red_gap: Decimal
    light_start_red_months: int
    light_milestone_red_days: int
    report_deadline: str
    report_half_month: bool
    reminder_days_before: int
    problem_remind_days: int
    problem_red_days: int
    # The home province (an official name of core.models.PROVINCES), "" while not set.
    province: str = ""
    # False while the values are the environment's (no row saved yet).
    saved: bool = False

    @classmethod
    def from_row(cls, row: DistrictSettings, *, saved: bool) -> District:
        values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name != "saved"}
        values["light_yellow_gap"] = Decimal(str(values["light_yellow_gap"]))
        values["light_red_gap"] = Decimal(str(values["light_red_gap"]))
        return cls(**values, saved=saved)

    @property
    def deadline_rule(self) -> DeadlineRule:
        return DeadlineRule.parse(self.report_deadline)

    @property
    def document_prefix(self) -> str:
        """The bulletin's 文号 prefix: the one set, or the district's first character and 调度."""
        return self.bulletin_prefix or f"{self.district_name[:1]}调度"

    def light_thresholds_mapping(self) -> dict[str, Decimal | int]:
        """The lights' thresholds under the names of projects.rules.LightThresholds (``from_mapping``)."""
        return {
            "yellow_gap": self.light_yellow_gap,
            "red_gap": self.light_red_gap,
            "start_red_months": self.light_start_red_months,
            "milestone_red_days": self.light_milestone_red_days,
        }


# --- reading, with the per-request (or per-task) copy ------------------------------------------------

_local = threading.local()


def _load() -> District:
    row = DistrictSettings.objects.filter(pk=DistrictSettings.SINGLETON_PK).first()
    if row is None:
        return District.from_row(DistrictSettings.from_environment(), saved=False)
    return District.from_row(row, saved=True)


def _scoped() -> bool:
    return bool(getattr(_local, "in_request", False)) or getattr(_local, "depth", 0) > 0


def district() -> District:
    """The district's settings: the row if saved, else the environment's; read once per request or scope."""
    if _scoped():
        cached: District | None = getattr(_local, "value", None)
        if cached is None:
            cached = _local.value = _load()
        return cached
    return _load()


def light_thresholds_mapping() -> dict[str, Decimal | int]:
    """For projects.services.light_thresholds: ``LightThresholds.from_mapping(light_thresholds_mapping())``."""
    return district().light_thresholds_mapping()


@contextlib.contextmanager
def scope() -> Iterator[District]:
    """Read the settings once for the whole block (a task, a command); nested scopes share the copy."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield district()
    finally:
        _local.depth -= 1
        if not _scoped():
            _local.value = None


def forget() -> None:
    """Drop this thread's copy: the next ``district()`` reads the row again."""
    _local.value = None


def _request_started(**kwargs: Any) -> None:
    # A fresh copy per request; a request whose end was never signalled (a streamed download never
    # read to the end) does not leak its copy into the next one.
    _local.in_request = True
    _local.value = None


def _request_finished(**kwargs: Any) -> None:
    _local.in_request = False
    _local.value = None


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("DIAODU_"):
        forget()


def _row_changed(**kwargs: Any) -> None:
    # However the row is written (the page, the Django admin, a shell), this thread reads it again.
    forget()


request_started.connect(_request_started, dispatch_uid="core.district.request_started")
request_finished.connect(_request_finished, dispatch_uid="core.district.request_finished")
setting_changed.connect(_setting_changed, dispatch_uid="core.district.setting_changed")
post_save.connect(_row_changed, sender=DistrictSettings, dispatch_uid="core.district.saved")
post_delete.connect(_row_changed, sender=DistrictSettings, dispatch_uid="core.district.deleted")


# --- writing -------------------------------------------------------------------------------------

class DistrictSettingsError(Exception):
    """A change that is not allowed now; the message says why, in the user's language."""


# Bookkeeping, not a change anybody made.
NOT_AUDITED = frozenset({"version", "updated_at", "updated_by"})


def half_month_lock_reason() -> str | None:
    """Why half-month reporting cannot be switched now (a monthly period exists), or None."""
    if Period.objects.filter(kind__in=[Period.Kind.MONTH, Period.Kind.HALF]).exists():
        return _("已开设调度期，不能再更改是否按半月报送：已有调度期的上、下半月划分会与新的设置不一致。")
    return None


def current_row() -> DistrictSettings:
    """The saved row, or an unsaved one holding the environment's values (what applies now)."""
    row = DistrictSettings.objects.filter(pk=DistrictSettings.SINGLETON_PK).first()
    return row if row is not None else DistrictSettings.from_environment()


@transaction.atomic
def district_settings_update(*, values: dict[str, Any], version: int, by: Any) -> DistrictSettings:
    """Save the district's settings (the first save creates the row); audited with old and new values.

    ``version`` is the one the page showed: a save from a page older than the last change is refused
    rather than silently undoing it. Half-month reporting can be switched only while no monthly
    period exists.
    """
    row = DistrictSettings.objects.select_for_update().filter(pk=DistrictSettings.SINGLETON_PK).first()
    created = row is None
    if row is None:
        row = DistrictSettings.from_environment()
    if row.version != version:
        raise DistrictSettingsError(_("区县设置刚被他人修改，您的修改未保存，请刷新页面后再改。"))
    # The environment's values are the "before" of the first save, so history shows what changed.
    before = audit_snapshot(row, exclude=NOT_AUDITED)
    if "report_half_month" in values and bool(values["report_half_month"]) != row.report_half_month:
        reason = half_month_lock_reason()
        if reason:
            raise DistrictSettingsError(reason)
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean(exclude=["updated_by"])
    row.version += 1
    row.updated_by = by if getattr(by, "pk", None) else None
    row.save(force_insert=created)
    audit_record(
        by=by, instance=row, before=before, source=AuditEntry.Source.FORM, exclude=NOT_AUDITED,
        action=AuditEntry.Action.UPDATE,
    )
    return row


# --- the page's form -----------------------------------------------------------------------------

EDITABLE = (
    "district_name", "bulletin_prefix", "province",
    "light_yellow_gap", "light_red_gap", "light_start_red_months", "light_milestone_red_days",
    "report_deadline", "report_half_month", "reminder_days_before",
    "problem_remind_days", "problem_red_days",
)


class DistrictSettingsForm(forms.ModelForm[DistrictSettings]):
    """The settings page's form; the model's ``clean`` says what is wrong in words, per field."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = DistrictSettings
        fields = EDITABLE

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        if read_only:
            for field in self.fields.values():
                field.disabled = True
        elif (reason := half_month_lock_reason()):
            # Once periods exist the choice is fixed: shown as it is, with the reason, not offered.
            half = self.fields["report_half_month"]
            half.disabled = True
            half.help_text = reason

    def clean_report_half_month(self) -> bool:
        value = bool(self.cleaned_data.get("report_half_month"))
        if value != self.instance.report_half_month:
            reason = half_month_lock_reason()
            if reason:
                raise forms.ValidationError(reason)
        return value

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE}
