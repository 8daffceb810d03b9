"""Checks for one pushed detection, in plain Python: the ingest hot path.

A DRF serializer per item costs tens of microseconds per field (bench/ingest.py measures both);
these checks give the same per-field messages for a fraction of that. ``validate_item`` returns
the clean values or ``{field: [messages]}``, never raises, so one bad item never stops a batch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from incidents.validators import TIME_OUT_OF_RANGE, text_error, time_in_range
from monitoring.choices import METRICS, SENTIMENT_ALIASES, Sentiment

MAX_ITEMS = 1000
LIMITS = {
    "external_id": 200,
    "url": 2000,
    "platform": 50,
    "outlet": 200,
    "author": 200,
    "title": 1000,
    "text": 100_000,
}
TEXT_FIELDS = ("url", "platform", "outlet", "author", "title", "text")
MAX_METRIC = 2**53
FUTURE_SKEW = timedelta(hours=1)

Errors = dict[str, list[str]]


def _too_long(limit: int) -> str:
    return _("Ensure this field has no more than %(limit)d characters.") % {"limit": limit}


def parse_aware(value: Any) -> datetime | None:
    """ISO 8601 with an offset (``Z`` allowed); None when absent, ValueError when wrong."""
    if not isinstance(value, str):
        raise ValueError(_("Not an ISO 8601 time, e.g. 2026-03-05T14:20:00+08:00."))
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(_("Not an ISO 8601 time, e.g. 2026-03-05T14:20:00+08:00.")) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(_("Give the time with its UTC offset, e.g. 2026-03-05T14:20:00+08:00."))
    if not time_in_range(parsed):
        raise ValueError(str(TIME_OUT_OF_RANGE))
    # Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59: store the instant in UTC.
    return parsed.astimezone(UTC)


def validate_item(raw: Any, *, now: datetime) -> tuple[dict[str, Any] | None, Errors]:
    """Clean one item; unknown keys are ignored so monitoring systems may send more."""
    if not isinstance(raw, dict):
        return None, {"non_field_errors": [_("Each item must be a JSON object.")]}
    errors: Errors = {}
    clean: dict[str, Any] = {}

    external_id = raw.get("external_id")
    if isinstance(external_id, bool) or not isinstance(external_id, str | int):
        errors["external_id"] = [_("This field is required (a string).")]
    else:
        external_id = str(external_id).strip()
        if not external_id:
            errors["external_id"] = [_("This field may not be blank.")]
        elif len(external_id) > LIMITS["external_id"]:
            errors["external_id"] = [_too_long(LIMITS["external_id"])]
        elif unstorable := text_error(external_id):
            errors["external_id"] = [unstorable]
        clean["external_id"] = external_id

    for name in TEXT_FIELDS:
        value = raw.get(name)
        if value is None:
            clean[name] = ""
            continue
        if not isinstance(value, str):
            errors[name] = [_("Not a valid string.")]
            continue
        value = value.strip()
        if len(value) > LIMITS[name]:
            errors[name] = [_too_long(LIMITS[name])]
            continue
        # PostgreSQL refuses NUL in text: one such item would fail the whole batch's upsert.
        unstorable = text_error(value)
        if unstorable:
            errors[name] = [unstorable]
            continue
        clean[name] = value

    url = clean.get("url")
    if url:
        try:
            parts = urlsplit(url)
            ok = parts.scheme in ("http", "https") and bool(parts.netloc)
        except ValueError:
            ok = False
        if not ok:
            errors["url"] = [_("Enter a valid http(s) URL.")]
    if "title" in clean and "text" in clean and not clean["title"] and not clean["text"]:
        errors.setdefault("text", [_("Give a title or a text: there is nothing to match.")])

    published = raw.get("published_at")
    clean["published_at"] = None
    if published is not None:
        try:
            clean["published_at"] = parse_aware(published)
        except ValueError as exc:
            errors["published_at"] = [str(exc)]
        else:
            if clean["published_at"] > now + FUTURE_SKEW:
                errors["published_at"] = [_("This time is in the future.")]

    metrics = raw.get("metrics")
    values = dict.fromkeys(METRICS, 0)
    if metrics is not None:
        if not isinstance(metrics, dict):
            errors["metrics"] = [_('Give an object such as {"reads": 10, "likes": 2}.')]
        else:
            bad: list[str] = []
            for key, value in metrics.items():
                if key not in values:
                    name = key if isinstance(key, str) and not text_error(key) else "?"
                    bad.append(
                        _("Unknown metric %(name)s; use reads, reposts, comments, likes.") % {"name": name}
                    )
                elif value is None:
                    continue
                elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_METRIC:
                    bad.append(_("%(name)s must be a whole number, 0 or more.") % {"name": key})
                else:
                    values[key] = value
            if bad:
                errors["metrics"] = bad
    clean.update(values)

    sentiment = raw.get("sentiment")
    if sentiment is None or sentiment == "":
        clean["sentiment"] = Sentiment.NEUTRAL.value
    elif isinstance(sentiment, str) and sentiment.strip().lower() in SENTIMENT_ALIASES:
        clean["sentiment"] = SENTIMENT_ALIASES[sentiment.strip().lower()].value
    else:
        errors["sentiment"] = [_("Use positive, neutral or negative.")]

    if errors:
        return None, errors
    return clean, {}
