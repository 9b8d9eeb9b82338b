"""Writes to the leads (招商线索). Each one is atomic, checks the rule of who may make it, records its
changes (audit) and refreshes the lead's light.

Collisions (撞单). When a lead is entered, or its name or credit code changes, the leads that may be the
same enterprise are looked up (:func:`collision_candidates`) and a ``Collision`` is opened for each: the
office and the unit that entered the later lead are told. Dropped leads are not matched: a unit that gave
an investor up leaves it to others.

How the lookup stays fast (50,000 leads: investment/tests/bench_leads.py). The same credit code and the
same name key are two indexed queries. Names that are alike but not equal are found by a
``names.NameIndex`` kept in each process: building it costs about 2 s at 50,000 leads, so it is built once
and then brought up to date from the rows changed since. Every change of a name or code raises a counter
(``NameCounter``, one row) and stamps the lead with it; a lookup reads the counter (one query by primary
key) and, when it moved, reads only the leads stamped since (with a small look-back). ``lead_save`` holds
the counter's row lock while it looks up and saves, so two units entering the same investor at the same
moment are checked one after the other and the second sees the first.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_snapshot
from core import clock
from core.notify import Message, notify_many
from core.policies import can
from investment import creditcode, names, rules
from investment.models import Collision, Contact, Lead, NameCounter, Stage, StageChange
from org.models import User

# Rows re-read below the counter value an index was brought up to, in case a write took its stamp before
# one that committed earlier (lead_save takes the counter's lock, so this is a second line of defence).
LOOKBACK = 50
# The index keeps a removed row's place until it is built again: it is rebuilt once the places it has
# given out reach twice the leads it holds.
REBUILD_FACTOR = 2
# Fields only stage_advance changes.
_STAGE_FIELDS = ("stage", "signed_on", "signed_amount", "counterpart", "started_on", "producing_on", "dropped_reason")


# --- settings -------------------------------------------------------------------------------------

def stale_thresholds() -> rules.StaleThresholds:
    """The days without contact that make a lead yellow and red: ``DIAODU_LEAD_STALE_DAYS`` (yellow, red),
    default (30, 60)."""
    yellow, red = getattr(settings, "DIAODU_LEAD_STALE_DAYS", (rules.DEFAULT_YELLOW_DAYS, rules.DEFAULT_RED_DAYS))
    return rules.StaleThresholds(int(yellow), int(red))


def collision_threshold() -> float:
    """How alike two names must be to open a collision: ``DIAODU_LEAD_COLLISION_THRESHOLD``, default
    ``names.DEFAULT_THRESHOLD``."""
    return float(getattr(settings, "DIAODU_LEAD_COLLISION_THRESHOLD", names.DEFAULT_THRESHOLD))


# --- the name index -------------------------------------------------------------------------------

@dataclass
class _IndexCache:
    index: names.NameIndex | None = None
    stamp: int = -1
    places: int = 0  # rows added since built, removed ones included


_cache = _IndexCache()
_cache_lock = threading.Lock()


def name_index_forget() -> None:
    """Drop this process's name index: the next lookup builds it from the database."""
    with _cache_lock:
        _cache.index, _cache.stamp, _cache.places = None, -1, 0


def name_index_warm() -> int:
    """Build this process's name index now (the web process at start), so that the first lead entered after
    a restart is not the one that waits for it; the number of names indexed."""
    return len(_name_index(_counter_value()))


def _counter_value() -> int:
    return NameCounter.objects.filter(pk=NameCounter.SINGLETON_PK).values_list("value", flat=True).first() or 0


def _index_rows(stamp_after: int | None = None) -> Iterable[tuple[int, str, str, str]]:
    # Unordered: the list's default order (newest first) would have SQLite walk that index through every lead
    # instead of the few changed since ``stamp_after`` (110 ms a save at 50,000 leads instead of 1).
    rows = Lead.objects.order_by()
    if stamp_after is not None:
        rows = rows.filter(name_stamp__gt=stamp_after)
    return rows.values_list("pk", "enterprise", "credit_code", "name_normalised").iterator(chunk_size=5000)


