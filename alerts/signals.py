"""Listening to the incident clock: a deadline opened, moved, met or cancelled sweeps that
incident at once instead of waiting for the next beat tick."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def enqueue_sweep(incident_id: int) -> None:
    from alerts.tasks import sweep_deadlines

    sweep_deadlines.apply_async(kwargs={"incident_id": incident_id}, retry=False, expires=300)


def on_deadlines_changed(sender: Any, incident_id: int, **kwargs: Any) -> None:
    """Sent after commit. A broker outage must not fail the user's request: the beat sweep
    catches the deadline within one interval anyway."""
    try:
        enqueue_sweep(incident_id)
    except Exception:
        log.warning(
            "could not enqueue a sweep for incident %s; beat will catch it", incident_id, exc_info=True
        )
