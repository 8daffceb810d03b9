"""第X期 under concurrent submission: real threads, real PostgreSQL transactions."""

from __future__ import annotations

import importlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from incidents.timeline import Actor
from reporting.models import Report
from reporting.services import report_submit, report_update
from tests.reporting.conftest import complete_draft, first_draft, incident_for

THREADS = 8


@pytest.fixture
def role_grants(transactional_db: None) -> None:
    """Transactional tests flush the database afterwards, taking the rows the data migrations
    wrote (roles and their grants) with them; put back what this test needs."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for label in ("incidents", "reporting"):
        create_permissions(apps.get_app_config(label), verbosity=0)
    for module in ("incidents.migrations.0002_defaults", "reporting.migrations.0002_defaults"):
        for role, perms in importlib.import_module(module).GRANTS.items():
            group, _ = Group.objects.get_or_create(name=role)
            for perm in perms:
                app_label, codename = perm.split(".")
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_numbers_are_gapless_and_unique_under_concurrent_submission(role_grants, clock, duty_officer, signer):
    assert connection.vendor == "postgresql"
    drafts = [
        complete_draft(first_draft(duty_officer, incident_for(duty_officer)), duty_officer, signer)
        for _ in range(THREADS)
    ]
    # Two more that fail validation inside the same race: they must not take a number.
    broken = [first_draft(duty_officer, incident_for(duty_officer)) for _ in range(2)]
    for report in broken:
        report_update(report=report, actor=Actor.of(duty_officer), signer=signer, report_to="")

    barrier = threading.Barrier(len(drafts) + len(broken))
    numbers: list[int] = []
    refused: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(report: Report) -> None:
        try:
            barrier.wait(timeout=10)
            submitted = report_submit(report=report, actor=Actor.of(duty_officer))
            with lock:
                numbers.append(submitted.number)  # type: ignore[arg-type]
        except ValidationError as error:
            with lock:
                refused.append(str(error))
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in [*drafts, *broken]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not failures, failures
    assert len(refused) == len(broken)
    assert sorted(numbers) == list(range(1, THREADS + 1))
    stored = sorted(Report.objects.filter(number__isnull=False).values_list("number", flat=True))
    assert stored == list(range(1, THREADS + 1))
