"""Writing a batch of detections: one upsert for the detections, one for their matches, one for
the hourly trend, in one transaction.

Trend figures are kept by deltas. A resend must replace its earlier contribution, and two
resends of one item may race, so the old state must be read under the same row lock that the
write takes. PostgreSQL's ``INSERT … ON CONFLICT DO UPDATE`` copies the replaced values into
``prev`` and ``RETURNING`` hands them back: the database serialises racing resends on the row,
and each sees exactly the state it replaced. (Django's ``bulk_create(update_conflicts=True)``
cannot express ``prev = <old row>``, hence the SQL.) SQLite, for single-user local runs, takes
its write lock at BEGIN, so there a plain read-then-write is just as safe.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from monitoring.choices import METRICS
from monitoring.models import Detection, Match, MonitoringClient, TrendHour

SENTIMENT_INDEX = {"positive": 1, "neutral": 2, "negative": 3}


@dataclass
class Written:
    """One detection as written: its id, whether it was new, and the incidents it now matches."""

    external_id: str
    id: int
    created: bool


def _utc_hour(value: datetime | str) -> datetime:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        assert parsed is not None
        value = parsed
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class TrendDelta:
    """Sums of +new −old contributions per (incident, hour)."""

    def __init__(self) -> None:
        # total, positive, neutral, negative, reads, reposts, comments, likes
        self.rows: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0] * 8)
        self.platforms: dict[tuple[int, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, state: dict[str, Any], sign: int) -> None:
        hour = _utc_hour(state["at"])
        sentiment = SENTIMENT_INDEX.get(state["sentiment"], 2)
        metrics = [int(state.get(name) or 0) * sign for name in METRICS]
        for incident_id in state["incident_ids"] or ():
            row = self.rows[(int(incident_id), hour)]
            row[0] += sign
            row[sentiment] += sign
            for i, value in enumerate(metrics):
                row[4 + i] += value
            self.platforms[(int(incident_id), hour)][state["platform"]] += sign

    def nonzero(self) -> list[dict[str, Any]]:
        out = []
        for (incident_id, hour), row in sorted(self.rows.items()):
            platforms = {k: v for k, v in self.platforms[(incident_id, hour)].items() if v}
            if not any(row) and not platforms:
                continue
            out.append(
                {
                    "incident_id": incident_id,
                    "hour": hour,
                    "total": row[0],
                    "positive": row[1],
                    "neutral": row[2],
                    "negative": row[3],
                    **{name: row[4 + i] for i, name in enumerate(METRICS)},
                    "by_platform": platforms,
                }
            )
        return out


_COLUMNS = ("url", "platform", "outlet", "author", "title", "text")

_UPSERT_DETECTIONS = """
INSERT INTO monitoring_detection AS d (
    client_id, external_id, url, platform, outlet, author, title, text, published_at,
    captured_at, updated_at, at, reads, reposts, comments, likes, sentiment, incident_ids, prev)
SELECT %(client)s, x.external_id, x.url, x.platform, x.outlet, x.author, x.title, x.text,
       x.published_at, %(now)s, %(now)s, COALESCE(x.published_at, %(now)s),
       x.reads, x.reposts, x.comments, x.likes, x.sentiment, x.incident_ids, NULL
FROM jsonb_to_recordset(%(items)s::jsonb) AS x(
    external_id varchar, url varchar, platform varchar, outlet varchar, author varchar,
    title varchar, text text, published_at timestamptz, reads bigint, reposts bigint,
    comments bigint, likes bigint, sentiment varchar, incident_ids jsonb)
ORDER BY x.external_id
ON CONFLICT (client_id, external_id) DO UPDATE SET
    url = EXCLUDED.url, platform = EXCLUDED.platform, outlet = EXCLUDED.outlet,
    author = EXCLUDED.author, title = EXCLUDED.title, text = EXCLUDED.text,
    published_at = EXCLUDED.published_at, updated_at = EXCLUDED.updated_at,
    at = COALESCE(EXCLUDED.published_at, d.captured_at),
    reads = EXCLUDED.reads, reposts = EXCLUDED.reposts, comments = EXCLUDED.comments,
    likes = EXCLUDED.likes, sentiment = EXCLUDED.sentiment, incident_ids = EXCLUDED.incident_ids,
    prev = jsonb_build_object(
        'at', d.at, 'sentiment', d.sentiment, 'platform', d.platform, 'reads', d.reads,
        'reposts', d.reposts, 'comments', d.comments, 'likes', d.likes,
        'incident_ids', d.incident_ids)
RETURNING d.id, d.external_id, d.prev, d.at
"""

_UPSERT_MATCHES = """
INSERT INTO monitoring_match AS m (incident_id, detection_id, at)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS x(i, d, a)
ORDER BY x.i, x.d
ON CONFLICT (incident_id, detection_id) DO UPDATE SET at = EXCLUDED.at
WHERE m.at IS DISTINCT FROM EXCLUDED.at
"""

_DELETE_MATCHES = """
DELETE FROM monitoring_match m USING unnest(%s::bigint[], %s::bigint[]) AS x(i, d)
WHERE m.incident_id = x.i AND m.detection_id = x.d
"""

_UPSERT_TREND = """
INSERT INTO monitoring_trendhour AS t (
    incident_id, hour, total, positive, neutral, negative, reads, reposts, comments, likes, by_platform)
SELECT * FROM jsonb_to_recordset(%s::jsonb) AS x(
    incident_id bigint, hour timestamptz, total bigint, positive bigint, neutral bigint,
    negative bigint, reads bigint, reposts bigint, comments bigint, likes bigint, by_platform jsonb)
