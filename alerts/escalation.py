"""Escalation arithmetic with no I/O: which stage of a deadline is due at a moment, what comes
next, and which stages a gap passed over. The sweep and the tests share it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.choices import AlertKind


@dataclass(frozen=True)
class StageSpec:
    code: str
    name: str
    offset: timedelta
    audience: str
    repeat_every: timedelta | None = None


@dataclass(frozen=True)
class Occurrence:
    """The ``repeat``-th firing (0 = first) of ``stage`` for a deadline due at ``due_at``."""

    stage: StageSpec
    index: int  # position of the stage in the ordered policy: higher is more severe
    repeat: int
    at: datetime

    @property
    def kind(self) -> str:
        if self.stage.offset < timedelta(0):
            return AlertKind.DUE_SOON
        if self.stage.offset == timedelta(0) and self.repeat == 0:
            return AlertKind.DUE_NOW
        return AlertKind.OVERDUE


def _ordered(stages: Sequence[StageSpec]) -> list[StageSpec]:
    return sorted(stages, key=lambda s: s.offset)


def _repeats_until(stages: list[StageSpec], i: int, due_at: datetime) -> datetime | None:
    """A repeating stage repeats until the next stage begins (None: for ever)."""
    return due_at + stages[i + 1].offset if i + 1 < len(stages) else None


def current_occurrence(stages: Sequence[StageSpec], *, due_at: datetime, now: datetime) -> Occurrence | None:
    """The most severe occurrence that has fallen due by ``now``, or None before the first stage."""
    ordered = _ordered(stages)
    for i in range(len(ordered) - 1, -1, -1):
        stage = ordered[i]
        base = due_at + stage.offset
        if base > now:
            continue
        repeat = 0
        if stage.repeat_every:
            repeat = int((now - base) // stage.repeat_every)
        return Occurrence(
            stage=stage, index=i, repeat=repeat, at=base + repeat * (stage.repeat_every or timedelta(0))
        )
    return None


def next_occurrence_at(
    stages: Sequence[StageSpec], *, due_at: datetime, after: Occurrence
) -> datetime | None:
    """When the occurrence after ``after`` falls due; None when nothing follows."""
    ordered = _ordered(stages)
    i = after.index
    following = due_at + ordered[i + 1].offset if i + 1 < len(ordered) else None
    if after.stage.repeat_every:
        again = after.at + after.stage.repeat_every
        if following is None or again < following:
            return again
    return following


def first_stage_at(stages: Sequence[StageSpec], *, due_at: datetime) -> datetime | None:
    ordered = _ordered(stages)
    return due_at + ordered[0].offset if ordered else None


def passed_over(
    stages: Sequence[StageSpec], *, due_at: datetime, last_fired_at: datetime | None, current: Occurrence
) -> list[dict[str, object]]:
    """Occurrences strictly between the last one fired and ``current``, per stage with a count:
    what a gap (beat down, or a deadline logged already overdue) skipped."""
    ordered = _ordered(stages)
    skipped: list[dict[str, object]] = []
    for i, stage in enumerate(ordered[: current.index + 1]):
        base = due_at + stage.offset
        if stage.repeat_every:
            # Occurrences base + k·repeat that lie in (last_fired_at, end).
            end = current.at if i == current.index else _repeats_until(ordered, i, due_at)
            if end is None or end <= base:
                continue
            total = _ceil_div(end - base, stage.repeat_every)
            before = 0
            if last_fired_at is not None and last_fired_at >= base:
                before = min(total, int((last_fired_at - base) // stage.repeat_every) + 1)
            count = total - before
        else:
            if i == current.index:
                continue
            count = 1 if (last_fired_at is None or base > last_fired_at) and base < current.at else 0
        if count:
            skipped.append({"stage": stage.code, "name": stage.name, "count": count})
    return skipped


def _ceil_div(a: timedelta, b: timedelta) -> int:
    whole, rest = divmod(a, b)
    return int(whole) + (1 if rest else 0)


def alert_key(*, deadline_id: int, stage: str, due_at: datetime, repeat: int) -> str:
    return f"deadline:{deadline_id}:{stage}:{due_at.isoformat()}:{repeat}"


def policy_version(stages: Sequence[StageSpec]) -> str:
    """A fingerprint of everything in a policy that decides when stages fall due and who hears
    them (code, offset, repeat, audience; not the display name). Each alert stores the version
    its ``next_stage_at`` was computed under; a different version makes the sweep recompute."""
    digest = hashlib.sha256()
    for s in _ordered(stages):
        repeat = s.repeat_every.total_seconds() if s.repeat_every else ""
        digest.update(f"{s.code}|{s.offset.total_seconds()}|{repeat}|{s.audience};".encode())
    return digest.hexdigest()[:16]
