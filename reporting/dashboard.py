"""Read queries for the leadership dashboard (领导看板): open incidents by grade and status, the
clocks due soon and overdue, late reports, and each open incident's spread from monitoring's
hourly trend (never raw detections). All scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet

from incidents.choices import GRADE_SEVERITY, OPEN_STATUSES, Grade, Status
from incidents.models import Deadline, Incident, User
from incidents.selectors import incidents_visible_to
from reporting.choices import ReportStatus
from reporting.models import Report
from reporting.selectors import reports_visible_to

DUE_SOON = timedelta(hours=1)
SPREAD_HOURS = 24
LIST_LIMIT = 20


@dataclass
class Spread:
    incident: Incident
    total: int = 0
    negative: int = 0
    last_hour: int = 0
    previous_hour: int = 0
    points: str = ""
    counts: list[int] = field(default_factory=list)

    @property
    def growing(self) -> bool:
        return self.last_hour > self.previous_hour


def _open_incidents(user: User) -> QuerySet[Incident]:
    return incidents_visible_to(user).filter(status__in=OPEN_STATUSES)


def grade_status_matrix(incidents: QuerySet[Incident]) -> dict[str, Any]:
    counts = {
        (r["grade"], r["status"]): r["n"] for r in incidents.values("grade", "status").annotate(n=Count("id"))
    }
    statuses = [s for s in Status if s in OPEN_STATUSES]
    grades = sorted(Grade, key=lambda g: -GRADE_SEVERITY[g])
    rows = [{"grade": g, "cells": [counts.get((g.value, s.value), 0) for s in statuses]} for g in grades]
    for row in rows:
        row["total"] = sum(row["cells"])
    return {"statuses": statuses, "rows": rows, "total": sum(counts.values())}


def open_deadlines(incidents: QuerySet[Incident], *, now: datetime) -> tuple[list[Deadline], list[Deadline]]:
    """(overdue, due within the hour), soonest first."""
    qs = Deadline.objects.open().filter(incident__in=incidents.values("pk")).select_related("incident")
    overdue = list(qs.filter(due_at__lte=now).order_by("due_at")[:LIST_LIMIT])
    soon = list(qs.filter(due_at__gt=now, due_at__lte=now + DUE_SOON).order_by("due_at")[:LIST_LIMIT])
    return overdue, soon


def late_reports(user: User, *, now: datetime, days: int = 30) -> QuerySet[Report]:
    return (
        reports_visible_to(user)
        .filter(status=ReportStatus.SUBMITTED, on_time=False, submitted_at__gte=now - timedelta(days=days))
        .order_by("-submitted_at")[:LIST_LIMIT]
    )


def spread_by_incident(incidents: QuerySet[Incident], *, now: datetime) -> list[Spread]:
    """Last 24 hours per open incident, from ``monitoring.TrendHour`` in one query."""
    from monitoring.models import TrendHour

    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=SPREAD_HOURS - 1)
    hours = [start + timedelta(hours=i) for i in range(SPREAD_HOURS)]
    chosen = {i.pk: i for i in incidents.order_by("-occurred_at")[:LIST_LIMIT]}
    series: dict[int, dict[datetime, tuple[int, int]]] = {pk: {} for pk in chosen}
    for row in TrendHour.objects.filter(incident_id__in=list(chosen), hour__gte=start).values(
        "incident_id", "hour", "total", "negative"
    ):
        series[row["incident_id"]][row["hour"]] = (row["total"], row["negative"])
    result = []
    for pk, incident in chosen.items():
        counts = [series[pk].get(h, (0, 0))[0] for h in hours]
        negatives = [series[pk].get(h, (0, 0))[1] for h in hours]
        top = max(counts) or 1
        points = " ".join(f"{i * 4},{20 - c * 20 / top:.1f}" for i, c in enumerate(counts))
        result.append(
            Spread(
                incident=incident,
                total=sum(counts),
                negative=sum(negatives),
                last_hour=counts[-1],
                previous_hour=counts[-2],
                points=points,
                counts=counts,
            )
        )
    result.sort(key=lambda s: (-s.total, s.incident.pk))
    return result


def last_sweep() -> datetime | None:
    """When the deadline sweep last finished (escalation's heartbeat), if alerts records it."""
    try:
        from alerts.models import SweepHeartbeat
    except ImportError:  # pragma: no cover
        return None
    beat = SweepHeartbeat.objects.filter(name="deadlines").first()
    return beat.last_finished_at if beat else None


def dashboard(user: User, *, now: datetime) -> dict[str, Any]:
    incidents = _open_incidents(user)
    overdue, soon = open_deadlines(incidents, now=now)
    return {
        "now": now,
        "matrix": grade_status_matrix(incidents),
        "overdue": overdue,
        "due_soon": soon,
        "late_reports": list(late_reports(user, now=now)),
        "spread": spread_by_incident(incidents, now=now),
        "last_sweep": last_sweep(),
    }
