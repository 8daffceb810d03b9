"""Deadline arithmetic: pure rules, checked exhaustively with Hypothesis."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents import deadlines as rules
from incidents.choices import Basis, Grade
from incidents.services import DEFAULT_POLICIES

SHANGHAI = ZoneInfo("Asia/Shanghai")
A_YEAR = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31, 23, 59, 59), timezones=st.just(SHANGHAI)
)
WINDOWS = {Grade.ESPECIALLY_MAJOR: 2, Grade.MAJOR: 2, Grade.LARGER: 3, Grade.GENERAL: 4}


@given(grade=st.sampled_from(list(Grade)), basis_at=A_YEAR)
def test_first_report_due_is_basis_plus_window_exactly(grade: Grade, basis_at: datetime) -> None:
    window = DEFAULT_POLICIES[grade]["report_window"]
    due = rules.report_due_at(basis_at=basis_at, window=window)
    assert due - basis_at == timedelta(hours=WINDOWS[grade])
    # The same instant whatever zone it is expressed in.
    assert rules.report_due_at(basis_at=basis_at.astimezone(UTC), window=window) == due


@given(discovered=A_YEAR)
def test_police_notice_is_one_hour_from_discovery(discovered: datetime) -> None:
    assert rules.police_notice_due_at(discovered_at=discovered, minutes=60) == discovered + timedelta(hours=1)


@given(occurred=A_YEAR, delay=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
def test_basis_picks_event_or_discovery(occurred: datetime, delay: timedelta) -> None:
    discovered = occurred + delay
    assert rules.basis_time(basis=Basis.OCCURRED, occurred_at=occurred, discovered_at=discovered) == occurred
    assert (
        rules.basis_time(basis=Basis.DISCOVERED, occurred_at=occurred, discovered_at=discovered) == discovered
    )


def test_naive_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.report_due_at(basis_at=datetime(2026, 3, 5, 14, 20), window=timedelta(hours=2))


def test_non_positive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        rules.report_due_at(basis_at=datetime(2026, 3, 5, 14, 20, tzinfo=UTC), window=timedelta(0))
