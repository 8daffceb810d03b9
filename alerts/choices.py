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


# Wider audiences include the narrower ones: compare ranks, never strings.
AUDIENCE_RANK = {Audience.OWNER: 1, Audience.UNIT_HEAD: 2, Audience.LEADERSHIP: 3}


class ChannelKind(models.TextChoices):
    """Where a notification goes. In-app and email are per person; the rest per unit."""

    IN_APP = "in_app", _("In-app (站内)")
    EMAIL = "email", _("Email (邮件)")
    WEBHOOK = "webhook", _("Generic webhook")
    WECOM = "wecom", _("WeCom robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk robot (钉钉)")
    FEISHU = "feishu", _("Feishu robot (飞书)")


# Channels an administrator configures per unit (in-app and email need no configuration).
UNIT_CHANNEL_KINDS = (ChannelKind.WEBHOOK, ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU)
# Chat robots: about 20 messages a minute each; alerts beyond that are merged.
ROBOT_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU)


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class AttemptOutcome(models.TextChoices):
    """What became of one send. ``sending`` until the worker reports back; ``lost`` when the
    worker died mid-send and the lease ran out."""

    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    RETRY = "retry", _("Failed, will retry")
    FAILED = "failed", _("Failed")
    LOST = "lost", _("Lost (worker stopped)")
