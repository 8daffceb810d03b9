"""Admin: monitoring clients and their keys (shown once, on creation), the worsening alert
policy, and read-only views of rules, detections and trend for support."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin

from monitoring.models import ClientKey, Detection, KeywordRule, MonitoringClient, WorseningPolicy
from monitoring.services import client_key_add


class ClientKeyInline(admin.TabularInline):
    model = ClientKey
    extra = 0
    fields = ("prefix", "created", "expiry_date", "revoked")
    readonly_fields = ("prefix", "created")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # new keys come from the action below, which shows the key once


@admin.register(MonitoringClient)
class MonitoringClientAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "rate", "created_at")
    search_fields = ("name",)
    inlines = [ClientKeyInline]
    actions = ["issue_key"]

    def save_model(self, request: HttpRequest, obj: MonitoringClient, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            self._show_key(request, obj, client_key_add(client=obj))

    @admin.action(description=_("Issue a new API key (shown once)"))
    def issue_key(self, request: HttpRequest, queryset: Any) -> None:
        for client in queryset:
            self._show_key(request, client, client_key_add(client=client))

    def _show_key(self, request: HttpRequest, client: MonitoringClient, key: str) -> None:
        messages.warning(
            request,
            _("API key for %(name)s: %(key)s — store it now, it will not be shown again.")
            % {"name": client.name, "key": key},
        )


@admin.register(ClientKey)
class ClientKeyAdmin(APIKeyModelAdmin):
    list_display = ("prefix", "client", "created", "expiry_date", "_has_expired", "revoked")
    list_filter = ("client", "revoked")  # type: ignore[assignment]
    search_fields = ("prefix", "client__name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issue keys from the client's page


@admin.register(WorseningPolicy)
class WorseningPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "enabled", "factor", "floor", "negative_share", "negative_floor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not WorseningPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    """Read-only: rules change on the incident page or the API, which keep the timeline."""

    list_display = ("incident", "__str__", "scope", "is_active", "updated_at")
    list_filter = ("is_active", "scope")
    search_fields = ("incident__reference", "incident__title")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Detection)
class DetectionAdmin(admin.ModelAdmin):
    list_display = ("title", "platform", "outlet", "published_at", "sentiment", "client")
    list_filter = ("sentiment", "platform", "client")
    search_fields = ("external_id", "title", "outlet")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
