"""Use cases for incidents and their clocks. One function each, one transaction, a timeline entry.

The browser, the API and the admin all call these, so they share one set of rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import deadlines as rules
from incidents.choices import GRADE_SEVERITY, TRANSITIONS, DeadlineKind, Grade, Source, Status
from incidents.models import Deadline, GradePolicy, Incident, IncidentAttachment, TimelineEvent, Unit, User
from incidents.numbering import counter_next, incident_reference
from incidents.signals import deadlines_changed
from incidents.timeline import Actor

# Defaults, also written by the data migration; an administrator edits them in the admin.
DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    Grade.ESPECIALLY_MAJOR: {"report_window": timedelta(hours=2), "follow_up_cadence": timedelta(hours=4)},
    Grade.MAJOR: {"report_window": timedelta(hours=2), "follow_up_cadence": timedelta(hours=8)},
    Grade.LARGER: {"report_window": timedelta(hours=3), "follow_up_cadence": None},
    Grade.GENERAL: {"report_window": timedelta(hours=4), "follow_up_cadence": None},
}

EDITABLE_FIELDS = (
    "title",
    "summary",
    "occurred_at",
    "discovered_at",
    "first_published_at",
    "first_outlet",
    "first_url",
    "spread",
    "facts",
    "background",
    "source",
    "warning_level",
    "response_level",
)


def grade_policy(grade: str) -> GradePolicy:
    """The policy in force for a grade (the migration's default if an administrator deleted it)."""
    policy = GradePolicy.objects.filter(grade=grade).first()
    if policy is None:
        policy = GradePolicy(grade=grade, **DEFAULT_POLICIES[grade])
    return policy


def timeline_add(
    *,
    incident: Incident,
    kind: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    """Append one event to the incident's timeline. Never edit one afterwards."""
    return TimelineEvent.objects.create(
        incident=incident,
        kind=kind,
        at=at or timezone.now(),
        actor_type=actor.type,
        actor_user=actor.user,
        actor_name=actor.name[:150],
        data=data or {},
    )


def _announce_deadlines(incident: Incident) -> None:
    incident_id = incident.pk
    transaction.on_commit(lambda: deadlines_changed.send(sender=Incident, incident_id=incident_id))


def _first_report_due(incident: Incident, grade: str) -> datetime:
    policy = grade_policy(grade)
    basis_at = rules.basis_time(
        basis=policy.basis, occurred_at=incident.occurred_at, discovered_at=incident.discovered_at
    )
    return rules.report_due_at(basis_at=basis_at, window=policy.report_window)


def deadline_open(
    *, incident: Incident, kind: str, due_at: datetime, actor: Actor, sequence: int | None = None
) -> Deadline:
    """Start a clock. Follow-ups are numbered 1, 2, … per incident. A clock already past due
    is overdue at once, and the timeline says so."""
    if sequence is None:
        last = Deadline.objects.filter(incident=incident, kind=kind).order_by("-sequence").first()
        sequence = last.sequence + 1 if last else 1
    deadline = Deadline(incident=incident, kind=kind, due_at=due_at, sequence=sequence)
    deadline.full_clean()
    deadline.save()
    data = {"deadline": deadline.pk, "kind": kind, "sequence": sequence, "due_at": due_at.isoformat()}
    timeline_add(incident=incident, kind="deadline_opened", actor=actor, data=data)
    if due_at <= timezone.now():
        timeline_add(incident=incident, kind="deadline_overdue_at_logging", actor=Actor.system(), data=data)
    _announce_deadlines(incident)
    return deadline


def deadline_meet(*, deadline: Deadline, actor: Actor, at: datetime | None = None) -> Deadline:
    """Stop a clock because what it asked for was done (e.g. the report it answers was submitted)."""
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
        if not deadline.is_open:
            raise ValidationError(_("This deadline is no longer open."))
        deadline.met_at = at or timezone.now()
        deadline.met_by = actor.user
        deadline.save(update_fields=["met_at", "met_by"])
        timeline_add(
            incident=deadline.incident,
            kind="deadline_met",
            actor=actor,
            data={
                "deadline": deadline.pk,
                "kind": deadline.kind,
                "sequence": deadline.sequence,
                "due_at": deadline.due_at.isoformat(),
                "met_at": deadline.met_at.isoformat(),
                "minutes_late": deadline.minutes_late,
            },
        )
        _announce_deadlines(deadline.incident)
    return deadline


def deadline_cancel(*, deadline: Deadline, actor: Actor, reason: str) -> Deadline:
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
        if not deadline.is_open:
            return deadline
        deadline.cancelled_at = timezone.now()
        deadline.save(update_fields=["cancelled_at"])
        timeline_add(
            incident=deadline.incident,
            kind="deadline_cancelled",
            actor=actor,
            data={
                "deadline": deadline.pk,
                "kind": deadline.kind,
                "sequence": deadline.sequence,
                "reason": reason,
            },
        )
        _announce_deadlines(deadline.incident)
    return deadline


def follow_up_open_next(*, incident: Incident, actor: Actor, after: datetime) -> Deadline | None:
    """Open the next 续报 deadline when the grade has a cadence and none is open; else None."""
    cadence = grade_policy(incident.grade).follow_up_cadence
    if cadence is None or not incident.is_open:
        return None
    if Deadline.objects.open().filter(incident=incident, kind=DeadlineKind.FOLLOW_UP).exists():
        return None
    return deadline_open(incident=incident, kind=DeadlineKind.FOLLOW_UP, due_at=after + cadence, actor=actor)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason: it goes on the timeline.")})
    return reason


@transaction.atomic
def incident_create(
    *, actor: Actor, unit: Unit | None = None, owner: User | None = None, grade: str, **fields: Any
) -> Incident:
    """Log an incident: number it, start its clocks (首报; police notice for 警务协作)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown incident fields: {sorted(unknown)}")
    if unit is None:
        unit = actor.user.effective_unit if actor.user else Unit.default()
    if owner is None:
        owner = actor.user
    incident = Incident(unit=unit, owner=owner, created_by=actor.user, grade=grade, **fields)
    incident.reference = "pending"
    incident.full_clean(exclude=["reference"])
    year = timezone.localtime(incident.discovered_at).year
    incident.reference = incident_reference(year=year, number=counter_next(scope="incident", year=year))
    incident.save()
    timeline_add(
        incident=incident,
        kind="incident_created",
        actor=actor,
        data={"reference": incident.reference, "grade": grade, "source": incident.source},
    )
    deadline_open(
        incident=incident,
        kind=DeadlineKind.FIRST_REPORT,
        due_at=_first_report_due(incident, grade),
        actor=actor,
    )
    if incident.source == Source.POLICE:
        deadline_open(
            incident=incident,
            kind=DeadlineKind.POLICE_NOTICE,
            due_at=rules.police_notice_due_at(
                discovered_at=incident.discovered_at, minutes=settings.POLICE_NOTICE_MINUTES
            ),
            actor=actor,
        )
    return incident


@transaction.atomic
def incident_update(
    *, incident: Incident, actor: Actor, owner: User | None = None, **fields: Any
) -> Incident:
    """Edit an incident's content. Grade and status have their own services (they need reasons).

    Changing the event or discovery time moves the open clocks computed from them."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown incident fields: {sorted(unknown)}")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    changed = [name for name, value in fields.items() if getattr(incident, name) != value]
    for name in changed:
        setattr(incident, name, fields[name])
    owner_changed = owner is not None and owner.pk != incident.owner_id
    old_owner = str(incident.owner) if incident.owner else "—"
    if owner_changed:
        incident.owner = owner
    if not changed and not owner_changed:
        return incident
    incident.full_clean()
    incident.save()
    if changed:
        timeline_add(incident=incident, kind="incident_updated", actor=actor, data={"fields": changed})
    if owner_changed:
        timeline_add(
            incident=incident, kind="owner_changed", actor=actor, data={"old": old_owner, "new": str(owner)}
        )
    if {"occurred_at", "discovered_at"} & set(changed):
        _move_first_report(incident, actor)
        if incident.source == Source.POLICE:
            _move_open(
                incident,
                DeadlineKind.POLICE_NOTICE,
                rules.police_notice_due_at(
                    discovered_at=incident.discovered_at, minutes=settings.POLICE_NOTICE_MINUTES
                ),
                actor,
            )
    return incident


def _move_open(incident: Incident, kind: str, due_at: datetime, actor: Actor) -> Deadline | None:
    deadline = Deadline.objects.open().select_for_update().filter(incident=incident, kind=kind).first()
    if deadline is None or deadline.due_at == due_at:
        return deadline
    old = deadline.due_at
    deadline.due_at = due_at
    deadline.save(update_fields=["due_at"])
    timeline_add(
        incident=incident,
        kind="deadline_moved",
        actor=actor,
        data={
            "deadline": deadline.pk,
            "kind": kind,
            "old_due_at": old.isoformat(),
            "due_at": due_at.isoformat(),
        },
    )
    _announce_deadlines(incident)
    return deadline


def _move_first_report(incident: Incident, actor: Actor) -> Deadline | None:
    return _move_open(incident, DeadlineKind.FIRST_REPORT, _first_report_due(incident, incident.grade), actor)


@transaction.atomic
def incident_regrade(*, incident: Incident, actor: Actor, grade: str, reason: str) -> Incident:
    """Change the grade. The open 首报 deadline moves to the new grade's window; a grade that
    needs continuing reports starts them once the first report is in, and one that does not
    cancels the open follow-up."""
    reason = _require_reason(reason)
    if grade not in Grade.values:
        raise ValidationError({"grade": _("Unknown grade: %(grade)s") % {"grade": grade}})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not incident.is_open:
        raise ValidationError({"grade": _("A closed incident cannot be regraded; reopen it first.")})
    old = incident.grade
    if old == grade:
        raise ValidationError({"grade": _("The incident already has this grade.")})
    incident.grade = grade
    incident.save(update_fields=["grade", "updated_at"])
    timeline_add(
        incident=incident,
        kind="incident_regraded",
        actor=actor,
        data={
            "old": old,
            "new": grade,
            "reason": reason,
            "upgrade": GRADE_SEVERITY[grade] > GRADE_SEVERITY[old],
        },
    )
    _move_first_report(incident, actor)
    first_met = Deadline.objects.filter(
        incident=incident, kind=DeadlineKind.FIRST_REPORT, met_at__isnull=False
    ).exists()
    if grade_policy(grade).follow_up_cadence is None:
        for deadline in Deadline.objects.open().filter(incident=incident, kind=DeadlineKind.FOLLOW_UP):
            deadline_cancel(deadline=deadline, actor=actor, reason=reason)
    elif first_met:
        follow_up_open_next(incident=incident, actor=actor, after=timezone.now())
    return incident


@transaction.atomic
def incident_transition(*, incident: Incident, actor: Actor, status: str, reason: str) -> Incident:
    """Move the incident through new → reported → responding → monitoring → subsided → closed.
    Closing stops every open clock; reopening starts the follow-up cadence again."""
    reason = _require_reason(reason)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    old = incident.status
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status: %(status)s") % {"status": status}})
    if status not in TRANSITIONS[old]:
        allowed = "、".join(str(Status(s).label) for s in sorted(TRANSITIONS[old])) or "—"
        raise ValidationError(
            {
                "status": _("Cannot go from %(old)s to %(new)s. Allowed: %(allowed)s")
                % {"old": Status(old).label, "new": Status(status).label, "allowed": allowed}
            }
        )
    incident.status = status
    incident.save(update_fields=["status", "updated_at"])
    timeline_add(
        incident=incident,
        kind="status_changed",
        actor=actor,
        data={"old": old, "new": status, "reason": reason},
    )
    if status == Status.CLOSED:
        for deadline in Deadline.objects.open().filter(incident=incident):
            deadline_cancel(deadline=deadline, actor=actor, reason=reason)
    elif old == Status.CLOSED:
        follow_up_open_next(incident=incident, actor=actor, after=timezone.now())
    return incident


@transaction.atomic
def attachment_add(
    *, incident: Incident, actor: Actor, file: Any, description: str = ""
) -> IncidentAttachment:
    attachment = IncidentAttachment(
        incident=incident, file=file, description=description, uploaded_by=actor.user
    )
    attachment.full_clean()
    attachment.save()
    timeline_add(
        incident=incident,
        kind="attachment_added",
        actor=actor,
        data={"attachment": attachment.pk, "name": description or attachment.file.name},
    )
    return attachment
