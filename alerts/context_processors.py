"""The bell's unread count and the stale-sweep banner, on every page. Both are computed only
when a template reads them (the login page never does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.http import HttpRequest

T = TypeVar("T")


class _Once(Generic[T]):
    """A callable the template engine calls (and we compute) at most once."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._done = False
        self._value: T | None = None

    def __call__(self) -> T | None:
        if not self._done:
            self._value, self._done = self._fn(), True
        return self._value


def alerts(request: HttpRequest) -> dict[str, Any]:
    from alerts.selectors import sweep_status, unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "alerts_unread": _Once(lambda: unread_count(user)),
        "alerts_sweep": _Once(sweep_status) if user.is_staff else None,
    }
