from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    """Each test starts with no throttle history (the matcher is reset in tests/conftest.py)."""
    cache.clear()
    yield
