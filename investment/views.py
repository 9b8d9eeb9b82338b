"""Lead pages (招商线索). Leads are commercial secrets: every view scopes its queryset to the user
(``Lead.objects.visible_to``) before using it, and every write goes through ``investment.services``, which
checks the rule again and records the change."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import clock
from core.policies import can, require
from investment import attachments, conversion, rules, services
from investment.forms import (
    SORTS,
    CollisionDismissForm,
    CollisionRuleForm,
    ContactForm,
    LeadFilterForm,
    LeadForm,
    StageForm,
    targets_for,
)
from investment.models import Collision, Lead, Light
from org.access import current_user
from org.models import User

PAGE_SIZE = 50
# Refusals of the credit code (creditcode.validate's codes): shown with the field.
_CREDIT_CODE_ERRORS = frozenset({"required", "length", "character", "region", "organization_check_digit",
                                 "check_digit"})
_LIGHT_NAMES = dict(Light.choices)
# What a row of the list shows: the rows are sorted whole, so the narrower the faster.
_LIST_FIELDS = ("enterprise", "stage", "intended_investment", "source_unit__name", "source_unit__short_name",
                "last_contact_on", "light", "light_reasons", "created_at")


def _put_on_form(
    form: BaseForm, error: ValidationError, *, field_codes: dict[str, frozenset[str]] | None = None
) -> None:
    """A service's refusal on ``form``: with its field when it names one the form shows, else on the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(name if name in form.fields else None, item.messages)
        return
    for item in error.error_list:
        target = None
        for name, codes in (field_codes or {}).items():
            if item.code in codes and name in form.fields:
                target = name
        form.add_error(target, item.messages)


def _light_text(lead: Lead) -> str:
    return "；".join(text for _light, text in lead.light_reasons)


# --- the list ---------------------------------------------------------------------------------

def lead_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.view")
    every_unit = rules.sees_every_lead(user.role, is_superuser=user.is_superuser)
    form = LeadFilterForm(request.GET or None, every_unit=every_unit)
    qs = form.apply(Lead.objects.visible_to(user))
    sort = request.GET.get("sort", "created")
    if sort not in SORTS:
        sort = "created"
    # The stage and the light sort in their own order (the way up; red first), not by their codes.
    if sort.endswith("stage"):
        qs = qs.annotate(stage_order=Case(
            *[When(stage=s, then=Value(i)) for i, s in enumerate((*rules.ORDER, rules.DROPPED))],
            output_field=IntegerField()))
    elif sort.endswith("light"):
        qs = qs.annotate(light_order=Case(
            *[When(light=light, then=Value(order)) for light, order in rules.SEVERITY.items()],
            output_field=IntegerField()))
    # The page's ids first, sorted narrow (the id and the sort key, not the light's reasons), then its rows:
    # sorting 50,000 whole rows by the light's order took SQLite 160 ms, the ids alone a third of it.
    ordered = qs.order_by(SORTS[sort], "-pk").values_list("pk", flat=True)
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    found = Lead.objects.filter(pk__in=list(page)).select_related("source_unit").only(*_LIST_FIELDS).in_bulk()
    leads = [found[pk] for pk in page if pk in found]
    rows = [
        {
            "lead": lead, "light": lead.light, "light_name": _LIGHT_NAMES.get(lead.light, lead.light),
            "reasons": _light_text(lead), "stage": lead.get_stage_display(),
        }
        for lead in leads
    ]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "sort": sort,
        "query": params.urlencode(),
        "query_without_sort": urlencode([(k, v) for k, v in params.items() if k != "sort"]),
        "can_create": can(user, "investment.create"),
        "can_rule": can(user, "investment.rule_collision"),
        "open_collisions": Collision.objects.filter(state=Collision.State.OPEN).count()
        if can(user, "investment.rule_collision") else 0,
    }
    return render(request, "investment/leads.html", context)


# --- one lead ---------------------------------------------------------------------------------

def _get_lead(request: HttpRequest, pk: int, *, write: bool = False) -> Lead:
    """The lead if the user may see it (or, with ``write``, change it). Out of scope is 404, so a unit learns
    nothing of other units' leads; in scope but read-only is 403."""
    user = current_user(request)
    lead = (Lead.objects.visible_to(user)
            .select_related("source_unit", "chain_node__chain__chief", "created_by", "project")
            .filter(pk=pk).first())
    if lead is None:
        raise Http404
    if write:
        require(user, "investment.edit", lead)
    return lead


