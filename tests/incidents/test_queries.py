"""Query counts of the incident pages and API: the list, the API list and the incident page
(with the panels monitoring, reporting and alerts add) cost the same number of queries with
2 rows as with 20."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from alerts.choices import AlertKind, Audience, ChannelKind
from alerts.models import Channel
from alerts.services import alert_raise
from incidents.choices import Grade, Role, Status
from incidents.models import Incident, Unit, User
from incidents.services import incident_transition
from incidents.timeline import Actor
from monitoring.services import client_create, detections_ingest, keyword_rule_create
from reporting.choices import ReportKind
from reporting.services import report_create_draft, report_submit, report_update
from tests.factories import make_incident, make_user
from tests.queries import assert_no_growth, measure

pytestmark = pytest.mark.django_db

BJ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 5, 14, 30, tzinfo=BJ)
GRADES = list(Grade)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def log_incidents(n: int, *, unit: Unit, start: int = 0) -> list[Incident]:
    """Incidents of every grade, owned by different officers, some past their first-report
    deadline, some moved on in their lifecycle: what a busy week's list looks like."""
    made = []
    for i in range(start, start + n):
        officer = make_user(Role.DUTY_OFFICER, unit=unit, first_name=f"值班员{i}")
        incident = make_incident(
            actor=officer,
            unit=unit,
            owner=officer,
            title=f"网传某区第{i}号舆情",
            grade=GRADES[i % len(GRADES)],
            occurred_at=NOW - timedelta(hours=1 + i % 6),
            discovered_at=NOW - timedelta(minutes=30),
        )
        if i % 3 == 2:
            incident_transition(
                incident=incident, actor=Actor.of(officer), status=Status.RESPONDING, reason="已回应"
            )
        made.append(incident)
    return made


@pytest.mark.parametrize(
    ("role", "query"),
    [
        (Role.DUTY_OFFICER, ""),
        (Role.DUTY_OFFICER, "?overdue=true&grade=major&grade=general&status=new&q=舆情"),
        (Role.DUTY_OFFICER, "?overdue=false&source=monitoring&occurred_after=2026-03-01&page=1"),
        (Role.LEADERSHIP, ""),
    ],
)
def test_incident_list_page(role: Role, query: str, unit: Unit, other_unit: Unit) -> None:
    user = make_user(role, unit=unit)
    log_incidents(2, unit=unit)
    log_incidents(1, unit=other_unit, start=100)
    client = browser(user)
    rows: list[int] = []

    def fetch() -> Any:
        response = client.get(reverse("incidents:list") + query)
        assert response.status_code == 200
        return response

    assert_no_growth(
        fetch,
        lambda: log_incidents(18, unit=unit, start=2),
        max_queries=12,
        label=f"incident list {role} {query}",
        check=lambda response: rows.append(response.content.decode().count('class="ref"')),
    )
    assert 0 < rows[0] < rows[-1]  # the rows really are on the page


def test_incident_list_htmx_partial(duty_officer: User) -> None:
    log_incidents(2, unit=duty_officer.effective_unit)
    client = browser(duty_officer)
    assert_no_growth(
        lambda: client.get(reverse("incidents:list"), headers={"HX-Request": "true"}),
        lambda: log_incidents(18, unit=duty_officer.effective_unit, start=2),
        max_queries=10,
        label="incident list (htmx)",
    )


def test_incident_api_list(duty_officer: User, leader: User) -> None:
    log_incidents(2, unit=duty_officer.effective_unit)
    for n, user in enumerate((duty_officer, leader)):
        api = APIClient()
        api.force_login(user)

        def fetch(api: APIClient = api) -> Any:
            response = api.get("/api/v1/incidents/", {"overdue": "false"})
            assert response.status_code == 200
            return response

        def check(response: Any) -> None:
            assert all(row["owner"] and row["deadlines"] for row in response.json()["results"])

        assert_no_growth(
            fetch,
            lambda n=n: log_incidents(18, unit=duty_officer.effective_unit, start=100 * (n + 1)),
            max_queries=8,
            label=f"incident API list {user.username}",
            check=check,
        )


# --- The incident page, with every app's panel -----------------------------------------


def _signer(unit: Unit) -> User:
    return make_user(Role.LEADERSHIP, unit=unit, first_name="李", last_name="签发")


def _complete(report: Any, actor: User, signer: User) -> Any:
    return report_update(
        report=report,
        actor=Actor.of(actor),
        summary="微博网友发帖称某区一所学校食堂使用过期食材。",
        first_published_at=NOW - timedelta(minutes=50),
        first_outlet="新浪微博@某区生活圈",
        first_url="https://weibo.com/1234567890/AbCdEf",
        spread="截至目前相关信息共126条。",
        facts="经区市场监管局现场核查，涉事食材为临期而非过期。",
        background="该校去年曾因食堂问题被家长投诉。",
        attachments="1. 网帖截图",
        trend_assessment="预计热度将在24小时内回落。",
        measures="发布情况通报。",
        suggestions="建议持续关注。",
        signer=signer,
        report_to="市委网信办",
        copies=5,
    )


