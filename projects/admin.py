from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.admin import AuditedModelAdmin
from projects.models import MilestoneTemplate, MilestoneTemplateStep


class MilestoneTemplateStepInline(admin.TabularInline[MilestoneTemplateStep, MilestoneTemplate]):
    model = MilestoneTemplateStep
    extra = 1
    ordering = ["order"]


@admin.register(MilestoneTemplate)
class MilestoneTemplateAdmin(AuditedModelAdmin):
    """The standard milestones and durations reverse scheduling works from; each district sets its own."""

    list_display = ["name", "project_type"]
    list_filter = ["project_type"]
    inlines = [MilestoneTemplateStepInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        from audit.services import audit_delete, audit_record, audit_snapshot

        befores = {
            obj.pk: audit_snapshot(MilestoneTemplateStep.objects.get(pk=obj.pk))
            for obj in formset.queryset
            if obj.pk
        }
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_delete(by=request.user, instance=obj, subject=form.instance, source="admin")
        for obj in instances:
            before = befores.get(obj.pk, {})
            obj.save()
            audit_record(by=request.user, instance=obj, before=before, subject=form.instance, source="admin")
