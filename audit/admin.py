from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the audit trail is evidence and nobody edits it."""

    list_display = ["at", "user", "action", "model", "object_repr", "source"]
    list_filter = ["action", "source", "model"]
    search_fields = ["object_repr", "user__username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedModelAdmin(admin.ModelAdmin[Any]):
    """Admin pages that edit business data record each change like the app's own forms."""

    audit_exclude: frozenset[str] = frozenset({"password", "last_login"})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from audit.services import audit_record, audit_snapshot

        before = audit_snapshot(type(obj).objects.get(pk=obj.pk), exclude=self.audit_exclude) if change else {}
        super().save_model(request, obj, form, change)
        audit_record(by=request.user, instance=obj, before=before, source="admin", exclude=self.audit_exclude)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from audit.services import audit_delete

        audit_delete(by=request.user, instance=obj, source=AuditEntry.Source.ADMIN, exclude=self.audit_exclude)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
