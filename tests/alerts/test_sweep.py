"""The deadline sweep against PostgreSQL, time moved with time-machine."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts import signals
from alerts.choices import AlertKind, Audience, ChannelKind, NotificationStatus
from alerts.models import Alert, Channel, EscalationPolicy, EscalationStage, Notification, SweepHeartbeat
from alerts.services import alert_raise, deadline_escalate, deadlines_sweep, policy_stages
from incidents.choices import DeadlineKind, Grade, Role
from incidents.models import Deadline, Incident, TimelineEvent
from incidents.services import deadline_meet, incident_regrade
from incidents.timeline import Actor
from tests.alerts.conftest import DUE, People
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db
M = timedelta(minutes=1)


def recipients(alert: Alert) -> set[str]:
    return set(
        alert.notifications.filter(channel_kind=ChannelKind.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )


def test_default_policy_is_in_the_database() -> None:
    policy = EscalationPolicy.objects.get(is_active=True)
    stages = list(policy.stages.order_by("offset").values_list("code", "offset", "repeat_every", "audience"))
    assert stages == [
        ("t-30", -30 * M, None, Audience.OWNER),
        ("t-10", -10 * M, None, Audience.UNIT_HEAD),
        ("due", 0 * M, 30 * M, Audience.LEADERSHIP),
    ]


def test_nothing_fires_before_the_first_stage(clock: time_machine.Traveller, deadline: Deadline) -> None:
    clock.move_to(DUE - 31 * M)
    assert deadlines_sweep().fired == 0
    assert not Alert.objects.exists()


def test_stages_widen_the_audience_and_fire_once_each(
    clock: time_machine.Traveller, deadline: Deadline, people: People
) -> None:
    clock.move_to(DUE - 30 * M)
    assert deadlines_sweep().fired == 1
    assert deadlines_sweep().fired == 0  # a second sweep in the same instant fires nothing
    first = Alert.objects.get()
    assert first.kind == AlertKind.DUE_SOON and first.stage == "t-30"
    assert recipients(first) == {"owner", "duty2"}
    assert "30 min" in first.message or "30分钟" in first.message

    clock.move_to(DUE - 10 * M)
    assert deadlines_sweep().fired == 1
    second = Alert.objects.latest("id")
    assert second.stage == "t-10" and recipients(second) == {"owner", "duty2", "head"}

    clock.move_to(DUE)
    deadlines_sweep()
    at_due = Alert.objects.latest("id")
    assert at_due.kind == AlertKind.DUE_NOW
    assert recipients(at_due) == {"owner", "duty2", "head", "leader1"}
    assert "stranger" not in recipients(at_due)

    clock.move_to(DUE + 29 * M)
    assert deadlines_sweep().fired == 0
    clock.move_to(DUE + 30 * M)
    assert deadlines_sweep().fired == 1
    repeat = Alert.objects.latest("id")
    assert repeat.kind == AlertKind.OVERDUE and repeat.repeat == 1
    assert Alert.objects.count() == 4
    assert not TimelineEvent.objects.filter(kind="escalation_stages_skipped").exists()
    assert TimelineEvent.objects.filter(incident=deadline.incident, kind="alert_fired").count() == 4


def test_after_a_gap_only_the_most_severe_stage_fires_and_the_timeline_names_the_rest(
    clock: time_machine.Traveller, deadline: Deadline
) -> None:
    clock.move_to(DUE - 30 * M)
    deadlines_sweep()
    clock.move_to(DUE + 65 * M)  # beat was down for 95 minutes
    assert deadlines_sweep().fired == 1
    assert deadlines_sweep().fired == 0
    alert = Alert.objects.latest("id")
    assert alert.stage == "due" and alert.repeat == 2 and alert.kind == AlertKind.OVERDUE
    assert Alert.objects.count() == 2
    skipped = TimelineEvent.objects.get(kind="escalation_stages_skipped")
    assert skipped.data["passed_over"] == [
        {"stage": "t-10", "name": "到期前10分钟", "count": 1},
        {"stage": "due", "name": "到期及此后每30分钟", "count": 2},
    ]
    assert "到期前10分钟" in skipped.message and "到期及此后每30分钟×2" in skipped.message


def test_a_met_deadline_stops_escalating(
    clock: time_machine.Traveller, deadline: Deadline, people: People
) -> None:
    clock.move_to(DUE - 10 * M)
    deadlines_sweep()
    deadline_meet(deadline=deadline, actor=Actor.of(people.owner))
    clock.move_to(DUE + 3 * 60 * M)
    assert deadlines_sweep().fired == 0
    assert Alert.objects.count() == 1


def test_a_moved_deadline_escalates_against_its_new_due_time(
    clock: time_machine.Traveller, deadline: Deadline, people: People, incident: Incident
) -> None:
    clock.move_to(DUE - 10 * M)
    deadlines_sweep()
    assert Alert.objects.get().stage == "t-10"
    # 较大 allows 3 h from the event, not 4: the first report is now due at 11:00, already past.
    incident_regrade(incident=incident, actor=Actor.of(people.owner), grade=Grade.LARGER, reason="升级")
    deadline.refresh_from_db()
    assert deadline.due_at == DUE - 60 * M
    assert deadlines_sweep().fired == 1
    moved = Alert.objects.latest("id")
    assert moved.due_at == deadline.due_at and moved.stage == "due" and moved.repeat == 1
    # Regraded back down: 12:00 again, and t-10 for 12:00 already fired: nothing new.
    incident_regrade(incident=incident, actor=Actor.of(people.owner), grade=Grade.GENERAL, reason="降级")
    assert deadlines_sweep().fired == 0


def test_an_incident_logged_overdue_escalates_at_once(
    clock: time_machine.Traveller, people: People, unit, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    swept: list[int] = []
    monkeypatch.setattr(signals, "enqueue_sweep", lambda incident_id: swept.append(incident_id))
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(
            actor=people.owner,
            unit=unit,
            grade=Grade.MAJOR,
            occurred_at=DUE - 5 * 60 * M,
            discovered_at=DUE - 4 * 60 * M,
        )
    assert swept == [incident.pk]  # the signal asked for a sweep of this incident at once
    result = deadlines_sweep(incident_id=incident.pk)
    assert result.fired == 1
    alert = Alert.objects.get(incident=incident)
    assert alert.kind == AlertKind.OVERDUE and alert.audience == Audience.LEADERSHIP
    assert [s["stage"] for s in alert.data["passed_over"]] == ["t-30", "t-10", "due"]
    assert not SweepHeartbeat.objects.exists()  # a targeted sweep is not the beat's heartbeat


def test_concurrent_and_retried_firings_meet_the_unique_constraint(
    clock: time_machine.Traveller, deadline: Deadline
) -> None:
    clock.move_to(DUE)
    stages = policy_stages()
    assert deadline_escalate(deadline_id=deadline.pk, stages=stages) is not None
    assert deadline_escalate(deadline_id=deadline.pk, stages=stages) is None
    alert = Alert.objects.get()
    # A sweep that computed the same firing and got past every check meets the database.
    again = alert_raise(
        incident=alert.incident,
        deadline=deadline,
        kind=alert.kind,
        audience=alert.audience,
        key=alert.key + ":other",
        message="x",
        now=alert.fired_at,
        stage=alert.stage,
        repeat=alert.repeat,
    )
    assert again is None and Alert.objects.count() == 1
    assert Notification.objects.filter(alert__key__endswith=":other").count() == 0


def test_the_sweep_is_one_query_when_nothing_is_due(
    clock: time_machine.Traveller, deadline: Deadline
) -> None:
    clock.move_to(DUE - 3 * 60 * M)
    with CaptureQueriesContext(connection) as queries:
        deadlines_sweep()
    selects = [q["sql"] for q in queries.captured_queries if "incidents_deadline" in q["sql"]]
    assert len(selects) == 1 and "NOT EXISTS" in selects[0].replace("(", "")
    beat = SweepHeartbeat.objects.get(name="deadlines")
    assert beat.runs == 1 and beat.last_finished_at is not None


def test_stages_come_from_the_admin_policy(clock: time_machine.Traveller, deadline: Deadline) -> None:
    policy = EscalationPolicy.objects.get(is_active=True)
    EscalationStage.objects.filter(policy=policy).delete()
    EscalationStage.objects.create(
        policy=policy, code="h-2", name="两小时前", offset=-120 * M, audience=Audience.OWNER
    )
    clock.move_to(DUE - 119 * M)
    assert deadlines_sweep().fired == 1
    assert Alert.objects.get().stage == "h-2"


def test_channels_and_email_follow_the_audience(clock, deadline: Deadline, unit, settings) -> None:
    settings.EMAIL_HOST = "smtp.example.org"
    Channel.objects.create(unit=unit, name="值班群", kind=ChannelKind.WECOM, url="http://127.0.0.1:9/wecom")
    Channel.objects.create(
        unit=unit,
        name="领导群",
        kind=ChannelKind.DINGTALK,
        url="http://127.0.0.1:9/ding",
        min_audience=Audience.LEADERSHIP,
    )
    clock.move_to(DUE - 30 * M)
    deadlines_sweep()
    alert = Alert.objects.get()
    kinds = sorted(alert.notifications.values_list("channel_kind", "address"))
    assert (ChannelKind.WECOM, "值班群") in kinds and all(k != ChannelKind.DINGTALK for k, _ in kinds)
    emails = alert.notifications.filter(channel_kind=ChannelKind.EMAIL)
    assert set(emails.values_list("address", flat=True)) == {"owner@example.org", "duty2@example.org"}
    assert set(
        alert.notifications.exclude(channel_kind=ChannelKind.IN_APP).values_list("status", flat=True)
    ) == {NotificationStatus.PENDING}
    clock.move_to(DUE)
    deadlines_sweep()
    leadership = Alert.objects.latest("id")
    assert leadership.notifications.filter(channel_kind=ChannelKind.DINGTALK).count() == 1


def test_deliveries_are_enqueued_after_commit(
    clock, deadline: Deadline, unit, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from alerts import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.deliver_notification, "apply_async", lambda args, **kw: sent.append(args[0]))
    Channel.objects.create(unit=unit, name="hook", kind=ChannelKind.WEBHOOK, url="http://127.0.0.1:9/hook")
    clock.move_to(DUE)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deadlines_sweep()
    assert sent == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    assert sent == [Notification.objects.get(channel_kind=ChannelKind.WEBHOOK).pk]


def test_alert_raise_for_monitoring_alerts_notifies_the_audience(
    clock, incident: Incident, people: People
) -> None:
    alert = alert_raise(
        incident=incident,
        kind=AlertKind.WORSENING,
        audience=Audience.LEADERSHIP,
        key=f"worsening:{incident.pk}:1",
        message="态势恶化",
        now=incident.created_at,
    )
    assert alert is not None and alert.deadline is None
    assert recipients(alert) == {"owner", "duty2", "head", "leader1"}
    assert (
        alert_raise(
            incident=incident,
            kind=AlertKind.WORSENING,
            audience=Audience.LEADERSHIP,
            key=f"worsening:{incident.pk}:1",
            message="again",
            now=incident.created_at,
        )
        is None
    )


def test_inactive_people_and_other_units_are_not_told(clock, deadline: Deadline, people: People) -> None:
    people.duty.is_active = False
    people.duty.save()
    make_user(Role.MONITOR, unit=deadline.incident.unit, username="watcher")
    clock.move_to(DUE - 30 * M)
    deadlines_sweep()
    assert recipients(Alert.objects.get()) == {"owner"}


def test_follow_up_deadlines_escalate_too(clock, incident: Incident, people: People) -> None:
    from incidents.services import deadline_open

    follow = deadline_open(
        incident=incident, kind=DeadlineKind.FOLLOW_UP, due_at=DUE + 60 * M, actor=Actor.of(people.owner)
    )
    clock.move_to(DUE + 50 * M)
    deadlines_sweep()
    alert = Alert.objects.get(deadline=follow)
    assert alert.stage == "t-10" and "1" in alert.message


def test_a_large_sweep_fans_out_chunks_to_other_workers(
    clock, incident: Incident, people: People, settings, monkeypatch
) -> None:
    from alerts import tasks
    from alerts.services import deadlines_escalate
    from incidents.services import deadline_open

    settings.ALERTS_SWEEP_CHUNK = 2
    for minutes in (1, 2, 3, 4, 5):
        deadline_open(
            incident=incident,
            kind=DeadlineKind.RESPONSE,
            due_at=DUE + minutes * M,
            actor=Actor.of(people.owner),
        )
    handed: list[list[int]] = []
    monkeypatch.setattr(tasks.escalate_deadlines, "apply_async", lambda args, **kw: handed.append(args[0]))
    clock.move_to(DUE + 10 * M)
    result = deadlines_sweep(fan_out=True)
    assert result.candidates == 6 and result.fired == 2 and [len(c) for c in handed] == [2, 2]
    assert sum(deadlines_escalate(deadline_ids=chunk) for chunk in handed) == 4
    assert deadlines_sweep(fan_out=True).fired == 0 and Alert.objects.count() == 6


def _edit_stage(code: str, **fields: object) -> None:
    """What an administrator does in the admin: change a stage of the active policy."""
    stage = EscalationStage.objects.get(policy__is_active=True, code=code)
    for name, value in fields.items():
        setattr(stage, name, value)
    stage.full_clean()
    stage.save()


def test_an_earlier_stage_after_a_policy_edit_fires_at_the_next_sweep(
    clock: time_machine.Traveller, deadline: Deadline
) -> None:
    from alerts.services import deadlines_due

    clock.move_to(DUE - 30 * M)
    deadlines_sweep()
    assert Alert.objects.get().next_stage_at == DUE - 10 * M
    _edit_stage("t-10", offset=-20 * M)  # the 10-minute warning now comes 20 minutes ahead
    clock.move_to(DUE - 20 * M)  # before the next stage time computed under the old policy
    assert list(deadlines_due(stages=policy_stages(), now=DUE - 20 * M)) == [deadline]
    assert deadlines_sweep().fired == 1
    alert = Alert.objects.latest("id")
    assert alert.stage == "t-10" and alert.stage_at == DUE - 20 * M and alert.next_stage_at == DUE


def test_a_shorter_repeat_after_a_policy_edit_fires_at_the_next_sweep(
    clock: time_machine.Traveller, deadline: Deadline
) -> None:
    clock.move_to(DUE)
    deadlines_sweep()
    _edit_stage("due", repeat_every=10 * M)
    clock.move_to(DUE + 10 * M)
    assert deadlines_sweep().fired == 1
    repeat = Alert.objects.latest("id")
    assert repeat.stage == "due" and repeat.repeat == 1 and repeat.next_stage_at == DUE + 20 * M


def test_a_later_stage_after_a_policy_edit_is_recomputed_once_not_rechecked_every_sweep(
    clock: time_machine.Traveller, deadline: Deadline
) -> None:
    from alerts.services import deadlines_due

    clock.move_to(DUE - 30 * M)
    deadlines_sweep()
    _edit_stage("t-10", offset=-5 * M)
    clock.move_to(DUE - 29 * M)
    result = deadlines_sweep()
    assert (result.candidates, result.fired) == (1, 0)
    first = Alert.objects.get()
    assert first.next_stage_at == DUE - 5 * M  # recomputed under the policy in force
    # Covered again: later sweeps do not look at it until the new next stage time.
    clock.move_to(DUE - 10 * M)
    assert not deadlines_due(stages=policy_stages(), now=DUE - 10 * M).exists()
    assert deadlines_sweep().fired == 0
    clock.move_to(DUE - 5 * M)
    assert deadlines_sweep().fired == 1
    assert Alert.objects.latest("id").stage_at == DUE - 5 * M
