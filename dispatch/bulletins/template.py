"""The bulletin template (通报模板): the office shapes the bulletin without code.

One row (dispatch.models.BulletinTemplate) holds the bulletin's issuing body (发文机关), red header
(红头文字), 文号 prefix, which sections it prints in what order, its signature (落款), 抄送 and 印发机关.
The office (rule ``dispatch.edit_bulletin_template``) edits it on /dispatch/bulletin-template/ with the
version the page showed, so a save from an older page is refused rather than silently undoing someone
else's; every save is audited, the sections in words. A text left blank prints what the bulletin
printed before the template existed (dispatch.bulletins.figures.printed_names).

The template reaches a bulletin only through publication: publishing a period freezes it with the
district's names (dispatch.periods.snapshots.Letterhead), and every bulletin of that period prints the
frozen copy, so changing the template never changes a published bulletin. To see a change before it
is in force, "下载样张" builds the Word bulletin of the latest published period with the template on
the page (saved or not) in place of the frozen one; nothing is stored.

Other modules' sections (招商引资, core.hooks.bulletin_parts) are listed with the others, unticked until
the office turns them on: a template saved before they existed prints what it printed. Once on, a
period's bulletin prints one where the order puts it when the module has a part for that period (for a
published period, from what was frozen with it); the sample shows it from the latest published period.

The page orders sections without script (CSP): each row has a "顺序" number and ↑/↓ buttons, which
send the form back with the row moved, unsaved.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.models import AuditEntry
from audit.services import audit_record, audit_snapshot
from core.district import district
from core.hooks import BulletinPart
from core.models import Period
from core.policies import require
from dispatch.access import current_user
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.docx_style import copy_to, office_name
from dispatch.bulletins.figures import NARRATIVE_KEYS, bulletin_figures, bulletin_sections
from dispatch.models import PART_SECTIONS, BulletinSection, BulletinTemplate, section_errors
from dispatch.periods.services import ConcurrentChange, DispatchError
from dispatch.periods.snapshots import BulletinText, letterhead_of

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_FIELDS = ("issuing_body", "header_text", "document_prefix", "signature", "copy_to", "issued_by")
# Bookkeeping, not a change anybody made.
NOT_AUDITED = frozenset({"version", "updated_at", "updated_by"})


# --- reading and saving ---------------------------------------------------------------------------

def current_template() -> BulletinTemplate:
    """The saved template, or an unsaved one with the defaults (what applies while none is saved)."""
    row = BulletinTemplate.objects.select_related("updated_by").filter(pk=BulletinTemplate.SINGLETON_PK).first()
    return row if row is not None else BulletinTemplate(pk=BulletinTemplate.SINGLETON_PK)


def sections_in_words(keys: list[str]) -> str:
    """The sections as a reader of history reads them: "总体情况、投资完成情况…", in the district's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return "、".join(str(BulletinSection(key).label) if key in BulletinSection.values else key for key in keys)


@transaction.atomic
def bulletin_template_update(*, values: dict[str, Any], version: int, by: Any) -> BulletinTemplate:
    """Save the bulletin template (the first save creates the row); audited with old and new values.

    ``version`` is the one the page showed (0 before the first save): a save from a page older than
    the last change is refused. The first save's "before" is the defaults, so history shows what changed.
    """
    row = BulletinTemplate.objects.select_for_update().filter(pk=BulletinTemplate.SINGLETON_PK).first()
    created = row is None
    if row is None:
        row = BulletinTemplate(pk=BulletinTemplate.SINGLETON_PK)
    if row.version != version:
        who = row.updated_by if row.updated_by_id else _("他人")
        raise ConcurrentChange(_("通报模板刚被%(who)s修改，您的修改未保存，请刷新页面后再改。") % {"who": who})
    before = audit_snapshot(row, exclude=NOT_AUDITED)
    old_sections = list(row.sections)
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean(exclude=["updated_by"])
    row.version += 1
    row.updated_by = by if getattr(by, "pk", None) else None
    try:
        with transaction.atomic():
            row.save(force_insert=created)
    except IntegrityError as exc:
        # Two first saves at once, where the database did not make the second wait (SQLite).
        raise ConcurrentChange(_("通报模板刚被他人保存，您的修改未保存，请刷新页面后再改。")) from exc
    entry = audit_record(
        by=by, instance=row, before=before, source=AuditEntry.Source.FORM, exclude=NOT_AUDITED,
        action=AuditEntry.Action.UPDATE,
    )
    if entry is not None:
        # The sections as their names, not the stored list of keys.
        with translation.override(settings.LANGUAGE_CODE):
            label = str(BulletinTemplate._meta.get_field("sections").verbose_name)
        if label in entry.changes:
            entry.changes[label] = [sections_in_words(old_sections), sections_in_words(list(row.sections))]
            AuditEntry.objects.filter(pk=entry.pk).update(changes=entry.changes)
    return row


