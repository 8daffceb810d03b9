"""Browser views (filled in below)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from incidents.models import Incident


def incident_panel_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    return {}