def _name_index(stamp: int) -> names.NameIndex:
    """This process's index, brought up to the counter value ``stamp``."""
    with _cache_lock:
        cache = _cache
        if cache.index is None or stamp < cache.stamp or cache.places > REBUILD_FACTOR * max(len(cache.index), 1000):
            # Built again when missing, when the counter went back (an archive was restored) or when it
            # holds too many removed places.
            cache.index = names.NameIndex(_index_rows())
            cache.places = len(cache.index)
        elif stamp > cache.stamp:
            for row in _index_rows(cache.stamp - LOOKBACK):
                cache.index.add(*row)
                cache.places += 1
        cache.stamp = stamp
        return cache.index


class LeadMatch(NamedTuple):
    """A lead that may be the same enterprise, with the match that says why."""

    lead: Lead
    match: names.Match


def collision_candidates(
    name: str, code: str = "", *, exclude_id: int | None = None, threshold: float | None = None,
    _stamp: int | None = None,
) -> list[LeadMatch]:
    """The open leads that may be the same enterprise as ``name`` with credit ``code``, best first (the same
    code first, then by score, then the earliest entered): the same code or a name at least ``threshold``
    (default :func:`collision_threshold`) alike. Dropped leads and ``exclude_id`` are left out."""
    threshold = collision_threshold() if threshold is None else threshold
    code = creditcode.normalise(code)
    index = _name_index(_counter_value() if _stamp is None else _stamp)
    found: dict[Any, names.Match] = {m.id: m for m in index.match(name, code, threshold)}
    # The exact lookups from the database as well: they hold whatever the index may not have seen yet.
    key = names.name_key(names.normalise_name(name))
    exact = Lead.objects.filter(name_key=key)
    if code:
        exact = exact | Lead.objects.filter(credit_code=code)
    rows = [row for row in exact.values_list("pk", "enterprise", "credit_code", "name_normalised")
            if row[0] not in found]
    for matched in names.match(name, code, rows, threshold):
        found[matched.id] = matched
    found.pop(exclude_id, None)
    if not found:
        return []
    leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=list(found)).exclude(stage=Stage.DROPPED)
             .select_related("source_unit")}
    # Judged again on the rows as stored: an entry the index kept from a rolled-back write, or from before a
    # restore, can then only be missed (and the exact lookups above catch those), never wrongly matched.
    stored = [(lead.pk, lead.enterprise, lead.credit_code, lead.name_normalised) for lead in leads.values()]
    result = [LeadMatch(leads[int(m.id)], m) for m in names.match(name, code, stored, threshold)]  # type: ignore[call-overload]
    result.sort(key=lambda lm: (not lm.match.certain, -lm.match.score, lm.lead.created_at, lm.lead.pk))
    return result


# --- people to tell -------------------------------------------------------------------------------

def _office() -> list[User]:
    return list(User.objects.filter(is_active=True, role=User.Role.OFFICE))


def _unit_people(unit_id: int) -> list[User]:
    """Who in a unit reads its leads (rules.sees_unit_leads): its active reporters."""
    return [user for user in User.objects.filter(is_active=True, unit_id=unit_id)
            if rules.sees_unit_leads(user.role)]


# --- leads ----------------------------------------------------------------------------------------

class LeadSaved(NamedTuple):
    lead: Lead
    collisions: list[Collision]


def _check_version(stored: Lead, version: int | None) -> None:
    if version is not None and stored.version != version:
        raise ValidationError(_("该线索刚被他人修改，您的修改未保存，请刷新页面后再改。"), code="stale")


def _amounts(lead: Lead) -> None:
    lead.currency = (lead.currency or rules.CNY).strip().upper()
    if lead.amount_original is None:
        if lead.currency != rules.CNY or lead.amount_unit != rules.WAN:
            raise ValidationError({"amount_original": _("请填写原始金额。")})
        lead.exchange_rate = None
        return
    if lead.currency == rules.CNY:
        lead.exchange_rate = None
    elif lead.exchange_rate is None:
        raise ValidationError({"exchange_rate": _("外币金额须填写汇率（1 单位外币折合人民币元数）。")})
    lead.intended_investment = rules.amount_in_wan(
        lead.amount_original, lead.amount_unit, lead.currency, lead.exchange_rate
    )


