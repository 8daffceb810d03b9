"""Query-count checks: a page or endpoint must cost the same number of queries whether it
shows 2 rows or 20. A count that grows with the rows is an N+1 (a query per row); the
assertion names the statements that were repeated so the culprit is obvious."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Measured:
    count: int
    sql: list[str]

    def shapes(self) -> Counter[str]:
        """Statements with their literals blanked, so a query per row shows as one shape
        repeated."""
        return Counter(re.sub(r"'[^']*'|\b\d+\b", "?", sql) for sql in self.sql)


def measure(fn: Callable[[], Any]) -> tuple[Measured, Any]:
    """Run ``fn`` and return the queries it made and its result."""
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    sql = [q["sql"] for q in ctx.captured_queries]
    return Measured(len(sql), sql), result


def assert_flat(small: Measured, large: Measured, *, label: str = "") -> None:
    """The large size may not cost more queries than the small one."""
    if large.count <= small.count:
        return
    grown = large.shapes() - small.shapes()
    lines = [f"{n}× {shape[:400]}" for shape, n in grown.most_common(8)]
    raise AssertionError(
        f"{label}: {small.count} queries for the small data set, {large.count} for the large one. "
        "Statements that grew:\n" + "\n".join(lines)
    )


def assert_no_growth(
    fetch: Callable[[], Any],
    grow: Callable[[], Any],
    *,
    max_queries: int,
    label: str = "",
    check: Callable[[Any], Any] | None = None,
) -> tuple[int, int]:
    """Fetch once to warm process caches (content types, templates), measure, ``grow`` the
    data, measure again: the count must not grow and must stay within ``max_queries``.
    ``check`` runs on each response (e.g. that the rows really are on the page)."""
    fetch()
    small, response = measure(fetch)
    if check:
        check(response)
    grow()
    large, response = measure(fetch)
    if check:
        check(response)
    print(f"[queries] {label}: {small.count} -> {large.count}")
    assert_flat(small, large, label=label)
    assert large.count <= max_queries, f"{label}: {large.count} queries (limit {max_queries}):\n" + "\n".join(
        large.sql
    )
    return small.count, large.count
