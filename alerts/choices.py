from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon (即将到期)")
    DUE_NOW = "due_now", _("Due now (到期)")
    OVERDUE = "overdue", _("Overdue (已超时)")
    WORSENING = "worsening", _("Worsening trend (态势恶化)")
    QUESTIONED = "questioned", _("Reply questioned (回应遭质疑)")


class Audience(models.TextChoices):
    """Who an alert goes to; each wider audience includes the narrower ones."""

    OWNER = "owner", _("Owner and duty officers")
    UNIT_HEAD = "unit_head", _("… and the unit head")
    LEADERSHIP = "leadership", _("… and the leadership group")
