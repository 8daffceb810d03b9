"""Alert use cases. Other apps raise alerts only through ``alert_raise``.

Escalation is driven by the database alone: the sweep asks PostgreSQL which open deadlines
have a stage due that no alert records yet, and fires each in its own transaction. Nothing is
remembered in a process or in the broker, so a lost sweep message, a dead worker or a stopped
beat delays an alert by one sweep at most and never loses it.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.choices import AUDIENCE_RANK, AlertKind, Audience, ChannelKind, NotificationStatus
from alerts.escalation import (
    Occurrence,
    StageSpec,
    alert_key,
    current_occurrence,
    first_stage_at,
    next_occurrence_at,
    passed_over,
    policy_version,
)
from alerts.models import Alert, Channel, EscalationPolicy, EscalationStage, Notification, SweepHeartbeat
from incidents.choices import DeadlineKind, Role
from incidents.formats import format_cn
from incidents.models import DEFAULT_UNIT_CODE, Deadline, Incident, User
from incidents.services import timeline_add
from incidents.timeline import Actor, register_kind

log = logging.getLogger(__name__)

register_kind("alert_fired", "⚠ %(message)s")
register_kind(
    "escalation_stages_skipped",
    gettext_lazy("Escalation caught up after a gap: passed over %(stages)s; fired only %(fired)s"),
)
register_kind("alert_acknowledged", gettext_lazy("Alert acknowledged: %(message)s"))

# The default policy, also written by the data migration; an administrator edits it in the admin.
DEFAULT_STAGES: list[StageSpec] = [
    StageSpec(code="t-30", name="到期前30分钟", offset=timedelta(minutes=-30), audience=Audience.OWNER),
    StageSpec(code="t-10", name="到期前10分钟", offset=timedelta(minutes=-10), audience=Audience.UNIT_HEAD),
    StageSpec(
        code="due",
        name="到期及此后每30分钟",
        offset=timedelta(0),
        audience=Audience.LEADERSHIP,
        repeat_every=timedelta(minutes=30),
    ),
]


def policy_stages() -> list[StageSpec]:
    """The active policy's stages, ordered; the defaults when no policy is active."""
    policy = EscalationPolicy.objects.filter(is_active=True).first()
    if policy is None:
        return list(DEFAULT_STAGES)
    return [
        StageSpec(code=s.code, name=s.name, offset=s.offset, audience=s.audience, repeat_every=s.repeat_every)
        for s in EscalationStage.objects.filter(policy=policy).order_by("offset")
    ]


_Row = TypeVar("_Row", bound=Model)


def one_or_none(qs: QuerySet[_Row]) -> _Row | None:
    """The one row of a primary-key query, or None. Not ``first()``: it adds ORDER BY pk, and
    compiling that (with select_related) costs more than running such a query."""
    rows = list(qs.order_by()[:1])
    return rows[0] if rows else None


# --- Recipients -----------------------------------------------------------------------------


@dataclass
class RecipientCache:
    """Per-sweep memo: a burst of 1,000 alerts asks for the same unit's people and channels
    once, and loads the incidents (with unit and owner) of all its deadlines in one query."""

    people: dict[tuple[int, str], list[User]] = field(default_factory=dict)
    channels: dict[int, list[Channel]] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)

    def load_incidents(self, *, deadline_ids: list[int]) -> None:
        for incident in (
            Incident.objects.select_related("unit", "owner").filter(deadlines__pk__in=deadline_ids).distinct()
        ):
            self.incidents[incident.pk] = incident

    def incident(self, pk: int) -> Incident:
        if pk not in self.incidents:
            self.incidents[pk] = Incident.objects.select_related("unit", "owner").get(pk=pk)
        return self.incidents[pk]


def _unit_people(incident: Incident, audience: str) -> list[User]:
    unit = incident.unit
    in_unit = Q(unit=unit)
    if unit.code == DEFAULT_UNIT_CODE:
        in_unit |= Q(unit__isnull=True)  # users without a unit work in 本单位
    people = list(
        User.objects.filter(is_active=True, groups__name=Role.DUTY_OFFICER)
        .filter(in_unit)
        .distinct()
        .order_by("pk")
    )
    rank = AUDIENCE_RANK[Audience(audience)]
    if rank >= AUDIENCE_RANK[Audience.UNIT_HEAD] and unit.head_id and unit.head and unit.head.is_active:
        people.append(unit.head)
    if rank >= AUDIENCE_RANK[Audience.LEADERSHIP]:
        people += list(
            User.objects.filter(is_active=True, groups__name=Role.LEADERSHIP).distinct().order_by("pk")
        )
    return people


