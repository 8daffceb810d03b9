from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from incidents.choices import Role
from incidents.models import TimelineEvent
from monitoring.models import KeywordRule
from monitoring.services import detections_ingest
from tests.factories import make_incident, make_user
from tests.monitoring.helpers import add_rule, item, make_client

pytestmark = pytest.mark.django_db


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def setup(unit):  # type: ignore[no-untyped-def]
    duty = make_user(Role.DUTY_OFFICER, unit=unit, username="duty1")
    now = datetime.now(tz=UTC)
    incident = make_incident(
        actor=duty, discovered_at=now - timedelta(minutes=5), occurred_at=now - timedelta(hours=3)
    )
    add_rule(incident, [["食堂"], ["过期"]], exclude=["演练"])
    client = make_client()[0]
    detections_ingest(
        client=client,
        items=[
            item(
                "e1",
                published_at=now - timedelta(hours=2),
                outlet="某区网友",
                url="https://weibo.example.cn/e1",
            ),
            item("e2", published_at=now - timedelta(minutes=30), outlet="某日报", sentiment="neutral"),
        ],
        now=now,
    )
    return duty, incident, now


def test_incident_page_shows_panel_with_chart_rules_and_detections(setup) -> None:  # type: ignore[no-untyped-def]
    duty, incident, _now = setup
    page = browser(duty).get(reverse("incidents:detail", args=[incident.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="monitoring"' in html
    assert "<svg" in html and "<rect" in html
    assert "食堂" in html and "演练" in html
    assert "某区网友" in html and "某日报" in html
    assert reverse("monitoring:first_publication_accept", args=[incident.pk]) in html


def test_accept_earliest_updates_incident_through_the_timeline(setup) -> None:  # type: ignore[no-untyped-def]
    duty, incident, now = setup
    from monitoring.selectors import incident_earliest_detection

    earliest = incident_earliest_detection(incident)
    assert earliest is not None and earliest.external_id == "e1"
    response = browser(duty).post(
        reverse("monitoring:first_publication_accept", args=[incident.pk]), {"detection": earliest.pk}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.first_published_at == earliest.published_at
    assert incident.first_outlet == "某区网友"
    assert incident.first_url == "https://weibo.example.cn/e1"
    event = TimelineEvent.objects.filter(incident=incident, kind="incident_updated").last()
    assert event is not None and "first_published_at" in event.data["fields"]
    assert event.actor_user == duty


def test_accept_needs_edit_permission_and_visibility(setup, other_unit) -> None:  # type: ignore[no-untyped-def]
    _duty, incident, _now = setup
    from monitoring.selectors import incident_earliest_detection

    earliest = incident_earliest_detection(incident)
    url = reverse("monitoring:first_publication_accept", args=[incident.pk])
    monitor = make_user(Role.MONITOR, unit=incident.unit, username="mon1")
    assert browser(monitor).post(url, {"detection": earliest.pk}).status_code == 403
    stranger = make_user(Role.DUTY_OFFICER, unit=other_unit, username="far")
    assert browser(stranger).post(url, {"detection": earliest.pk}).status_code == 404
    incident.refresh_from_db()
    assert incident.first_published_at is None


def test_rule_add_and_toggle_in_the_browser(setup) -> None:  # type: ignore[no-untyped-def]
    duty, incident, _now = setup
    c = browser(duty)
    url = reverse("monitoring:rule_add", args=[incident.pk])
    response = c.post(url, {"groups": "学校、校园\n变质 过期", "exclude": "演练，测试", "scope": "title"})
    assert response.status_code == 302
    rule = KeywordRule.objects.filter(incident=incident).latest("id")
    assert rule.groups == [["学校", "校园"], ["变质", "过期"]]
    assert rule.exclude == ["演练", "测试"] and rule.scope == "title"
    bad = c.post(url, {"groups": "甲", "exclude": "甲", "scope": "both"})
    assert bad.status_code == 400 and "甲" in bad.content.decode()
    c.post(reverse("monitoring:rule_toggle", args=[incident.pk, rule.pk]))
    rule.refresh_from_db()
    assert rule.is_active is False
    leader = make_user(Role.LEADERSHIP, unit=incident.unit, username="lead1")
    assert browser(leader).post(url, {"groups": "甲", "scope": "both"}).status_code == 403


def test_detection_lists_filter(setup) -> None:  # type: ignore[no-untyped-def]
    duty, incident, _now = setup
    c = browser(duty)
    url = reverse("monitoring:incident_detections", args=[incident.pk])
    page = c.get(url, {"sentiment": "neutral"}).content.decode()
    assert "某日报" in page and "某区网友" not in page
    partial = c.get(url, {"q": "某区网友"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="detection-rows">') or 'id="detection-rows"' in partial
    assert "某区网友" in partial and "某日报" not in partial
    everything = c.get(reverse("monitoring:detections")).content.decode()
    assert "某区网友" in everything


def test_other_unit_does_not_see_detections(setup, other_unit) -> None:  # type: ignore[no-untyped-def]
    _duty, incident, _now = setup
    stranger = make_user(Role.DUTY_OFFICER, unit=other_unit, username="far2")
    c = browser(stranger)
    assert c.get(reverse("monitoring:incident_detections", args=[incident.pk])).status_code == 404
    assert "某区网友" not in c.get(reverse("monitoring:detections")).content.decode()
