"""The bell, the alerts page, acknowledge, the staff banner and /healthz."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.choices import ChannelKind
from alerts.models import Alert, Notification, SweepHeartbeat
from alerts.services import deadlines_sweep, heartbeat_beat
from incidents.models import TimelineEvent
from tests.alerts.conftest import DUE, People
from tests.factories import make_user

pytestmark = pytest.mark.django_db
M = timedelta(minutes=1)


@pytest.fixture
def fired(clock, deadline) -> Alert:
    clock.move_to(DUE - 30 * M)
    deadlines_sweep()
    return Alert.objects.get()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_bell_counts_unread_on_every_page_and_polls(fired: Alert, people: People) -> None:
    page = login(people.owner).get(reverse("alerts:list")).content.decode()
    assert 'id="alerts-bell"' in page and 'class="bell-count"' in page and ">1</span>" in page
    assert 'hx-trigger="every 30s"' in page
    bell = login(people.owner).get(reverse("alerts:bell")).content.decode()
    assert ">1</span>" in bell
    assert "bell-count" not in login(people.head).get(reverse("alerts:bell")).content.decode()


def test_alerts_page_lists_visible_alerts_and_acknowledges(fired: Alert, people: People) -> None:
    client = login(people.duty)
    page = client.get(reverse("alerts:list")).content.decode()
    assert fired.message in page and "alert-row unread" in page
    assert fired.message not in login(people.stranger).get(reverse("alerts:list")).content.decode()
    response = client.post(reverse("alerts:acknowledge", args=[fired.pk]), {"next": reverse("alerts:list")})
    assert response.status_code == 302
    fired.refresh_from_db()
    assert fired.acknowledged_by == people.duty and fired.acknowledged_at is not None
    # Acknowledged: off everyone's bell, on the timeline, gone from the open list.
    assert not Notification.objects.filter(
        alert=fired, channel_kind=ChannelKind.IN_APP, read_at__isnull=True
    ).exists()
    assert TimelineEvent.objects.filter(incident=fired.incident, kind="alert_acknowledged").exists()
    assert fired.message not in client.get(reverse("alerts:list")).content.decode()
    assert fired.message in client.get(reverse("alerts:list") + "?state=all").content.decode()


def test_acknowledge_needs_the_permission_and_visibility(fired: Alert, people: People) -> None:
    assert login(people.stranger).post(reverse("alerts:acknowledge", args=[fired.pk])).status_code == 404
    login(people.head).post(reverse("alerts:acknowledge", args=[fired.pk]))  # head has no role here
    fired.refresh_from_db()
    assert fired.acknowledged_at is None
    assert login(people.owner).get(reverse("alerts:acknowledge", args=[fired.pk])).status_code == 405


def test_mark_all_read(fired: Alert, people: People) -> None:
    login(people.owner).post(reverse("alerts:mark_read"))
    assert "bell-count" not in login(people.owner).get(reverse("alerts:bell")).content.decode()
    assert ">1</span>" in login(people.duty).get(reverse("alerts:bell")).content.decode()


def test_staff_see_a_banner_when_the_sweep_is_stale(unit, people: People) -> None:
    staff = make_user(unit=unit, username="ops", is_staff=True)
    page = login(staff).get(reverse("alerts:list")).content.decode()
    assert "health-banner" in page  # never ran
    now = timezone.now()
    heartbeat_beat(name="deadlines", started_at=now, duration_ms=1, fired=0)
    assert "health-banner" not in login(staff).get(reverse("alerts:list")).content.decode()
    SweepHeartbeat.objects.update(last_finished_at=now - 3 * M)
    assert "health-banner" in login(staff).get(reverse("alerts:list")).content.decode()
    assert "health-banner" not in login(people.owner).get(reverse("alerts:list")).content.decode()


def test_healthz(db, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] and body["broker"]["ok"] and body["sweep"]["seconds_since_last"] is None
    heartbeat_beat(name="deadlines", started_at=timezone.now(), duration_ms=1, fired=0)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["sweep"]["seconds_since_last"] < 5
    SweepHeartbeat.objects.update(last_finished_at=timezone.now() - 3 * M)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["sweep"]["ok"] is False


def test_healthz_reports_a_dead_broker(db, client: Client, settings) -> None:
    from opinion.celery import app

    heartbeat_beat(name="deadlines", started_at=timezone.now(), duration_ms=1, fired=0)
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503 and response.json()["broker"]["ok"] is False


def test_admin_pages_and_test_send_button(unit, people: People, receiver) -> None:
    from alerts.models import Channel

    admin = make_user(unit=unit, username="root", is_staff=True, is_superuser=True)
    ding = Channel.objects.create(
        unit=unit, name="钉钉", kind="dingtalk", url=receiver.url("dingtalk"), secret=receiver.dingtalk_secret
    )
    client = login(admin)
    for name in ("escalationpolicy", "channel", "alert", "notification", "deliveryattempt", "sweepheartbeat"):
        assert client.get(reverse(f"admin:alerts_{name}_changelist")).status_code == 200
    change = client.get(reverse("admin:alerts_channel_change", args=[ding.pk])).content.decode()
    assert reverse("admin:alerts_channel_test_send", args=[ding.pk]) in change
    response = client.post(reverse("admin:alerts_channel_test_send", args=[ding.pk]), follow=True)
    assert response.status_code == 200 and receiver.of("dingtalk")[0].verified
    response = client.post(
        reverse("admin:alerts_channel_changelist"),
        {"action": "test_send", "_selected_action": [ding.pk]},
        follow=True,
    )
    assert response.status_code == 200 and len(receiver.of("dingtalk")) == 2
