from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _incident_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if created or kwargs.get("raw"):
        return
    from monitoring.services import incident_saved

    incident_saved(incident=instance, update_fields=update_fields)


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from incidents.models import Incident
        from incidents.panels import Panel, register_panel
        from monitoring import panels

        # Closing or reopening an incident changes which rules are active.
        post_save.connect(_incident_saved, sender=Incident, dispatch_uid="monitoring.incident_saved")
        register_panel(
            Panel(
                key="monitoring", order=20, template="monitoring/_incident_panel.html", context=panels.context
            )
        )