@transaction.atomic
def lead_save(*, by: Any, lead: Lead, version: int | None = None, source: str = "form") -> LeadSaved:
    """Create or update ``lead`` (an instance carrying the new values). A unit's reporter enters leads for
    the unit; the stage and its facts change only through :func:`stage_advance`. The credit code is
    checked when given, the name normalised for matching, and on a new lead or a new name or code the
    leads that may be the same enterprise open collisions (returned). ``version``: the one the page
    showed; a save over a newer change is refused."""
    stored = Lead.objects.select_for_update().get(pk=lead.pk) if lead.pk else None
    if stored is None:
        if not can(by, "investment.create"):
            raise PermissionDenied
        if not by.is_office:
            lead.source_unit_id = by.unit_id
        if lead.stage not in {Stage.LEAD, Stage.NEGOTIATING}:
            raise ValidationError(_("新线索只能从“线索”或“在谈”阶段开始，此后逐级推进。"))
        for name in _STAGE_FIELDS[1:]:
            if getattr(lead, name) not in (None, ""):
                raise ValidationError(_("签约、开工、投产和终止的信息在推进阶段时填写。"))
        lead.created_by = by if getattr(by, "pk", None) else None
    else:
        if not can(by, "investment.edit", stored):
            raise PermissionDenied
        _check_version(stored, version)
        if not by.is_office and lead.source_unit_id != stored.source_unit_id:
            raise ValidationError(_("招商单位只有项目办可以更改。"))
        if any(getattr(lead, name) != getattr(stored, name) for name in _STAGE_FIELDS):
            raise ValidationError(_("阶段及签约、开工、投产、终止信息请通过推进阶段办理。"))
    lead.credit_code = creditcode.normalise(lead.credit_code)
    if lead.credit_code:
        lead.credit_code = creditcode.validate(lead.credit_code)
    lead.enterprise = " ".join(lead.enterprise.split())
    lead.name_normalised = names.normalise_name(lead.enterprise)
    lead.name_key = names.name_key(lead.name_normalised)
    _amounts(lead)
    lead.full_clean(exclude=["created_by", "project"], validate_unique=False)

    renamed = stored is None or (lead.name_normalised, lead.credit_code) != (stored.name_normalised, stored.credit_code)
    before = audit_snapshot(stored)
    if stored is not None and before == audit_snapshot(lead) and not renamed:
        return LeadSaved(stored, [])
    matches: list[LeadMatch] = []
    if renamed:
        # The counter's lock makes concurrent saves of names look up and save one after the other.
        # get_or_create survives two first saves at once (it reads again after the IntegrityError).
        NameCounter.objects.get_or_create(pk=NameCounter.SINGLETON_PK)
        counter = NameCounter.objects.select_for_update().get(pk=NameCounter.SINGLETON_PK)
        matches = collision_candidates(lead.enterprise, lead.credit_code, exclude_id=lead.pk, _stamp=counter.value)
        counter.value += 1
        counter.save(update_fields=["value"])
        lead.name_stamp = counter.value
    if stored is not None:
        lead.version = stored.version + 1
    lead.save()
    audit_record(by=by, instance=lead, before=before, source=source)
    collisions = collision_open(by=by, lead=lead, matches=matches, source=source) if matches else []
    lead_light_refresh(lead)
    return LeadSaved(lead, collisions)


def collision_open(
    *, by: Any, lead: Lead, matches: Sequence[LeadMatch], source: str = "form"
) -> list[Collision]:
    """Open a collision of ``lead`` (entered later) with each matched lead not already paired with it, and
    tell the office (both leads, the reason) and the later lead's unit (which unit reported the investor
    first and when; not the other lead's details)."""
    paired = set(Collision.objects.filter(lead=lead).values_list("existing_id", flat=True)) | set(
        Collision.objects.filter(existing=lead).values_list("lead_id", flat=True)
    )
    opened: list[Collision] = []
    for lm in matches:
        if lm.lead.pk in paired or lm.lead.pk == lead.pk:
            continue
        # The one entered first is the existing lead (首报): normally the match, unless the match was entered
        # later and this lead was renamed into it.
        matched_first = (lm.lead.created_at, lm.lead.pk) <= (lead.created_at, lead.pk)
        later, first = (lead, lm.lead) if matched_first else (lm.lead, lead)
        collision = Collision.objects.create(
            lead=later, existing=first, score=Decimal(str(round(lm.match.score, 3))), certain=lm.match.certain,
            reason=lm.match.reason[:300],
        )
        audit_record(by=by, instance=collision, before={}, subject=later, source=source)
        opened.append(collision)
    if opened:
        _tell_opened(opened)
    return opened