def _collision_rows(lead: Lead, user: User) -> list[dict[str, Any]]:
    """The collisions ``lead`` is in, each with the other lead as far as ``user`` may know it: the whole lead
    when he or she may see it, else only its unit and the day it was entered (what the services tell)."""
    collisions = (Collision.objects.filter(Q(lead=lead) | Q(existing=lead))
                  .select_related("lead__source_unit", "existing__source_unit", "keeper", "decided_by",
                                  "lead__chain_node__chain", "existing__chain_node__chain"))
    rows = []
    for collision in collisions:
        first = collision.existing_id == lead.pk
        other = collision.lead if first else collision.existing
        rows.append({
            "collision": collision,
            "first": first,
            "other": other,
            "other_visible": can(user, "investment.view", other),
            "other_unit": other.source_unit,
            "other_on": timezone.localtime(other.created_at).date(),
            "kept_here": collision.keeper_id == lead.pk,
            "share_here": collision.existing_share if first else collision.lead_share,
            "share_other": collision.lead_share if first else collision.existing_share,
        })
    return rows


def _detail(request: HttpRequest, lead: Lead, **forms: BaseForm) -> HttpResponse:
    user = current_user(request)
    can_edit = can(user, "investment.edit", lead)
    office = can(user, "investment.skip_stage")
    context: dict[str, Any] = {
        "lead": lead,
        "light_name": _LIGHT_NAMES.get(lead.light, lead.light),
        "rules_in_words": rules.rules_in_words(services.stale_thresholds()),
        "contacts": list(lead.contacts.select_related("entered_by")),
        "stage_changes": list(lead.stage_changes.select_related("by", "decided_by")),
        "collisions": _collision_rows(lead, user),
        "can_edit": can_edit,
        "can_rule": can(user, "investment.rule_collision"),
        "today": clock.today(),
        "files": attachments.section(lead, user),
        **conversion.lead_page_context(lead, user),
    }
    if can_edit:
        context["contact_form"] = forms.get("contact_form") or ContactForm(initial={"date": clock.today()})
        if targets_for(lead.stage, office=office):
            context["stage_form"] = forms.get("stage_form") or StageForm(lead=lead, office=office)
        context["drop_form"] = forms.get("drop_form") or StageForm(lead=lead, office=office, drop=True)
    return render(request, "investment/detail.html", context)


def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get_lead(request, pk))


@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _get_lead(request, pk, write=True)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_add(by=current_user(request), lead=lead, **form.cleaned_data)
        except ValidationError as error:
            _put_on_form(form, error)
        else:
            messages.success(request, _("已记录洽谈。"))
            return redirect("investment:lead_detail", pk=lead.pk)
    return _detail(request, lead, contact_form=form)


