from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents.choices import Grade
from incidents.models import Incident, User
from incidents.timeline import Actor
from reporting.models import Report
from reporting.services import report_create_draft, report_update
from tests.factories import make_incident

BEIJING = ZoneInfo("Asia/Shanghai")
# 2026-03-05 14:20 Beijing time: the documents must write it 2026年3月5日14时20分.
PUBLISHED = datetime(2026, 3, 5, 14, 20, tzinfo=BEIJING)
OCCURRED = datetime(2026, 3, 5, 14, 0, tzinfo=BEIJING)

COMPLETE_FIRST: dict[str, Any] = {
    "summary": "微博网友发帖称某区一所学校食堂使用过期食材。",
    "first_published_at": PUBLISHED,
    "first_outlet": "新浪微博@某区生活圈",
    "first_url": "https://weibo.com/1234567890/AbCdEf",
    "spread": "截至目前相关信息共126条，负面占61%。",
    "facts": "经区市场监管局现场核查，涉事食材为临期而非过期。",
    "background": "该校去年曾因食堂问题被家长投诉。",
    "attachments": "1. 网帖截图",
}
FOLLOW_UP_MAJOR: dict[str, Any] = {
    "facts": "区教育局已约谈校方。",
    "trend_assessment": "预计热度将在24小时内回落。",
    "measures": "发布情况通报，安排专人回应家长。",
    "suggestions": "建议持续关注家长群动态。",
}


@pytest.fixture
def clock():
    """Beijing time 2026-03-05 14:30, ten minutes after the first post, thirty after the event."""
    with time_machine.travel(datetime(2026, 3, 5, 14, 30, tzinfo=BEIJING), tick=False) as traveller:
        yield traveller


@pytest.fixture
def signer(leader: User) -> User:
    leader.first_name = "李"
    leader.last_name = "签发"
    leader.save()
    return leader


def incident_for(user: User, grade: str = Grade.LARGER, **fields: Any) -> Incident:
    fields.setdefault("occurred_at", OCCURRED)
    fields.setdefault("discovered_at", OCCURRED.replace(minute=15))
    return make_incident(actor=user, grade=grade, **fields)


def complete_draft(report: Report, user: User, signer: User, **overrides: Any) -> Report:
    fields = {**COMPLETE_FIRST, "signer": signer, "report_to": "市委网信办", "copies": 5, **overrides}
    return report_update(report=report, actor=Actor.of(user), **fields)


def first_draft(user: User, incident: Incident) -> Report:
    return report_create_draft(incident=incident, kind="first", actor=Actor.of(user))
