"""Idempotency and trend figures under real concurrency (threads, each with its own
PostgreSQL connection), and a rule change seen by another process."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection, connections

from monitoring.models import Detection, Match, TrendHour
from monitoring.selectors import incident_spread_summary
from monitoring.services import detections_ingest
from tests.factories import make_incident
from tests.monitoring.helpers import add_rule, item, make_client

ROOT = Path(__file__).resolve().parents[2]


def _raw_figures(incident_id: int) -> dict:
    """The same figures as the trend, computed by scanning the raw detections."""
    rows = [d for d in Detection.objects.all() if incident_id in d.incident_ids]
    hours: dict = {}
    for d in rows:
        hour = d.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        h = hours.setdefault(hour, {"count": 0, "negative": 0})
        h["count"] += 1
        h["negative"] += d.sentiment == "negative"
    platforms: dict[str, int] = {}
    for d in rows:
        platforms[d.platform] = platforms.get(d.platform, 0) + 1
    return {
        "total": len(rows),
        "by_sentiment": {s: sum(d.sentiment == s for d in rows) for s in ("positive", "neutral", "negative")},
        "metrics": {m: sum(getattr(d, m) for d in rows) for m in ("reads", "reposts", "comments", "likes")},
        "by_platform": sorted(platforms.items()),
        "hourly": [{"hour": h, **v} for h, v in sorted(hours.items())],
    }


def _trend_figures(incident) -> dict:  # type: ignore[no-untyped-def]
    s = incident_spread_summary(incident)
    return {
        "total": s["total"],
        "by_sentiment": s["by_sentiment"],
        "metrics": s["metrics"],
        "by_platform": sorted((p["platform"], p["count"]) for p in s["by_platform"]),
        "hourly": s["hourly"],
    }


def _random_item(rng: random.Random, external_id: str, now: datetime) -> dict:
    return item(
        external_id,
        published_at=now - timedelta(minutes=rng.randrange(0, 300)),
        platform=rng.choice(["微博", "微信", "新闻", "抖音"]),
        sentiment=rng.choice(["positive", "neutral", "negative"]),
        metrics={m: rng.randrange(0, 1000) for m in ("reads", "reposts", "comments", "likes")},
        text=rng.choice(["学校食堂食材过期", "医院食堂食材过期", "学校医院食材过期", "天气晴"]),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_resends_never_duplicate_and_keep_the_trend_exact() -> None:
    school = make_incident(title="学校食材")
    hospital = make_incident(title="医院食材")
    add_rule(school, [["学校"], ["过期"]])
    add_rule(hospital, [["医院"]])
    client, _key = make_client()
    now = datetime.now(tz=UTC)
    ids = [f"c{i}" for i in range(60)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _round in range(6):
                batch = [_random_item(rng, eid, now) for eid in rng.sample(ids, 40)]
                detections_ingest(client=client, items=batch, now=now)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert Detection.objects.count() == len(ids)
    assert Detection.objects.values("external_id").distinct().count() == len(ids)
    for incident in (school, hospital):
        assert _trend_figures(incident) == _raw_figures(incident.pk)
        expected_matches = sum(incident.pk in d.incident_ids for d in Detection.objects.all())
        assert Match.objects.filter(incident=incident).count() == expected_matches
    assert not TrendHour.objects.filter(total__lt=0).exists()


@pytest.mark.django_db
def test_trend_matches_raw_detections_after_many_resends() -> None:
    incident = make_incident()
    add_rule(incident, [["学校", "医院"], ["过期"]])
    client, _key = make_client()
    rng = random.Random(7)
    now = datetime.now(tz=UTC)
    for _ in range(8):
        batch = {eid: _random_item(rng, eid, now) for eid in (f"r{rng.randrange(40)}" for _ in range(30))}
        detections_ingest(client=client, items=list(batch.values()), now=now)
    assert _trend_figures(incident) == _raw_figures(incident.pk)


CHILD = r"""
import os, sys, time
import django
django.setup()
from monitoring.matching import current_matcher
print("ready", current_matcher().match("", sys.argv[1]), flush=True)
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    line = sys.stdin.readline()
    if not line:
        break
    started = time.monotonic()
    while time.monotonic() - started < 10:
        found = current_matcher().match("", sys.argv[1])
        if found:
            break
        time.sleep(0.05)
    print("found", found, round(time.monotonic() - started, 2), flush=True)
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rule_change_is_seen_by_another_process_within_seconds() -> None:
    incident = make_incident()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opinion.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PYTHONPATH": str(ROOT),
    }
    text = "暴雨导致地铁站进水"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, text],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().split() == ["ready", "[]"]
        started = time.monotonic()
        add_rule(incident, [["暴雨"], ["地铁"]])  # committed: transactional test
        child.stdin.write("go\n")
        child.stdin.flush()
        answer = child.stdout.readline().split()
        assert answer[:2] == ["found", f"[{incident.pk}]"], answer
        assert time.monotonic() - started < 5
    finally:
        child.kill()
        child.wait()
