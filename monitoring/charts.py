"""The hourly trend as a server-rendered inline SVG: no JavaScript, works on closed networks,
prints with the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 200, 36, 22, 10
MAX_HOURS = 72


def hourly_chart(hourly: list[dict[str, Any]], *, now: datetime | None = None) -> dict[str, Any] | None:
    """Bars for the last hours up to ``MAX_HOURS`` (gaps filled with zero): total and negative."""
    if not hourly:
        return None
    by_hour = {row["hour"]: row for row in hourly}
    last = max(by_hour)
    first = max(min(by_hour), last - timedelta(hours=MAX_HOURS - 1))
    hours = []
    at = first
    while at <= last:
        hours.append(at)
        at += timedelta(hours=1)
    peak = max(by_hour.get(h, {}).get("count", 0) for h in hours) or 1
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    step = plot_w / len(hours)
    bar_w = max(step * 0.8, 1.0)
    label_every = max(1, len(hours) // 12)
    bars = []
    for i, hour in enumerate(hours):
        row = by_hour.get(hour, {})
        count, negative = row.get("count", 0), row.get("negative", 0)
        height = count / peak * plot_h
        neg_height = negative / peak * plot_h
        local = timezone.localtime(hour)
        bars.append(
            {
                "x": round(LEFT + i * step, 1),
                "w": round(bar_w, 1),
                "y": round(TOP + plot_h - height, 1),
                "h": round(height, 1),
                "ny": round(TOP + plot_h - neg_height, 1),
                "nh": round(neg_height, 1),
                "count": count,
                "negative": negative,
                "label": f"{local:%m-%d %H}:00",
                "tick": f"{local:%H}时" if i % label_every == 0 else "",
                "tx": round(LEFT + i * step + bar_w / 2, 1),
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "peak": peak,
        "left": LEFT,
        "base": TOP + plot_h,
        "top": TOP,
        "label_y": HEIGHT - 6,
        "right": WIDTH - 4,
    }
