"""How times read: official documents write 2026年3月5日14时20分 (24-hour clock, no zero padding)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime


def format_cn(value: datetime) -> str:
    """2026年3月5日14时20分, in Beijing time (the project's TIME_ZONE)."""
    local = timezone.localtime(value)
    return f"{local.year}年{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def format_cn_date(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.year}年{local.month}月{local.day}日"


def format_local(value: datetime | str | None) -> str:
    """A time for the UI: the Chinese style in Chinese, ISO-like in English."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if (translation.get_language() or "zh-hans").startswith("zh"):
        return format_cn(value)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
