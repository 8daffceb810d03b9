"""第X期 under concurrent submission: real threads, real PostgreSQL transactions."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from incidents.timeline import Actor
from reporting.models import Report
from reporting.services import report_submit, report_update
from tests.reporting.conftest import complete_draft, first_draft, incident_for

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_numbers_are_gapless_and_unique_under_concurrent_submission(clock, duty_officer, signer):
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
