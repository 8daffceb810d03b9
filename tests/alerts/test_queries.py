"""Query counts of the alerts page, the bell and the staff banner: the same with 2 alerts as
with 20, and the bell and banner one cheap query each on every page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from alerts.choices import ChannelKind
from alerts.models import Alert, Channel, Notification, SweepHeartbeat
from alerts.selectors import alerts_visible_to
from alerts.services import alert_acknowledge, deadlines_sweep
from incidents.choices import Grade, Role
from incidents.models import Unit, User
from incidents.timeline import Actor
from tests.factories import make_incident, make_user
from tests.queries import assert_no_growth, measure

pytestmark = pytest.mark.django_db

BJ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 5, 10, 0, tzinfo=BJ)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Escalations:
    """Incidents whose 首报 deadlines the real sweep escalates: each incident brings the
    t-30, t-10 and due alerts (with in-app notifications for the owner, the duty officers,
    the unit head and the leadership), and every other alert is acknowledged."""

    def __init__(self, clock: time_machine.Traveller, unit: Unit, owner: User) -> None:
        self.clock, self.unit, self.owner = clock, unit, owner
        self.made = 0

    def grow(self, n: int) -> None:
        start = timezone_now = T0 + timedelta(hours=self.made)  # each batch a fresh hour
        self.clock.move_to(start)
        for i in range(n):
            # 一般: 4 h from the event; occurred 3 h 55 min ago, so due in 5 minutes.
            make_incident(
                actor=self.owner,
                unit=self.unit,
                owner=self.owner,
                title=f"网传第{self.made + i}号舆情",
                grade=Grade.GENERAL,
                occurred_at=timezone_now - timedelta(hours=3, minutes=55),
                discovered_at=timezone_now - timedelta(minutes=5),
            )
        deadlines_sweep(now=start)
        self.clock.move_to(start + timedelta(minutes=6))
        deadlines_sweep(now=start + timedelta(minutes=6))
        fired = Alert.objects.filter(acknowledged_at__isnull=True).order_by("id")
        for alert in list(fired)[::2]:
            alert_acknowledge(alert=alert, actor=Actor.of(self.owner))
        self.made += n


@pytest.fixture
def escalations(clock: time_machine.Traveller, unit: Unit) -> Escalations:
    head = make_user(unit=unit, username="head")
    unit.head = head
    unit.save()
    owner = make_user(Role.DUTY_OFFICER, unit=unit, username="owner")
    # The unit's duty group robot: every alert also has a robot notification to show.
    Channel.objects.create(
        unit=unit,
        name="值班群",
        kind=ChannelKind.WECOM,
        url="https://qyapi.example.cn/cgi-bin/webhook/send?key=k",
    )
    return Escalations(clock, unit, owner)


@pytest.mark.parametrize("state", ["open", "all"])
@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.LEADERSHIP])
def test_alerts_page(escalations: Escalations, unit: Unit, role: Role, state: str) -> None:
    user = make_user(role, unit=unit)
    escalations.grow(2)
    client = browser(user)
    rows: list[int] = []

    def fetch() -> Any:
        response = client.get(reverse("alerts:list"), {"state": state})
        assert response.status_code == 200
        return response

    assert_no_growth(
        fetch,
        lambda: escalations.grow(18),
        max_queries=12,
        label=f"alerts page {role} {state}",
        check=lambda response: rows.append(response.content.decode().count('class="alert-row')),
    )
    assert 0 < rows[0] < rows[-1]
    html = client.get(reverse("alerts:list"), {"state": state}).content.decode()
    assert html.count(f"{ChannelKind.WECOM.label}: ") == rows[-1]  # each row's robot delivery


def test_bell_is_one_count_query(escalations: Escalations) -> None:
    escalations.grow(2)
    client = browser(escalations.owner)

    def fetch() -> Any:
        response = client.get(reverse("alerts:bell"))
        assert response.status_code == 200
        return response

    def bell_queries() -> list[str]:
        measured, response = measure(fetch)
        unread = Notification.objects.filter(recipient=escalations.owner, read_at__isnull=True).count()
        assert unread and f">{unread}</span>" in response.content.decode()
        return [sql for sql in measured.sql if "alerts_" in sql]

    assert_no_growth(fetch, lambda: escalations.grow(18), max_queries=3, label="bell")
    (count,) = bell_queries()
    assert count.startswith("SELECT COUNT(*)") and '"alerts_notification"' in count


def test_every_page_pays_one_query_for_the_bell_and_one_for_the_banner(
    escalations: Escalations, unit: Unit
) -> None:
    staff = make_user(Role.ADMINISTRATOR, unit=unit, is_staff=True)
    escalations.grow(5)
    assert SweepHeartbeat.objects.exists()
    client = browser(staff)
    client.get(reverse("incidents:list"))
    measured, response = measure(lambda: client.get(reverse("incidents:list")))
    assert 'id="alerts-bell"' in response.content.decode()
    alerts_sql = [sql for sql in measured.sql if "alerts_" in sql]
    assert len(alerts_sql) == 2, alerts_sql
    assert sum('"alerts_notification"' in sql for sql in alerts_sql) == 1
    assert sum('"alerts_sweepheartbeat"' in sql for sql in alerts_sql) == 1
    # The login page reads neither.
    anonymous, _response = measure(lambda: Client().get(reverse("login")))
    assert not [sql for sql in anonymous.sql if "alerts_" in sql]


def test_alerts_page_shows_alerts_addressed_to_someone_who_moved_unit(
    escalations: Escalations, unit: Unit, other_unit: Unit
) -> None:
    """The page's scope, kept by the cheaper query: the unit's alerts, plus any alert
    addressed to the user in-app (here: a duty officer since moved to another unit)."""
    officer = make_user(Role.DUTY_OFFICER, unit=unit)
    escalations.grow(2)
    told = set(
        Notification.objects.filter(recipient=officer, channel_kind=ChannelKind.IN_APP).values_list(
            "alert_id", flat=True
        )
    )
    User.objects.filter(pk=officer.pk).update(unit=other_unit)
    escalations.grow(2)  # the old unit's later alerts no longer reach the officer
    assert told and told != set(Alert.objects.values_list("pk", flat=True))
    moved = User.objects.get(pk=officer.pk)
    assert set(alerts_visible_to(moved).values_list("pk", flat=True)) == told
    html = browser(moved).get(reverse("alerts:list"), {"state": "all"}).content.decode()
    assert html.count('class="alert-row') == len(told)
    stranger = make_user(Role.DUTY_OFFICER, unit=other_unit)
    assert not alerts_visible_to(stranger).exists()
