"""Who must act now: the escalation policy, alerts, their delivery (the outbox) and the
sweep's heartbeat."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alerts.choices import (
    AlertKind,
    AttemptOutcome,
    Audience,
    ChannelKind,
    NotificationStatus,
)
from incidents.models import Deadline, Incident, Unit


class EscalationPolicy(models.Model):
    """A named set of stages. Exactly one policy is active at a time: the sweep uses its stages
    for every open deadline."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="escalationpolicy_one_active"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStage(models.Model):
    """One step of escalation, placed relative to a deadline's due time.

    ``offset`` is negative before the due time, zero at it, positive after. A stage with
    ``repeat_every`` fires again at that interval until the next stage begins (or, for the
    last stage, until the deadline is met). Later stages are more severe."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(
        _("code"), max_length=30, help_text=_("Stable identifier, part of every alert's key.")
    )
    name = models.CharField(_("name"), max_length=100)
    offset = models.DurationField(
        _("offset from due time"),
        help_text=_("Negative: before the deadline (e.g. -0:30:00); 0: at the deadline; positive: after it."),
    )
    repeat_every = models.DurationField(
        _("repeat every"), null=True, blank=True, help_text=_("Empty: fire once.")
    )
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)

    class Meta:
        verbose_name = _("escalation stage")
        verbose_name_plural = _("escalation stages")
        ordering = ["policy", "offset"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="escalationstage_code_unique"),
            models.UniqueConstraint(fields=["policy", "offset"], name="escalationstage_offset_unique"),
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values), name="escalationstage_audience_valid"
            ),
            models.CheckConstraint(
                condition=Q(repeat_every__isnull=True) | Q(repeat_every__gte=timedelta(seconds=1)),
                name="escalationstage_repeat_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One alert about one incident. ``key`` makes "at most once" a database fact: deadline
    alerts use ``deadline:<id>:<stage>:<due_at>:<repeat>``, others e.g. ``worsening:<incident>:<hour>``.
    Deadline alerts are also unique on (deadline, stage, due time, repeat): a moved deadline
    has a new due time and escalates afresh."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    key = models.CharField(max_length=200, unique=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=30, blank=True)
    stage_name = models.CharField(_("stage name"), max_length=100, blank=True)
    repeat = models.PositiveIntegerField(_("repeat"), default=0)
    stage_at = models.DateTimeField(
        _("stage moment"), null=True, blank=True, help_text=_("When this stage fell due.")
    )
    next_stage_at = models.DateTimeField(
        _("next stage at"),
        null=True,
        blank=True,
        help_text=_("When this deadline's next stage falls due; empty when none follows."),
    )
    policy_version = models.CharField(
        _("policy version"),
        max_length=16,
        blank=True,
        help_text=_("Fingerprint of the escalation policy the next stage time was computed under."),
    )
    fired_at = models.DateTimeField(_("fired at"))
    message = models.TextField(_("message"))
    data = models.JSONField(default=dict, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-fired_at", "-id"]
        permissions = [("acknowledge_alert", _("Can acknowledge alerts"))]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="alert_audience_valid"),
            models.UniqueConstraint(
                fields=["deadline", "stage", "due_at", "repeat"],
                condition=Q(deadline__isnull=False),
                name="alert_deadline_stage_once",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="alert_ack_has_user",
            ),
        ]
        indexes = [
            # The sweep's anti-join: has this deadline (at this due time) a later stage pending?
            models.Index(fields=["deadline", "due_at", "next_stage_at"], name="alert_deadline_due_idx"),
            models.Index(fields=["incident", "-fired_at"], name="alert_incident_idx"),
            # The alerts page, newest first: a page of 50 without sorting every alert (the
            # leadership group sees all), and the default "not acknowledged" view and count.
            models.Index(fields=["-fired_at", "-id"], name="alert_fired_idx"),
            models.Index(
                fields=["-fired_at", "-id"],
                name="alert_open_fired_idx",
                condition=Q(acknowledged_at__isnull=True),
            ),
            # The precise wake-up: the earliest next stage due within the coming sweep interval.
            models.Index(
                fields=["next_stage_at"],
                name="alert_next_stage_idx",
                condition=Q(next_stage_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.get_kind_display()}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class Channel(models.Model):
    """A unit's robot or webhook. Alerts whose audience is at least ``min_audience`` go here."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="alert_channels"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=[(k.value, k.label) for k in ChannelKind if k not in (ChannelKind.IN_APP, ChannelKind.EMAIL)],
    )
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_(
            "WeCom: …/cgi-bin/webhook/send?key=KEY; DingTalk: …/robot/send?access_token=TOKEN; "
            "Feishu: …/open-apis/bot/v2/hook/TOKEN; webhook: your endpoint."
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk 加签 / Feishu 签名校验 secret; for webhooks the HMAC-SHA256 key."),
    )
    keyword = models.CharField(
        _("keyword"),
        max_length=50,
        blank=True,
        help_text=_("DingTalk robots secured by a custom keyword: every message starts with it."),
    )
    min_audience = models.CharField(
        _("receives alerts for"), max_length=20, choices=Audience.choices, default=Audience.OWNER
    )
    mention = models.BooleanField(
        _("@ recipients"), default=True, help_text=_("WeCom and DingTalk: @ recipients by mobile number.")
    )
    rate_per_minute = models.PositiveSmallIntegerField(
        _("messages per minute"),
        default=20,
        help_text=_("Beyond this, alerts wait and are merged into one message; 0: no limit."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["unit", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        ChannelKind.WEBHOOK,
                        ChannelKind.WECOM,
                        ChannelKind.DINGTALK,
                        ChannelKind.FEISHU,
                    ]
                ),
                name="channel_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(min_audience__in=Audience.values), name="channel_audience_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.name}"


