"""Escalation with real processes: Celery workers and beats against PostgreSQL and Redis,
a real HTTP receiver and a real SMTP server. Killing, restarting and doubling them must
neither lose an alert nor deliver one twice."""

from __future__ import annotations

import signal
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.choices import ChannelKind, NotificationStatus
from alerts.models import Alert, Channel, DeliveryAttempt, Notification
from incidents.choices import DeadlineKind, Grade, Role
from incidents.models import Deadline, Incident, TimelineEvent, Unit
from incidents.services import deadline_open
from incidents.timeline import Actor
from tests.alerts.receiver import Receiver
from tests.factories import make_incident, make_user
from tests.reliability.conftest import Stack, free_port, short_stages, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def webhook(receiver: Receiver) -> Channel:
    return Channel.objects.create(
        unit=Unit.default(),
        name="hook",
        kind=ChannelKind.WEBHOOK,
        url=receiver.url("webhook"),
        secret=receiver.webhook_secret,
    )


def overdue_incident() -> Incident:
    owner = make_user(Role.DUTY_OFFICER, unit=Unit.default(), mobile="13900000000")
    now = timezone.now()
    return make_incident(
        actor=owner,
        grade=Grade.GENERAL,
        occurred_at=now - timedelta(hours=5),
        discovered_at=now - timedelta(hours=4),
    )


def deadlines_due_in(*seconds: float) -> list[Deadline]:
    owner = make_user(Role.DUTY_OFFICER, unit=Unit.default())
    incident = make_incident(actor=owner, grade=Grade.GENERAL)
    now = timezone.now()
    return [
        deadline_open(
            incident=incident,
            kind=DeadlineKind.RESPONSE,
            due_at=now + timedelta(seconds=s),
            actor=Actor.of(owner),
        )
        for s in seconds
    ]


def test_worker_killed_mid_delivery_delivers_once_after_restart(stack: Stack, receiver: Receiver) -> None:
    webhook(receiver)
    stack.beat()
    receiver.release.clear()  # the receiver takes the request in, and holds its answer
    stack.worker()
    incident = overdue_incident()
    assert receiver.arrived.wait(timeout=60), stack.log("worker")
    notification = Notification.objects.get(channel_kind=ChannelKind.WEBHOOK, alert__incident=incident)
    stack.kill("worker", signal.SIGKILL)  # the whole process group, mid-send
    receiver.release.set()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING and notification.attempts == 1

    stack.worker()
    assert wait_until(
        lambda: Notification.objects.get(pk=notification.pk).status == NotificationStatus.DELIVERED,
        timeout=60,
    ), stack.log("worker")
    requests = receiver.of("webhook")
    assert len(requests) == 2 and {r.headers["Idempotency-Key"] for r in requests} == {
        str(notification.idempotency_key)
    }
    assert receiver.processed_keys == [str(notification.idempotency_key)]  # processed exactly once
    assert [r.duplicate for r in requests] == [False, True]
    outcomes = list(
        DeliveryAttempt.objects.filter(notifications=notification)
        .order_by("started_at")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["lost", "delivered"]
    assert Alert.objects.filter(incident=incident).count() == 1
    assert TimelineEvent.objects.filter(
        incident=incident, kind="alert_delivery", data__outcome="lost"
    ).exists()


def test_redis_restart_during_sweeps_loses_no_alert(stack: Stack, receiver: Receiver, tmp_path) -> None:
    port = free_port()
    redis_cmd = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)
    try:
        stack.redis_url = f"redis://127.0.0.1:{port}/0"
        wait_until(
            lambda: (
                subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip()
                == b"PONG"
            )
        )
        webhook(receiver)
        short_stages(-2, 0)
        stack.worker()
        stack.beat()
        deadlines = deadlines_due_in(4, 6, 8, 10, 12, 14)
        wait_until(lambda: Alert.objects.exists(), timeout=30)
        redis.kill()  # everything queued in Redis is gone
        redis.wait()
        wait_until(lambda: False, timeout=3)
        redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL)

        def complete() -> bool:
            stack.revive()
            done = Alert.objects.filter(deadline__in=deadlines, stage="due").count() == len(deadlines)
            pending = Notification.objects.filter(alert__deadline__in=deadlines).exclude(
                status=NotificationStatus.DELIVERED
            )
            return done and not pending.exists()

        assert wait_until(complete, timeout=90), stack.log("worker") + stack.log("beat")
        print("workers restarted by the supervisor:", stack.restarts)
        for deadline in deadlines:
            stages = sorted(Alert.objects.filter(deadline=deadline).values_list("stage", flat=True))
            # The warning may have been passed over while Redis was down, never the due alert,
            # and never one stage twice.
            assert stages in (["due"], ["due", "t-10"]), stages
        keys = [r.headers["Idempotency-Key"] for r in receiver.of("webhook")]
        expected = {
            str(k)
            for k in Notification.objects.filter(channel_kind="webhook").values_list(
                "idempotency_key", flat=True
            )
        }
        assert set(keys) == expected and len(receiver.processed_keys) == len(expected)
    finally:
        redis.kill()
        redis.wait()