class IncidentStory:
    """One 重大 incident that grows: detections matched by its rule, reports upward (首报 then
    续报), alerts with their notifications, and the timeline entries all of these write."""

    def __init__(self, officer: User) -> None:
        self.officer = officer
        self.signer = _signer(officer.effective_unit)
        self.incident = make_incident(
            actor=officer,
            unit=officer.effective_unit,
            owner=officer,
            grade=Grade.MAJOR,
            occurred_at=NOW - timedelta(hours=1),
            discovered_at=NOW - timedelta(minutes=40),
        )
        keyword_rule_create(
            incident=self.incident, actor=Actor.of(officer), groups=[["食堂"], ["过期", "变质"]]
        )
        self.client = client_create(name="某舆情监测系统")[0]
        Channel.objects.create(
            unit=officer.effective_unit,
            name="值班群",
            kind=ChannelKind.WECOM,
            url="https://qyapi.example.cn/cgi-bin/webhook/send?key=k",
        )
        self.detections = 0
        self.reports = 0
        self.alerts = 0

    def grow(self, n: int) -> None:
        actor = Actor.of(self.officer)
        items = []
        for i in range(self.detections, self.detections + n):
            items.append(
                {
                    "external_id": f"d{i}",
                    "url": f"https://weibo.example.cn/d{i}",
                    "platform": ["微博", "抖音", "微信"][i % 3],
                    "outlet": f"网友{i % 7}",
                    "title": "某区学校食堂被曝使用过期食材",
                    "text": "有网友发帖称，某区一所学校食堂使用过期食材，家长要求彻查。",
                    "published_at": (NOW - timedelta(minutes=50 - i)).isoformat(),
                    "sentiment": ["negative", "neutral", "positive"][i % 3],
                    "metrics": {"reads": 100 + i, "reposts": 5, "comments": 3, "likes": 8},
                }
            )
        detections_ingest(client=self.client, items=items, now=NOW)
        self.detections += n
        for _ in range(n):
            kind = ReportKind.FIRST if self.reports == 0 else ReportKind.FOLLOW_UP
            report = report_create_draft(incident=self.incident, kind=kind, actor=actor)
            report_submit(report=_complete(report, self.officer, self.signer), actor=actor)
            self.reports += 1
        for i in range(self.alerts, self.alerts + n):
            alert_raise(
                incident=self.incident,
                kind=AlertKind.WORSENING,
                audience=[Audience.OWNER, Audience.UNIT_HEAD, Audience.LEADERSHIP][i % 3],
                key=f"worsening:{self.incident.pk}:{i}",
                message=f"态势恶化：第{i}小时负面信息激增",
                now=NOW,
            )
        self.alerts += n


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.LEADERSHIP, Role.MONITOR])
def test_incident_detail_page_with_every_panel(duty_officer: User, role: Role) -> None:
    story = IncidentStory(duty_officer)
    story.grow(2)
    client = browser(make_user(role, unit=duty_officer.effective_unit))
    url = reverse("incidents:detail", args=[story.incident.pk])

    def fetch() -> Any:
        response = client.get(url)
        assert response.status_code == 200
        return response

    def check(response: Any) -> None:
        html = response.content.decode()
        assert 'id="monitoring"' in html and 'id="reports"' in html and 'id="incident-alerts"' in html
        assert f"态势恶化：第{story.alerts - 1}小时" in html  # the newest alert is on the page
        assert html.count(f"{ChannelKind.WECOM.label}: ") == story.alerts  # with its robot delivery

    assert_no_growth(
        fetch, lambda: story.grow(18), max_queries=24, label=f"incident page {role}", check=check
    )


def test_incident_deadlines_partial(duty_officer: User) -> None:
    story = IncidentStory(duty_officer)
    story.grow(2)
    client = browser(duty_officer)
    assert_no_growth(
        lambda: client.get(reverse("incidents:deadlines", args=[story.incident.pk])),
        lambda: story.grow(10),
        max_queries=7,
        label="deadlines partial",
    )


def test_incident_page_for_someone_without_a_unit(duty_officer: User) -> None:
    """Someone with no unit belongs to 本单位: looked up once, not at every permission check."""
    story = IncidentStory(duty_officer)
    story.grow(2)
    user = make_user(Role.DUTY_OFFICER)
    User.objects.filter(pk=user.pk).update(unit=None)
    client = browser(user)
    url = reverse("incidents:detail", args=[story.incident.pk])
    assert_no_growth(
        lambda: client.get(url), lambda: story.grow(5), max_queries=24, label="incident page, no unit"
    )
    measured, response = measure(lambda: client.get(url))
    assert response.status_code == 200 and 'id="reports"' in response.content.decode()
    unit_sql = [sql for sql in measured.sql if 'FROM "incidents_unit"' in sql]
    assert len(unit_sql) == 1, unit_sql
