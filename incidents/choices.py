"""Named choices for the incident domain. Values are stable API strings; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    """Event grade under the Emergency Response Law (突发事件应对法): I to IV."""

    ESPECIALLY_MAJOR = "especially_major", _("Especially major (特别重大)")
    MAJOR = "major", _("Major (重大)")
    LARGER = "larger", _("Larger (较大)")
    GENERAL = "general", _("General (一般)")


GRADE_SEVERITY: dict[str, int] = {
    Grade.ESPECIALLY_MAJOR: 4,
    Grade.MAJOR: 3,
    Grade.LARGER: 2,
    Grade.GENERAL: 1,
}


class WarningLevel(models.TextChoices):
    """Warning level shown as a colour; red is the highest."""

    RED = "red", _("Level 1 red (一级 红色)")
    ORANGE = "orange", _("Level 2 orange (二级 橙色)")
    YELLOW = "yellow", _("Level 3 yellow (三级 黄色)")
    BLUE = "blue", _("Level 4 blue (四级 蓝色)")


class ResponseLevel(models.TextChoices):
    """Emergency response level (应急响应), a third thing beside grade and warning."""

    I = "I", _("Level I response (I级响应)")  # noqa: E741
    II = "II", _("Level II response (II级响应)")
    III = "III", _("Level III response (III级响应)")
    IV = "IV", _("Level IV response (IV级响应)")


class Source(models.TextChoices):
    MONITORING = "monitoring", _("Monitoring (舆情监测)")
    POLICE = "police", _("Police cooperation (警务协作)")
    MEDIA = "media", _("Media (媒体)")
    PUBLIC = "public", _("Public (群众反映)")
    OTHER = "other", _("Other (其他)")


class Status(models.TextChoices):
    NEW = "new", _("New (新发现)")
    REPORTED = "reported", _("Reported (已报送)")
    RESPONDING = "responding", _("Responding (处置中)")
    MONITORING = "monitoring", _("Monitoring (持续监测)")
    SUBSIDED = "subsided", _("Subsided (已平息)")
    CLOSED = "closed", _("Closed (已结案)")


# Where an incident may go from each status. Flare-ups go back to responding/monitoring;
# a closed incident can be reopened into monitoring.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.REPORTED, Status.RESPONDING, Status.CLOSED}),
    Status.REPORTED: frozenset({Status.RESPONDING, Status.MONITORING, Status.CLOSED}),
    Status.RESPONDING: frozenset({Status.MONITORING, Status.SUBSIDED}),
    Status.MONITORING: frozenset({Status.RESPONDING, Status.SUBSIDED}),
    Status.SUBSIDED: frozenset({Status.MONITORING, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.MONITORING}),
}

OPEN_STATUSES = frozenset(set(Status.values) - {Status.CLOSED})


class Basis(models.TextChoices):
    """What starts the reporting clock (local practice varies)."""

    OCCURRED = "occurred", _("Event time (事发后)")
    DISCOVERED = "discovered", _("Discovery time (接报后)")


class DeadlineKind(models.TextChoices):
    FIRST_REPORT = "first_report", _("First report (首报)")
    POLICE_NOTICE = "police_notice", _("Police cooperation notice (警务协作通报)")
    FOLLOW_UP = "follow_up", _("Follow-up report (续报)")
    RESPONSE = "response", _("Response task (应对任务)")


class Role(models.TextChoices):
    """Roles are Django groups, created by a data migration; the value is the group name."""

    DUTY_OFFICER = "值班员", _("Duty officer (值班员)")
    MONITOR = "监测员", _("Monitor (监测员)")
    LEADERSHIP = "领导小组", _("Leadership group (领导小组)")
    ADMINISTRATOR = "管理员", _("Administrator (管理员)")


class ActorType(models.TextChoices):
    USER = "user", _("User")
    CLIENT = "client", _("API client")
    SYSTEM = "system", _("System")