@translation.override(settings.LANGUAGE_CODE)
def _tell_opened(collisions: Sequence[Collision]) -> None:
    messages: list[Message] = []
    office = _office()
    for collision in collisions:
        later, first = collision.lead, collision.existing
        values = {
            "later": later.enterprise, "later_unit": later.source_unit, "first": first.enterprise,
            "first_unit": first.source_unit, "first_on": clock.local_date(first.created_at).isoformat(),
            "reason": collision.reason,
        }
        messages.append(Message(office, _(
            "撞单待裁定：%(later_unit)s录入的“%(later)s”与%(first_unit)s于 %(first_on)s 录入的“%(first)s”可能是同一企业"
            "（%(reason)s）。") % values))
        if later.source_unit_id == first.source_unit_id:
            text = _("本单位录入的“%(later)s”与本单位于 %(first_on)s 录入的“%(first)s”可能是同一企业（%(reason)s），"
                     "一个项目只计一次，请项目办裁定。") % values
        else:
            text = _("贵单位录入的“%(later)s”可能与%(first_unit)s于 %(first_on)s 首报的线索是同一企业。"
                     "按首报首谈，由项目办裁定跟进单位和业绩分成。") % values
        messages.append(Message(_unit_people(later.source_unit_id), text))
    notify_many(messages)


def _close_lead(*, by: Any, lead: Lead, reason: str, on: dt.date, source: str) -> None:
    before = audit_snapshot(lead)
    from_stage = lead.stage
    lead.stage, lead.dropped_reason = Stage.DROPPED, reason
    lead.version += 1
    lead.save()
    audit_record(by=by, instance=lead, before=before, source=source)
    change = StageChange.objects.create(lead=lead, from_stage=from_stage, to_stage=Stage.DROPPED, on=on, by=by,
                                        note=reason)
    audit_record(by=by, instance=change, before={}, subject=lead, source=source)
    lead_light_refresh(lead)


@transaction.atomic
def collision_rule(
    *, by: Any, collision: Collision, keeper: Lead, lead_share: Decimal, existing_share: Decimal, note: str = "",
    source: str = "form",
) -> Collision:
    """The office rules a collision: ``keeper`` (one of its two leads) keeps the investor, the credit is split
    ``lead_share`` (the later lead's unit) / ``existing_share`` (the first lead's unit), in percent summing to
    100. The other lead is dropped (a project is counted once) and both units are told."""
    if not can(by, "investment.rule_collision", collision):
        raise PermissionDenied
    collision = Collision.objects.select_for_update().select_related(
        "lead__source_unit", "existing__source_unit").get(pk=collision.pk)
    if collision.state != Collision.State.OPEN:
        raise ValidationError(_("该撞单已经处理，请刷新页面查看。"))
    if keeper.pk not in {collision.lead_id, collision.existing_id}:
        raise ValidationError(_("保留的线索须是撞单中的两条线索之一。"))
    lead_share, existing_share = Decimal(lead_share), Decimal(existing_share)
    refusals = rules.split_refusals(lead_share, existing_share, note)
    if refusals:
        raise ValidationError(refusals)
    other = collision.existing if keeper.pk == collision.lead_id else collision.lead
    other = Lead.objects.select_for_update().get(pk=other.pk)
    if other.stage == Stage.PRODUCING:
        raise ValidationError(_("“%(name)s”已投产，不能终止；请保留该线索。") % {"name": other.enterprise})
    keeper_lead = collision.lead if keeper.pk == collision.lead_id else collision.existing
    before = audit_snapshot(collision)
    collision.state = Collision.State.RESOLVED
    collision.keeper = keeper_lead
    collision.lead_share, collision.existing_share = lead_share, existing_share
    collision.decided_by, collision.decided_at, collision.note = by, timezone.now(), note.strip()
    collision.save()
    audit_record(by=by, instance=collision, before=before, subject=collision.lead, source=source)
    shares = {"keeper_unit": keeper_lead.source_unit, "lead_unit": collision.lead.source_unit,
              "lead_share": _percent(lead_share), "existing_unit": collision.existing.source_unit,
              "existing_share": _percent(existing_share)}
    if other.stage != Stage.DROPPED:
        reason = _("撞单裁定：由%(keeper_unit)s跟进；业绩分成 %(lead_unit)s %(lead_share)s%%、"
                   "%(existing_unit)s %(existing_share)s%%。") % shares
        _close_lead(by=by, lead=other, on=clock.today(), reason=reason, source=source)
    _tell_ruled(collision, keeper_lead, shares)
    return collision


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


