"""Delivering the outbox: claim, send, record.

A delivery is three steps, and only the first and last touch the database:

1. **Claim** (one short transaction): lock the row(s) with ``select_for_update(skip_locked)``;
   return at once if delivered, failed, not yet due, or leased by another worker; otherwise
   open a ``DeliveryAttempt`` and lease the row(s) for ``ALERTS_DELIVERY_LEASE_SECONDS``.
2. **Send**, outside any transaction (no lock is held across the network).
3. **Record** (one transaction): the attempt's outcome, the row's new state, a timeline entry
   per alert; a transient failure schedules the next try with capped exponential backoff.

A worker killed between 1 and 3 leaves a leased row whose lease runs out; the outbox sweep then
re-enqueues it and the next claim marks the dangling attempt ``lost``. The receiver sees the
same idempotency key both times. A robot with a rate limit is claimed under its channel's row
lock, where the limit is counted; whatever is pending for a robot is merged into one message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts import channels
from alerts.choices import ROBOT_KINDS, AttemptOutcome, ChannelKind, NotificationStatus
from alerts.models import Alert, Channel, DeliveryAttempt, Notification
from alerts.services import one_or_none
from incidents.services import timeline_add
from incidents.timeline import Actor, register_kind

log = logging.getLogger(__name__)

register_kind(
    "alert_delivery",
    gettext_lazy(
        "Alert delivery via %(channel_label)s to %(target)s, attempt %(attempt)s: %(outcome_label)s %(code)s"
    ),
    choices={"channel": ChannelKind, "outcome": AttemptOutcome},
)

# How early a task may run against ``next_attempt_at`` (countdowns are not exact).
EARLY = timedelta(seconds=1)
ROBOT_MERGE_MAX = 30


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def lease() -> timedelta:
    return timedelta(seconds=_setting("ALERTS_DELIVERY_LEASE_SECONDS", 60))


def backoff(attempts: int) -> timedelta:
    """Capped exponential: base, 2·base, 4·base, … up to the cap."""
    base = _setting("ALERTS_RETRY_BASE_SECONDS", 10)
    cap = _setting("ALERTS_RETRY_MAX_SECONDS", 600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def max_attempts() -> int:
    return int(_setting("ALERTS_MAX_ATTEMPTS", 12))


def _enqueue_retry(pk: int, delay: timedelta) -> None:
    from alerts.tasks import deliver_notification

    try:
        deliver_notification.apply_async((pk,), countdown=max(0.0, delay.total_seconds()), retry=False)
    except Exception:  # the outbox sweep picks it up when due
        log.warning("could not schedule retry of notification %s", pk, exc_info=True)


def _target(n: Notification) -> str:
    if n.channel_kind == ChannelKind.EMAIL:
        return n.address
    if n.channel_kind == ChannelKind.IN_APP:
        return str(n.recipient)
    return n.channel.name if n.channel else n.address


def _log_on_timeline(notifications: Iterable[Notification], attempt: DeliveryAttempt, now: datetime) -> None:
    for n in notifications:
        timeline_add(
            incident=n.alert.incident,
            kind="alert_delivery",
            actor=Actor.system(),
            at=now,
            data={
                "alert": n.alert_id,
                "notification": n.pk,
                "attempt_id": attempt.pk,
                "channel": n.channel_kind,
                "target": _target(n),
                "attempt": n.attempts,
                "outcome": attempt.outcome,
                "code": attempt.error_code or (str(attempt.http_status) if attempt.http_status else ""),
                "error": attempt.error[:200],
            },
        )


def _close_lost(notifications: list[Notification], now: datetime) -> None:
    """Attempts still ``sending`` whose lease ran out: their worker died mid-send."""
    ids = DeliveryAttempt.notifications.through.objects.filter(notification__in=notifications).values(
        "deliveryattempt_id"
    )
    lost = list(
        DeliveryAttempt.objects.filter(pk__in=ids, outcome=AttemptOutcome.SENDING).select_for_update(
            of=("self",)
        )
    )
    for attempt in lost:
        attempt.outcome = AttemptOutcome.LOST
        attempt.finished_at = now
        attempt.error_code = "worker_lost"
        attempt.error = "No result before the lease ran out; sending again."
        attempt.save(update_fields=["outcome", "finished_at", "error_code", "error"])
        mine = [n for n in notifications if attempt.notifications.filter(pk=n.pk).exists()]
        _log_on_timeline(mine, attempt, now)


def _eligible(n: Notification, now: datetime) -> bool:
    return (
        n.status == NotificationStatus.PENDING
        and (n.leased_until is None or n.leased_until < now)
        and n.next_attempt_at <= now + EARLY
    )


def _fail_without_sending(notifications: list[Notification], now: datetime, code: str, error: str) -> None:
    attempt = DeliveryAttempt.objects.create(
        channel_kind=notifications[0].channel_kind,
        channel=notifications[0].channel,
        started_at=now,
        finished_at=now,
        outcome=AttemptOutcome.FAILED,
        error_code=code,
        error=error,
    )
    attempt.notifications.add(*notifications)
    for n in notifications:
        n.status = NotificationStatus.FAILED
        n.last_code, n.last_error = code, error
        n.leased_until = None
        n.save(update_fields=["status", "last_code", "last_error", "leased_until"])
    _log_on_timeline(notifications, attempt, now)


def _start(notifications: list[Notification], now: datetime) -> DeliveryAttempt:
    """Open an attempt and lease the (locked) rows. Only a row that was leased before can have
    an attempt still ``sending`` (recording or failing an attempt clears the lease), so the
    first claim of a fresh row skips looking for lost attempts."""
    if any(n.leased_until is not None for n in notifications):
        _close_lost(notifications, now)
    attempt = DeliveryAttempt.objects.create(
        channel_kind=notifications[0].channel_kind, channel=notifications[0].channel, started_at=now
    )
    through = DeliveryAttempt.notifications.through
    through.objects.bulk_create(
        [through(deliveryattempt_id=attempt.pk, notification_id=n.pk) for n in notifications]
    )
    until = now + lease()
    for n in notifications:
        n.attempts += 1
        n.leased_until = until
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        attempts=F("attempts") + 1, leased_until=until
    )
    return attempt


RECORDED_FIELDS = ["leased_until", "last_code", "last_error", "status", "delivered_at", "next_attempt_at"]


def _record(attempt: DeliveryAttempt, claimed: list[Notification], result: channels.SendResult) -> str:
    """Write what the send returned; schedule the next try for a transient failure.

    ``claimed`` are the rows as the claim loaded them (with their alert and incident, for the
    timeline); their state is read again under the lock, rows first and then the attempt, in
    the same order as a claim, so a claim and a record never wait for each other in a cycle."""
    with transaction.atomic():
        now = timezone.now()
        described = {n.pk: n for n in claimed}
        notifications = list(
            Notification.objects.select_for_update()
            .filter(pk__in=described)
            .only("pk", "status", "attempts", "next_attempt_at", "delivered_at", "alert_id")
            .order_by("pk")
        )
        code = result.error_code[:40] or (str(result.http_status) if result.http_status else "")
        retries: list[tuple[int, timedelta]] = []
        for n in notifications:
            claimed_n = described[n.pk]
            n.alert, n.channel, n.channel_kind = claimed_n.alert, claimed_n.channel, claimed_n.channel_kind
            n.recipient, n.address = claimed_n.recipient, claimed_n.address
            n.leased_until = None
            n.last_code = code
            n.last_error = result.error[:500]
            if n.status != NotificationStatus.PENDING:
                pass  # a later attempt already settled it; keep its state
            elif result.ok:
                n.status = NotificationStatus.DELIVERED
                n.delivered_at = now
            elif result.transient and n.attempts < max_attempts():
                delay = backoff(n.attempts)
                n.next_attempt_at = now + delay
                retries.append((n.pk, delay))
            else:
                n.status = NotificationStatus.FAILED
        if len(notifications) == 1:
            notifications[0].save(update_fields=RECORDED_FIELDS)
        elif notifications:
            Notification.objects.bulk_update(notifications, RECORDED_FIELDS)
        if result.ok:
            attempt.outcome = AttemptOutcome.DELIVERED
        elif retries:
            attempt.outcome = AttemptOutcome.RETRY
            # A merged robot message is retried as a batch: one task brings it back.
            first = min(retries, key=lambda r: r[1])
            transaction.on_commit(lambda: _enqueue_retry(*first), robust=True)
        else:
            attempt.outcome = AttemptOutcome.FAILED
        attempt.finished_at = now
        attempt.http_status = result.http_status
        attempt.error_code = result.error_code[:40]
        attempt.error = result.error[:500]
        attempt.save(update_fields=["outcome", "finished_at", "http_status", "error_code", "error"])
        _log_on_timeline(notifications, attempt, now)
    return str(attempt.outcome)


# --- Person-to-person channels and webhooks -------------------------------------------------


def _send_single(n: Notification) -> channels.SendResult:
    if n.channel_kind == ChannelKind.EMAIL:
        alert = n.alert
        body = f"{alert.message}\n\n{channels.incident_url(alert)}"
        return channels.send_email(
            to=n.address,
            subject=channels.email_subject(alert),
            body=body,
            idempotency_key=str(n.idempotency_key),
        )
    if n.channel_kind == ChannelKind.WEBHOOK:
        assert n.channel is not None
        return channels.send_webhook(
            url=n.channel.url,
            secret=n.channel.secret,
            payload=channels.webhook_payload(n),
            idempotency_key=str(n.idempotency_key),
        )
    raise ValueError(f"not a single-send channel: {n.channel_kind}")


def _deliver_single(pk: int) -> str:
    """Email and webhooks. Also the entry point for every kind, so a delivery costs no separate
    look-up: a robot's row is let go at once and handed to ``_deliver_robot`` (which locks
    its channel first, then the rows)."""
    with transaction.atomic():
        now = timezone.now()
        n = one_or_none(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("alert", "alert__incident", "alert__incident__unit", "channel", "recipient")
            .filter(pk=pk)
        )
        if n is None:
            return "busy" if Notification.objects.filter(pk=pk).exists() else "missing"
        if n.channel_kind == ChannelKind.IN_APP:
            return "skip"
        robot_channel = n.channel_id if n.channel_kind in ROBOT_KINDS else None
        if robot_channel is None:
            if not _eligible(n, now):
                return "skip"
            if n.channel_kind == ChannelKind.EMAIL and not settings.EMAIL_HOST:
                _fail_without_sending([n], now, "no_email_host", "EMAIL_HOST is not set.")
                return str(AttemptOutcome.FAILED)
            if n.channel_kind != ChannelKind.EMAIL and (n.channel is None or not n.channel.enabled):
                _fail_without_sending([n], now, "channel_gone", "The channel was deleted or disabled.")
                return str(AttemptOutcome.FAILED)
            attempt = _start([n], now)
    if robot_channel is not None:
        return _deliver_robot(robot_channel, pk)
    with translation.override(settings.LANGUAGE_CODE):
        result = _send_single(n)
    return _record(attempt, [n], result)


# --- Robots: rate limit and merge -----------------------------------------------------------


def _robot_mobiles(alerts: list[Alert]) -> list[str]:
    mobiles = (
        Notification.objects.filter(alert__in=alerts, channel_kind=ChannelKind.IN_APP)
        .exclude(recipient__mobile="")
        .values_list("recipient__mobile", flat=True)
        .distinct()
    )
    return sorted(set(mobiles))


def _deliver_robot(channel_id: int, pk: int) -> str:
    with transaction.atomic():
        now = timezone.now()
        channel = one_or_none(Channel.objects.filter(pk=channel_id))
        if channel is not None and channel.rate_per_minute:
            # Counting the robot's last minute needs one claimer at a time: the channel row's
            # lock. A robot without a limit is claimed in parallel (skip_locked keeps apart).
            channel = one_or_none(Channel.objects.select_for_update().filter(pk=channel_id))
        trigger = one_or_none(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("alert", "alert__incident", "channel")
            .filter(pk=pk)
        )
        if trigger is None:
            return "busy"
        if not _eligible(trigger, now):
            return "skip"
        if channel is None or not channel.enabled:
            _fail_without_sending([trigger], now, "channel_gone", "The channel was deleted or disabled.")
            return str(AttemptOutcome.FAILED)
        if channel.rate_per_minute:
            recent = list(
                DeliveryAttempt.objects.filter(channel=channel, started_at__gt=now - timedelta(minutes=1))
                .order_by("-started_at")
                .values_list("started_at", flat=True)[: channel.rate_per_minute]
            )
            if len(recent) >= channel.rate_per_minute:
                # The robot's minute is full: wait until the oldest send in it drops out;
                # whatever is pending then goes out as one merged message.
                wait_until = recent[-1] + timedelta(minutes=1, milliseconds=50)
                trigger.next_attempt_at = wait_until
                trigger.save(update_fields=["next_attempt_at"])
                delay = wait_until - now
                transaction.on_commit(lambda: _enqueue_retry(pk, delay), robust=True)
                return "deferred"
        others = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("alert", "alert__incident", "channel")
            .filter(channel=channel, status=NotificationStatus.PENDING, next_attempt_at__lte=now + EARLY)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .exclude(pk=pk)
            .order_by("alert__fired_at", "pk")[: ROBOT_MERGE_MAX - 1]
        )
        batch = [trigger, *others]
        fitted = channels.robot_fit(keyword=channel.keyword, alerts=[n.alert for n in batch])
        batch = batch[: len(fitted)]
        attempt = _start(batch, now)
        text = channels.robot_text(keyword=channel.keyword, alerts=fitted)
        mobiles = _robot_mobiles(fitted) if channel.mention and channel.kind != ChannelKind.FEISHU else []
        kind, url, secret = channel.kind, channel.url, channel.secret
    result = channels.send_robot(kind=kind, url=url, secret=secret, text=text, mobiles=mobiles)
    return _record(attempt, batch, result)


def notification_deliver(*, notification_id: int) -> str:
    """Deliver one notification (robots: with whatever else is pending for the same robot).
    Safe to call any number of times: returns without sending unless the row is pending, due
    and not leased. Returns the outcome, or why nothing was sent."""
    return _deliver_single(notification_id)


def channel_test_send(*, channel: Channel, actor: Actor) -> DeliveryAttempt:
    """Send a test message through a channel now and log the attempt (the admin's button)."""
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Test message from %(site)s, sent by %(who)s. Alerts will arrive here.") % {
            "site": "舆情应对处置",
            "who": actor.name,
        }
    attempt = DeliveryAttempt.objects.create(
        channel_kind=channel.kind, channel=channel, started_at=now, test=True
    )
    result = channels.send_to_channel_test(channel, text)
    attempt.finished_at = timezone.now()
    attempt.outcome = AttemptOutcome.DELIVERED if result.ok else AttemptOutcome.FAILED
    attempt.http_status = result.http_status
    attempt.error_code = result.error_code[:40]
    attempt.error = result.error[:500]
    attempt.save()
    return attempt
