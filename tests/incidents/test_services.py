"""The incident clock through its services: creation, regrading, late logging, police notice,
transitions, and the timeline each writes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents.choices import Basis, DeadlineKind, Grade, Source, Status
from incidents.models import Deadline, GradePolicy, Incident, TimelineEvent
from incidents.services import (
    deadline_meet,
    follow_up_open_next,
    incident_regrade,
    incident_transition,
    incident_update,
)
from incidents.signals import deadlines_changed
from incidents.timeline import Actor
from tests.factories import make_incident

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 5, 6, 20, tzinfo=UTC)  # 14:20 in Beijing


def first_report(incident: Incident) -> Deadline:
    return incident.deadlines.get(kind=DeadlineKind.FIRST_REPORT)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("grade", "hours"), [("especially_major", 2), ("major", 2), ("larger", 3), ("general", 4)]
)
def test_first_report_due_from_event_time(duty_officer, grade, hours):
    occurred = NOW - timedelta(minutes=40)
    incident = make_incident(actor=duty_officer, grade=grade, occurred_at=occurred, discovered_at=NOW)
    assert first_report(incident).due_at == occurred + timedelta(hours=hours)
    assert incident.reference == "YQ-2026-0001"
    assert incident.status == Status.NEW
    assert incident.owner == duty_officer


@time_machine.travel(NOW, tick=False)
def test_basis_can_be_discovery_time(duty_officer):
    GradePolicy.objects.filter(grade=Grade.GENERAL).update(basis=Basis.DISCOVERED)
    incident = make_incident(
        actor=duty_officer, grade=Grade.GENERAL, occurred_at=NOW - timedelta(hours=6), discovered_at=NOW
    )
    assert first_report(incident).due_at == NOW + timedelta(hours=4)


@time_machine.travel(NOW, tick=False)
def test_policy_change_never_moves_an_existing_deadline(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.LARGER, occurred_at=NOW, discovered_at=NOW)
    GradePolicy.objects.filter(grade=Grade.LARGER).update(report_window=timedelta(hours=1))
    assert first_report(incident).due_at == NOW + timedelta(hours=3)


@time_machine.travel(NOW, tick=False)
def test_references_are_sequential_per_year(duty_officer):
    refs = [make_incident(actor=duty_officer).reference for _ in range(3)]
    assert refs == ["YQ-2026-0001", "YQ-2026-0002", "YQ-2026-0003"]


@time_machine.travel(NOW, tick=False)
def test_police_cooperation_opens_one_hour_notice_from_discovery(duty_officer):
    discovered = NOW - timedelta(minutes=5)
    incident = make_incident(
        actor=duty_officer,
        source=Source.POLICE,
        occurred_at=NOW - timedelta(hours=1),
        discovered_at=discovered,
    )
    notice = incident.deadlines.get(kind=DeadlineKind.POLICE_NOTICE)
    assert notice.due_at == discovered + timedelta(hours=1)
    other = make_incident(actor=duty_officer, source=Source.MEDIA)
    assert not other.deadlines.filter(kind=DeadlineKind.POLICE_NOTICE).exists()


@time_machine.travel(NOW, tick=False)
def test_logged_after_its_window_is_overdue_at_once(duty_officer):
    occurred = NOW - timedelta(hours=5)
    incident = make_incident(
        actor=duty_officer, grade=Grade.GENERAL, occurred_at=occurred, discovered_at=NOW - timedelta(hours=1)
    )
    deadline = first_report(incident)
    assert deadline.due_at == occurred + timedelta(hours=4)
    assert deadline.is_overdue()
    assert incident.timeline.filter(kind="deadline_overdue_at_logging").count() == 1


@time_machine.travel(NOW, tick=False)
def test_logging_in_time_is_not_overdue(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.GENERAL)
    assert not first_report(incident).is_overdue()
    assert not incident.timeline.filter(kind="deadline_overdue_at_logging").exists()


@time_machine.travel(NOW, tick=False)
def test_regrade_up_moves_open_first_report_deadline(duty_officer):
    occurred = NOW - timedelta(minutes=30)
    incident = make_incident(actor=duty_officer, grade=Grade.GENERAL, occurred_at=occurred, discovered_at=NOW)
    incident_regrade(incident=incident, actor=Actor.of(duty_officer), grade=Grade.MAJOR, reason="转发量激增")
    incident.refresh_from_db()
    assert incident.grade == Grade.MAJOR
    assert first_report(incident).due_at == occurred + timedelta(hours=2)
    moved = incident.timeline.get(kind="deadline_moved")
    assert moved.data["old_due_at"] == (occurred + timedelta(hours=4)).isoformat()
    regraded = incident.timeline.get(kind="incident_regraded")
    assert regraded.data == {"old": "general", "new": "major", "reason": "转发量激增", "upgrade": True}
    assert regraded.actor_user == duty_officer


@time_machine.travel(NOW, tick=False)
def test_regrade_down_gives_more_time(duty_officer):
    occurred = NOW - timedelta(minutes=30)
    incident = make_incident(actor=duty_officer, grade=Grade.MAJOR, occurred_at=occurred, discovered_at=NOW)
    incident_regrade(
        incident=incident, actor=Actor.of(duty_officer), grade=Grade.GENERAL, reason="经核实影响有限"
    )
    assert first_report(incident).due_at == occurred + timedelta(hours=4)


@time_machine.travel(NOW, tick=False)
def test_regrade_needs_a_reason_and_a_new_grade(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.LARGER)
    with pytest.raises(ValidationError) as no_reason:
        incident_regrade(incident=incident, actor=Actor.of(duty_officer), grade=Grade.MAJOR, reason="  ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as same:
        incident_regrade(incident=incident, actor=Actor.of(duty_officer), grade=Grade.LARGER, reason="x")
    assert "grade" in same.value.message_dict
    incident.refresh_from_db()
    assert incident.grade == Grade.LARGER
    assert not incident.timeline.filter(kind="incident_regraded").exists()


@time_machine.travel(NOW, tick=False)
def test_regrade_after_first_report_met_leaves_it_and_starts_follow_ups(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.LARGER, occurred_at=NOW, discovered_at=NOW)
    met = deadline_meet(deadline=first_report(incident), actor=Actor.of(duty_officer))
    incident_regrade(incident=incident, actor=Actor.of(duty_officer), grade=Grade.MAJOR, reason="升级")
    assert first_report(incident).due_at == met.due_at
    follow_up = incident.deadlines.get(kind=DeadlineKind.FOLLOW_UP)
    assert follow_up.due_at == NOW + timedelta(hours=8)
    incident_regrade(incident=incident, actor=Actor.of(duty_officer), grade=Grade.GENERAL, reason="降级")
    follow_up.refresh_from_db()
    assert follow_up.cancelled_at is not None


@time_machine.travel(NOW, tick=False)
def test_meeting_a_deadline_records_lateness(duty_officer):
    incident = make_incident(
        actor=duty_officer,
        grade=Grade.GENERAL,
        occurred_at=NOW - timedelta(hours=4, minutes=10),
        discovered_at=NOW,
    )
    deadline = deadline_meet(deadline=first_report(incident), actor=Actor.of(duty_officer))
    assert deadline.met_at == NOW
    assert deadline.minutes_late == 10
    assert incident.timeline.get(kind="deadline_met").data["minutes_late"] == 10
    with pytest.raises(ValidationError):
        deadline_meet(deadline=deadline, actor=Actor.of(duty_officer))


@time_machine.travel(NOW, tick=False)
def test_follow_up_cadence_only_for_grades_that_have_one(duty_officer):
    major = make_incident(actor=duty_officer, grade=Grade.MAJOR)
    general = make_incident(actor=duty_officer, grade=Grade.GENERAL)
    first = follow_up_open_next(incident=major, actor=Actor.system(), after=NOW)
    assert first is not None and first.sequence == 1 and first.due_at == NOW + timedelta(hours=8)
    assert follow_up_open_next(incident=major, actor=Actor.system(), after=NOW) is None  # one open at a time
    assert follow_up_open_next(incident=general, actor=Actor.system(), after=NOW) is None


@time_machine.travel(NOW, tick=False)
def test_editing_event_time_moves_the_open_clock(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.LARGER, occurred_at=NOW - timedelta(hours=1))
    incident_update(incident=incident, actor=Actor.of(duty_officer), occurred_at=NOW - timedelta(hours=2))
    assert first_report(incident).due_at == NOW + timedelta(hours=1)
    updated = incident.timeline.get(kind="incident_updated")
    assert updated.data == {"fields": ["occurred_at"]}


def test_edit_refuses_discovery_before_event(duty_officer):
    incident = make_incident(actor=duty_officer)
    with pytest.raises(ValidationError) as err:
        incident_update(
            incident=incident,
            actor=Actor.of(duty_officer),
            discovered_at=incident.occurred_at - timedelta(minutes=1),
        )
    assert "discovered_at" in err.value.message_dict
    incident.refresh_from_db()
    assert incident.discovered_at > incident.occurred_at


ALLOWED = [
    ("new", "reported"),
    ("new", "responding"),
    ("new", "closed"),
    ("reported", "responding"),
    ("reported", "monitoring"),
    ("responding", "monitoring"),
    ("monitoring", "subsided"),
    ("monitoring", "responding"),
    ("subsided", "closed"),
    ("subsided", "monitoring"),
    ("closed", "monitoring"),
]
REFUSED = [
    ("new", "subsided"),
    ("new", "monitoring"),
    ("reported", "new"),
    ("responding", "closed"),
    ("monitoring", "closed"),
    ("closed", "new"),
    ("closed", "responding"),
]
PATHS = {
    "new": [],
    "reported": ["reported"],
    "responding": ["responding"],
    "monitoring": ["responding", "monitoring"],
    "subsided": ["responding", "monitoring", "subsided"],
    "closed": ["closed"],
}


def incident_in(status: str, user) -> Incident:
    incident = make_incident(actor=user)
    for step in PATHS[status]:
        incident = incident_transition(incident=incident, actor=Actor.of(user), status=step, reason="推进")
    assert incident.status == status
    return incident


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_allowed_transitions(duty_officer, old, new):
    incident = incident_in(old, duty_officer)
    incident = incident_transition(
        incident=incident, actor=Actor.of(duty_officer), status=new, reason="按程序处置"
    )
    assert incident.status == new
    event = incident.timeline.filter(kind="status_changed").last()
    assert event.data == {"old": old, "new": new, "reason": "按程序处置"}
    assert event.actor_user == duty_officer


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_refused_transitions(duty_officer, old, new):
    incident = incident_in(old, duty_officer)
    before = incident.timeline.count()
    with pytest.raises(ValidationError) as err:
        incident_transition(incident=incident, actor=Actor.of(duty_officer), status=new, reason="试试")
    assert "status" in err.value.message_dict
    incident.refresh_from_db()
    assert incident.status == old
    assert incident.timeline.count() == before


def test_transition_needs_a_reason(duty_officer):
    incident = make_incident(actor=duty_officer)
    with pytest.raises(ValidationError) as err:
        incident_transition(incident=incident, actor=Actor.of(duty_officer), status="reported", reason="")
    assert "reason" in err.value.message_dict


def test_closing_stops_every_clock_and_reopening_does_not_revive_them(duty_officer):
    incident = make_incident(actor=duty_officer, source=Source.POLICE)
    assert Deadline.objects.open().filter(incident=incident).count() == 2
    incident = incident_transition(
        incident=incident, actor=Actor.of(duty_officer), status="closed", reason="误报"
    )
    assert Deadline.objects.open().filter(incident=incident).count() == 0
    assert incident.timeline.filter(kind="deadline_cancelled").count() == 2
    incident_transition(
        incident=incident, actor=Actor.of(duty_officer), status="monitoring", reason="再次发酵"
    )
    assert Deadline.objects.open().filter(incident=incident).count() == 0


@pytest.mark.django_db(transaction=True)
def test_deadline_changes_are_announced_after_commit(duty_officer):
    seen: list[int] = []

    def listener(sender, incident_id, **kwargs):
        seen.append(incident_id)

    deadlines_changed.connect(listener)
    try:
        incident = make_incident(actor=duty_officer)
    finally:
        deadlines_changed.disconnect(listener)
    assert seen and set(seen) == {incident.pk}


def test_timeline_reads_in_chinese(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.LARGER)
    incident_regrade(incident=incident, actor=Actor.of(duty_officer), grade=Grade.MAJOR, reason="转发激增")
    event = TimelineEvent.objects.filter(incident=incident, kind="incident_regraded").get()
    from django.utils import translation

    with translation.override("zh-hans"):
        text = event.message
    assert "较大" in text and "重大" in text and "转发激增" in text