def alert_recipients(*, incident: Incident, audience: str, cache: RecipientCache | None = None) -> list[User]:
    """Owner and the unit's duty officers; from ``unit_head`` on, the unit head; from
    ``leadership`` on, the leadership group (of every unit). Each person once."""
    cache = cache or RecipientCache()
    key = (incident.unit_id, audience)
    if key not in cache.people:
        cache.people[key] = _unit_people(incident, audience)
    people: list[User] = []
    if incident.owner_id and incident.owner and incident.owner.is_active:
        people.append(incident.owner)
    people += cache.people[key]
    seen: set[int] = set()
    unique = []
    for person in people:
        if person.pk not in seen:
            seen.add(person.pk)
            unique.append(person)
    return unique


def _unit_channels(incident: Incident, cache: RecipientCache) -> list[Channel]:
    if incident.unit_id not in cache.channels:
        cache.channels[incident.unit_id] = list(
            Channel.objects.filter(unit_id=incident.unit_id, enabled=True)
        )
    return cache.channels[incident.unit_id]


# --- Raising an alert -----------------------------------------------------------------------


def _enqueue_deliveries(ids: list[int]) -> None:
    """After commit: one task per notification. A broker outage only delays them: the outbox
    sweep finds rows still pending and enqueues them again."""
    from alerts.tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification.apply_async((pk,), retry=False)
        except Exception:  # broker down: the outbox sweep re-sends, so log and carry on
            log.warning("could not enqueue notification %s; the outbox sweep will", pk, exc_info=True)
            return


def notifications_plan(
    *, alert: Alert, incident: Incident, audience: str, now: datetime, cache: RecipientCache | None = None
) -> list[Notification]:
    """The outbox rows for an alert: in-app for every recipient (delivered at once), email for
    every recipient with an address when ``EMAIL_HOST`` is set, and each of the unit's enabled
    channels that takes this audience."""
    cache = cache or RecipientCache()
    people = alert_recipients(incident=incident, audience=audience, cache=cache)
    rows = [
        Notification(
            alert=alert,
            channel_kind=ChannelKind.IN_APP,
            recipient=person,
            status=NotificationStatus.DELIVERED,
            delivered_at=now,
            next_attempt_at=now,
        )
        for person in people
    ]
    if settings.EMAIL_HOST:
        rows += [
            Notification(
                alert=alert, channel_kind=ChannelKind.EMAIL, recipient=p, address=p.email, next_attempt_at=now
            )
            for p in people
            if p.email
        ]
    rank = AUDIENCE_RANK[Audience(audience)]
    rows += [
        Notification(alert=alert, channel_kind=ch.kind, channel=ch, address=ch.name, next_attempt_at=now)
        for ch in _unit_channels(incident, cache)
        if AUDIENCE_RANK[Audience(ch.min_audience)] <= rank
    ]
    return Notification.objects.bulk_create(rows)


def alert_raise(
    *,
    incident: Incident,
    kind: str,
    audience: str,
    key: str,
    message: str,
    now: datetime,
    deadline: Deadline | None = None,
    data: dict[str, Any] | None = None,
    stage: str = "",
    stage_name: str = "",
    repeat: int = 0,
    stage_at: datetime | None = None,
    next_stage_at: datetime | None = None,
    policy_version: str = "",
    cache: RecipientCache | None = None,
) -> Alert | None:
    """Record an alert, its timeline entry and (outbox) its notifications in one transaction.

    Returns None when an alert with the same ``key`` (or, for a deadline, the same stage,
    due time and repeat) exists: a second sweep, a second beat or a retried task meets the
    unique constraint and fires nothing."""
    if kind not in AlertKind.values or audience not in Audience.values:
        raise ValidationError({"kind": _("Unknown alert kind or audience.")})
    try:
        with transaction.atomic():
            alert = Alert(
                incident=incident,
                deadline=deadline,
                kind=kind,
                audience=audience,
                key=key,
                due_at=deadline.due_at if deadline else None,
                stage=stage,
                stage_name=stage_name,
                repeat=repeat,
                stage_at=stage_at,
                next_stage_at=next_stage_at,
                policy_version=policy_version,
                fired_at=now,
                message=message,
                data=data or {},
            )
            # The unique checks are the database's job (it is the only one that sees a
            # concurrent sweep): skip the SELECTs full_clean would spend on them.
            # The foreign keys are instances the caller holds: skip their existence queries too.
            alert.full_clean(
                exclude=["incident", "deadline", "acknowledged_by"],
                validate_unique=False,
                validate_constraints=False,
            )
            alert.save()
            notifications = notifications_plan(
                alert=alert, incident=incident, audience=audience, now=now, cache=cache
            )
            timeline_add(
                incident=incident,
                kind="alert_fired",
                actor=Actor.system(),
                at=now,
                data={
                    "alert": alert.pk,
                    "alert_kind": kind,
                    "audience": audience,
                    "message": message,
                    "stage": stage,
                    "recipients": sum(1 for n in notifications if n.channel_kind == ChannelKind.IN_APP),
                },
            )
            outbox = [n.pk for n in notifications if n.status == NotificationStatus.PENDING]
            if outbox:
                transaction.on_commit(lambda: _enqueue_deliveries(outbox), robust=True)
    except IntegrityError:
        return None
    return alert


