from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from incidents.choices import Role
from incidents.models import Unit, User
from tests.factories import UnitFactory, make_user


@pytest.fixture(autouse=True)
def _fresh_process_caches(settings: Any) -> Iterator[None]:
    """Monitoring keeps its compiled matcher per process, keyed by a rules version stored in
    the database; rolled-back tests reuse version numbers, so every test starts with none
    (and sees rule changes at once), and with no memory of worsening alerts raised."""
    from monitoring import matching
    from monitoring.services import worsening_forget

    settings.MONITORING_RULES_CHECK_SECONDS = 0
    matching.reset()
    worsening_forget()
    yield
    matching.reset()
    worsening_forget()


@pytest.fixture
def unit(db: None) -> Unit:
    return Unit.default()


@pytest.fixture
def other_unit(db: None) -> Unit:
    return UnitFactory(name="另一单位", code="other")


@pytest.fixture
def duty_officer(unit: Unit) -> User:
    return make_user(Role.DUTY_OFFICER, unit=unit, username="duty", first_name="值班员甲")


@pytest.fixture
def monitor(unit: Unit) -> User:
    return make_user(Role.MONITOR, unit=unit, username="monitor")


@pytest.fixture
def leader(unit: Unit) -> User:
    return make_user(Role.LEADERSHIP, unit=unit, username="leader")


@pytest.fixture
def admin_user(unit: Unit) -> User:
    return make_user(Role.ADMINISTRATOR, unit=unit, username="administrator")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def duty_api(api: APIClient, duty_officer: User) -> APIClient:
    api.force_authenticate(duty_officer)
    return api


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test restores the database it found (serialized rollback).

    A transactional test empties every table when it ends. Without serialized rollback it
    loses what migrations wrote (role groups and their permissions, 本单位, grade policies)
    and re-creates content types with new ids, which then collide with the next serialized
    test's restore. One rule for all of them keeps the suite order-independent."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        )
        if transactional and not (marker is not None and marker.kwargs.get("serialized_rollback")):
            kwargs = dict(marker.kwargs) if marker is not None else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)
