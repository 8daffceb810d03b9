from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.models import Alert
from monitoring.models import WorseningPolicy
from monitoring.services import detections_ingest
from tests.factories import make_incident
from tests.monitoring.helpers import add_rule, item, make_client

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 5, 6, 40, tzinfo=UTC)


@pytest.fixture
def setup(unit):  # type: ignore[no-untyped-def]
    incident = make_incident(occurred_at=NOW - timedelta(hours=5), discovered_at=NOW - timedelta(hours=4))
    add_rule(incident, [["食堂"], ["过期"]])
    WorseningPolicy.objects.update(factor=2.0, floor=10, negative_share=0.6, negative_floor=10)
    WorseningPolicy.objects.first().save()  # type: ignore[union-attr]  # clears the cached policy
    return incident, make_client()[0]


def push(client, prefix: str, n: int, at: datetime, sentiment: str = "neutral") -> None:  # type: ignore[no-untyped-def]
    items = [item(f"{prefix}{i}", published_at=at, sentiment=sentiment) for i in range(n)]
    detections_ingest(client=client, items=items, now=NOW)


def test_growth_over_factor_and_floor_raises_once_per_hour(setup) -> None:  # type: ignore[no-untyped-def]
    incident, client = setup
    push(client, "prev", 5, NOW - timedelta(hours=1))
    push(client, "a", 9, NOW)  # 9 > 2 × 5 … but under the floor of 10
    assert not Alert.objects.exists()
    push(client, "b", 2, NOW)  # 11 ≥ floor and > 10
    alert = Alert.objects.get()
    assert alert.kind == "worsening" and alert.audience == "leadership"
    assert alert.key == f"worsening:{incident.pk}:2026030506"
    assert alert.data["total"] == 11 and alert.data["previous"] == 5
    assert incident.reference in alert.message
    push(client, "c", 30, NOW)
    assert Alert.objects.count() == 1  # once per incident per hour


def test_no_alert_when_growth_is_under_the_factor(setup) -> None:  # type: ignore[no-untyped-def]
    _incident, client = setup
    push(client, "prev", 10, NOW - timedelta(hours=1))
    push(client, "a", 20, NOW)  # 20 is not more than 2 × 10
    assert not Alert.objects.exists()


def test_negative_share_over_threshold_raises(setup) -> None:  # type: ignore[no-untyped-def]
    _incident, client = setup
    push(client, "prev", 40, NOW - timedelta(hours=1))
    push(client, "n", 7, NOW, sentiment="negative")
    push(client, "p", 3, NOW, sentiment="positive")  # 10 this hour, 70 % negative
    alert = Alert.objects.get()
    assert alert.data["growth"] is False and alert.data["negative_share"] == 0.7


def test_disabled_policy_raises_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    _incident, client = setup
    policy = WorseningPolicy.objects.get()
    policy.enabled = False
    policy.save()
    push(client, "a", 50, NOW, sentiment="negative")
    assert not Alert.objects.exists()


def test_old_posts_do_not_count_for_this_hour(setup) -> None:  # type: ignore[no-untyped-def]
    _incident, client = setup
    push(client, "old", 50, NOW - timedelta(days=1), sentiment="negative")
    assert not Alert.objects.exists()
