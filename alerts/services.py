"""Alert use cases. Other apps raise alerts only through ``alert_raise``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from alerts.models import Alert
from incidents.models import Deadline, Incident
from incidents.services import timeline_add
from incidents.timeline import Actor, register_kind

register_kind("alert_fired", "⚠ %(message)s")


def alert_raise(
    *,
    incident: Incident,
    kind: str,
    audience: str,
    key: str,
    message: str,
    now: datetime,
    deadline: Deadline | None = None,
    data: dict[str, Any] | None = None,
) -> Alert | None:
    """Record an alert, its timeline entry and (outbox) its notifications in one transaction.

    Returns None when an alert with the same ``key`` exists: a second sweep, a second beat or
    a retried task meets the unique constraint and fires nothing."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                incident=incident,
                deadline=deadline,
                kind=kind,
                audience=audience,
                key=key,
                due_at=deadline.due_at if deadline else None,
                fired_at=now,
                message=message,
                data=data or {},
            )
            timeline_add(
                incident=incident,
                kind="alert_fired",
                actor=Actor.system(),
                at=now,
                data={"alert": alert.pk, "alert_kind": kind, "audience": audience, "message": message},
            )
    except IntegrityError:
        return None
    return alert
