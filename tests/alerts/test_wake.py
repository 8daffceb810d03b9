"""The precise wake-up: after a sweep, one extra sweep for a stage moment that falls before the
next beat tick, deduplicated, bounded and spaced so it cannot snowball. Time moved with
time-machine; the broker is replaced by a list of what would have been enqueued."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts import services, tasks
from alerts.models import Alert
from alerts.services import (
    WAKE_MARGIN,
    WAKE_MAX_SECONDS,
    deadlines_sweep,
    next_stage_moment,
    policy_stages,
    sweep_wake_schedule,
    wake_countdown,
)
from incidents.choices import DeadlineKind
from incidents.models import Deadline, Incident
from incidents.services import deadline_open
from incidents.timeline import Actor
from tests.alerts.conftest import DUE, People

pytestmark = pytest.mark.django_db
M = timedelta(minutes=1)
S = timedelta(seconds=1)


@dataclass
class Scheduled:
    kwargs: dict[str, Any]
    countdown: float
    expires: datetime
    at: datetime  # when it was enqueued

    @property
    def eta(self) -> datetime:
        return self.at + timedelta(seconds=self.countdown)


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch, settings: Any) -> list[Scheduled]:
    """What the sweep would enqueue; a cache key of this test's own."""
    from django.utils import timezone

    settings.SWEEP_INTERVAL_SECONDS = 15.0
    settings.ALERTS_WAKE_MIN_SECONDS = 1.0
    monkeypatch.setattr(services, "WAKE_CACHE_KEY", f"test-wake-{uuid.uuid4().hex}")
    enqueued: list[Scheduled] = []

    def apply_async(*, kwargs: dict[str, Any], countdown: float, expires: datetime, **options: Any) -> None:
        enqueued.append(Scheduled(kwargs=kwargs, countdown=countdown, expires=expires, at=timezone.now()))

    monkeypatch.setattr(tasks.sweep_deadlines, "apply_async", apply_async)
    return enqueued


def test_a_stage_falling_due_before_the_next_tick_gets_a_sweep_of_its_own(
    clock: time_machine.Traveller, deadline: Deadline, scheduled: list[Scheduled]
) -> None:
    moment = DUE - 30 * M  # the t-30 stage
    clock.move_to(moment - 5 * S)
    assert deadlines_sweep(wake=True).fired == 0
    assert len(scheduled) == 1
    extra = scheduled[0]
    assert extra.countdown == pytest.approx(5.05)
    assert datetime.fromisoformat(extra.kwargs["wake_for"]) == moment
    assert extra.expires == extra.eta + 15 * S  # a stale one (broker restarted) is dropped

    # Sweeps before it (beat, a targeted sweep) find it on its way: nothing more is enqueued.
    clock.move_to(moment - 2 * S)
    deadlines_sweep(wake=True)
    tasks.sweep_deadlines(incident_id=deadline.incident_id)
    assert len(scheduled) == 1

    # It runs at its ETA and fires the stage at once, not up to 15 s later.
    clock.move_to(extra.eta)
    assert deadlines_sweep(wake=True).fired == 1
    alert = Alert.objects.get()
    assert alert.stage == "t-30" and alert.fired_at - alert.stage_at == WAKE_MARGIN
    assert len(scheduled) == 1  # t-10 is 20 minutes away: beat's business


def test_nothing_is_scheduled_beyond_the_next_tick_or_without_wake(
    clock: time_machine.Traveller, deadline: Deadline, scheduled: list[Scheduled]
) -> None:
    clock.move_to(DUE - 30 * M - 16 * S)
    deadlines_sweep(wake=True)
    clock.move_to(DUE - 30 * M - 5 * S)
    deadlines_sweep()  # the in-process sweep (tests, bench) schedules nothing unless asked
    assert scheduled == []


def test_the_next_stage_of_an_escalating_deadline_is_woken_for(
    clock: time_machine.Traveller, deadline: Deadline, scheduled: list[Scheduled]
) -> None:
    clock.move_to(DUE)
    assert deadlines_sweep().fired == 1  # due; repeats every 30 min
    assert Alert.objects.get().next_stage_at == DUE + 30 * M
    clock.move_to(DUE + 30 * M - 3 * S)
    deadlines_sweep(wake=True)
    assert [s.countdown for s in scheduled] == [pytest.approx(3.05)]
    assert datetime.fromisoformat(scheduled[0].kwargs["wake_for"]) == DUE + 30 * M


def test_a_met_deadline_is_not_woken_for(
    clock: time_machine.Traveller, deadline: Deadline, scheduled: list[Scheduled], people: People
) -> None:
    from incidents.services import deadline_meet

    clock.move_to(DUE)
    deadlines_sweep()
    deadline_meet(deadline=deadline, actor=Actor.of(people.owner))
    clock.move_to(DUE + 30 * M - 3 * S)
    assert next_stage_moment(stages=policy_stages(), after=DUE + 29 * M, before=DUE + 31 * M) is None
    deadlines_sweep(wake=True)
    assert scheduled == []


def test_the_wake_up_query_is_one_query(clock: time_machine.Traveller, deadline: Deadline) -> None:
    stages = policy_stages()
    with CaptureQueriesContext(connection) as queries:
        assert sweep_wake_schedule(stages=stages, swept_at=DUE - 3 * 60 * M) is None
    assert len(queries.captured_queries) == 1


