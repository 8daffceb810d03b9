"""Timeline vocabulary: who acted (``Actor``) and how each kind of event reads.

Every app registers the kinds it writes with a translatable template over the event's data,
so the record stays data (kind + data) and reads in the viewer's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.choices import ActorType, DeadlineKind, Grade, Source, Status
from incidents.formats import format_local

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from incidents.models import TimelineEvent, User


@dataclass(frozen=True)
class Actor:
    """Who did something: a signed-in user, an API client (monitoring system) or the system."""

    type: str
    name: str
    user: User | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(type=ActorType.USER, name=user.get_full_name() or user.get_username(), user=user)

    @classmethod
    def client(cls, name: str) -> Actor:
        return cls(type=ActorType.CLIENT, name=name)

    @classmethod
    def system(cls) -> Actor:
        return cls(type=ActorType.SYSTEM, name="系统")


@dataclass(frozen=True)
class _Kind:
    template: _StrPromise | str
    choices: Mapping[str, type[models.TextChoices]]


_KINDS: dict[str, _Kind] = {}


def register_kind(
    kind: str, template: _StrPromise | str, *, choices: Mapping[str, type[models.TextChoices]] | None = None
) -> None:
    """Declare how a kind of timeline event reads.

    ``template`` is %-formatted with the event's data, plus ``<key>_label`` for each key named in
    ``choices`` (the choice's translated label) and ``<key>_local`` for each ``*_at`` key (the
    time in Beijing time, in the viewer's style).
    """
    _KINDS[kind] = _Kind(template=template, choices=choices or {})


def _label(choices: type[models.TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def describe(event: TimelineEvent) -> str:
    spec = _KINDS.get(event.kind)
    if spec is None:
        return event.kind
    data: dict[str, Any] = {k: ("" if v is None else v) for k, v in (event.data or {}).items()}
    for key, value in list(data.items()):
        if key.endswith("_at"):
            data[f"{key}_local"] = format_local(value)
    for key, choices in spec.choices.items():
        data[f"{key}_label"] = _label(choices, data.get(key, ""))
    if isinstance(data.get("fields"), list):
        data["fields_label"] = "、".join(_field_label(name) for name in data["fields"])
    try:
        return str(spec.template) % data
    except (KeyError, TypeError, ValueError):
        return str(spec.template)


def _field_label(name: str) -> str:
    from incidents.models import Incident

    try:
        field = Incident._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))


register_kind(
    "incident_created",
    _("Incident logged: %(grade_label)s, source %(source_label)s"),
    choices={"grade": Grade, "source": Source},
)
register_kind("incident_updated", _("Edited: %(fields_label)s"))
register_kind(
    "incident_regraded",
    _("Grade changed from %(old_label)s to %(new_label)s. Reason: %(reason)s"),
    choices={"old": Grade, "new": Grade},
)
register_kind(
    "status_changed",
    _("Status changed from %(old_label)s to %(new_label)s. Reason: %(reason)s"),
    choices={"old": Status, "new": Status},
)
_deadline = {"kind": DeadlineKind}
register_kind("deadline_opened", _("Deadline opened: %(kind_label)s due %(due_at_local)s"), choices=_deadline)
register_kind(
    "deadline_moved",
    _("Deadline moved: %(kind_label)s from %(old_due_at_local)s to %(due_at_local)s"),
    choices=_deadline,
)
register_kind(
    "deadline_overdue_at_logging",
    _("Logged after its deadline: %(kind_label)s was due %(due_at_local)s"),
    choices=_deadline,
)
register_kind(
    "deadline_met", _("Deadline met: %(kind_label)s, %(minutes_late)s minutes late"), choices=_deadline
)
register_kind(
    "deadline_cancelled", _("Deadline cancelled: %(kind_label)s. Reason: %(reason)s"), choices=_deadline
)
register_kind("owner_changed", _("Owner changed from %(old)s to %(new)s"))
register_kind("attachment_added", _("Attachment added: %(name)s"))
