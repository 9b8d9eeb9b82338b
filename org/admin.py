from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedModelAdmin
from org.models import Holiday, Unit, User


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["name", "short_name", "kind", "category", "population", "order", "is_active"]
    list_filter = ["kind", "category", "is_active"]
    search_fields = ["name", "short_name"]


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ["username", "full_name", "role", "unit", "title", "is_active"]
    list_filter = ["role", "unit__kind", "is_active"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("角色与单位"), {"fields": ("full_name", "role", "unit", "title", "phone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("角色与单位"), {"fields": ("full_name", "role", "unit", "title", "phone")}),
    )


@admin.register(Holiday)
class HolidayAdmin(AuditedModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
