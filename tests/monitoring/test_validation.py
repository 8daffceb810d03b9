"""Per-item errors name the field, for every field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from monitoring.validation import validate_item

NOW = datetime(2026, 3, 5, 6, 0, tzinfo=UTC)
GOOD = {
    "external_id": "w-1",
    "url": "https://weibo.example.cn/1",
    "platform": "微博",
    "outlet": "某日报",
    "author": "记者甲",
    "title": "标题",
    "text": "正文",
    "published_at": "2026-03-05T14:20:00+08:00",
    "metrics": {"reads": 1, "reposts": 2, "comments": 3, "likes": 4},
    "sentiment": "negative",
}


def test_good_item_is_clean() -> None:
    clean, errors = validate_item(GOOD, now=NOW)
    assert errors == {}
    assert clean is not None
    assert clean["published_at"] == datetime(2026, 3, 5, 6, 20, tzinfo=UTC)
    assert (clean["reads"], clean["likes"], clean["sentiment"]) == (1, 4, "negative")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("external_id", None),
        ("external_id", ""),
        ("external_id", "x" * 201),
        ("external_id", {"a": 1}),
        ("external_id", True),
        ("url", "not a url"),
        ("url", "ftp://example.cn/x"),
        ("url", 5),
        ("url", "https://e.cn/" + "x" * 2000),
        ("platform", "p" * 51),
        ("platform", ["微博"]),
        ("outlet", "o" * 201),
        ("author", "a" * 201),
        ("author", 12),
        ("title", "t" * 1001),
        ("text", "t" * 100_001),
        ("text", 3.5),
        ("published_at", "2026-03-05 14:20"),
        ("published_at", "yesterday"),
        ("published_at", 1741155600),
        ("published_at", (NOW + timedelta(hours=2)).isoformat()),
        ("metrics", [1, 2]),
        ("metrics", {"reads": -1}),
        ("metrics", {"reads": "many"}),
        ("metrics", {"reads": 1.5}),
        ("metrics", {"views": 3}),
        ("sentiment", "angry"),
        ("sentiment", 1),
    ],
)
def test_each_bad_field_is_named(field: str, value: object) -> None:
    clean, errors = validate_item({**GOOD, field: value}, now=NOW)
    assert clean is None
    assert list(errors) == [field], errors
    assert all(isinstance(m, str) and m for m in errors[field])


def test_missing_optional_fields_take_defaults() -> None:
    clean, errors = validate_item({"external_id": 42, "text": "内容"}, now=NOW)
    assert errors == {}
    assert clean is not None
    assert clean["external_id"] == "42"
    assert clean["sentiment"] == "neutral" and clean["published_at"] is None and clean["reads"] == 0


def test_title_or_text_required_and_chinese_sentiment_accepted() -> None:
    _clean, errors = validate_item({"external_id": "1"}, now=NOW)
    assert list(errors) == ["text"]
    clean, errors = validate_item({"external_id": "1", "title": "标题", "sentiment": "负面"}, now=NOW)
    assert errors == {} and clean is not None and clean["sentiment"] == "negative"


def test_several_bad_fields_are_all_reported_and_non_objects_refused() -> None:
    _clean, errors = validate_item({**GOOD, "url": "x", "sentiment": "x", "metrics": {"likes": -3}}, now=NOW)
    assert set(errors) == {"url", "sentiment", "metrics"}
    with translation.override("en"):
        assert validate_item(["not", "an", "object"], now=NOW)[1] == {
            "non_field_errors": ["Each item must be a JSON object."]
        }
    with translation.override("zh-hans"):
        assert validate_item([], now=NOW)[1] == {"non_field_errors": ["每一条都必须是 JSON 对象。"]}
