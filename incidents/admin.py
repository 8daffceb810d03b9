"""Admin: configuration (units, users, grade policy). Incidents are read-only here: they change
only through the services behind the incident pages and the API, which keep the timeline."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from incidents.models import Deadline, GradePolicy, Incident, TimelineEvent, Unit, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Unit and contact"), {"fields": ("unit", "mobile")}))  # type: ignore[misc]
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Unit"), {"fields": ("unit", "email", "groups")}))
    list_display = ("username", "get_full_name", "unit", "email", "is_active")
    list_filter = ("unit", "groups", "is_active")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "head")
    search_fields = ("name", "code")


@admin.register(GradePolicy)
class GradePolicyAdmin(admin.ModelAdmin):
    list_display = ("grade", "report_window", "basis", "follow_up_cadence")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DeadlineInline(admin.TabularInline):
    model = Deadline
    extra = 0
    can_delete = False
    fields = ("kind", "sequence", "due_at", "met_at", "cancelled_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "grade", "status", "unit", "occurred_at")
    list_filter = ("grade", "status", "unit", "source")
    search_fields = ("reference", "title")
    inlines = [DeadlineInline]


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ("incident", "kind", "at", "actor_name")
    list_filter = ("kind",)
