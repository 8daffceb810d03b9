"""Deadline arithmetic: pure rules with no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from incidents.choices import Basis


def basis_time(*, basis: str, occurred_at: datetime, discovered_at: datetime) -> datetime:
    """The moment the reporting clock starts: the event (事发后) or its discovery (接报后)."""
    return discovered_at if basis == Basis.DISCOVERED else occurred_at


def report_due_at(*, basis_at: datetime, window: timedelta) -> datetime:
    """When the first report (首报) is due: basis time plus the grade's window, exactly."""
    if basis_at.tzinfo is None or basis_at.utcoffset() is None:
        raise ValueError("basis_at must be timezone-aware")
    if window <= timedelta(0):
        raise ValueError("window must be positive")
    return basis_at + window


def police_notice_due_at(*, discovered_at: datetime, minutes: int) -> datetime:
    """Negative opinion passed on through police cooperation: notify within the window of discovery."""
    return report_due_at(basis_at=discovered_at, window=timedelta(minutes=minutes))
