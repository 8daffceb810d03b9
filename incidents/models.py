"""The incident and its clock: units, users, grade policy, deadlines, timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from incidents.choices import (
    ActorType,
    Basis,
    DeadlineKind,
    Grade,
    ResponseLevel,
    Role,
    Source,
    Status,
    WarningLevel,
)

DEFAULT_UNIT_CODE = "default"


def _in_choices(field: str, choices: type[models.TextChoices], *, null: bool = False) -> Q:
    q = Q(**{f"{field}__in": choices.values})
    return q | Q(**{f"{field}__isnull": True}) if null else q


class Unit(models.Model):
    """A department (单位) that owns incidents, numbers its reports and configures channels."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unit head (负责人)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_units",
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> Unit:
        """本单位: created by migration, the unit of anyone who has none."""
        unit, _created = cls.objects.get_or_create(code=DEFAULT_UNIT_CODE, defaults={"name": "本单位"})
        return unit


class User(AbstractUser):
    """A person who signs in. Roles are groups (see ``Role``); ``unit`` scopes what they see."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL)
    mobile = models.CharField(
        _("mobile"), max_length=20, blank=True, help_text=_("Used to @ people in robot alerts.")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def has_role(self, role: Role | str) -> bool:
        return self.groups.filter(name=role).exists()

    @cached_property
    def sees_all_units(self) -> bool:
        """The leadership group and administrators see every unit's incidents.

        Asked several times a request (scoping, each permission check, each panel): kept on
        the instance after the first group query, as Django keeps ``has_perm``'s answers."""
        if self.is_superuser:
            return True
        names = {g.name for g in self.groups.all()}
        return bool(names & {Role.LEADERSHIP, Role.ADMINISTRATOR})

    @property
    def effective_unit(self) -> Unit:
        if self.unit_id:
            return self.unit  # type: ignore[return-value]
        # 本单位, for someone without a unit: looked up once per instance, not at every
        # permission check of the request.
        default: Unit | None = self.__dict__.get("_default_unit")
        if default is None:
            default = self.__dict__["_default_unit"] = Unit.default()
        return default


class GradePolicy(models.Model):
    """How long each grade allows for the first report (首报) and how often follow-ups are due.

    Editing a policy changes future deadlines only: the due time computed for an incident is
    stored on its ``Deadline``, so a policy change never moves a deadline silently.
    """

    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices, unique=True)
    report_window = models.DurationField(_("first report window"))
    basis = models.CharField(
        _("clock starts at"), max_length=12, choices=Basis.choices, default=Basis.OCCURRED
    )
    follow_up_cadence = models.DurationField(
        _("follow-up (续报) cadence"),
        null=True,
        blank=True,
        help_text=_("Empty: no continuing reports required."),
    )

    class Meta:
        verbose_name = _("grade policy")
        verbose_name_plural = _("grade policies")
        constraints = [
            models.CheckConstraint(condition=_in_choices("grade", Grade), name="gradepolicy_grade_valid"),
            models.CheckConstraint(condition=_in_choices("basis", Basis), name="gradepolicy_basis_valid"),
            models.CheckConstraint(
                condition=Q(report_window__gt=timedelta(0)), name="gradepolicy_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(follow_up_cadence__isnull=True) | Q(follow_up_cadence__gt=timedelta(0)),
                name="gradepolicy_cadence_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()}: {self.report_window}"


class Counter(models.Model):
    """Gapless per-scope, per-year sequence (reference numbers, report issue numbers).

    Incremented under ``select_for_update`` inside the caller's transaction, so a rolled-back
    caller gives its number back and two callers in the same instant never share one.
    """

    scope = models.CharField(max_length=80)
    year = models.PositiveIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "year"], name="counter_scope_year_unique")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.year}: {self.value}"


