"""Input checks shared by every way in: the API (serializer fields and the JSON parser), the
browser forms and the monitoring ingest.

Each refuses a value the database or the response would otherwise fail on, so bad input is a
400 or a form error naming the field, never a 500 or a row that breaks every page showing it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# PostgreSQL cannot hold NUL in text or jsonb; an unpaired surrogate (a JSON "\ud800" escape)
# cannot be encoded as UTF-8, neither for the database nor for a response echoing it.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Times outside these years are typing slips (0026 for 2026, 20266), and near the ends of
# Python's range (years 1 and 9999) they break as soon as they are stored in UTC, shown in
# Beijing time or have a deadline window added: one such row would break every page listing it.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
TIME_OUT_OF_RANGE = _("Give a time between the years 1900 and 2999.")


def text_error(value: str) -> str | None:
    """Why this text cannot be stored, or None. Cheap: one regex scan in C."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return gettext("Null characters are not allowed.")
    return gettext("Surrogate characters are not allowed: U+%(code_point)X.") % {
        "code_point": ord(found.group())
    }


def first_text_error(data: Any) -> tuple[str | None, str] | None:
    """The first unstorable string anywhere in parsed JSON, as (top-level field or None, why).

    Keys count too. Iterative, so nesting as deep as the JSON parser allows cannot overflow
    the stack here."""
    stack: list[tuple[str | None, Any]] = [(None, data)]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            error = text_error(value)
            if error:
                return field, error
        elif isinstance(value, dict):
            for key, item in value.items():
                name = field if field is not None or not isinstance(key, str) else key
                error = text_error(key) if isinstance(key, str) else None
                if error:
                    # The key itself cannot be echoed back: report it without its name.
                    return (field, error)
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((field, item) for item in value)
    return None


def validate_text(value: Any) -> None:
    """Django validator: refuse NUL and unpaired surrogates in a string."""
    if isinstance(value, str):
        error = text_error(value)
        if error:
            raise ValidationError(error, code="unstorable")


def time_in_range(value: datetime) -> bool:
    """Whether an aware time lies within EARLIEST..LATEST (a naive one is read as UTC).

    Comparing aware datetimes never converts them, so this cannot overflow itself."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return EARLIEST <= value < LATEST


def validate_time_range(value: Any) -> None:
    """Django validator for datetime fields: refuse times outside EARLIEST..LATEST."""
    if isinstance(value, datetime) and not time_in_range(value):
        raise ValidationError(TIME_OUT_OF_RANGE, code="out_of_range")
