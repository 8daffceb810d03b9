"""The "alerts" section on the incident page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from incidents.models import Incident
from incidents.panels import Panel, register_panel


def _context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    from alerts.models import Alert
    from alerts.selectors import alerts_with_deliveries

    alerts = alerts_with_deliveries(
        Alert.objects.filter(incident=incident).select_related("acknowledged_by")
    )[:50]
    return {"incident_alerts": alerts}


def register() -> None:
    register_panel(Panel(key="alerts", order=40, template="alerts/_incident_panel.html", context=_context))
