"""Helpers for monitoring tests: clients, rules and realistic items built through the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidents.models import Incident
from incidents.timeline import Actor
from monitoring.models import KeywordRule, MonitoringClient
from monitoring.services import client_create, keyword_rule_create


def make_client(name: str = "某舆情监测系统", **kwargs: Any) -> tuple[MonitoringClient, str]:
    return client_create(name=name, **kwargs)


def add_rule(incident: Incident, groups: list[list[str]], **kwargs: Any) -> KeywordRule:
    return keyword_rule_create(incident=incident, actor=Actor.system(), groups=groups, **kwargs)


def item(external_id: str, *, published_at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": external_id,
        "url": f"https://weibo.example.cn/{external_id}",
        "platform": "微博",
        "outlet": "网友甲",
        "author": "网友甲",
        "title": "某区学校食堂被曝使用过期食材",
        "text": "有网友发帖称，某区一所学校食堂使用过期食材，家长要求彻查。",
        "sentiment": "negative",
        "metrics": {"reads": 100, "reposts": 5, "comments": 3, "likes": 8},
    }
    if published_at is not None:
        data["published_at"] = published_at.isoformat()
    data.update(fields)
    return data