# --- Escalating deadlines -------------------------------------------------------------------


def _deadline_label(deadline: Deadline) -> str:
    label = str(DeadlineKind(deadline.kind).label)
    if deadline.kind == DeadlineKind.FOLLOW_UP:
        label = f"{label} {deadline.sequence}"
    return label


def deadline_message(*, deadline: Deadline, occurrence: Occurrence, now: datetime) -> str:
    """The alert's text, in the site's language (it goes to robots and mailboxes as is)."""
    incident = deadline.incident
    with translation.override(settings.LANGUAGE_CODE):
        values: dict[str, object] = {
            "reference": incident.reference,
            "title": incident.title,
            "deadline": _deadline_label(deadline),
            "due": format_cn(deadline.due_at),
        }
        if occurrence.kind == AlertKind.DUE_SOON:
            values["minutes"] = max(1, math.ceil((deadline.due_at - now).total_seconds() / 60))
            return (
                _("[Due soon] %(reference)s %(title)s: %(deadline)s due at %(due)s, %(minutes)s min left")
                % values
            )
        if occurrence.kind == AlertKind.DUE_NOW:
            return _("[Due now] %(reference)s %(title)s: %(deadline)s is due now (%(due)s)") % values
        values["minutes"] = max(0, int((now - deadline.due_at).total_seconds() // 60))
        return (
            _("[Overdue] %(reference)s %(title)s: %(deadline)s overdue by %(minutes)s min (due %(due)s)")
            % values
        )


def deadline_escalate(
    *,
    deadline_id: int,
    stages: list[StageSpec],
    now: datetime | None = None,
    cache: RecipientCache | None = None,
) -> Alert | None:
    """Fire the most severe stage of one deadline that is due and not yet fired, in its own
    transaction. Returns None when nothing is due, the deadline was met or cancelled, another
    sweep holds it (skip_locked), or another sweep fired it first (the unique constraint).

    After a gap only the current stage fires; the timeline names the stages passed over.
    The incident (title, unit, owner) comes from ``cache`` when the sweep loaded it."""
    cache = cache or RecipientCache()
    with transaction.atomic():
        deadline = one_or_none(
            Deadline.objects.open().select_for_update(skip_locked=True).filter(pk=deadline_id)
        )
        if deadline is None:
            return None
        deadline.incident = cache.incident(deadline.incident_id)
        now = now or timezone.now()
        version = policy_version(stages)
        occurrence = current_occurrence(stages, due_at=deadline.due_at, now=now)
        latest = (
            Alert.objects.filter(deadline=deadline, due_at=deadline.due_at)
            .order_by("-stage_at")
            .values("pk", "stage_at", "policy_version")
            .first()
        )
        last_fired_at = latest["stage_at"] if latest else None
        if occurrence is None or (last_fired_at is not None and last_fired_at >= occurrence.at):
            if latest is not None and latest["policy_version"] != version:
                # The policy was edited since that alert: when the next stage falls due is
                # computed again under the policy in force, so the sweep neither waits for
                # the old next stage time nor looks at this deadline again before the new one.
                following = (
                    next_occurrence_at(stages, due_at=deadline.due_at, after=occurrence)
                    if occurrence is not None
                    else first_stage_at(stages, due_at=deadline.due_at)
                )
                Alert.objects.filter(pk=latest["pk"]).update(next_stage_at=following, policy_version=version)
            return None
        skipped = passed_over(stages, due_at=deadline.due_at, last_fired_at=last_fired_at, current=occurrence)
        stage = occurrence.stage
        alert = alert_raise(
            incident=deadline.incident,
            deadline=deadline,
            kind=occurrence.kind,
            audience=stage.audience,
            key=alert_key(
                deadline_id=deadline.pk, stage=stage.code, due_at=deadline.due_at, repeat=occurrence.repeat
            ),
            message=deadline_message(deadline=deadline, occurrence=occurrence, now=now),
            now=now,
            data={"deadline_kind": deadline.kind, "passed_over": skipped},
            stage=stage.code,
            stage_name=stage.name,
            repeat=occurrence.repeat,
            stage_at=occurrence.at,
            next_stage_at=next_occurrence_at(stages, due_at=deadline.due_at, after=occurrence),
            policy_version=version,
            cache=cache,
        )
        if alert is not None and skipped:
            names = "、".join(
                str(s["name"]) + (f"×{s['count']}" if int(str(s["count"])) > 1 else "") for s in skipped
            )
            fired = stage.name + (f" #{occurrence.repeat + 1}" if occurrence.repeat else "")
            timeline_add(
                incident=deadline.incident,
                kind="escalation_stages_skipped",
                actor=Actor.system(),
                at=now,
                data={"alert": alert.pk, "stages": names, "fired": fired, "passed_over": skipped},
            )
        return alert


def deadlines_due(*, stages: list[StageSpec], now: datetime) -> QuerySet[Deadline]:
    """Open deadlines with a stage due that no alert covers: the sweep's one query.

    The partial index on open deadlines' ``due_at`` bounds the scan to deadlines within the
    earliest stage's lead; the anti-join on (deadline, due_at, next_stage_at) drops those
    whose latest alert says the next stage is still ahead (or that none follows), as computed
    under the policy in force: after an edit, every escalating deadline is looked at once more
    (``deadline_escalate`` fires or recomputes it)."""
    lead = max(timedelta(0), -min((s.offset for s in stages), default=timedelta(0)))
    covered = Alert.objects.filter(
        deadline=OuterRef("pk"), due_at=OuterRef("due_at"), policy_version=policy_version(stages)
    ).filter(Q(next_stage_at__gt=now) | Q(next_stage_at__isnull=True))
    return Deadline.objects.open().filter(due_at__lte=now + lead).filter(~Exists(covered))


@dataclass(frozen=True)
class SweepResult:
    candidates: int
    fired: int
    duration_ms: float


def heartbeat_beat(*, name: str, started_at: datetime, duration_ms: float, fired: int) -> None:
    finished = timezone.now()
    updated = SweepHeartbeat.objects.filter(name=name).update(
        last_started_at=started_at,
        last_finished_at=finished,
        duration_ms=duration_ms,
        fired=fired,
        host=socket.gethostname()[:100],
        runs=F("runs") + 1,
    )
    if not updated:
        try:
            with transaction.atomic():
                SweepHeartbeat.objects.create(
                    name=name,
                    last_started_at=started_at,
                    last_finished_at=finished,
                    duration_ms=duration_ms,
                    fired=fired,
                    host=socket.gethostname()[:100],
                    runs=1,
                )
        except IntegrityError:  # another sweep created it this instant
            pass


def deadlines_escalate(*, deadline_ids: list[int], now: datetime | None = None) -> int:
    """Escalate a chunk of deadlines a sweep handed out; returns how many fired."""
    stages = policy_stages()
    cache = RecipientCache()
    cache.load_incidents(deadline_ids=deadline_ids)
    return sum(
        1
        for pk in deadline_ids
        if deadline_escalate(deadline_id=pk, stages=stages, now=now, cache=cache) is not None
    )


def _fan_out(chunks: list[list[int]]) -> list[list[int]]:
    """Hand chunks to other worker processes; returns the chunks that could not be enqueued
    (the caller does those itself). A lost chunk is harmless: its deadlines stay due and
    uncovered, so the next sweep finds them again."""
    from alerts.tasks import escalate_deadlines

    for i, chunk in enumerate(chunks):
        try:
            escalate_deadlines.apply_async((chunk,), retry=False, expires=300)
        except Exception:
            log.warning("could not fan out a sweep chunk; escalating it here", exc_info=True)
            return chunks[i:]
    return []


def deadlines_sweep(
    *,
    now: datetime | None = None,
    incident_id: int | None = None,
    limit: int | None = None,
    fan_out: bool = False,
    wake: bool = False,
) -> SweepResult:
    """Find the deadlines with a stage due and fire each in its own transaction. Safe to run
    concurrently (two beats, overlapping sweeps): skip_locked keeps sweeps off each other's
    rows and the unique constraint refuses a second firing. Records a heartbeat unless it
    was a targeted sweep for one incident. With ``wake``, schedules one extra sweep for the
    next stage moment that falls before the next beat tick (``sweep_wake_schedule``)."""
    started_at = timezone.now()
    t0 = time.perf_counter()
    stages = policy_stages()
    fired = 0
    candidates: list[int] = []
    if stages:
        moment = now or started_at
        qs = deadlines_due(stages=stages, now=moment)
        if incident_id is not None:
            qs = qs.filter(incident_id=incident_id)
        candidates = list(qs.order_by("due_at").values_list("pk", flat=True)[:limit])
        mine = candidates
        chunk = int(getattr(settings, "ALERTS_SWEEP_CHUNK", 100))
        if fan_out and len(candidates) > chunk:
            # A burst (1,000 deadlines due at once): other worker processes take chunks in
            # parallel; skip_locked and the unique constraint keep the chunks apart.
            chunks = [candidates[i : i + chunk] for i in range(chunk, len(candidates), chunk)]
            mine = candidates[:chunk] + [pk for rest in _fan_out(chunks) for pk in rest]
        cache = RecipientCache()
        if mine:
            cache.load_incidents(deadline_ids=mine)
        for pk in mine:
            if deadline_escalate(deadline_id=pk, stages=stages, now=now, cache=cache) is not None:
                fired += 1
    duration_ms = (time.perf_counter() - t0) * 1000
    if incident_id is None:
        heartbeat_beat(name="deadlines", started_at=started_at, duration_ms=duration_ms, fired=fired)
    if fired:
        log.info("sweep fired %s alert(s) of %s candidate(s) in %.1f ms", fired, len(candidates), duration_ms)
    if wake and stages:
        sweep_wake_schedule(stages=stages, swept_at=now or started_at)
    return SweepResult(candidates=len(candidates), fired=fired, duration_ms=duration_ms)


# --- Precise wake-up ------------------------------------------------------------------------

WAKE_CACHE_KEY = "alerts:sweep-wake"
# Whatever the settings say, an extra sweep is never scheduled further ahead than this: far
# below Redis's visibility timeout (1 h), so a countdown never comes back as a redelivery.
WAKE_MAX_SECONDS = 60.0
# Run a hair after the moment, never before it (the timer fires at or after its ETA; this
# covers clocks of different hosts that differ by a few milliseconds).
WAKE_MARGIN = timedelta(milliseconds=50)


def next_stage_moment(*, stages: list[StageSpec], after: datetime, before: datetime) -> datetime | None:
    """The earliest moment in (``after``, ``before``] at which an open deadline has a stage
    falling due: a deadline's first stage, or the next stage its latest alert recorded.

    One query, two index range scans with LIMIT 1 (``deadline_open_due_idx`` and
    ``alert_next_stage_idx``), whatever the number of open deadlines."""
    if not stages or before <= after:
        return None
    first = min(s.offset for s in stages)
    first_stages = (
        Deadline.objects.open()
        .filter(due_at__gt=after - first, due_at__lte=before - first)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    current = Deadline.objects.open().filter(pk=OuterRef("deadline_id"), due_at=OuterRef("due_at"))
    next_stages = (
        Alert.objects.filter(next_stage_at__gt=after, next_stage_at__lte=before)
        .filter(Exists(current))
        .order_by("next_stage_at")
        .values("next_stage_at")[:1]
    )
    sql_a, params_a = first_stages.query.sql_with_params()
    sql_b, params_b = next_stages.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({sql_a}), ({sql_b})", [*params_a, *params_b])
        due_at, next_at = cursor.fetchone()
    moments = [m for m in (due_at + first if due_at else None, next_at) if m is not None]
    return min(moments, default=None)


def wake_countdown(*, moment: datetime, now: datetime) -> float:
    """Seconds from ``now`` until an extra sweep should run for ``moment``: just after it, at
    least ``ALERTS_WAKE_MIN_SECONDS`` away (so a chain of extra sweeps runs at most that often),
    and never more than one sweep interval or ``WAKE_MAX_SECONDS``."""
    interval = float(settings.SWEEP_INTERVAL_SECONDS)
    min_gap = float(getattr(settings, "ALERTS_WAKE_MIN_SECONDS", 1.0))
    seconds = (moment + WAKE_MARGIN - now).total_seconds()
    return min(max(seconds, min_gap), interval, WAKE_MAX_SECONDS)


def sweep_wake_schedule(*, stages: list[StageSpec], swept_at: datetime) -> float | None:
    """After a sweep that looked at ``swept_at``: when a stage falls due before the next beat
    tick, enqueue one extra ``sweep_deadlines`` for that moment instead of leaving it to wait
    for the tick. Returns the countdown in seconds, or None when nothing was scheduled.

    Extra sweeps are harmless (firing is idempotent), and they cannot snowball: each sweep
    schedules at most one, at least ``ALERTS_WAKE_MIN_SECONDS`` ahead, and not at all when an
    extra sweep for an earlier (or the same) moment is already on its way (the cache holds its
    ETA; that sweep, when it runs, schedules the next one). Beat stays the safety net: a lost
    wake-up costs at most the wait for the next tick, as before."""
    interval = min(float(settings.SWEEP_INTERVAL_SECONDS), WAKE_MAX_SECONDS)
    moment = next_stage_moment(stages=stages, after=swept_at, before=swept_at + timedelta(seconds=interval))
    if moment is None:
        return None
    now = timezone.now()
    countdown = wake_countdown(moment=moment, now=now)
    eta = now + timedelta(seconds=countdown)
    try:
        pending = shared_cache.get(WAKE_CACHE_KEY)
        if isinstance(pending, datetime) and now < pending <= eta:
            return None  # an earlier wake-up is on its way; it schedules this one
        if not shared_cache.add(
            f"{WAKE_CACHE_KEY}:{moment.timestamp():.3f}", 1, timeout=countdown + interval
        ):
            return None  # another sweep scheduled this very moment
        shared_cache.set(WAKE_CACHE_KEY, eta, timeout=countdown + interval)
        from alerts.tasks import sweep_deadlines

        sweep_deadlines.apply_async(
            kwargs={"wake_for": moment.isoformat()},
            countdown=countdown,
            expires=eta + timedelta(seconds=interval),
            retry=False,
        )
    except Exception:  # cache or broker down: beat's next tick sweeps anyway
        log.warning("could not schedule a wake-up sweep for %s; beat will", moment, exc_info=True)
        return None
    return countdown


# --- Acknowledgement and reading ------------------------------------------------------------


def alert_acknowledge(*, alert: Alert, actor: Actor, at: datetime | None = None) -> Alert:
    """Someone is on it: record who and when, clear the alert from everyone's bell, and say so
    on the timeline. Acknowledging does not stop escalation: only meeting the deadline does."""
    if actor.user is None:
        raise ValidationError(_("Only a person can acknowledge an alert."))
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("incident").get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            return alert
        alert.acknowledged_at = at or timezone.now()
        alert.acknowledged_by = actor.user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        alert.notifications.filter(channel_kind=ChannelKind.IN_APP, read_at__isnull=True).update(
            read_at=alert.acknowledged_at
        )
        timeline_add(
            incident=alert.incident,
            kind="alert_acknowledged",
            actor=actor,
            at=alert.acknowledged_at,
            data={"alert": alert.pk, "message": alert.message},
        )
    return alert


def notifications_mark_read(*, user: User, at: datetime | None = None) -> int:
    """Clear a person's bell without acknowledging anything."""
    return Notification.objects.filter(
        recipient=user, channel_kind=ChannelKind.IN_APP, read_at__isnull=True
    ).update(read_at=at or timezone.now())


# --- The outbox sweep -----------------------------------------------------------------------


def outbox_stuck(*, now: datetime) -> QuerySet[Notification]:
    """Pending notifications that nobody is working on although they are due: their message
    was lost (broker restarted, enqueue failed) or their worker died mid-send."""
    grace = timedelta(seconds=float(getattr(settings, "ALERTS_OUTBOX_GRACE_SECONDS", 60)))
    return Notification.objects.filter(
        status=NotificationStatus.PENDING, next_attempt_at__lte=now - grace
    ).filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))


def outbox_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Re-enqueue stuck notifications. Enqueueing twice is harmless: the delivery task claims
    a row under a lock and a lease, and returns if it is delivered or in flight."""
    started_at = timezone.now()
    t0 = time.perf_counter()
    now = now or started_at
    ids = list(outbox_stuck(now=now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    if ids:
        log.warning("outbox sweep re-enqueues %s stuck notification(s)", len(ids))
        _enqueue_deliveries(ids)
    heartbeat_beat(
        name="outbox", started_at=started_at, duration_ms=(time.perf_counter() - t0) * 1000, fired=len(ids)
    )
    return len(ids)
