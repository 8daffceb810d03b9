from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from incidents.panels import Panel, register_panel
        from reporting import services  # noqa: F401  (registers the timeline kinds)
        from reporting.views import incident_panel_context

        register_panel(
            Panel(
                key="reports",
                order=30,
                template="reporting/_incident_panel.html",
                context=incident_panel_context,
            )
        )