@require_POST
def stage_advance(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _get_lead(request, pk, write=True)
    user = current_user(request)
    office = can(user, "investment.skip_stage")
    drop = request.POST.get("to") == rules.DROPPED
    form = StageForm(request.POST, lead=lead, office=office, drop=drop)
    if form.is_valid():
        data = dict(form.cleaned_data)
        to = data.pop("to")
        try:
            services.stage_advance(by=user, lead=lead, to=to, **{k: v for k, v in data.items() if v not in (None, "")})
        except ValidationError as error:
            _put_on_form(form, error)
        else:
            messages.success(request, _("“%(name)s”已进入“%(stage)s”阶段。")
                             % {"name": lead.enterprise, "stage": rules.stage_name(to)})
            return redirect("investment:lead_detail", pk=lead.pk)
    return _detail(request, lead, **{"drop_form" if drop else "stage_form": form})


# --- entering and changing a lead -------------------------------------------------------------

def _collision_warning(request: HttpRequest, saved: services.LeadSaved) -> None:
    """What the services tell the unit about a collision, as a warning on the next page."""
    user = current_user(request)
    for collision in saved.collisions:
        later, first = collision.lead, collision.existing
        there = first if later.pk == saved.lead.pk else later
        values = {"unit": there.source_unit, "on": timezone.localtime(first.created_at).date().isoformat(),
                  "name": there.enterprise}
        if can(user, "investment.view", there):
            text = _("可能与%(unit)s录入的“%(name)s”是同一企业（撞单），已提交项目办裁定。") % values
        elif there is first:
            text = _("该企业可能已由%(unit)s于 %(on)s 首报（撞单）。"
                     "按首报首谈，由项目办裁定跟进单位和业绩分成。") % values
        else:
            text = _("%(unit)s录入的线索可能与本线索是同一企业（撞单），已提交项目办裁定。") % values
        messages.warning(request, text)


def _lead_form(request: HttpRequest, lead: Lead | None) -> HttpResponse:
    user = current_user(request)
    form = LeadForm(request.POST or None, instance=lead, user=user)
    if request.method == "POST" and form.is_valid():
        entered = form.save(commit=False)
        if entered.amount_original is None:
            entered.intended_investment = None
        try:
            saved = services.lead_save(by=user, lead=entered, version=form.cleaned_data.get("version"))
        except ValidationError as error:
            _put_on_form(form, error, field_codes={"credit_code": _CREDIT_CODE_ERRORS})
        else:
            messages.success(request, _("已保存线索“%(name)s”。") % {"name": saved.lead.enterprise})
            _collision_warning(request, saved)
            return redirect("investment:lead_detail", pk=saved.lead.pk)
    return render(request, "investment/form.html", {"form": form, "lead": lead})


@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    require(current_user(request), "investment.create")
    return _lead_form(request, None)


@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _lead_form(request, _get_lead(request, pk, write=True))


# --- collisions (the office) ------------------------------------------------------------------

def _collision_context(forms: dict[int, BaseForm] | None = None) -> dict[str, Any]:
    related = ("lead__source_unit", "existing__source_unit", "keeper__source_unit", "decided_by")
    open_ = list(Collision.objects.filter(state=Collision.State.OPEN).select_related(*related)
                 .order_by("created_at", "pk"))
    forms = forms or {}
    rows = [{"collision": c, "rule_form": forms.get(c.pk) if isinstance(forms.get(c.pk), CollisionRuleForm)
             else CollisionRuleForm(collision=c), "dismiss_form": CollisionDismissForm(prefix=f"d{c.pk}")}
            for c in open_]
    decided = list(Collision.objects.exclude(state=Collision.State.OPEN).select_related(*related)
                   .order_by("-decided_at", "-pk")[:100])
    return {"rows": rows, "decided": decided}


def collisions(request: HttpRequest) -> HttpResponse:
    require(current_user(request), "investment.rule_collision")
    return render(request, "investment/collisions.html", _collision_context())


@require_POST
def collision_rule(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.rule_collision")
    collision = get_object_or_404(Collision.objects.select_related("lead__source_unit", "existing__source_unit"),
                                  pk=pk)
    if collision.state != Collision.State.OPEN:
        # Its form is no longer on the page: the refusal goes with the page.
        messages.error(request, _("该撞单已经处理，请刷新页面查看。"))
        return redirect("investment:collisions")
    form = CollisionRuleForm(request.POST, collision=collision)
    if form.is_valid():
        keeper = collision.lead if form.cleaned_data["keeper"] == str(collision.lead_id) else collision.existing
        try:
            services.collision_rule(by=user, collision=collision, keeper=keeper,
                                    lead_share=form.cleaned_data["lead_share"],
                                    existing_share=form.cleaned_data["existing_share"],
                                    note=form.cleaned_data["note"])
        except ValidationError as error:
            _put_on_form(form, error)
        else:
            messages.success(request, _("已裁定：“%(name)s”由%(unit)s跟进。")
                             % {"name": keeper.enterprise, "unit": keeper.source_unit})
            return redirect("investment:collisions")
    return render(request, "investment/collisions.html", _collision_context({collision.pk: form}))


@require_POST
def collision_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.rule_collision")
    collision = get_object_or_404(Collision, pk=pk)
    form = CollisionDismissForm(request.POST, prefix=f"d{collision.pk}")
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.collision_dismiss(by=user, collision=collision, note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已确认两条线索不是同一企业，撞单关闭。"))
    return redirect("investment:collisions")

