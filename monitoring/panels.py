"""The monitoring panel on the incident page: keyword rules, hourly chart, detections, and the
earliest detection offered as the first publication (首发)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from incidents.models import Incident


def context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    from monitoring.views import incident_panel_context

    return incident_panel_context(request, incident)
