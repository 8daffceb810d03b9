"""Demo data for a fresh local install: the incidents (``incidents.demo``) plus what a
monitoring system would have pushed for them, so the spread, the hourly chart and the
dashboard have something to show. Everything goes through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents.demo import demo_load
from incidents.models import Incident, User
from incidents.timeline import Actor
from monitoring.services import client_create, detections_ingest, keyword_rule_create

PLATFORMS = [("微博", "新浪微博"), ("微信", "本地生活公众号"), ("抖音", "抖音"), ("新闻", "某都市报客户端")]


def demo_load_all(*, actor_user: User) -> list[Incident]:
    incidents = demo_load(actor_user=actor_user)
    water, video = incidents[0], incidents[1]
    actor = Actor.of(actor_user)
    keyword_rule_create(incident=water, actor=actor, groups=[["小区", "自来水"], ["发黄", "异味", "发臭"]])
    keyword_rule_create(incident=video, actor=actor, groups=[["派出所", "民警"], ["推搡", "粗暴", "执法"]])
    client, _key = client_create(name="演示监测系统", description="make run 的演示数据")
    now = timezone.now()
    items = []
    # A story that grows hour by hour, more negative as it spreads.
    for i in range(48):
        minutes_ago = 95 - i * 2
        platform, outlet = PLATFORMS[i % len(PLATFORMS)]
        items.append(
            {
                "external_id": f"demo-water-{i}",
                "url": f"https://example.org/demo/water/{i}",
                "platform": platform,
                "outlet": outlet,
                "author": f"网友{i:02d}",
                "title": "小区自来水发黄有异味" if i % 3 == 0 else "",
                "text": "我们小区的自来水又发黄了，还有异味，家里老人喝了不舒服，物业和供水公司怎么说？",
                "published_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
                "metrics": {"reads": 500 + 40 * i, "reposts": 3 * i, "comments": 2 * i, "likes": 5 * i},
                "sentiment": "negative" if i % 4 else "neutral",
            }
        )
    for i in range(12):
        items.append(
            {
                "external_id": f"demo-video-{i}",
                "platform": "抖音",
                "outlet": "抖音",
                "text": "视频里派出所民警执法是否粗暴？等待官方说明。",
                "published_at": (now - timedelta(minutes=40 - i * 3)).isoformat(),
                "metrics": {"reads": 2000 + 100 * i, "comments": 10 + i},
                "sentiment": "negative" if i % 2 else "neutral",
            }
        )
    detections_ingest(client=client, items=items, now=now)
    return incidents
