from __future__ import annotations

from django.contrib import admin

from core.models import Period
from dispatch.models import BulletinTemplate


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin[Period]):
    """Read-only here: periods change state only through the dispatch pages, which check and record it."""

    list_display = ["__str__", "opens_on", "deadline", "state", "published_at"]
    list_filter = ["state", "year"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(BulletinTemplate)
class BulletinTemplateAdmin(admin.ModelAdmin[BulletinTemplate]):
    """Read-only here: the office changes the template on its page (/dispatch/bulletin-template/), which checks
    the version it showed and records the change in the audit log."""

    list_display = ["__str__", "issuing_body", "header_text", "document_prefix", "version", "updated_at", "updated_by"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
