"""Read queries shared by the alerts page, the bell, the banner, /healthz and the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from alerts.choices import ChannelKind
from alerts.models import Alert, Notification, SweepHeartbeat
from incidents.models import Incident, User


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Alerts about incidents the user may see, and any alert addressed to them."""
    qs = Alert.objects.select_related("incident", "incident__unit", "deadline", "acknowledged_by")
    if not user.is_authenticated:
        return qs.none()
    if user.sees_all_units:
        return qs
    # Both sides as subqueries on the alert's own columns: with the OR across a join to the
    # incident PostgreSQL hash-joins every alert; this way it walks the newest alerts by
    # alert_fired_idx and stops at a page.
    unit_incidents = Incident.objects.filter(unit=user.effective_unit).values("pk")
    mine = Notification.objects.filter(recipient=user, channel_kind=ChannelKind.IN_APP).values("alert_id")
    return qs.filter(Q(incident__in=unit_incidents) | Q(pk__in=mine))


def alerts_with_deliveries(qs: QuerySet[Alert]) -> QuerySet[Alert]:
    """Prefetch each alert's robot, webhook and email notifications (the "delivery" column).

    In-app notifications are left out: an alert has one per person told (owner, duty
    officers, unit head, the leadership group), the pages never show them, and the bell
    counts them on its own."""
    return qs.prefetch_related(
        Prefetch("notifications", queryset=Notification.objects.exclude(channel_kind=ChannelKind.IN_APP))
    )


def unread_count(user: User) -> int:
    """The bell: the user's in-app notifications not yet read or acknowledged."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        recipient=user, channel_kind=ChannelKind.IN_APP, read_at__isnull=True
    ).count()


def unread_alert_ids(user: User, alert_ids: Iterable[int] | None = None) -> set[int]:
    """The alerts (among ``alert_ids``, when given: the page shown) the user has not read."""
    qs = Notification.objects.filter(recipient=user, channel_kind=ChannelKind.IN_APP, read_at__isnull=True)
    if alert_ids is not None:
        qs = qs.filter(alert_id__in=list(alert_ids))
    return set(qs.order_by().values_list("alert_id", flat=True))


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
