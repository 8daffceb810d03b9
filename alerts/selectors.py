"""Read queries shared by the alerts page, the bell, the banner, /healthz and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from alerts.choices import ChannelKind
from alerts.models import Alert, Notification, SweepHeartbeat
from incidents.models import User


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Alerts about incidents the user may see, and any alert addressed to them."""
    qs = Alert.objects.select_related("incident", "incident__unit", "deadline", "acknowledged_by")
    if not user.is_authenticated:
        return qs.none()
    if user.sees_all_units:
        return qs
    mine = Alert.objects.filter(notifications__recipient=user, notifications__channel_kind=ChannelKind.IN_APP)
    return qs.filter(Q(incident__unit=user.effective_unit) | Q(pk__in=mine.values("pk")))


def unread_count(user: User) -> int:
    """The bell: the user's in-app notifications not yet read or acknowledged."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        recipient=user, channel_kind=ChannelKind.IN_APP, read_at__isnull=True
    ).count()


def unread_alert_ids(user: User) -> set[int]:
    return set(
        Notification.objects.filter(
            recipient=user, channel_kind=ChannelKind.IN_APP, read_at__isnull=True
        ).values_list("alert_id", flat=True)
    )


@dataclass(frozen=True)
class SweepStatus:
    last_at: datetime | None
    seconds_since: float | None
    stale: bool
    limit_seconds: float


def sweep_status(name: str = "deadlines", *, now: datetime | None = None) -> SweepStatus:
    """How long ago the sweep last finished; stale past ``ALERTS_SWEEP_STALE_SECONDS``."""
    limit = float(getattr(settings, "ALERTS_SWEEP_STALE_SECONDS", 120))
    last = SweepHeartbeat.objects.filter(name=name).values_list("last_finished_at", flat=True).first()
    if last is None:
        return SweepStatus(last_at=None, seconds_since=None, stale=True, limit_seconds=limit)
    seconds = max(0.0, ((now or timezone.now()) - last).total_seconds())
    return SweepStatus(last_at=last, seconds_since=seconds, stale=seconds > limit, limit_seconds=limit)
