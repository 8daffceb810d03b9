"""Read queries shared by the browser, the API, the exports and the incident panel."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from incidents.models import Incident, Unit, User
from incidents.selectors import incidents_visible_to
from reporting.choices import DEFAULT_REQUIRED, ReportKind, ReportStatus
from reporting.models import Report, RequiredFieldSet


def reports_visible_to(user: User) -> QuerySet[Report]:
    """Reports on the incidents a user sees: their unit's, or every unit's for the leadership
    group and administrators."""
    # Every relation a list row shows (the API's signer and submitter names, the deadline's
    # due time, both ends of a correction) comes in the one query: no query per row.
    qs = Report.objects.select_related(
        "incident", "unit", "signer", "submitted_by", "supersedes", "superseded_by", "deadline"
    )
    if not user.is_authenticated or not user.has_perm("reporting.view_report"):
        return qs.none()
    return qs.filter(incident__in=incidents_visible_to(user).values("pk"))


def reports_of_incident(incident: Incident) -> QuerySet[Report]:
    """An incident's reports in the order they were written (首报, 续报一, …, 终报, corrections)."""
    return (
        Report.objects.filter(incident=incident)
        .select_related("signer", "supersedes")
        .prefetch_related("superseded_by")
        .order_by("created_at", "id")
    )


def report_is_superseded(report: Report) -> bool:
    return Report.objects.filter(supersedes=report, status=ReportStatus.SUBMITTED).exists()


def signers_for(unit: Unit) -> QuerySet[User]:
    """Users who may sign off (签发) a report of ``unit``."""
    perm = Permission.objects.filter(content_type__app_label="reporting", codename="sign_report")
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=perm)
            | Q(user_permissions__in=perm)
            | Q(headed_units=unit)
        )
        .distinct()
        .order_by("username")
    )


def required_fields_for(*, kind: str, grade: str) -> list[str]:
    """The configured fields for the kind and grade; the kind's every-grade row otherwise; the
    built-in defaults if an administrator deleted both."""
    rows = {
        row.grade: row.fields for row in RequiredFieldSet.objects.filter(kind=kind, grade__in=[grade, ""])
    }
    if grade in rows:
        return list(rows[grade])
    if "" in rows:
        return list(rows[""])
    return list(DEFAULT_REQUIRED.get((kind, grade), DEFAULT_REQUIRED.get((kind, ""), ())))


def next_follow_up_sequence(incident: Incident) -> int:
    """续报 number for a new (not correcting) follow-up: one past the highest submitted."""
    last = (
        Report.objects.filter(
            incident=incident,
            kind=ReportKind.FOLLOW_UP,
            status=ReportStatus.SUBMITTED,
            supersedes__isnull=True,
        )
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return (last or 0) + 1
