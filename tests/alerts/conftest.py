from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents.choices import Grade, Role
from incidents.models import Deadline, Incident, Unit, User
from tests.alerts.receiver import Receiver
from tests.factories import make_incident, make_user

BJ = ZoneInfo("Asia/Shanghai")
# The first report of the ``incident`` fixture (一般: 4 h from the event) falls due at noon.
T0 = datetime(2026, 3, 5, 10, 0, tzinfo=BJ)
DUE = datetime(2026, 3, 5, 12, 0, tzinfo=BJ)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@dataclass
class People:
    owner: User
    duty: User
    head: User
    leader: User
    stranger: User  # a duty officer of another unit


@pytest.fixture
def people(unit: Unit, other_unit: Unit) -> People:
    owner = make_user(Role.DUTY_OFFICER, unit=unit, username="owner", mobile="13800000001")
    duty = make_user(Role.DUTY_OFFICER, unit=unit, username="duty2", mobile="13800000002")
    head = make_user(unit=unit, username="head", email="head@example.org")
    leader = make_user(Role.LEADERSHIP, unit=other_unit, username="leader1")
    stranger = make_user(Role.DUTY_OFFICER, unit=other_unit, username="stranger")
    unit.head = head
    unit.save()
    return People(owner=owner, duty=duty, head=head, leader=leader, stranger=stranger)


@pytest.fixture
def incident(clock: time_machine.Traveller, people: People, unit: Unit) -> Incident:
    return make_incident(
        actor=people.owner,
        unit=unit,
        grade=Grade.GENERAL,
        occurred_at=datetime(2026, 3, 5, 8, 0, tzinfo=BJ),
        discovered_at=datetime(2026, 3, 5, 8, 30, tzinfo=BJ),
    )


@pytest.fixture
def deadline(incident: Incident) -> Deadline:
    deadline = incident.deadlines.get()
    assert deadline.due_at == DUE
    return deadline


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(
        dingtalk_secret="SECdingtalk", feishu_secret="feishu-secret", webhook_secret="hook-secret"
    ).start()
    yield r
    r.stop()
