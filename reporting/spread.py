"""The spread section (传播情况) of a draft, from monitoring's summary of an incident.

``monitoring.selectors.incident_spread_summary(incident)`` returns totals, counts by sentiment
and platform, top outlets, summed metrics, an hourly curve and the earliest detection. A report
keeps a JSON copy (``spread_data``) so a submitted report shows the figures as they were.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.formats import format_cn

if TYPE_CHECKING:
    from incidents.models import Incident

HOURLY_KEEP = 72  # hours of curve kept in a report; older hours add little to a 续报


def spread_summary(incident: Incident) -> dict[str, Any] | None:
    """Monitoring's summary, or None when monitoring has nothing (or no selector) for it."""
    try:
        from monitoring import selectors
    except ImportError:  # pragma: no cover - monitoring is an installed app
        return None
    summarize = getattr(selectors, "incident_spread_summary", None)
    if summarize is None:
        return None
    summary = summarize(incident)
    if not summary or not summary.get("total"):
        return None
    return summary


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def spread_snapshot(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as JSON (times as ISO strings), the hourly curve cut to its last hours."""
    data = _json_safe(summary)
    hourly = data.get("hourly") or []
    data["hourly"] = hourly[-HOURLY_KEEP:]
    data["as_of"] = timezone.now().isoformat()
    return data


def as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value)
    return None


def spread_text(data: dict[str, Any]) -> str:
    """One paragraph of 传播情况 in the usual wording, from the snapshot's figures."""
    total = int(data.get("total") or 0)
    if not total:
        return ""
    as_of = as_datetime(data.get("as_of")) or timezone.now()
    parts = [f"截至{format_cn(as_of)}，共监测到相关信息{total}条"]
    sentiment = data.get("by_sentiment") or {}
    negative = int(sentiment.get("negative") or 0)
    if negative:
        parts.append(f"其中负面信息{negative}条，占{negative * 100 / total:.1f}%")
    platforms = data.get("by_platform") or []
    if platforms:
        listed = "、".join(f"{p['platform']}{p['count']}条" for p in platforms[:5])
        parts.append(f"主要分布于{listed}")
    metrics = data.get("metrics") or {}
    counted = [
        (label, int(metrics.get(key) or 0))
        for key, label in (("reads", "阅读"), ("reposts", "转发"), ("comments", "评论"), ("likes", "点赞"))
    ]
    counted = [(label, n) for label, n in counted if n]
    if counted:
        parts.append("累计" + "、".join(f"{label}{n}次" for label, n in counted))
    outlets = data.get("top_outlets") or []
    if outlets:
        parts.append("主要发布媒体（账号）有" + "、".join(str(o["outlet"]) for o in outlets[:5]))
    hourly = data.get("hourly") or []
    if hourly:
        peak = max(hourly, key=lambda h: int(h.get("count") or 0))
        peak_at = as_datetime(peak.get("hour"))
        if peak_at and int(peak.get("count") or 0):
            parts.append(f"传播高峰出现在{format_cn(peak_at)}前后（{peak['count']}条/小时）")
    return "，".join(parts) + "。"


def hourly_points(data: dict[str, Any], *, width: int = 560, height: int = 120) -> dict[str, Any] | None:
    """SVG coordinates for the hourly curve (print view and PDF draw it without JavaScript)."""
    hourly = data.get("hourly") or []
    if len(hourly) < 2:
        return None
    counts = [int(h.get("count") or 0) for h in hourly]
    negatives = [int(h.get("negative") or 0) for h in hourly]
    top = max(counts) or 1
    step = width / (len(hourly) - 1)

    def line(values: list[int]) -> str:
        return " ".join(f"{i * step:.1f},{height - v * height / top:.1f}" for i, v in enumerate(values))

    first, last = as_datetime(hourly[0].get("hour")), as_datetime(hourly[-1].get("hour"))
    return {
        "width": width,
        "height": height,
        "total": line(counts),
        "negative": line(negatives),
        "max": top,
        "start": format_cn(first) if first else "",
        "end": format_cn(last) if last else "",
    }
