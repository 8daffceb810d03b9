"""Query counts of the detection lists and the monitoring API: the same with 2 detections
(or rules, or incidents) as with 20."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.choices import Role
from incidents.models import Incident, Unit, User
from monitoring.filtersets import DetectionFilterSet
from monitoring.models import Detection
from monitoring.services import detections_ingest
from tests.factories import make_incident, make_user
from tests.monitoring.helpers import add_rule, item, make_client
from tests.queries import assert_no_growth

pytestmark = pytest.mark.django_db

NOW = datetime.now(tz=UTC).replace(microsecond=0)


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Feed:
    """A monitoring system pushing detections for an incident of ``unit`` (matched by its
    keyword rule) and, for another unit, detections nobody's rule matches."""

    def __init__(self, unit: Unit, other_unit: Unit) -> None:
        officer = make_user(Role.DUTY_OFFICER, unit=unit)
        self.incident = make_incident(
            actor=officer,
            unit=unit,
            discovered_at=NOW - timedelta(minutes=5),
            occurred_at=NOW - timedelta(hours=3),
        )
        add_rule(self.incident, [["食堂"], ["过期"]])
        stranger = make_user(Role.DUTY_OFFICER, unit=other_unit)
        self.other = make_incident(
            actor=stranger,
            unit=other_unit,
            title="另一单位的舆情",
            discovered_at=NOW - timedelta(minutes=5),
            occurred_at=NOW - timedelta(hours=3),
        )
        add_rule(self.other, [["地铁"], ["故障"]])
        self.client = make_client()[0]
        self.made = 0

    def grow(self, n: int) -> None:
        items = []
        for i in range(self.made, self.made + n):
            items.append(
                item(
                    f"e{i}",
                    published_at=NOW - timedelta(minutes=100 - i),
                    platform=["微博", "抖音", "微信"][i % 3],
                    outlet=f"某区网友{i % 5}",
                    sentiment=["negative", "neutral"][i % 2],
                )
            )
            items.append(
                item(
                    f"o{i}",
                    published_at=NOW - timedelta(minutes=90 - i),
                    title="某地铁线路故障",
                    text="地铁故障停运",
                )
            )
        detections_ingest(client=self.client, items=items, now=NOW)
        self.made += n


@pytest.mark.parametrize(
    ("role", "query"),
    [
        (Role.DUTY_OFFICER, {}),
        (
            Role.DUTY_OFFICER,
            {"q": "食堂", "platform": "微博", "sentiment": "negative", "since": "2000-01-01"},
        ),
        (Role.LEADERSHIP, {}),
        (Role.MONITOR, {"until": "2100-01-01"}),
    ],
)
def test_detections_page(unit: Unit, other_unit: Unit, role: Role, query: dict[str, str]) -> None:
    feed = Feed(unit, other_unit)
    feed.grow(2)
    client = browser(make_user(role, unit=unit))
    rows: list[int] = []

    def fetch() -> Any:
        response = client.get(reverse("monitoring:detections"), query)
        assert response.status_code == 200
        return response

    assert_no_growth(
        fetch,
        lambda: feed.grow(18),
        max_queries=10,
        label=f"detections page {role} {query}",
        check=lambda response: rows.append(response.content.decode().count('class="sentiment-')),
    )
    assert 0 < rows[0] < rows[-1]


def test_incident_detections_page_and_partial(unit: Unit, other_unit: Unit, duty_officer: User) -> None:
    feed = Feed(unit, other_unit)
    feed.grow(2)
    client = browser(duty_officer)
    url = reverse("monitoring:incident_detections", args=[feed.incident.pk])
    assert_no_growth(
        lambda: client.get(url), lambda: feed.grow(18), max_queries=10, label="incident detections"
    )
    assert_no_growth(
        lambda: client.get(url, {"sentiment": "negative"}, headers={"HX-Request": "true"}),
        lambda: feed.grow(5),
        max_queries=9,
        label="incident detections (htmx)",
    )


def _rules_for(incidents: list[Incident]) -> None:
    for n, incident in enumerate(incidents):
        add_rule(incident, [[f"主体{n}"], ["事件"]], exclude=["演练"])


def test_rules_feed_api(unit: Unit) -> None:
    officer = make_user(Role.DUTY_OFFICER, unit=unit)
    _client, key = make_client()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def log(n: int) -> list[Incident]:
        return [
            make_incident(
                actor=officer, unit=unit, title=f"第{i}号舆情", occurred_at=NOW - timedelta(hours=1)
            )
            for i in range(n)
        ]

    _rules_for(log(2))

    def fetch() -> Any:
        response = api.get("/api/v1/keyword-rules/")
        assert response.status_code == 200, response.content
        return response

    assert_no_growth(fetch, lambda: _rules_for(log(18)), max_queries=6, label="rules feed")
    assert len(fetch().json()["rules"]) == 20


def test_incident_rules_and_spread_api(unit: Unit, other_unit: Unit, duty_api: APIClient) -> None:
    feed = Feed(unit, other_unit)
    feed.grow(2)
    _rules_for([feed.incident])

    def grow() -> None:
        feed.grow(18)
        _rules_for([feed.incident] * 9)

    rules = f"/api/v1/incidents/{feed.incident.pk}/keyword-rules/"
    spread = f"/api/v1/incidents/{feed.incident.pk}/spread/"
    assert_no_growth(lambda: duty_api.get(rules), grow, max_queries=5, label="incident rules API")
    assert_no_growth(lambda: duty_api.get(spread), grow, max_queries=7, label="spread API")
    assert duty_api.get(spread).json()["total"] == 38


def test_date_filters_are_beijing_days_on_the_index(unit: Unit, other_unit: Unit) -> None:
    """since/until are Beijing dates, as ``at__date`` was, but compared as a range on ``at``
    (the column detection_at_idx covers), never as ``at::date``."""
    feed = Feed(unit, other_unit)
    bj = ZoneInfo("Asia/Shanghai")
    moments = [
        datetime(2026, 3, 4, 23, 59, 59, tzinfo=bj),
        datetime(2026, 3, 5, 0, 0, tzinfo=bj),
        datetime(2026, 3, 5, 23, 59, 59, tzinfo=bj),
        datetime(2026, 3, 6, 0, 0, tzinfo=bj),
    ]
    detections_ingest(
        client=feed.client,
        items=[item(f"b{i}", published_at=moment) for i, moment in enumerate(moments)],
        now=moments[-1] + timedelta(hours=1),
    )
    queries = [
        ({"since": "2026-03-05"}, {"at__date__gte": date(2026, 3, 5)}),
        ({"until": "2026-03-05"}, {"at__date__lte": date(2026, 3, 5)}),
        ({"since": "2026-03-05", "until": "2026-03-05"}, {"at__date": date(2026, 3, 5)}),
        ({"since": "0001-01-01", "until": "9999-12-31"}, {}),
    ]
    for params, expected in queries:
        filters = DetectionFilterSet(params, queryset=Detection.objects.all())
        assert filters.is_valid(), filters.errors
        got = set(filters.qs.values_list("external_id", flat=True))
        assert got == set(Detection.objects.filter(**expected).values_list("external_id", flat=True)), params
        assert "::date" not in str(filters.qs.query) and "AT TIME ZONE" not in str(filters.qs.query)
    got = DetectionFilterSet(
        {"since": "2026-03-05", "until": "2026-03-05"}, queryset=Detection.objects.all()
    ).qs
    assert sorted(got.values_list("external_id", flat=True)) == ["b1", "b2"]