@translation.override(settings.LANGUAGE_CODE)
def _tell_ruled(collision: Collision, keeper: Lead, shares: dict[str, Any]) -> None:
    text = _("项目办已裁定撞单：“%(name)s”由%(keeper_unit)s跟进；业绩分成 %(lead_unit)s %(lead_share)s%%、"
             "%(existing_unit)s %(existing_share)s%%。") % {**shares, "name": keeper.enterprise}
    unit_ids = dict.fromkeys((collision.lead.source_unit_id, collision.existing.source_unit_id))
    notify_many([Message(_unit_people(unit_id), text) for unit_id in unit_ids])


@transaction.atomic
def collision_dismiss(*, by: Any, collision: Collision, note: str = "", source: str = "form") -> Collision:
    """The office finds the two leads are different enterprises: the collision closes, both leads go on."""
    if not can(by, "investment.rule_collision", collision):
        raise PermissionDenied
    collision = Collision.objects.select_for_update().get(pk=collision.pk)
    if collision.state != Collision.State.OPEN:
        raise ValidationError(_("该撞单已经处理，请刷新页面查看。"))
    before = audit_snapshot(collision)
    collision.state = Collision.State.DISMISSED
    collision.decided_by, collision.decided_at, collision.note = by, timezone.now(), note.strip()
    collision.save()
    audit_record(by=by, instance=collision, before=before, subject=collision.lead, source=source)
    return collision


# --- stages and contacts ----------------------------------------------------------------------------

@transaction.atomic
def stage_advance(
    *,
    by: Any,
    lead: Lead,
    to: str,
    on: dt.date | None = None,
    signed_on: dt.date | None = None,
    signed_amount: Decimal | None = None,
    counterpart: str | None = None,
    started_on: dt.date | None = None,
    producing_on: dt.date | None = None,
    dropped_reason: str = "",
    note: str = "",
    skip_decision: str = "",
    version: int | None = None,
    source: str = "form",
) -> Lead:
    """Move ``lead`` to stage ``to`` with the facts it needs (those not given are the lead's own), one step up
    or dropped; more than one step only by the office with ``skip_decision`` saying why (rules.py)."""
    stored = Lead.objects.select_for_update().get(pk=lead.pk)
    if not can(by, "investment.edit", stored):
        raise PermissionDenied
    _check_version(stored, version)
    today = clock.today()
    decided = bool(skip_decision.strip()) and can(by, "investment.skip_stage")
    refusals = rules.step_refusals(stored.stage, to, skip_decided=decided)
    evidence = rules.Evidence(
        signed_on=signed_on or stored.signed_on,
        signed_amount=stored.signed_amount if signed_amount is None else Decimal(signed_amount),
        counterpart=stored.counterpart if counterpart is None else counterpart.strip(),
        started_on=started_on or stored.started_on,
        producing_on=producing_on or stored.producing_on,
        dropped_reason=dropped_reason.strip(),
    )
    if not refusals:
        refusals = rules.evidence_refusals(stored.stage, to, evidence, today=today)
    if refusals:
        raise ValidationError(refusals)
    before = audit_snapshot(stored)
    skipped = rules.is_skip(stored.stage, to)
    from_stage = stored.stage
    stored.stage = to
    if to == Stage.DROPPED:
        stored.dropped_reason = evidence.dropped_reason
    else:
        stored.signed_on, stored.signed_amount, stored.counterpart = (
            evidence.signed_on, evidence.signed_amount, evidence.counterpart)
        stored.started_on, stored.producing_on = evidence.started_on, evidence.producing_on
    stored.version += 1
    stored.save()
    audit_record(by=by, instance=stored, before=before, source=source)
    text = "\n".join(part for part in (note.strip(), skip_decision.strip() if skipped else "") if part)
    change = StageChange.objects.create(
        lead=stored, from_stage=from_stage, to_stage=to, on=on or today, by=by, note=text,
        skipped=skipped, decided_by=by if skipped else None,
    )
    audit_record(by=by, instance=change, before={}, subject=stored, source=source)
    lead_light_refresh(stored)
    return stored