def latest_published() -> Period | None:
    """The period the sample is built from: the latest published month (or half-month)."""
    return (
        Period.objects.filter(state=Period.State.PUBLISHED, kind__in=[Period.Kind.MONTH, Period.Kind.HALF])
        .order_by("-year", "-month", "-half").first()
    )


@translation.override(settings.LANGUAGE_CODE)
def sample_docx(template: BulletinTemplate, period: Period) -> bytes:
    """The Word bulletin of ``period`` as ``template`` (saved or not) would print it with today's district
    names: the sample (样张). In the district's language, as every bulletin is written."""
    figures = bulletin_figures(period, head=letterhead_of(template, district()))
    return bulletin_docx(figures, published_at=period.published_at)


# --- the page's form ------------------------------------------------------------------------------

class BulletinTemplateForm(forms.ModelForm[BulletinTemplate]):
    """The texts, and for each section a "印" box and a "顺序" number; the sections printed are those
    ticked, by number (equal numbers keep the order shown)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = BulletinTemplate
        fields = TEXT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        saved = [key for key in self.instance.sections if key in BulletinSection.values]
        # The printed sections in their order, then the others in the usual order; another module's section
        # not in the template yet (招商引资, not printed by default) right after the one it follows in the
        # usual order, so ticking it alone prints it there.
        shown = [*saved, *(key for key in BulletinSection.values if key not in saved)]
        usual = list(BulletinSection.values)
        for key in usual:
            if key in PART_SECTIONS and key not in saved and usual.index(key) > 0:
                shown.remove(key)
                shown.insert(shown.index(usual[usual.index(key) - 1]) + 1, key)
        self.shown = shown
        for position, key in enumerate(self.shown):
            title = BulletinSection(key).label
            self.fields[f"show_{key}"] = forms.BooleanField(label=title, required=False, initial=key in saved)
            label = _("%(title)s的顺序") % {"title": title}
            self.fields[f"order_{key}"] = forms.IntegerField(
                label=label, required=False, min_value=1, max_value=99, initial=position + 1,
                widget=forms.NumberInput(attrs={"class": "section-order", "aria-label": label}),
            )
        self._placeholders()

    def _placeholders(self) -> None:
        """Each blank text shows what it prints (today's district names; the issuing body as typed)."""
        current = district()
        office = self.instance.issuing_body or office_name(current.district_name)
        hints = {
            "issuing_body": office_name(current.district_name), "header_text": office,
            "document_prefix": current.document_prefix, "signature": office,
            "copy_to": copy_to(current.district_name), "issued_by": office,
        }
        for name, hint in hints.items():
            self.fields[name].widget.attrs.update({"placeholder": hint, "size": 40})

    def _position(self, key: str) -> tuple[int, int]:
        """Where a row goes: its number (bound: as sent; blank or invalid: last), then the order shown."""
        if self.is_bound:
            raw = self.data.get(self.add_prefix(f"order_{key}"), "")
            number = int(raw) if str(raw).strip().isdigit() else 100
        else:
            number = self.fields[f"order_{key}"].initial
        return number, self.shown.index(key)

    def _ticked(self, key: str) -> bool:
        if self.is_bound:
            widget = self.fields[f"show_{key}"].widget
            return bool(widget.value_from_datadict(self.data, self.files, self.add_prefix(f"show_{key}")))
        return bool(self.fields[f"show_{key}"].initial)

    def order(self) -> list[str]:
        """Every section in the order of the page (as sent, when sent)."""
        return sorted(self.shown, key=self._position)

    def chosen(self) -> list[str]:
        """The sections to print, in order."""
        return [key for key in self.order() if self._ticked(key)]

    def rows(self) -> list[dict[str, Any]]:
        """The page's rows, in order: each section's box, number and title."""
        return [
            {"key": key, "title": BulletinSection(key).label, "show": self[f"show_{key}"],
             "order": self[f"order_{key}"], "narrative": key in NARRATIVE_KEYS, "part": key in PART_SECTIONS}
            for key in self.order()
        ]

    def headings(self) -> list[str]:
        """The numbered headings the sections on the page print (the office's two as if written, other
        modules' sections as if they had something to print)."""
        parts = {key: BulletinPart(key=key, blocks=()) for key in PART_SECTIONS}
        printed, _words = bulletin_sections(self.chosen(), BulletinText(problems="-", next_steps="-"), parts)
        return [section.heading for section in printed]

    def moved(self, move: str) -> QueryDict:
        """The data sent, with the section ``move`` names ("up:overview", "down:lights") one row up or
        down and every row renumbered 1, 2, 3…; unknown moves change only the numbering."""
        direction, _sep, key = move.partition(":")
        order = self.order()
        if key in order:
            at = order.index(key)
            to = at - 1 if direction == "up" else at + 1 if direction == "down" else at
            if 0 <= to < len(order):
                order[at], order[to] = order[to], order[at]
        data = self.data.copy() if isinstance(self.data, QueryDict) else QueryDict(mutable=True)
        for number, name in enumerate(order, start=1):
            data[self.add_prefix(f"order_{name}")] = str(number)
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = self.chosen()
        # The model checks the same (BulletinTemplate.clean); said here, the page shows it above the form.
        for error in section_errors(chosen):
            self.add_error(None, error)
        cleaned["sections"] = chosen
        return cleaned

    def values(self) -> dict[str, Any]:
        return {**{name: self.cleaned_data[name] for name in TEXT_FIELDS}, "sections": self.cleaned_data["sections"]}


# --- the page -------------------------------------------------------------------------------------

def _page(request: HttpRequest, form: BulletinTemplateForm, row: BulletinTemplate) -> HttpResponse:
    return render(request, "dispatch/bulletin_template.html", {
        "form": form, "row": row, "period": latest_published(),
    })


@require_http_methods(["GET", "POST"])
def bulletin_template_page(request: HttpRequest) -> HttpResponse:
    """The office edits the bulletin template; ↑/↓ move a section without saving; 保存 saves it."""
    user = current_user(request)
    require(user, "dispatch.edit_bulletin_template")
    row = current_template()
    form = BulletinTemplateForm(instance=row)
    if request.method == "POST":
        move = request.POST.get("move", "")
        form = BulletinTemplateForm(request.POST, instance=row)
        if move:
            form = BulletinTemplateForm(form.moved(move), instance=row)
            messages.info(request, _("章节顺序已调整，尚未保存：确认后请点“保存”。"))
        elif form.is_valid():
            try:
                bulletin_template_update(values=form.values(), version=form.cleaned_data["version"], by=user)
            except (DispatchError, forms.ValidationError) as exc:
                form.add_error(None, exc.messages if isinstance(exc, forms.ValidationError) else str(exc))
            else:
                messages.success(request, _("通报模板已保存，此后发布的调度期按此模板生成通报。"))
                return redirect("dispatch:bulletin_template")
    return _page(request, form, row)


@require_http_methods(["GET", "POST"])
def bulletin_template_sample(request: HttpRequest) -> HttpResponse:
    """下载样张: the latest published period's Word bulletin with the saved template (GET) or with the
    template on the page, unsaved (POST). Nothing is stored."""
    user = current_user(request)
    require(user, "dispatch.edit_bulletin_template")
    row = current_template()
    template = row
    if request.method == "POST":
        form = BulletinTemplateForm(request.POST, instance=row)
        if not form.is_valid():
            return _page(request, form, row)
        template = BulletinTemplate(pk=row.pk, **form.values())
    period = latest_published()
    if period is None:
        messages.error(request, _("还没有已发布的调度期，发布后才能下载样张。"))
        return redirect("dispatch:bulletin_template")
    name = _("通报样张（%(period)s）.docx") % {"period": period.label}
    response = HttpResponse(sample_docx(template, period), content_type=DOCX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response


urlpatterns: list[URLPattern] = [
    path("bulletin-template/", bulletin_template_page, name="bulletin_template"),
    path("bulletin-template/sample/", bulletin_template_sample, name="bulletin_template_sample"),
]