class Incident(models.Model):
    """A public-opinion incident (舆情事件) and everything a report upward must carry."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("basic content (基本内容)"))
    occurred_at = models.DateTimeField(_("occurred at (事发时间)"))
    discovered_at = models.DateTimeField(_("discovered at (发现时间)"))
    first_published_at = models.DateTimeField(_("first published at (首发时间)"), null=True, blank=True)
    first_outlet = models.CharField(_("first outlet (首发媒体)"), max_length=200, blank=True)
    first_url = models.URLField(_("link (链接)"), max_length=1000, blank=True)
    spread = models.TextField(_("spread (传播情况)"), blank=True)
    facts = models.TextField(_("verified facts (真实情况)"), blank=True)
    background = models.TextField(_("background (背景材料)"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    warning_level = models.CharField(
        _("warning level"), max_length=10, choices=WarningLevel.choices, blank=True
    )
    response_level = models.CharField(
        _("response level"), max_length=4, choices=ResponseLevel.choices, blank=True
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="incidents")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_incidents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at", "-id"]
        permissions = [
            ("regrade_incident", _("Can change an incident's grade")),
            ("transition_incident", _("Can move an incident through its lifecycle")),
        ]
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["-occurred_at"])]
        constraints = [
            models.CheckConstraint(condition=_in_choices("grade", Grade), name="incident_grade_valid"),
            models.CheckConstraint(condition=_in_choices("status", Status), name="incident_status_valid"),
            models.CheckConstraint(condition=_in_choices("source", Source), name="incident_source_valid"),
            models.CheckConstraint(
                condition=Q(warning_level="") | _in_choices("warning_level", WarningLevel),
                name="incident_warning_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(response_level="") | _in_choices("response_level", ResponseLevel),
                name="incident_response_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(discovered_at__gte=models.F("occurred_at")),
                name="incident_discovered_after_occurred",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        now = timezone.now()
        skew = timedelta(minutes=5)  # clocks on phones and PCs drift
        for name in ("occurred_at", "discovered_at", "first_published_at"):
            value: datetime | None = getattr(self, name)
            if value is not None and value > now + skew:
                errors[name] = _("This time is in the future.")
        if self.occurred_at and self.discovered_at and self.discovered_at < self.occurred_at:
            errors["discovered_at"] = _("Discovery cannot come before the event occurred.")
        if (
            self.first_published_at
            and self.discovered_at
            and self.first_published_at > self.discovered_at + skew
        ):
            errors.setdefault(
                "first_published_at",
                _("The first publication cannot come after the incident was discovered."),
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    @property
    def open_deadlines(self) -> list[Deadline]:
        """The running clocks, soonest first; no query when the deadlines are prefetched
        (``incidents.selectors.incidents_with_clocks``)."""
        return [deadline for deadline in self.deadlines.all() if deadline.is_open]


class IncidentAttachment(models.Model):
    """Supporting material (其他辅助材料): screenshots, documents."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.description or str(self.file.name)


class DeadlineQuerySet(models.QuerySet["Deadline"]):
    def open(self) -> DeadlineQuerySet:
        return self.filter(met_at__isnull=True, cancelled_at__isnull=True)


class Deadline(models.Model):
    """One running clock: first report, police notice, a follow-up report, a response task.

    ``due_at`` is computed once (from the grade policy in force) and stored. A deadline is open
    until it is met or cancelled (the incident closed, or the clock no longer applies).
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("kind"), max_length=20, choices=DeadlineKind.choices)
    sequence = models.PositiveIntegerField(
        _("sequence"), default=1, help_text=_("续报 number for follow-ups.")
    )
    due_at = models.DateTimeField(_("due at"))
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(condition=_in_choices("kind", DeadlineKind), name="deadline_kind_valid"),
            models.CheckConstraint(
                condition=Q(met_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="deadline_met_or_cancelled",
            ),
            models.UniqueConstraint(
                fields=["incident", "kind", "sequence"], name="deadline_incident_kind_seq_unique"
            ),
        ]
        indexes = [
            # The sweep's query: open deadlines by due time.
            models.Index(
                fields=["due_at"],
                name="deadline_open_due_idx",
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at <= (now or timezone.now())

    @property
    def minutes_late(self) -> int | None:
        """Whole minutes past due when met (0 if on time); None while open."""
        if self.met_at is None:
            return None
        late = (self.met_at - self.due_at).total_seconds()
        return max(0, int(late // 60) + (1 if late % 60 else 0))


class TimelineEvent(models.Model):
    """What happened to an incident, who did it and when. Written by services, never edited."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=64)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices, default=ActorType.SYSTEM)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=_in_choices("actor_type", ActorType), name="timeline_actor_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def message(self) -> str:
        from incidents.timeline import describe

        return describe(self)
