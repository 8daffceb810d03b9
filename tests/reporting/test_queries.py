"""Query counts of the reports list, the reports API and the leadership dashboard: the same
with 2 reports (or incidents) as with 20."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.choices import Grade, Role
from incidents.models import Unit, User
from incidents.timeline import Actor
from monitoring.services import client_create, detections_ingest, keyword_rule_create
from reporting.choices import ReportKind
from reporting.models import Report
from reporting.services import report_create_draft, report_submit, report_update
from tests.factories import make_user
from tests.queries import assert_no_growth
from tests.reporting.conftest import FOLLOW_UP_MAJOR, complete_draft, first_draft, incident_for

pytestmark = pytest.mark.django_db

GRADES = list(Grade)


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


class Desk:
    """A unit's reporting desk: incidents of every grade, each with a submitted 首报 (some
    late), a 续报 draft or a submitted 续报, every fourth 首报 corrected (the original then
    superseded), signed by different leaders; plus the monitoring figures the dashboard's
    spread column reads."""

    def __init__(self, officer: User) -> None:
        self.officer = officer
        self.made = 0
        self.monitoring = client_create(name="某舆情监测系统")[0]

    def grow(self, n: int) -> None:
        actor = Actor.of(self.officer)
        now = timezone.now()
        for i in range(self.made, self.made + n):
            signer = make_user(Role.LEADERSHIP, unit=self.officer.effective_unit, first_name=f"领导{i}")
            incident = incident_for(
                self.officer,
                grade=GRADES[i % len(GRADES)],
                title=f"第{i}号食堂舆情",
                occurred_at=now - timedelta(hours=1 + i % 8),
                discovered_at=now - timedelta(minutes=30),
            )
            keyword_rule_create(incident=incident, actor=actor, groups=[[f"第{i}号"], ["食堂"]])
            detections_ingest(
                client=self.monitoring,
                items=[
                    {
                        "external_id": f"i{i}-{k}",
                        "title": f"第{i}号食堂被曝问题",
                        "outlet": f"网友{k}",
                        "published_at": (now - timedelta(minutes=20 + k)).isoformat(),
                        "sentiment": "negative",
                    }
                    for k in range(3)
                ],
                now=now,
            )
            first = report_submit(
                report=complete_draft(first_draft(self.officer, incident), self.officer, signer), actor=actor
            )
            if i % 4 == 0:
                correction = report_create_draft(
                    incident=incident, kind=ReportKind.FIRST, actor=actor, supersedes=first
                )
                report_submit(report=complete_draft(correction, self.officer, signer), actor=actor)
            follow = report_create_draft(incident=incident, kind=ReportKind.FOLLOW_UP, actor=actor)
            if i % 2:
                report_update(report=follow, actor=actor, **FOLLOW_UP_MAJOR)
                report_submit(report=complete_draft(follow, self.officer, signer), actor=actor)
        self.made += n


@pytest.fixture
def desk(clock: Any, duty_officer: User) -> Desk:
    return Desk(duty_officer)


@pytest.mark.parametrize(
    ("role", "query"),
    [
        (Role.DUTY_OFFICER, ""),
        (Role.DUTY_OFFICER, "?status=submitted&kind=first"),
        (Role.LEADERSHIP, "?kind=follow_up"),
    ],
)
def test_report_list_page(desk: Desk, unit: Unit, role: Role, query: str) -> None:
    desk.grow(2)
    client = browser(make_user(role, unit=unit))
    rows: list[int] = []

    def fetch() -> Any:
        response = client.get(reverse("reporting:list") + query)
        assert response.status_code == 200
        return response

    assert_no_growth(
        fetch,
        lambda: desk.grow(18),
        max_queries=10,
        label=f"report list {role} {query}",
        check=lambda response: rows.append(response.content.decode().count("/reports/") - 1),
    )
    assert 0 < rows[0] < rows[-1]


@pytest.mark.parametrize(
    ("role", "query"),
    [
        (Role.DUTY_OFFICER, {}),
        (Role.DUTY_OFFICER, {"status": "submitted", "kind": "first", "year": "2026"}),
        (Role.LEADERSHIP, {"unit": "1"}),
    ],
)
def test_report_api_list(desk: Desk, unit: Unit, role: Role, query: dict[str, str]) -> None:
    desk.grow(2)
    api = APIClient()
    api.force_login(make_user(role, unit=unit))
    query = {k: (str(unit.pk) if k == "unit" else v) for k, v in query.items()}

    def fetch() -> Any:
        response = api.get("/api/v1/reports/", query)
        assert response.status_code == 200
        return response

    def check(response: Any) -> None:
        results = response.json()["results"]
        assert results and any(r["superseded_by"] for r in results if r["kind"] == "first") or query

    assert_no_growth(
        fetch, lambda: desk.grow(18), max_queries=9, label=f"report API {role} {query}", check=check
    )


def test_report_api_list_filtered_by_incident(desk: Desk, duty_api: APIClient) -> None:
    desk.grow(2)
    incident = Report.objects.order_by("id").first().incident  # type: ignore[union-attr]
    fetch = lambda: duty_api.get("/api/v1/reports/", {"incident": incident.pk})  # noqa: E731
    assert_no_growth(fetch, lambda: desk.grow(10), max_queries=9, label="report API by incident")


@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.DUTY_OFFICER])
def test_dashboard(desk: Desk, unit: Unit, role: Role) -> None:
    desk.grow(2)
    client = browser(make_user(role, unit=unit))
    rows: list[int] = []

    def fetch() -> Any:
        response = client.get(reverse("reporting:dashboard"))
        assert response.status_code == 200
        return response

    assert_no_growth(
        fetch,
        lambda: desk.grow(18),
        max_queries=16,
        label=f"dashboard {role}",
        check=lambda response: rows.append(response.content.decode().count("<polyline")),
    )
    assert 0 < rows[0] < rows[-1]


def test_report_detail_page(desk: Desk, duty_officer: User) -> None:
    desk.grow(2)
    report = Report.objects.filter(kind=ReportKind.FIRST, supersedes__isnull=True).order_by("id").first()
    assert report is not None
    client = browser(duty_officer)
    url = reverse("reporting:detail", args=[report.pk])
    assert_no_growth(lambda: client.get(url), lambda: desk.grow(5), max_queries=14, label="report page")