def test_the_countdown_is_bounded(clock: time_machine.Traveller, settings: Any) -> None:
    settings.SWEEP_INTERVAL_SECONDS = 15.0
    settings.ALERTS_WAKE_MIN_SECONDS = 1.0
    now = DUE
    assert wake_countdown(moment=now + 4 * S, now=now) == pytest.approx(4.05)
    # Already past (the sweep took longer than the gap to the moment): soon, but not at once.
    assert wake_countdown(moment=now - 2 * S, now=now) == 1.0
    assert wake_countdown(moment=now + 0.2 * S, now=now) == 1.0
    # Never beyond the interval, however far the moment.
    assert wake_countdown(moment=now + 10 * M, now=now) == 15.0
    # A misconfigured interval cannot produce a far-future ETA (Redis would redeliver it).
    settings.SWEEP_INTERVAL_SECONDS = 3600.0
    assert wake_countdown(moment=now + 30 * M, now=now) == WAKE_MAX_SECONDS


def test_a_long_interval_never_schedules_far_ahead(
    clock: time_machine.Traveller, deadline: Deadline, scheduled: list[Scheduled], settings: Any
) -> None:
    settings.SWEEP_INTERVAL_SECONDS = 3600.0
    clock.move_to(DUE - 30 * M - 2 * M)
    deadlines_sweep(wake=True)  # the stage is 2 minutes away: beyond WAKE_MAX_SECONDS
    clock.move_to(DUE - 30 * M - 50 * S)
    deadlines_sweep(wake=True)
    assert [s.countdown for s in scheduled] == [pytest.approx(50.05)]
    assert all(s.countdown <= WAKE_MAX_SECONDS for s in scheduled)


def test_an_earlier_moment_is_scheduled_even_when_a_later_one_is_pending(
    clock: time_machine.Traveller,
    deadline: Deadline,
    incident: Incident,
    people: People,
    scheduled: list[Scheduled],
) -> None:
    clock.move_to(DUE - 30 * M - 10 * S)
    deadlines_sweep(wake=True)
    # A new deadline whose t-30 stage falls 5 s from now, before the pending wake-up.
    sooner = deadline_open(
        incident=incident,
        kind=DeadlineKind.RESPONSE,
        due_at=DUE - 5 * S,
        actor=Actor.of(people.owner),
    )
    deadlines_sweep(wake=True)
    deadlines_sweep(wake=True)
    assert [s.countdown for s in scheduled] == [pytest.approx(10.05), pytest.approx(5.05)]
    # The sooner one runs and fires; the later moment is already scheduled: not again.
    clock.move_to(scheduled[1].eta)
    assert deadlines_sweep(wake=True).fired == 1
    assert Alert.objects.get().deadline_id == sooner.pk
    assert len(scheduled) == 2
    clock.move_to(scheduled[0].eta)
    assert deadlines_sweep(wake=True).fired == 1
    assert Alert.objects.filter(deadline=deadline).exists()


def test_a_pending_wake_up_schedules_the_later_moments_itself(
    clock: time_machine.Traveller,
    deadline: Deadline,
    incident: Incident,
    people: People,
    scheduled: list[Scheduled],
) -> None:
    from incidents.services import deadline_meet

    later = deadline_open(
        incident=incident, kind=DeadlineKind.RESPONSE, due_at=DUE + 8 * S, actor=Actor.of(people.owner)
    )
    clock.move_to(DUE - 30 * M - 5 * S)
    deadlines_sweep(wake=True)
    assert len(scheduled) == 1  # for the first report's t-30, 5 s away
    # That deadline is met: the earliest moment ahead is now the later one, but a wake-up is
    # pending before it, and it will look again when it runs.
    deadline_meet(deadline=deadline, actor=Actor.of(people.owner))
    deadlines_sweep(wake=True)
    assert len(scheduled) == 1
    clock.move_to(scheduled[0].eta)
    assert deadlines_sweep(wake=True).fired == 0
    assert [s.countdown for s in scheduled[1:]] == [pytest.approx(8.0)]
    clock.move_to(scheduled[1].eta)
    assert deadlines_sweep(wake=True).fired == 1
    assert Alert.objects.get().deadline_id == later.pk


def test_a_dense_run_of_moments_cannot_snowball(
    clock: time_machine.Traveller, incident: Incident, people: People, scheduled: list[Scheduled]
) -> None:
    """40 more deadlines whose first stage falls every 0.1 s after the first report's (4 s in
    all): play every extra sweep at its ETA. Each sweep schedules at most one more, at least
    the minimum gap (1 s) ahead, so the chain is about 4 sweeps long, and every stage fires
    within the gap of its moment."""
    start = DUE - 30 * M
    clock.move_to(start - 3 * S)
    for i in range(1, 41):
        deadline_open(
            incident=incident,
            kind=DeadlineKind.RESPONSE,
            due_at=DUE + i * timedelta(milliseconds=100),
            actor=Actor.of(people.owner),
        )
    deadlines_sweep(wake=True)
    played = 0
    while played < len(scheduled):
        extra = scheduled[played]
        played += 1
        clock.move_to(extra.eta)
        deadlines_sweep(wake=True)
        assert played < 10, "extra sweeps snowball"
    assert 4 <= played <= 6
    etas = [s.eta for s in scheduled]
    assert all(b - a >= 1 * S for a, b in zip(etas, etas[1:], strict=False))
    alerts = list(Alert.objects.filter(stage="t-30"))
    assert len(alerts) == 41
    assert max(a.fired_at - a.stage_at for a in alerts) <= 1 * S + WAKE_MARGIN


def test_a_cache_outage_schedules_nothing_and_beat_carries_on(
    clock: time_machine.Traveller,
    deadline: Deadline,
    scheduled: list[Scheduled],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(services.shared_cache, "get", down)
    clock.move_to(DUE - 30 * M - 5 * S)
    assert deadlines_sweep(wake=True).fired == 0
    assert scheduled == []
