"""Schemathesis against the API in-process: generated bodies, query strings and headers for every
operation in the OpenAPI schema, valid and invalid, each answered with something other than a 5xx.

A few derandomized examples per operation and mode (the same ones every run), against real
rows: path ids point at an incident, a keyword rule and a draft report of the caller's unit, so
the generated input reaches validation and the services rather than a 404. The wide fuzzing that
found the 500s fixed in tests/*/test_api_robustness.py ran against a live server with many more
examples (docs/api-robustness.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from incidents.models import User
from incidents.timeline import Actor
from opinion.wsgi import application
from reporting.services import report_create_draft
from tests.factories import make_incident
from tests.monitoring.helpers import add_rule, make_client

EXAMPLES = 6
CLIENT_PATHS = ("/api/v1/detections/", "/api/v1/keyword-rules/")


@pytest.fixture
def wsgi_requests(db: None) -> Iterator[None]:
    # Called as a plain WSGI app, Django closes the test's database connection at the end of
    # each request; Django's own test client switches that off the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _path_parameters(path: str, *, incident: int, rule: int, report: int) -> dict[str, int]:
    if "{incident_pk}" in path:
        return {"incident_pk": incident, **({"id": rule} if "{id}" in path else {})}
    if "{id}" in path:
        return {"id": report if path.startswith("/api/v1/reports/") else incident}
    return {}


def _examples(strategy: Any, auth: str) -> Any:
    """A Hypothesis test calling the app with each generated case and checking for a 5xx."""

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": auth}, checks=[not_a_server_error])

    return run


@pytest.mark.slow
def test_no_operation_answers_a_server_error(wsgi_requests: None, admin_user: User) -> None:
    incident = make_incident(actor=admin_user, title="某区学校食堂食材过期")
    rule = add_rule(incident, [["食堂"], ["过期"]])
    report = report_create_draft(incident=incident, kind="first", actor=Actor.of(admin_user))
    _client, key = make_client(rate="100000/min")
    token, _ = Token.objects.get_or_create(user=admin_user)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        auth = f"Api-Key {key}" if operation.path in CLIENT_PATHS else f"Token {token.key}"
        ids = _path_parameters(operation.path, incident=incident.pk, rule=rule.pk, report=report.pk)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = _examples(operation.as_strategy(mode, path_parameters=ids or None), auth)
            try:
                run()
            except Unsatisfiable:
                # Nothing invalid to send once the ids are fixed (a GET with no other parameter).
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # noqa: BLE001 - every operation is tried, then all are reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
            tested += 1
    assert tested >= 20, "the schema lost its operations"
    assert not failures, "\n\n".join(failures)
