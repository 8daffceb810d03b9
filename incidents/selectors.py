"""Read queries shared by the browser and the API."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from incidents.choices import DeadlineKind
from incidents.models import Deadline, Incident, User


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    """A user sees their unit's incidents; the leadership group and administrators see all."""
    qs = Incident.objects.select_related("unit", "owner")
    if not user.is_authenticated:
        return qs.none()
    if user.sees_all_units:
        return qs
    return qs.filter(unit=user.effective_unit)


def incidents_with_clocks(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """Prefetch every deadline, soonest first, in one query: ``incident.deadlines.all()`` for
    the API and the incident page, ``incident.open_deadlines`` (the open ones, read from the
    same rows) for lists and countdowns."""
    return qs.prefetch_related(Prefetch("deadlines", queryset=Deadline.objects.order_by("due_at")))


def incidents_overdue(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    return qs.filter(
        deadlines__met_at__isnull=True,
        deadlines__cancelled_at__isnull=True,
        deadlines__due_at__lte=timezone.now(),
    ).distinct()


def incident_report_deadline(incident: Incident) -> Deadline | None:
    """The open first-report (首报) deadline, or None once met."""
    for deadline in incident.deadlines.all():
        if deadline.kind == DeadlineKind.FIRST_REPORT and deadline.is_open:
            return deadline
    return None
