"""Celery tasks: thin wrappers around services. Ids in, no objects; ``acks_late`` with
``reject_on_worker_lost`` so a task whose worker died is handed out again; every side effect is
idempotent (unique rows, state checked under ``select_for_update``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="alerts.sweep_deadlines", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_deadlines(incident_id: int | None = None, wake_for: str | None = None) -> int:
    """Fire every due escalation stage (for one incident when ``incident_id`` is given), then
    schedule an extra sweep for a stage falling due before the next beat tick. ``wake_for``
    (the stage moment an extra sweep was scheduled for) is informational."""
    from alerts.services import deadlines_sweep

    return deadlines_sweep(incident_id=incident_id, fan_out=True, wake=True).fired


@shared_task(name="alerts.escalate_deadlines", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def escalate_deadlines(deadline_ids: list[int]) -> int:
    """A chunk of a large sweep, run by another worker process."""
    from alerts.services import deadlines_escalate

    return deadlines_escalate(deadline_ids=deadline_ids)


@shared_task(
    name="alerts.deliver_notification", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def deliver_notification(notification_id: int) -> str:
    """Send one notification. Transient failures are rescheduled by the service itself
    (capped exponential backoff, recorded on the row), not by Celery's autoretry, so a bug is
    never retried as if it were an outage and the schedule survives a lost message."""
    from alerts.delivery import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task(name="alerts.sweep_outbox", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_outbox() -> int:
    """Re-enqueue notifications stuck pending (lost broker messages, workers killed mid-send)."""
    from alerts.services import outbox_sweep

    return outbox_sweep()