@transaction.atomic
def contact_add(
    *,
    by: Any,
    lead: Lead,
    date: dt.date,
    form: str,
    result: str,
    participants: str = "",
    next_step: str = "",
    next_step_due: dt.date | None = None,
    source: str = "form",
) -> Contact:
    """Record a contact with the investor (洽谈记录): the lead's last contact date, its next step (when one is
    given) and its light follow."""
    stored = Lead.objects.select_for_update().get(pk=lead.pk)
    if not can(by, "investment.edit", stored):
        raise PermissionDenied
    if date > clock.today():
        raise ValidationError({"date": _("洽谈日期不能晚于今天。")})
    contact = Contact(lead=stored, date=date, form=form, result=result.strip(), participants=participants.strip(),
                      next_step=next_step.strip(), entered_by=by if getattr(by, "pk", None) else None)
    contact.full_clean(exclude=["entered_by"])
    contact.save()
    audit_record(by=by, instance=contact, before={}, subject=stored, source=source)
    before = audit_snapshot(stored)
    if stored.last_contact_on is None or date > stored.last_contact_on:
        stored.last_contact_on = date
    if contact.next_step:
        stored.next_step, stored.next_step_due = contact.next_step, next_step_due
    if audit_snapshot(stored) != before:
        stored.version += 1
    stored.save()
    audit_record(by=by, instance=stored, before=before, source=source)
    lead_light_refresh(stored)
    return contact


# --- lights ----------------------------------------------------------------------------------------

def _light(stage: str, last_contact_on: dt.date | None, created_at: dt.datetime, as_of: dt.date,
           thresholds: rules.StaleThresholds) -> tuple[str, list[list[str]]]:
    result = rules.lead_light(stage, last_contact_on=last_contact_on, entered_on=clock.local_date(created_at),
                              as_of=as_of, thresholds=thresholds)
    return result.light, [[light, text] for light, text in result.reasons]


# Stored reasons are read by everyone: in the district's language, whoever triggered the refresh.
@translation.override(settings.LANGUAGE_CODE)
def lead_light_refresh(lead: Lead, *, as_of: dt.date | None = None) -> str:
    as_of = as_of or clock.today()
    light, reasons = _light(lead.stage, lead.last_contact_on, lead.created_at, as_of, stale_thresholds())
    Lead.objects.filter(pk=lead.pk).update(light=light, light_reasons=reasons, light_as_of=as_of)
    lead.light, lead.light_reasons, lead.light_as_of = light, reasons, as_of
    return light


@translation.override(settings.LANGUAGE_CODE)
def lights_refresh_all(*, as_of: dt.date | None = None, batch: int = 2000) -> dict[str, int]:
    """Recompute every lead's light (the daily task): a fixed number of queries per ``batch`` leads, and only
    the leads whose light or reasons changed are written."""
    as_of = as_of or clock.today()
    thresholds = stale_thresholds()
    counts: dict[str, int] = defaultdict(int)
    ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        changed: list[Lead] = []
        for lead in Lead.objects.filter(pk__in=ids[start:start + batch]).only(
                "pk", "stage", "last_contact_on", "created_at", "light", "light_reasons", "light_as_of"):
            light, reasons = _light(lead.stage, lead.last_contact_on, lead.created_at, as_of, thresholds)
            counts[light] += 1
            if (light, reasons, as_of) != (lead.light, lead.light_reasons, lead.light_as_of):
                lead.light, lead.light_reasons, lead.light_as_of = light, reasons, as_of
                changed.append(lead)
        Lead.objects.bulk_update(changed, ["light", "light_reasons", "light_as_of"], batch_size=500)
    return dict(counts)
