from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from alerts import delivery, services  # noqa: F401  (register timeline kinds)
        from alerts.panels import register
        from alerts.signals import on_deadlines_changed
        from incidents.signals import deadlines_changed

        deadlines_changed.connect(on_deadlines_changed, dispatch_uid="alerts.sweep_on_deadline_change")
        register()
