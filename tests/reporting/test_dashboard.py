from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.choices import Grade, Role
from incidents.timeline import Actor
from monitoring.services import client_create, detections_ingest, keyword_rule_create
from reporting.dashboard import dashboard
from reporting.services import report_submit
from tests.factories import make_user
from tests.reporting.conftest import complete_draft, first_draft, incident_for

pytestmark = pytest.mark.django_db


def test_dashboard_figures(clock, duty_officer, signer, leader, other_unit):
    now = timezone.now()
    # 重大, occurred 3 h ago: its first report was due an hour ago.
    overdue = incident_for(
        duty_officer,
        grade=Grade.MAJOR,
        occurred_at=now - timedelta(hours=3),
        discovered_at=now - timedelta(hours=3),
    )
    # 重大, occurred 1.5 h ago: due in 30 minutes.
    soon = incident_for(
        duty_officer,
        grade=Grade.MAJOR,
        occurred_at=now - timedelta(minutes=90),
        discovered_at=now - timedelta(minutes=90),
    )
    # 一般, reported 13 minutes late.
    late = incident_for(
        duty_officer,
        grade=Grade.GENERAL,
        occurred_at=now - timedelta(hours=5),
        discovered_at=now - timedelta(hours=5),
    )
    report = report_submit(
        report=complete_draft(first_draft(duty_officer, late), duty_officer, signer),
        actor=Actor.of(duty_officer),
    )
    assert report.on_time is False
    # Another unit's overdue incident: the duty officer does not see it; the leadership does.
    officer = make_user(Role.DUTY_OFFICER, unit=other_unit)
    foreign = incident_for(
        officer,
        grade=Grade.MAJOR,
        occurred_at=now - timedelta(hours=4),
        discovered_at=now - timedelta(hours=4),
    )

    keyword_rule_create(incident=soon, actor=Actor.system(), groups=[["食堂"]])
    client, _key = client_create(name="看板测试")
    items = [
        {
            "external_id": f"d{i}",
            "url": f"https://example.cn/{i}",
            "platform": "微博",
            "outlet": "网友",
            "title": "学校食堂",
            "text": "食堂问题",
            "sentiment": "negative" if i < 2 else "neutral",
            "published_at": (now - timedelta(minutes=5 + 30 * (i % 2))).isoformat(),
        }
        for i in range(5)
    ]
    detections_ingest(client=client, items=items)

    data = dashboard(duty_officer, now=now)
    assert [d.incident for d in data["overdue"]] == [overdue]
    assert [d.incident for d in data["due_soon"]] == [soon]
    assert [r.pk for r in data["late_reports"]] == [report.pk]
    assert data["matrix"]["total"] == 3
    major = next(r for r in data["matrix"]["rows"] if r["grade"] == Grade.MAJOR)
    assert major["total"] == 2
    spread = {s.incident.pk: s for s in data["spread"]}
    assert spread[soon.pk].total == 5 and spread[soon.pk].negative == 2
    assert spread[overdue.pk].total == 0

    assert {d.incident for d in dashboard(leader, now=now)["overdue"]} == {overdue, foreign}

    browser = Client()
    browser.force_login(duty_officer)
    page = browser.get(reverse("reporting:dashboard")).content.decode()
    assert overdue.reference in page and soon.reference in page and foreign.reference not in page
    assert 'hx-trigger="every 30s"' in page
    assert f'href="{reverse("reporting:dashboard")}"' in page  # the nav link appears