class Notification(models.Model):
    """The outbox: one row per alert and destination (a person's in-app inbox or mailbox, or a
    unit channel). Written in the alert's transaction; delivered by a task after commit; a
    periodic sweep re-enqueues rows the broker lost. ``idempotency_key`` is the same on every
    attempt, so a receiver can discard a repeat."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel_kind = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_notifications",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_code = models.CharField(_("last status or error code"), max_length=40, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel_kind__in=ChannelKind.values), name="notification_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values), name="notification_status_valid"
            ),
            models.UniqueConstraint(
                fields=["alert", "channel_kind", "recipient"],
                condition=Q(recipient__isnull=False),
                name="notification_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["alert", "channel"],
                condition=Q(channel__isnull=False),
                name="notification_once_per_channel",
            ),
        ]
        indexes = [
            # The outbox sweep: pending rows by when they are next due.
            models.Index(
                fields=["next_attempt_at"], name="notification_pending_idx", condition=Q(status="pending")
            ),
            # The bell: a person's unread in-app notifications.
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=Q(channel_kind="in_app", read_at__isnull=True),
            ),
            models.Index(fields=["channel", "status"], name="notification_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_kind_display()} → {self.address or self.channel or self.recipient}"


class DeliveryAttempt(models.Model):
    """One send: a message to one person or one channel. A robot message may carry several
    merged notifications. Attempts are never deleted: they are the delivery log."""

    channel_kind = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    notifications = models.ManyToManyField(Notification, related_name="delivery_attempts", blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=AttemptOutcome.choices, default=AttemptOutcome.SENDING
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    test = models.BooleanField(_("test send"), default=False)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=AttemptOutcome.values), name="attempt_outcome_valid"
            ),
        ]
        indexes = [models.Index(fields=["channel", "started_at"], name="attempt_channel_window_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_kind_display()} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class SweepHeartbeat(models.Model):
    """When a periodic sweep last ran (``deadlines`` or ``outbox``). ``/healthz`` and the staff
    banner read it: a silent beat is the one failure escalation cannot report itself."""

    name = models.CharField(max_length=20, unique=True)
    last_started_at = models.DateTimeField()
    last_finished_at = models.DateTimeField()
    duration_ms = models.FloatField(default=0)
    fired = models.PositiveIntegerField(default=0)
    runs = models.PositiveBigIntegerField(default=0)
    host = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("sweep heartbeat")
        verbose_name_plural = _("sweep heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.last_finished_at:%Y-%m-%d %H:%M:%S}"
