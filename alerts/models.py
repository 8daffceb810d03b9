"""Who must act now: alerts and their delivery."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alerts.choices import AlertKind, Audience
from incidents.models import Deadline, Incident


class Alert(models.Model):
    """One alert about one incident. ``key`` makes "at most once" a database fact: deadline
    alerts use ``deadline:<id>:<stage>:<due_at>``, others e.g. ``worsening:<incident>:<hour>``."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    key = models.CharField(max_length=200, unique=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    fired_at = models.DateTimeField(_("fired at"))
    message = models.TextField(_("message"))
    data = models.JSONField(default=dict, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-fired_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
            models.CheckConstraint(condition=Q(audience__in=Audience.values), name="alert_audience_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.get_kind_display()}"
