from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from monitoring import matching
from monitoring.services import worsening_forget


@pytest.fixture(autouse=True)
def _fresh_monitoring_state(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each test sees rule changes at once and starts with no throttle history."""
    settings.MONITORING_RULES_CHECK_SECONDS = 0
    matching.reset()
    worsening_forget()
    cache.clear()
    yield
    matching.reset()
    worsening_forget()
