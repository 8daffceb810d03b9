"""Who may do what. Model permissions are granted to role groups by migration; the checks
below add the unit rule so every interface asks the same question."""

from __future__ import annotations

from incidents.models import Incident, User


def can_view(user: User, incident: Incident) -> bool:
    return user.is_authenticated and (user.sees_all_units or incident.unit_id == user.effective_unit.pk)


def can_create(user: User) -> bool:
    return user.has_perm("incidents.add_incident")


def can_edit(user: User, incident: Incident) -> bool:
    return can_view(user, incident) and user.has_perm("incidents.change_incident")


def can_regrade(user: User, incident: Incident) -> bool:
    return can_view(user, incident) and user.has_perm("incidents.regrade_incident")


def can_transition(user: User, incident: Incident) -> bool:
    return can_view(user, incident) and user.has_perm("incidents.transition_incident")
