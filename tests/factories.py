"""Factories that build data through the real services where a service exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.choices import Grade, Role, Source
from incidents.models import Incident, Unit, User
from incidents.services import incident_create
from incidents.timeline import Actor


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"测试单位{n}")
    code = factory.Sequence(lambda n: f"unit-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")
    unit = factory.LazyFunction(Unit.default)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            for role in extracted:
                self.groups.add(Group.objects.get(name=role))
        if create:
            self.save()


def make_user(*roles: Role, unit: Unit | None = None, **kwargs: Any) -> User:
    return UserFactory(roles=list(roles), unit=unit or Unit.default(), **kwargs)


def make_incident(*, actor: User | None = None, **overrides: Any) -> Incident:
    """Log an incident through ``incident_create``, with realistic defaults."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "title": "某区网传学校食堂食材过期",
        "summary": "微博网友发帖称某区一所学校食堂使用过期食材，配图显示食品包装日期。",
        "grade": Grade.LARGER,
        "source": Source.MONITORING,
        "occurred_at": now - timedelta(minutes=30),
        "discovered_at": now - timedelta(minutes=10),
    }
    fields.update(overrides)
    unit = fields.pop("unit", None)
    owner = fields.pop("owner", None)
    if actor is None:
        actor = make_user(Role.DUTY_OFFICER, unit=unit)
    return incident_create(actor=Actor.of(actor), unit=unit, owner=owner, **fields)
