"""Delivery of the outbox to a real local HTTP receiver and Django's mail outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from alerts.choices import AttemptOutcome, Audience, ChannelKind, NotificationStatus
from alerts.delivery import _start, backoff, channel_test_send, notification_deliver
from alerts.models import Alert, Channel, DeliveryAttempt, Notification
from alerts.services import alert_raise, deadlines_sweep, outbox_stuck
from incidents.models import Incident, TimelineEvent, Unit
from incidents.timeline import Actor
from tests.alerts.conftest import DUE, People
from tests.alerts.receiver import Receiver

pytestmark = pytest.mark.django_db
M = timedelta(minutes=1)


def channel(unit: Unit, receiver: Receiver, kind: str, **extra) -> Channel:
    secrets = {
        "dingtalk": receiver.dingtalk_secret,
        "feishu": receiver.feishu_secret,
        "webhook": receiver.webhook_secret,
    }
    return Channel.objects.create(
        unit=unit, name=f"{kind}群", kind=kind, url=receiver.url(kind), secret=secrets.get(kind, ""), **extra
    )


def fire(clock: time_machine.Traveller) -> Alert:
    clock.move_to(DUE - 30 * M)
    deadlines_sweep()
    return Alert.objects.latest("id")


def deliver_all(alert: Alert) -> list[str]:
    return [
        notification_deliver(notification_id=n.pk)
        for n in alert.notifications.exclude(channel_kind=ChannelKind.IN_APP).order_by("pk")
    ]


def test_every_channel_delivers_with_valid_signatures(
    clock, deadline, unit, receiver: Receiver, people: People
) -> None:
    receiver.dingtalk_keyword = "舆情"
    for kind in ("wecom", "dingtalk", "feishu", "webhook"):
        channel(unit, receiver, kind, keyword="舆情" if kind == "dingtalk" else "")
    alert = fire(clock)
    assert deliver_all(alert) == ["delivered"] * 4
    assert all(r.verified for r in receiver.received), receiver.received
    ding = receiver.of("dingtalk")[0]
    assert (
        ding.body["text"]["content"].startswith("舆情 ")
        and alert.incident.reference in ding.body["text"]["content"]
    )
    assert ding.body["at"]["atMobiles"] == ["13800000001", "13800000002"]
    wecom = receiver.of("wecom")[0]
    assert wecom.body["text"]["mentioned_mobile_list"] == ["13800000001", "13800000002"]
    feishu = receiver.of("feishu")[0]
    assert feishu.body["msg_type"] == "text" and feishu.body["timestamp"].isdigit()
    hook = receiver.of("webhook")[0]
    n = alert.notifications.get(channel_kind=ChannelKind.WEBHOOK)
    assert hook.headers["Idempotency-Key"] == str(n.idempotency_key) == hook.body["idempotency_key"]
    assert hook.body["incident"]["reference"] == alert.incident.reference
    assert set(alert.notifications.values_list("status", flat=True)) == {NotificationStatus.DELIVERED}
    events = TimelineEvent.objects.filter(incident=alert.incident, kind="alert_delivery")
    assert events.count() == 4 and all(e.data["outcome"] == "delivered" for e in events)
    # Delivered rows are never sent again, however often the task comes back.
    assert deliver_all(alert) == ["skip"] * 4 and len(receiver.received) == 4


def test_a_bad_signature_is_a_permanent_failure_with_its_code(
    clock, deadline, unit, receiver: Receiver
) -> None:
    Channel.objects.create(unit=unit, name="飞书", kind="feishu", url=receiver.url("feishu"), secret="wrong")
    alert = fire(clock)
    assert deliver_all(alert) == ["failed"]
    n = alert.notifications.get(channel_kind="feishu")
    assert n.status == NotificationStatus.FAILED and n.last_code == "19021" and n.attempts == 1
    event = TimelineEvent.objects.get(kind="alert_delivery")
    assert "19021" in event.message


def test_5xx_and_network_errors_retry_with_capped_backoff(
    clock, deadline, unit, receiver: Receiver, settings
) -> None:
    settings.ALERTS_RETRY_BASE_SECONDS = 10
    settings.ALERTS_RETRY_MAX_SECONDS = 30
    channel(unit, receiver, "webhook")
    receiver.fail_next("webhook", 503, times=3)
    alert = fire(clock)
    n = alert.notifications.get(channel_kind="webhook")
    delays = []
    for _ in range(3):
        assert notification_deliver(notification_id=n.pk) == "retry"
        n.refresh_from_db()
        delays.append((n.next_attempt_at - DUE + 30 * M).total_seconds())
        assert notification_deliver(notification_id=n.pk) == "skip"  # not due yet
        clock.move_to(n.next_attempt_at)
    assert [backoff(i).total_seconds() for i in (1, 2, 3, 4)] == [10, 20, 30, 30]
    assert notification_deliver(notification_id=n.pk) == "delivered"
    n.refresh_from_db()
    assert n.attempts == 4 and n.status == NotificationStatus.DELIVERED
    outcomes = list(
        DeliveryAttempt.objects.filter(notifications=n)
        .order_by("started_at")
        .values_list("outcome", "http_status")
    )
    assert outcomes == [("retry", 503)] * 3 + [("delivered", 200)]


def test_4xx_is_not_retried(clock, deadline, unit, receiver: Receiver) -> None:
    channel(unit, receiver, "webhook")
    receiver.fail_next("webhook", 400)
    alert = fire(clock)
    assert deliver_all(alert) == ["failed"]


def test_connection_refused_is_retried_and_attempts_are_capped(clock, deadline, unit, settings) -> None:
    settings.ALERTS_MAX_ATTEMPTS = 2
    Channel.objects.create(unit=unit, name="gone", kind="webhook", url="http://127.0.0.1:9/hook")
    alert = fire(clock)
    n = alert.notifications.get(channel_kind="webhook")
    assert notification_deliver(notification_id=n.pk) == "retry"
    clock.move_to(DUE)
    assert notification_deliver(notification_id=n.pk) == "failed"
    n.refresh_from_db()
    assert n.status == NotificationStatus.FAILED and n.last_code == "ConnectionError"


def test_a_robot_over_its_rate_merges_alerts_instead_of_dropping_them(
    clock, unit, receiver: Receiver, people: People, incident: Incident
) -> None:
    robot = channel(unit, receiver, "wecom", rate_per_minute=3)
    alerts = [
        alert_raise(
            incident=incident,
            kind="worsening",
            audience=Audience.OWNER,
            key=f"w{i}",
            message=f"态势恶化 {i}",
            now=timezone.now(),
        )
        for i in range(8)
    ]
    ids = [a.notifications.get(channel=robot).pk for a in alerts if a]
    outcomes = [notification_deliver(notification_id=pk) for pk in ids[:3]]
    # The first claims everything pending for the robot: one merged message, not eight.
    assert outcomes == ["delivered", "skip", "skip"]
    assert len(receiver.of("wecom")) == 1 and "8 条" in receiver.of("wecom")[0].body["text"]["content"]
    # Burst again past the limit.
    more = [
        alert_raise(
            incident=incident,
            kind="worsening",
            audience=Audience.OWNER,
            key=f"x{i}",
            message=f"又一条 {i}",
            now=timezone.now(),
        )
        for i in range(5)
    ]
    more_ids = [a.notifications.get(channel=robot).pk for a in more if a]
    assert notification_deliver(notification_id=more_ids[0]) == "delivered"  # send 2 in this minute
    assert notification_deliver(notification_id=more_ids[1]) == "skip"  # merged into it
    third = alert_raise(
        incident=incident,
        kind="worsening",
        audience=Audience.OWNER,
        key="y",
        message="第三条",
        now=timezone.now(),
    )
    assert third is not None
    assert (
        notification_deliver(notification_id=third.notifications.get(channel=robot).pk) == "delivered"
    )  # send 3
    late = [
        alert_raise(
            incident=incident,
            kind="worsening",
            audience=Audience.OWNER,
            key=f"z{i}",
            message=f"超限 {i}",
            now=timezone.now(),
        )
        for i in range(2)
    ]
    late_ids = [a.notifications.get(channel=robot).pk for a in late if a]
    assert [notification_deliver(notification_id=pk) for pk in late_ids] == ["deferred", "deferred"]
    assert len(receiver.of("wecom")) == 3
    waiting = Notification.objects.get(pk=late_ids[0])
    assert waiting.status == NotificationStatus.PENDING and waiting.next_attempt_at > timezone.now()
    clock.move_to(waiting.next_attempt_at)
    assert notification_deliver(notification_id=late_ids[0]) == "delivered"
    assert notification_deliver(notification_id=late_ids[1]) == "skip"
    last = receiver.of("wecom")[-1].body["text"]["content"]
    assert "超限 0" in last and "超限 1" in last and "2 条" in last
    assert (
        Notification.objects.filter(channel=robot).exclude(status=NotificationStatus.DELIVERED).count() == 0
    )


def test_email_subject_carries_the_reference(clock, deadline, settings, people: People) -> None:
    settings.EMAIL_HOST = "127.0.0.1"
    alert = fire(clock)
    assert deliver_all(alert) == ["delivered", "delivered"]
    assert sorted(m.to[0] for m in mail.outbox) == ["duty2@example.org", "owner@example.org"]
    message = mail.outbox[0]
    assert alert.incident.reference in message.subject and message.extra_headers["X-Idempotency-Key"]


def test_a_worker_lost_mid_send_is_resent_after_its_lease_with_the_same_key(
    clock, deadline, unit, receiver: Receiver, settings
) -> None:
    settings.ALERTS_DELIVERY_LEASE_SECONDS = 60
    settings.ALERTS_OUTBOX_GRACE_SECONDS = 30
    channel(unit, receiver, "webhook")
    alert = fire(clock)
    n = alert.notifications.get(channel_kind="webhook")
    _start([n], DUE - 30 * M)  # claimed by a worker that then died before recording anything
    assert notification_deliver(notification_id=n.pk) == "skip"  # leased: someone is on it
    assert not outbox_stuck(now=DUE - 29 * M).exists()
    clock.move_to(DUE - 28 * M)
    assert list(outbox_stuck(now=DUE - 28 * M)) == [n]
    assert notification_deliver(notification_id=n.pk) == "delivered"
    outcomes = list(
        DeliveryAttempt.objects.filter(notifications=n)
        .order_by("started_at")
        .values_list("outcome", flat=True)
    )
    assert outcomes == [AttemptOutcome.LOST, AttemptOutcome.DELIVERED]
    assert receiver.of("webhook")[0].headers["Idempotency-Key"] == str(n.idempotency_key)
    assert TimelineEvent.objects.filter(kind="alert_delivery", data__outcome="lost").exists()


def test_admin_test_send(unit, receiver: Receiver, people: People) -> None:
    ding = channel(unit, receiver, "dingtalk")
    attempt = channel_test_send(channel=ding, actor=Actor.of(people.owner))
    assert attempt.outcome == AttemptOutcome.DELIVERED and attempt.test
    assert receiver.of("dingtalk")[0].verified
    bad = Channel.objects.create(
        unit=unit, name="x", kind="dingtalk", url=receiver.url("dingtalk"), secret="nope"
    )
    attempt = channel_test_send(channel=bad, actor=Actor.of(people.owner))
    assert attempt.outcome == AttemptOutcome.FAILED and attempt.error_code == "310000"


def test_only_a_rate_limited_robot_is_claimed_under_its_channel_lock(
    clock, unit, receiver: Receiver, people: People, incident: Incident
) -> None:
    """Counting a robot's minute needs one claimer at a time; a robot without a limit does not,
    so its deliveries are not serialized behind the channel row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    free = channel(unit, receiver, "wecom", rate_per_minute=0)
    limited = Channel.objects.create(
        unit=unit, name="限速群", kind="wecom", url=receiver.url("wecom"), rate_per_minute=20
    )
    alert = alert_raise(
        incident=incident,
        kind="worsening",
        audience=Audience.OWNER,
        key="w",
        message="态势",
        now=timezone.now(),
    )
    assert alert is not None

    def channel_locks(ch: Channel) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            pk = alert.notifications.get(channel=ch).pk
            assert notification_deliver(notification_id=pk) == "delivered"
        return [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith('SELECT "alerts_channel"') and "FOR UPDATE" in q["sql"]
        ]

    assert channel_locks(free) == []
    assert len(channel_locks(limited)) == 1
    assert len(receiver.of("wecom")) == 2


def test_a_first_delivery_costs_two_short_transactions(clock, deadline, unit, receiver: Receiver) -> None:
    """Claim (lock, attempt, lease) and record (outcome, timeline): no look-up before the
    claim, no search for lost attempts on a row that was never leased."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    channel(unit, receiver, "webhook")
    alert = fire(clock)
    n = alert.notifications.get(channel_kind="webhook")
    with CaptureQueriesContext(connection) as queries:
        assert notification_deliver(notification_id=n.pk) == "delivered"
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any("alerts_deliveryattempt_notifications" in s and s.startswith("SELECT") for s in sql)
    assert len(sql) == 12, sql  # in a test each transaction is a savepoint: 2 × (4 + 2)
