"""What is said online: monitoring clients and their keys, keyword rules, detections, and the
hourly trend kept per incident."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from incidents.models import Incident
from monitoring.choices import Scope, Sentiment


class MonitoringClient(models.Model):
    """A monitoring system (舆情监测系统) that pushes detections and reads keyword rules.

    The client is the identity detections belong to (idempotency is per client and external id);
    its keys are separate rows so a key can be rotated or revoked without losing that identity."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive client's keys are all refused.")
    )
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        help_text=_("Requests allowed, e.g. 600/min. Empty: the MONITORING_RATE setting."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("monitoring client")
        verbose_name_plural = _("monitoring clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from monitoring.api.auth import parse_rate

        if self.rate:
            try:
                parse_rate(self.rate)
            except ValueError:
                raise ValidationError(
                    {"rate": _("Write the rate as a number per period, e.g. 600/min.")}
                ) from None


class ClientKey(AbstractAPIKey):
    """An API key of a monitoring client, stored hashed (djangorestframework-api-key).

    The key itself is shown once, when it is made; revoking is final."""

    client = models.ForeignKey(
        MonitoringClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="keys"
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("client API key")  # type: ignore[assignment]
        verbose_name_plural = _("client API keys")  # type: ignore[assignment]


class KeywordRule(models.Model):
    """Keywords that tie detections to an incident: 主体词 AND 事件词 … NOT 屏蔽词.

    ``groups`` is a list of term lists: any term of a group matches the group, and every group
    is required. No term of ``exclude`` may appear. ``scope`` says where to look."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="keyword_rules"
    )
    groups = models.JSONField(_("term groups"), default=list)
    exclude = models.JSONField(_("exclusion terms (屏蔽词)"), default=list, blank=True)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.BOTH)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")
        ordering = ["incident_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=Scope.values), name="keywordrule_scope_valid"),
        ]
        indexes = [models.Index(fields=["is_active"], name="keywordrule_active_idx")]

    def __str__(self) -> str:
        text = " + ".join("|".join(group) for group in self.groups)
        if self.exclude:
            text += " − " + "|".join(self.exclude)
        return text


class RulesVersion(models.Model):
    """One row whose ``version`` goes up in the same transaction as any change to what the
    matcher must know. Every web process compares it at most every second or two and rebuilds
    its automaton when it moved: a change is seen everywhere within seconds, and a rolled-back
    change is seen nowhere."""

    version = models.BigIntegerField(default=1)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("keyword rules version")
        verbose_name_plural = _("keyword rules version")

    def __str__(self) -> str:
        return str(self.version)


class Detection(models.Model):
    """One item a monitoring system found (监测信息): a news story, post, blog or comment.

    Unique per (client, external id): a resend updates the row. ``incident_ids`` are the
    incidents it matched at its last send; ``prev`` holds the state it replaced, written and read
    back by the same upsert so trend deltas stay exact even when two resends race."""

    client = models.ForeignKey(MonitoringClient, on_delete=models.PROTECT, related_name="detections")
    external_id = models.CharField(_("external id"), max_length=200)
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    platform = models.CharField(_("platform"), max_length=50, blank=True)
    outlet = models.CharField(_("outlet (媒体/账号)"), max_length=200, blank=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=1000, blank=True)
    text = models.TextField(_("text"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    captured_at = models.DateTimeField(_("received at"))
    updated_at = models.DateTimeField(_("updated at"))
    at = models.DateTimeField(_("time"), help_text=_("Published time, or reception time when unknown."))
    reads = models.BigIntegerField(_("reads"), default=0, validators=[MinValueValidator(0)])
    reposts = models.BigIntegerField(_("reposts"), default=0, validators=[MinValueValidator(0)])
    comments = models.BigIntegerField(_("comments"), default=0, validators=[MinValueValidator(0)])
    likes = models.BigIntegerField(_("likes"), default=0, validators=[MinValueValidator(0)])
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL
    )
    incident_ids = models.JSONField(_("incidents"), default=list, blank=True)
    prev = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("detection")
        verbose_name_plural = _("detections")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"], name="detection_client_external_unique"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__in=Sentiment.values), name="detection_sentiment_valid"
            ),
            models.CheckConstraint(
                condition=Q(reads__gte=0) & Q(reposts__gte=0) & Q(comments__gte=0) & Q(likes__gte=0),
                name="detection_metrics_nonnegative",
            ),
        ]
        indexes = [models.Index(fields=["-at"], name="detection_at_idx")]

    def __str__(self) -> str:
        return self.title[:60] or self.external_id


class Match(models.Model):
    """A detection matched to an incident: the index behind an incident's detection list and
    its earliest publication (首发)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="detection_matches")
    detection = models.ForeignKey(Detection, on_delete=models.CASCADE, related_name="matches")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["incident", "detection"], name="match_incident_detection_unique"),
        ]
        indexes = [models.Index(fields=["incident", "at", "detection"], name="match_incident_at_idx")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.detection_id}"


