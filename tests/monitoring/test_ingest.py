from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from monitoring.models import Detection, Match, TrendHour
from monitoring.selectors import incident_spread_summary
from monitoring.services import detections_ingest
from tests.factories import make_incident
from tests.monitoring.helpers import add_rule, item, make_client

NOW = datetime(2026, 3, 5, 6, 30, tzinfo=UTC)


@pytest.fixture
def incident(db: None):  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        incident = make_incident()
    add_rule(incident, [["学校", "校园"], ["过期", "变质"]])
    return incident


@pytest.fixture
def client(db: None):  # type: ignore[no-untyped-def]
    return make_client()[0]


def test_created_then_updated_without_duplicates(incident, client) -> None:  # type: ignore[no-untyped-def]
    first = detections_ingest(client=client, items=[item("a1", published_at=NOW)], now=NOW)
    assert [r.as_dict() for r in first] == [
        {"external_id": "a1", "status": "created", "incidents": [incident.pk], "errors": {}}
    ]
    again = detections_ingest(
        client=client, items=[item("a1", published_at=NOW, metrics={"reads": 500})], now=NOW
    )
    assert again[0].status == "updated"
    assert Detection.objects.count() == 1
    assert Detection.objects.get().reads == 500
    assert Match.objects.filter(incident=incident).count() == 1
    summary = incident_spread_summary(incident)
    assert summary["total"] == 1
    assert summary["metrics"] == {"reads": 500, "reposts": 0, "comments": 0, "likes": 0}


def test_bad_item_does_not_reject_the_rest(incident, client) -> None:  # type: ignore[no-untyped-def]
    results = detections_ingest(
        client=client,
        items=[item("ok1", published_at=NOW), item("bad", sentiment="angry"), "nope", item("ok2")],
        now=NOW,
    )
    assert [r.status for r in results] == ["created", "rejected", "rejected", "created"]
    assert (
        results[1].errors == {"sentiment": ["Use positive, neutral or negative."]}
        or "sentiment" in results[1].errors
    )
    assert results[2].external_id is None and "non_field_errors" in results[2].errors
    assert set(Detection.objects.values_list("external_id", flat=True)) == {"ok1", "ok2"}


def test_duplicate_in_one_batch_keeps_the_last_copy(incident, client) -> None:  # type: ignore[no-untyped-def]
    results = detections_ingest(
        client=client,
        items=[item("d", metrics={"reads": 1}), item("d", metrics={"reads": 2})],
        now=NOW,
    )
    assert [r.status for r in results] == ["rejected", "created"]
    assert "external_id" in results[0].errors
    assert Detection.objects.get().reads == 2
    assert TrendHour.objects.get().total == 1


def test_same_external_id_from_two_clients_is_two_detections(incident, client) -> None:  # type: ignore[no-untyped-def]
    other = make_client("另一监测系统")[0]
    detections_ingest(client=client, items=[item("x")], now=NOW)
    detections_ingest(client=other, items=[item("x")], now=NOW)
    assert Detection.objects.count() == 2
    assert incident_spread_summary(incident)["total"] == 2


def test_unmatched_detection_is_stored_without_incidents(incident, client) -> None:  # type: ignore[no-untyped-def]
    results = detections_ingest(client=client, items=[item("n", title="天气预报", text="明天晴")], now=NOW)
    assert results[0].status == "created" and results[0].incidents == []
    assert Detection.objects.get().incident_ids == []
    assert not TrendHour.objects.exists()


def test_resend_moving_hour_sentiment_platform_and_match_moves_the_trend(incident, client) -> None:  # type: ignore[no-untyped-def]
    other = make_incident(title="另一事件")
    add_rule(other, [["医院"]])
    h1 = NOW - timedelta(hours=3)
    detections_ingest(client=client, items=[item("m", published_at=h1)], now=NOW)
    detections_ingest(
        client=client,
        items=[item("m", published_at=NOW, sentiment="positive", platform="新闻", text="某医院学校食材过期")],
        now=NOW,
    )
    first = incident_spread_summary(incident)
    assert first["total"] == 1
    assert first["by_sentiment"] == {"positive": 1, "neutral": 0, "negative": 0}
    assert first["by_platform"] == [{"platform": "新闻", "count": 1}]
    assert [h["hour"] for h in first["hourly"]] == [NOW.replace(minute=0)]
    assert incident_spread_summary(other)["total"] == 1
    # Rules change; the resend no longer matches the first incident.
    detections_ingest(client=client, items=[item("m", published_at=NOW, title="医院", text="医院")], now=NOW)
    assert incident_spread_summary(incident)["total"] == 0
    assert not Match.objects.filter(incident=incident).exists()
    assert incident_spread_summary(other)["total"] == 1


def test_earliest_detection_is_the_first_published(incident, client) -> None:  # type: ignore[no-untyped-def]
    detections_ingest(
        client=client,
        items=[
            item("late", published_at=NOW, outlet="某日报"),
            item(
                "early",
                published_at=NOW - timedelta(hours=5),
                outlet="网友乙",
                url="https://bbs.example.cn/1",
            ),
            item("unknown-time", outlet="无时间"),
        ],
        now=NOW,
    )
    earliest = incident_spread_summary(incident)["earliest"]
    assert earliest == {
        "published_at": NOW - timedelta(hours=5),
        "outlet": "网友乙",
        "url": "https://bbs.example.cn/1",
        "platform": "微博",
        "title": "某区学校食堂被曝使用过期食材",
    }
    top = incident_spread_summary(incident)["top_outlets"]
    assert {row["outlet"] for row in top} == {"某日报", "网友乙", "无时间"}
