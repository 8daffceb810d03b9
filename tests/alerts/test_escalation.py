"""The escalation arithmetic, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.choices import AlertKind
from alerts.escalation import StageSpec, current_occurrence, next_occurrence_at, passed_over
from alerts.services import DEFAULT_STAGES

DUE = datetime(2026, 3, 5, 4, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def at(minutes: float) -> datetime:
    return DUE + minutes * M


def test_nothing_before_the_first_stage() -> None:
    assert current_occurrence(DEFAULT_STAGES, due_at=DUE, now=at(-31)) is None


def test_stages_in_order_and_repeat_after_due() -> None:
    seen = [
        (o.stage.code, o.repeat, o.kind)
        for o in (
            current_occurrence(DEFAULT_STAGES, due_at=DUE, now=at(m)) for m in (-30, -11, -10, 0, 29, 30, 95)
        )
        if o
    ]
    assert seen == [
        ("t-30", 0, AlertKind.DUE_SOON),
        ("t-30", 0, AlertKind.DUE_SOON),
        ("t-10", 0, AlertKind.DUE_SOON),
        ("due", 0, AlertKind.DUE_NOW),
        ("due", 0, AlertKind.DUE_NOW),
        ("due", 1, AlertKind.OVERDUE),
        ("due", 3, AlertKind.OVERDUE),
    ]


def test_next_occurrence() -> None:
    first = current_occurrence(DEFAULT_STAGES, due_at=DUE, now=at(-20))
    assert first and next_occurrence_at(DEFAULT_STAGES, due_at=DUE, after=first) == at(-10)
    due = current_occurrence(DEFAULT_STAGES, due_at=DUE, now=at(45))
    assert due and due.at == at(30) and next_occurrence_at(DEFAULT_STAGES, due_at=DUE, after=due) == at(60)


def test_last_stage_without_repeat_has_no_next() -> None:
    stages = [
        StageSpec(code="a", name="A", offset=-M, audience="owner"),
        StageSpec(code="b", name="B", offset=0 * M, audience="owner"),
    ]
    occurrence = current_occurrence(stages, due_at=DUE, now=at(500))
    assert occurrence and occurrence.stage.code == "b" and occurrence.repeat == 0
    assert next_occurrence_at(stages, due_at=DUE, after=occurrence) is None


def test_repeating_middle_stage_stops_at_the_next_stage() -> None:
    stages = [
        StageSpec(code="a", name="A", offset=-10 * M, audience="owner", repeat_every=4 * M),
        StageSpec(code="b", name="B", offset=0 * M, audience="owner"),
    ]
    occurrence = current_occurrence(stages, due_at=DUE, now=at(-3))
    assert occurrence and occurrence.stage.code == "a" and occurrence.repeat == 1 and occurrence.at == at(-6)
    assert next_occurrence_at(stages, due_at=DUE, after=occurrence) == at(-2)
    after = current_occurrence(stages, due_at=DUE, now=at(-1.5))
    assert after and after.repeat == 2 and next_occurrence_at(stages, due_at=DUE, after=after) == at(0)


def test_passed_over_after_a_gap() -> None:
    current = current_occurrence(DEFAULT_STAGES, due_at=DUE, now=at(65))
    assert current and current.repeat == 2
    skipped = passed_over(DEFAULT_STAGES, due_at=DUE, last_fired_at=None, current=current)
    assert skipped == [
        {"stage": "t-30", "name": DEFAULT_STAGES[0].name, "count": 1},
        {"stage": "t-10", "name": DEFAULT_STAGES[1].name, "count": 1},
        {"stage": "due", "name": DEFAULT_STAGES[2].name, "count": 2},
    ]
    # The 30-minute warning went out; beat then stopped until after the due time.
    skipped = passed_over(DEFAULT_STAGES, due_at=DUE, last_fired_at=at(-30), current=current)
    assert [(s["stage"], s["count"]) for s in skipped] == [("t-10", 1), ("due", 2)]
    # Nothing missed: the previous occurrence fired.
    current = current_occurrence(DEFAULT_STAGES, due_at=DUE, now=at(31))
    assert current and passed_over(DEFAULT_STAGES, due_at=DUE, last_fired_at=at(0), current=current) == []
