"""Who may do what with reports. Model permissions come from role groups (data migration);
the unit rule comes from the incident, so every interface asks the same question."""

from __future__ import annotations

from incidents.models import Unit, User
from incidents.permissions import can_view as can_view_incident
from reporting.models import Report


def can_view(user: User, report: Report) -> bool:
    return can_view_incident(user, report.incident) and user.has_perm("reporting.view_report")


def can_create(user: User) -> bool:
    return user.has_perm("reporting.add_report")


def can_edit(user: User, report: Report) -> bool:
    return can_view_incident(user, report.incident) and user.has_perm("reporting.change_report")


def can_submit(user: User, report: Report) -> bool:
    return can_view_incident(user, report.incident) and user.has_perm("reporting.submit_report")


def can_sign(user: User, unit: Unit) -> bool:
    """签发: someone holding ``reporting.sign_report`` (领导小组, 管理员, or granted one by one),
    or the head of the reporting unit."""
    if not user.is_active:
        return False
    return user.has_perm("reporting.sign_report") or unit.head_id == user.pk