class TrendHour(models.Model):
    """Spread of one incident in one hour (UTC hour start, by published time): counts by
    sentiment and platform, summed metrics. Kept current by ingest with deltas, so reading the
    trend never scans raw detections."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="trend_hours")
    hour = models.DateTimeField(_("hour"))
    total = models.BigIntegerField(default=0)
    positive = models.BigIntegerField(default=0)
    neutral = models.BigIntegerField(default=0)
    negative = models.BigIntegerField(default=0)
    reads = models.BigIntegerField(default=0)
    reposts = models.BigIntegerField(default=0)
    comments = models.BigIntegerField(default=0)
    likes = models.BigIntegerField(default=0)
    by_platform = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("hourly trend")
        verbose_name_plural = _("hourly trend")
        ordering = ["incident_id", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "hour"], name="trendhour_incident_hour_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.hour:%Y-%m-%d %H}h: {self.total}"


class WorseningPolicy(models.Model):
    """When the trend counts as worsening (态势恶化). One row, edited in the admin; there is no
    national threshold, so every number here is local configuration."""

    enabled = models.BooleanField(_("enabled"), default=True)
    factor = models.FloatField(
        _("growth factor"),
        default=2.0,
        validators=[MinValueValidator(1.0)],
        help_text=_("Alert when this hour's count exceeds this factor times the previous hour's."),
    )
    floor = models.PositiveIntegerField(
        _("growth floor"), default=30, help_text=_("…and this hour's count is at least this.")
    )
    negative_share = models.FloatField(
        _("negative share threshold"),
        default=0.6,
        validators=[MinValueValidator(0.0)],
        help_text=_("Alert when this share (0–1) of this hour's detections is negative…"),
    )
    negative_floor = models.PositiveIntegerField(
        _("negative share floor"), default=20, help_text=_("…and this hour has at least this many.")
    )

    class Meta:
        verbose_name = _("worsening alert policy")
        verbose_name_plural = _("worsening alert policy")
        constraints = [
            models.CheckConstraint(condition=Q(factor__gte=1.0), name="worsening_factor_min"),
            models.CheckConstraint(
                condition=Q(negative_share__gte=0.0) & Q(negative_share__lte=1.0),
                name="worsening_share_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        _policy_cache.clear()

    @classmethod
    def current(cls) -> WorseningPolicy:
        """The policy in force, read at most every few seconds per process (ingest asks often)."""
        now = time.monotonic()
        cached = _policy_cache.get("policy")
        if cached is not None and now - cached[0] < POLICY_CACHE_SECONDS:
            return cached[1]
        policy = cls.objects.order_by("pk").first() or cls()
        _policy_cache["policy"] = (now, policy)
        return policy


POLICY_CACHE_SECONDS = 5.0
_policy_cache: dict[str, tuple[float, WorseningPolicy]] = {}
