from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitoring.models import TrendHour
from monitoring.selectors import incident_spread_summary
from tests.factories import make_incident


@pytest.mark.django_db
def test_empty_incident_summary_is_zeros() -> None:
    incident = make_incident()
    assert incident_spread_summary(incident) == {
        "total": 0,
        "by_sentiment": {"positive": 0, "neutral": 0, "negative": 0},
        "by_platform": [],
        "top_outlets": [],
        "metrics": {"reads": 0, "reposts": 0, "comments": 0, "likes": 0},
        "hourly": [],
        "earliest": None,
    }


@pytest.mark.django_db
def test_summary_sums_trend_rows() -> None:
    incident = make_incident()
    h1, h2 = datetime(2026, 3, 5, 6, tzinfo=UTC), datetime(2026, 3, 5, 7, tzinfo=UTC)
    TrendHour.objects.create(
        incident=incident, hour=h2, total=3, negative=2, neutral=1, reads=10, by_platform={"微博": 3}
    )
    TrendHour.objects.create(
        incident=incident,
        hour=h1,
        total=2,
        positive=1,
        neutral=1,
        likes=4,
        by_platform={"微博": 1, "新闻": 1},
    )
    summary = incident_spread_summary(incident)
    assert summary["total"] == 5
    assert summary["by_sentiment"] == {"positive": 1, "neutral": 2, "negative": 2}
    assert summary["by_platform"] == [{"platform": "微博", "count": 4}, {"platform": "新闻", "count": 1}]
    assert summary["metrics"] == {"reads": 10, "reposts": 0, "comments": 0, "likes": 4}
    assert summary["hourly"] == [
        {"hour": h1, "count": 2, "negative": 0},
        {"hour": h2, "count": 3, "negative": 2},
    ]
