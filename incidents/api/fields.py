"""Serializer fields shared by every app's API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from incidents.validators import TIME_OUT_OF_RANGE, time_in_range


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset (``2026-03-05T14:20:00+08:00`` or ``…Z``).

    DRF would read a time without an offset as local time; a monitoring system in another
    zone would then be off by hours without knowing it, so such a time is refused. So is a time
    outside the years 1900–2999 (``incidents.validators``): one in year 1 would be stored as
    year 0 in UTC, which no later read of the row could load."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-03-05T14:20:00+08:00."),
        "invalid": _("Not an ISO 8601 time, e.g. 2026-03-05T14:20:00+08:00."),
        "out_of_range": TIME_OUT_OF_RANGE,
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            parsed: datetime | None = value
        elif isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        else:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        assert parsed is not None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail("naive")
        if not time_in_range(parsed):
            self.fail("out_of_range")
        # Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59 (a 500 for -21:16):
        # the instant is what counts, and it is stored in UTC anyway.
        return parsed.astimezone(UTC)