ORDER BY x.incident_id, x.hour
ON CONFLICT (incident_id, hour) DO UPDATE SET
    total = t.total + EXCLUDED.total, positive = t.positive + EXCLUDED.positive,
    neutral = t.neutral + EXCLUDED.neutral, negative = t.negative + EXCLUDED.negative,
    reads = t.reads + EXCLUDED.reads, reposts = t.reposts + EXCLUDED.reposts,
    comments = t.comments + EXCLUDED.comments, likes = t.likes + EXCLUDED.likes,
    by_platform = (
        SELECT COALESCE(jsonb_object_agg(k, s), '{}'::jsonb) FROM (
            SELECT k, SUM(v) AS s FROM (
                SELECT key AS k, value::bigint AS v FROM jsonb_each_text(t.by_platform)
                UNION ALL
                SELECT key, value::bigint FROM jsonb_each_text(EXCLUDED.by_platform)
            ) u GROUP BY k HAVING SUM(v) <> 0
        ) g)
RETURNING t.incident_id, t.hour, t.total, t.negative
"""


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))


def write_batch_postgresql(
    *, client: MonitoringClient, items: list[dict[str, Any]], now: datetime
) -> tuple[list[Written], list[tuple[int, datetime, int, int]]]:
    """Write clean, matched items (unique external ids). Run inside a transaction.

    Returns what was written and the trend rows touched: (incident, hour, total, negative)."""
    payload = json.dumps(
        items,
        default=_json_default,
        ensure_ascii=False,
    )
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_DETECTIONS, {"client": client.pk, "now": now, "items": payload})
        returned = cursor.fetchall()
        delta = TrendDelta()
        by_external = {item["external_id"]: item for item in items}
        written: list[Written] = []
        add_i: list[int] = []
        add_d: list[int] = []
        add_a: list[datetime] = []
        del_i: list[int] = []
        del_d: list[int] = []
        for det_id, external_id, prev, at in returned:
            item = by_external[external_id]
            if isinstance(prev, str):
                prev = json.loads(prev)
            state = {**item, "at": at}
            delta.add(state, +1)
            for incident_id in item["incident_ids"]:
                add_i.append(incident_id)
                add_d.append(det_id)
                add_a.append(at)
            if prev is not None:
                delta.add(prev, -1)
                for incident_id in set(prev["incident_ids"] or ()) - set(item["incident_ids"]):
                    del_i.append(int(incident_id))
                    del_d.append(det_id)
            written.append(Written(external_id=external_id, id=det_id, created=prev is None))
        if del_i:
            cursor.execute(_DELETE_MATCHES, [del_i, del_d])
        if add_i:
            cursor.execute(_UPSERT_MATCHES, [add_i, add_d, add_a])
        rows = delta.nonzero()
        touched: list[tuple[int, datetime, int, int]] = []
        if rows:
            cursor.execute(_UPSERT_TREND, [json.dumps(rows, default=_json_default, ensure_ascii=False)])
            touched = [(int(i), h, int(t), int(n)) for i, h, t, n in cursor.fetchall()]
    return written, touched


def write_batch_generic(
    *, client: MonitoringClient, items: list[dict[str, Any]], now: datetime
) -> tuple[list[Written], list[tuple[int, datetime, int, int]]]:
    """The same with the ORM, for SQLite, whose write lock is taken at BEGIN (see settings)."""
    ids = [item["external_id"] for item in items]
    existing = {d.external_id: d for d in Detection.objects.filter(client=client, external_id__in=ids)}
    delta = TrendDelta()
    written: list[Written] = []
    for item in items:
        old = existing.get(item["external_id"])
        fields = {k: item[k] for k in (*_COLUMNS, "published_at", *METRICS, "sentiment", "incident_ids")}
        if old is None:
            det = Detection.objects.create(
                client=client,
                external_id=item["external_id"],
                captured_at=now,
                updated_at=now,
                at=item["published_at"] or now,
                **fields,
            )
            Match.objects.bulk_create(
                [Match(incident_id=i, detection=det, at=det.at) for i in item["incident_ids"]],
                ignore_conflicts=True,
            )
        else:
            prev = {
                "at": old.at,
                "sentiment": old.sentiment,
                "platform": old.platform,
                "incident_ids": old.incident_ids,
                **{m: getattr(old, m) for m in METRICS},
            }
            delta.add(prev, -1)
            for key, value in fields.items():
                setattr(old, key, value)
            old.at = item["published_at"] or old.captured_at
            old.updated_at = now
            old.save()
            det = old
            Match.objects.filter(detection=det).exclude(incident_id__in=item["incident_ids"]).delete()
            for incident_id in item["incident_ids"]:
                Match.objects.update_or_create(
                    incident_id=incident_id, detection=det, defaults={"at": det.at}
                )
        delta.add({**item, "at": det.at}, +1)
        written.append(Written(external_id=item["external_id"], id=det.pk, created=old is None))
    touched: list[tuple[int, datetime, int, int]] = []
    for row in delta.nonzero():
        trend, _created = TrendHour.objects.get_or_create(incident_id=row["incident_id"], hour=row["hour"])
        for name in ("total", "positive", "neutral", "negative", *METRICS):
            setattr(trend, name, getattr(trend, name) + row[name])
        platforms = dict(trend.by_platform or {})
        for key, value in row["by_platform"].items():
            platforms[key] = platforms.get(key, 0) + value
        trend.by_platform = {k: v for k, v in platforms.items() if v}
        trend.save()
        touched.append((trend.incident_id, trend.hour, trend.total, trend.negative))
    return written, touched
