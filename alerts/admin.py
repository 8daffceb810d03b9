"""Admin: the escalation policy and stages, each unit's channels (with a test-send button), and
read-only views of alerts, the outbox, delivery attempts and the sweep heartbeat."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from alerts.choices import AttemptOutcome
from alerts.delivery import channel_test_send
from alerts.models import (
    Alert,
    Channel,
    DeliveryAttempt,
    EscalationPolicy,
    EscalationStage,
    Notification,
    SweepHeartbeat,
)
from incidents.forms import https_formfield
from incidents.timeline import Actor


class EscalationStageInline(admin.TabularInline):
    model = EscalationStage
    extra = 0
    fields = ("code", "name", "offset", "repeat_every", "audience")


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    inlines = [EscalationStageInline]


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        formfield_callback = https_formfield
        fields = (
            "unit",
            "name",
            "kind",
            "url",
            "secret",
            "keyword",
            "min_audience",
            "mention",
            "rate_per_minute",
            "enabled",
        )
        widgets = {"secret": forms.PasswordInput(render_value=True)}


def _report(request: HttpRequest, channel: Channel, attempt: DeliveryAttempt) -> None:
    if attempt.outcome == AttemptOutcome.DELIVERED:
        messages.success(request, _("%(channel)s: test message delivered.") % {"channel": channel})
    else:
        messages.error(
            request,
            _("%(channel)s: test message failed (%(code)s) %(error)s")
            % {"channel": channel, "code": attempt.error_code or attempt.http_status, "error": attempt.error},
        )


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    # The admin builds its form fields through formfield_for_dbfield, not the form's callback.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "unit", "kind", "min_audience", "rate_per_minute", "enabled")
    list_filter = ("unit", "kind", "enabled")
    actions = ["test_send"]
    change_form_template = "admin/alerts/channel/change_form.html"

    @admin.action(description=gettext_lazy("Send a test message"))
    def test_send(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        for channel in queryset:
            _report(request, channel, channel_test_send(channel=channel, actor=Actor.of(request.user)))  # type: ignore[arg-type]

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(require_POST(self.test_send_view))
        return [path("<int:pk>/test-send/", view, name="alerts_channel_test_send"), *super().get_urls()]

    def test_send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        channel = get_object_or_404(Channel, pk=pk)
        if not self.has_change_permission(request, channel):
            messages.error(request, _("You may not use this channel."))
        else:
            _report(request, channel, channel_test_send(channel=channel, actor=Actor.of(request.user)))  # type: ignore[arg-type]
        return HttpResponseRedirect(reverse("admin:alerts_channel_change", args=[pk]))


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    fields = (
        "channel_kind",
        "recipient",
        "channel",
        "status",
        "attempts",
        "last_code",
        "last_error",
        "delivered_at",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnly):
    list_display = ("fired_at", "incident", "kind", "stage_name", "audience", "acknowledged_at")
    list_filter = ("kind", "audience", "stage")
    search_fields = ("incident__reference", "message")
    inlines = [NotificationInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = (
        "created_at",
        "alert",
        "channel_kind",
        "recipient",
        "channel",
        "status",
        "attempts",
        "last_code",
    )
    list_filter = ("status", "channel_kind")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnly):
    list_display = ("started_at", "channel_kind", "channel", "outcome", "http_status", "error_code", "test")
    list_filter = ("outcome", "channel_kind", "test")


@admin.register(SweepHeartbeat)
class SweepHeartbeatAdmin(ReadOnly):
    list_display = ("name", "last_finished_at", "duration_ms", "fired", "runs", "host")
