from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.admin import AuditedModelAdmin
from projects.models import FundingSource, ImportProfile, MilestoneTemplate, MilestoneTemplateStep, ProjectCategory


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


@admin.register(ProjectCategory)
class ProjectCategoryAdmin(AuditedModelAdmin):
    """The district's finer project categories (工业, 文旅, 民生实事…), offered in forms, filters and imports."""

    list_display = ["name", "livelihood", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(FundingSource)
class FundingSourceAdmin(AuditedModelAdmin):
    """Where projects' money comes from (政府投资, 社会投资, 专项债…)."""

    list_display = ["name", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(ImportProfile)
class ImportProfileAdmin(AuditedModelAdmin):
    """Saved import mappings: created on the import page; here they can be renamed or removed."""

    list_display = ["name", "note", "updated_by", "updated_at"]
    readonly_fields = ["mapping", "values", "defaults", "rates", "updated_by", "updated_at"]