def test_beat_down_across_stages_fires_one_alert_at_the_most_severe(stack: Stack) -> None:
    short_stages(-8, -5, 0)
    stack.worker()
    stack.beat()
    (deadline,) = deadlines_due_in(10)
    assert wait_until(lambda: Alert.objects.filter(deadline=deadline, stage="t-30").exists(), timeout=30)
    stack.stop("beat")
    assert wait_until(lambda: timezone.now() > deadline.due_at + timedelta(seconds=1), timeout=30)
    assert list(Alert.objects.filter(deadline=deadline).values_list("stage", flat=True)) == ["t-30"]
    stack.beat()
    assert wait_until(lambda: Alert.objects.filter(deadline=deadline, stage="due").exists(), timeout=30)
    wait_until(lambda: False, timeout=2)  # a few more sweeps
    assert sorted(Alert.objects.filter(deadline=deadline).values_list("stage", "repeat")) == [
        ("due", 0),
        ("t-30", 0),
    ]
    skipped = TimelineEvent.objects.get(incident=deadline.incident, kind="escalation_stages_skipped")
    assert [s["stage"] for s in skipped.data["passed_over"]] == ["t-10"]


def test_two_beats_at_once_fire_and_deliver_each_stage_once(stack: Stack, receiver: Receiver) -> None:
    webhook(receiver)
    short_stages(-3, 0)
    stack.worker()
    stack.worker("worker2")
    stack.beat()
    stack.beat("beat2")
    deadlines = deadlines_due_in(4, 4, 5, 6, 6, 7)
    assert wait_until(
        lambda: Alert.objects.filter(deadline__in=deadlines, stage="due").count() == len(deadlines),
        timeout=60,
    )
    assert wait_until(
        lambda: not Notification.objects.exclude(status=NotificationStatus.DELIVERED).exists(), timeout=60
    )
    wait_until(lambda: False, timeout=2)
    for deadline in deadlines:
        assert sorted(Alert.objects.filter(deadline=deadline).values_list("stage", flat=True)) == [
            "due",
            "t-10",
        ]
    keys = [r.headers["Idempotency-Key"] for r in receiver.of("webhook")]
    assert len(keys) == len(set(keys)) == 2 * len(deadlines)  # no duplicate at the receiver
    assert "Sending due task sweep-deadlines" in stack.log("beat")
    assert "Sending due task sweep-deadlines" in stack.log("beat2")


def test_all_channels_deliver_and_the_receiver_verifies_signatures(
    stack: Stack, receiver: Receiver, smtp
) -> None:
    controller, mailbox = smtp
    stack.extra_env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port))
    unit = Unit.default()
    Channel.objects.create(unit=unit, name="企业微信", kind="wecom", url=receiver.url("wecom"))
    Channel.objects.create(
        unit=unit,
        name="钉钉",
        kind="dingtalk",
        url=receiver.url("dingtalk"),
        secret=receiver.dingtalk_secret,
        keyword=receiver.dingtalk_keyword,
    )
    Channel.objects.create(
        unit=unit, name="飞书", kind="feishu", url=receiver.url("feishu"), secret=receiver.feishu_secret
    )
    webhook(receiver)
    stack.worker()
    stack.beat()
    incident = overdue_incident()
    assert wait_until(
        lambda: (
            Notification.objects.filter(alert__incident=incident).exclude(channel_kind="in_app").count() >= 5
            and not Notification.objects.filter(alert__incident=incident)
            .exclude(status=NotificationStatus.DELIVERED)
            .exists()
        ),
        timeout=60,
    ), list(Notification.objects.values_list("channel_kind", "status", "last_code", "last_error"))
    for kind in ("wecom", "dingtalk", "feishu", "webhook"):
        (request,) = receiver.of(kind)
        assert request.verified, kind
    assert receiver.of("dingtalk")[0].query["sign"] and receiver.of("feishu")[0].body["sign"]
    assert "舆情" in receiver.of("dingtalk")[0].body["text"]["content"]
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0].content.decode()
    assert mailbox.messages[0].rcpt_tos == [incident.owner.email]
    assert incident.reference in message or "=?utf-8?" in message
