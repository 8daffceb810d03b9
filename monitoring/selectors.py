"""Read queries over monitoring data, shared by the incident page, the API and reporting.

Spread and trend figures come from ``TrendHour`` (one row per incident and hour); only the
earliest detection and the top outlets read matches, through the (incident, at) index."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet

from incidents.models import Incident
from monitoring.choices import METRICS
from monitoring.models import Detection, KeywordRule, Match, TrendHour

TOP_OUTLETS = 10


def incident_trend(incident: Incident) -> QuerySet[TrendHour]:
    """The incident's hourly rows, oldest first, without empty hours."""
    return TrendHour.objects.filter(incident=incident, total__gt=0).order_by("hour")


def incident_earliest_detection(incident: Incident) -> Detection | None:
    """The earliest matched detection by published time: the candidate first publication (首发)."""
    match = (
        Match.objects.filter(incident=incident, detection__published_at__isnull=False)
        .select_related("detection")
        .order_by("at", "detection_id")
        .first()
    )
    return match.detection if match else None


_UNSET: Any = object()


def incident_spread_summary(incident: Incident, *, earliest: Detection | None = _UNSET) -> dict[str, Any]:
    """Spread figures (传播情况) of one incident, for reports and the incident page.

    Everything but ``earliest`` and ``top_outlets`` is summed from the hourly trend rows.
    A caller that already holds ``incident_earliest_detection(incident)`` passes it as
    ``earliest`` so it is not looked up twice."""
    rows = list(incident_trend(incident))
    by_sentiment = {"positive": 0, "neutral": 0, "negative": 0}
    metrics = dict.fromkeys(METRICS, 0)
    platforms: Counter[str] = Counter()
    hourly: list[dict[str, Any]] = []
    total = 0
    for row in rows:
        total += row.total
        for key in by_sentiment:
            by_sentiment[key] += getattr(row, key)
        for key in METRICS:
            metrics[key] += getattr(row, key)
        for platform, count in (row.by_platform or {}).items():
            platforms[platform] += int(count)
        hourly.append({"hour": row.hour, "count": row.total, "negative": row.negative})
    by_platform = [
        {"platform": platform, "count": count}
        for platform, count in sorted(platforms.items(), key=lambda kv: (-kv[1], kv[0]))
        if count > 0
    ]
    top_outlets = [
        {"outlet": row["detection__outlet"], "count": row["n"]}
        for row in Match.objects.filter(incident=incident)
        .exclude(detection__outlet="")
        .values("detection__outlet")
        .annotate(n=Count("id"))
        .order_by("-n", "detection__outlet")[:TOP_OUTLETS]
    ]
    if earliest is _UNSET:
        earliest = incident_earliest_detection(incident)
    return {
        "total": total,
        "by_sentiment": by_sentiment,
        "by_platform": by_platform,
        "top_outlets": top_outlets,
        "metrics": metrics,
        "hourly": hourly,
        "earliest": _earliest(earliest),
    }


def _earliest(detection: Detection | None) -> dict[str, Any] | None:
    if detection is None:
        return None
    published: datetime = detection.published_at  # type: ignore[assignment]
    return {
        "published_at": published,
        "outlet": detection.outlet,
        "url": detection.url,
        "platform": detection.platform,
        "title": detection.title,
    }


def incident_detections(incident: Incident) -> QuerySet[Detection]:
    """Detections matched to an incident, newest first (filter further with the filterset)."""
    return (
        Detection.objects.filter(matches__incident=incident).select_related("client").order_by("-at", "-id")
    )


def incident_rules(incident: Incident) -> QuerySet[KeywordRule]:
    return KeywordRule.objects.filter(incident=incident).order_by("-is_active", "id")


def rules_active() -> QuerySet[KeywordRule]:
    """The rules the matcher uses and monitoring systems watch: switched on, incident not closed."""
    from incidents.choices import Status

    return (
        KeywordRule.objects.filter(is_active=True)
        .exclude(incident__status=Status.CLOSED)
        .select_related("incident")
        .order_by("id")
    )
