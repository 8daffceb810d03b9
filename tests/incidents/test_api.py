"""The incidents API as a contract: shape, validation of every field, permissions, units."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.choices import Role
from incidents.models import Incident
from tests.factories import make_incident, make_user

pytestmark = pytest.mark.django_db
LIST = reverse("incident-list")


def detail(incident: Incident, action: str = "") -> str:
    return reverse(f"incident-{action or 'detail'}", args=[incident.pk])


def valid_payload(**overrides):
    now = timezone.now()
    payload = {
        "title": "网传某医院拒收急诊病人",
        "summary": "网友发帖称某医院以床位已满为由拒收急诊病人，帖文阅读量快速上升。",
        "grade": "major",
        "source": "monitoring",
        "occurred_at": (now - timedelta(hours=1)).isoformat(),
        "discovered_at": (now - timedelta(minutes=20)).isoformat(),
        "first_published_at": (now - timedelta(minutes=50)).isoformat(),
        "first_outlet": "新浪微博",
        "first_url": "https://weibo.com/1234/abcd",
        "spread": "转发300余次",
        "facts": "正在核实",
        "background": "",
    }
    payload.update(overrides)
    return payload


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_returns_contract_fields(duty_api):
    response = duty_api.post(LIST, valid_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith(f"YQ-{timezone.localtime().year}-")
    assert body["status"] == "new"
    assert body["unit"] == "本单位"
    assert body["owner"] == "duty"
    occurred = timezone.datetime.fromisoformat(valid_payload()["occurred_at"])
    assert abs(
        timezone.datetime.fromisoformat(body["report_due_at"]) - (occurred + timedelta(hours=2))
    ) < timedelta(seconds=2)
    assert [d["kind"] for d in body["deadlines"]] == ["first_report"]
    assert body["deadlines"][0]["met_at"] is None
    for field in (
        "title",
        "summary",
        "grade",
        "source",
        "first_outlet",
        "first_url",
        "spread",
        "facts",
        "background",
    ):
        assert body[field] == valid_payload()[field]


def test_times_come_back_with_offset_and_equal_instants(duty_api):
    payload = valid_payload(occurred_at="2026-03-05T14:20:00+08:00", discovered_at="2026-03-05T06:30:00Z")
    payload.pop("first_published_at")
    body = duty_api.post(LIST, payload, format="json").json()
    assert timezone.datetime.fromisoformat(body["occurred_at"]) == timezone.datetime.fromisoformat(
        "2026-03-05T06:20:00+00:00"
    )
    assert body["occurred_at"].endswith("+08:00")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("title", "", "blank"),
        ("title", "长" * 201, "200"),
        ("summary", "", "blank"),
        ("grade", "huge", "valid choice"),
        ("source", "rumour", "valid choice"),
        ("occurred_at", "2026-03-05 14:20", "offset"),
        ("occurred_at", "yesterday", "ISO 8601"),
        ("discovered_at", "2026-03-05T14:20:00", "offset"),
        ("first_published_at", "2026-03-05T14:20", "offset"),
        ("first_published_at", 12, "ISO 8601"),
        ("first_outlet", "媒" * 201, "200"),
        ("first_url", "not a url", "valid URL"),
        ("warning_level", "purple", "valid choice"),
        ("response_level", "V", "valid choice"),
        ("spread", ["a"], "valid string"),
    ],
)
def test_every_field_is_validated(duty_api, field, value, fragment):
    response = duty_api.post(LIST, valid_payload(**{field: value}), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert fragment.lower() in " ".join(errors[field]).lower()
    assert not Incident.objects.exists()


@pytest.mark.parametrize("field", ["title", "summary", "grade", "source", "occurred_at", "discovered_at"])
def test_required_fields(duty_api, field):
    payload = valid_payload()
    payload.pop(field)
    response = duty_api.post(LIST, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_time_order_and_future_are_refused(duty_api):
    now = timezone.now()
    response = duty_api.post(
        LIST,
        valid_payload(occurred_at=now.isoformat(), discovered_at=(now - timedelta(hours=1)).isoformat()),
        format="json",
    )
    assert response.status_code == 400
    assert "discovered_at" in response.json()
    future = (now + timedelta(days=1)).isoformat()
    response = duty_api.post(LIST, valid_payload(occurred_at=future, discovered_at=future), format="json")
    assert response.status_code == 400
    assert "occurred_at" in response.json()
    assert not Incident.objects.exists()


def test_malformed_body_is_400_not_500(duty_api):
    response = duty_api.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_patch_edits_content_but_not_grade(duty_api, duty_officer):
    incident = make_incident(actor=duty_officer)
    response = duty_api.patch(detail(incident), {"facts": "经核实，系谣言。"}, format="json")
    assert response.status_code == 200
    assert response.json()["facts"] == "经核实，系谣言。"
    assert incident.timeline.filter(kind="incident_updated").exists()
    response = duty_api.patch(detail(incident), {"grade": "major"}, format="json")
    assert response.status_code == 400
    assert "grade" in response.json()
    response = duty_api.patch(detail(incident), {"first_url": "nope"}, format="json")
    assert response.status_code == 400 and "first_url" in response.json()
    response = duty_api.patch(
        detail(incident),
        {"discovered_at": (incident.occurred_at - timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400 and "discovered_at" in response.json()


def test_put_and_delete_are_not_offered(duty_api, duty_officer):
    incident = make_incident(actor=duty_officer)
    assert duty_api.put(detail(incident), valid_payload(), format="json").status_code == 405
    assert duty_api.delete(detail(incident)).status_code == 405


def test_regrade_endpoint(duty_api, duty_officer):
    incident = make_incident(actor=duty_officer, grade="general")
    response = duty_api.post(detail(incident, "regrade"), {"grade": "major"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = duty_api.post(
        detail(incident, "regrade"), {"grade": "major", "reason": "多家媒体转载"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["grade"] == "major"
    assert timezone.datetime.fromisoformat(body["report_due_at"]) == incident.occurred_at + timedelta(hours=2)
    response = duty_api.post(
        detail(incident, "regrade"), {"grade": "major", "reason": "again"}, format="json"
    )
    assert response.status_code == 400 and "grade" in response.json()


def test_transition_endpoint(duty_api, duty_officer):
    incident = make_incident(actor=duty_officer)
    response = duty_api.post(
        detail(incident, "transition"), {"status": "subsided", "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()
    response = duty_api.post(
        detail(incident, "transition"), {"status": "responding", "reason": "启动处置"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "responding"


def test_report_due_at_is_null_once_met(duty_api, duty_officer):
    from incidents.services import deadline_meet
    from incidents.timeline import Actor

    incident = make_incident(actor=duty_officer)
    deadline_meet(deadline=incident.deadlines.get(kind="first_report"), actor=Actor.of(duty_officer))
    body = duty_api.get(detail(incident)).json()
    assert body["report_due_at"] is None
    assert body["deadlines"][0]["met_at"] is not None


# --- permissions by role and unit ------------------------------------------------------------


def test_anonymous_is_refused(api):
    assert api.get(LIST).status_code in (401, 403)


def test_token_authentication(duty_officer, duty_api):
    make_incident(actor=duty_officer)
    token = Token.objects.create(user=duty_officer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(LIST).json()["count"] == 1
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get(LIST).status_code == 401


def test_other_units_incident_is_404(duty_officer, other_unit):
    theirs = make_incident(unit=other_unit, actor=make_user(Role.DUTY_OFFICER, unit=other_unit))
    client = as_user(duty_officer)
    assert client.get(detail(theirs)).status_code == 404
    assert client.patch(detail(theirs), {"facts": "x"}, format="json").status_code == 404
    assert (
        client.post(detail(theirs, "regrade"), {"grade": "major", "reason": "x"}, format="json").status_code
        == 404
    )
    assert client.get(LIST).json()["count"] == 0


def test_leadership_and_admin_see_every_unit(leader, admin_user, other_unit, duty_officer):
    make_incident(actor=duty_officer)
    make_incident(unit=other_unit, actor=make_user(Role.DUTY_OFFICER, unit=other_unit))
    assert as_user(leader).get(LIST).json()["count"] == 2
    assert as_user(admin_user).get(LIST).json()["count"] == 2


@pytest.mark.parametrize(
    ("role", "create", "edit", "regrade", "transition"),
    [
        (Role.DUTY_OFFICER, 201, 200, 200, 200),
        (Role.MONITOR, 403, 403, 403, 403),
        (Role.LEADERSHIP, 403, 403, 200, 200),
        (Role.ADMINISTRATOR, 201, 200, 200, 200),
    ],
)
def test_role_permissions(unit, role, create, edit, regrade, transition):
    user = make_user(role, unit=unit)
    incident = make_incident(grade="general")
    client = as_user(user)
    assert client.post(LIST, valid_payload(), format="json").status_code == create
    assert client.patch(detail(incident), {"facts": "核实中"}, format="json").status_code == edit
    assert (
        client.post(
            detail(incident, "regrade"), {"grade": "major", "reason": "升级"}, format="json"
        ).status_code
        == regrade
    )
    assert (
        client.post(
            detail(incident, "transition"), {"status": "responding", "reason": "处置"}, format="json"
        ).status_code
        == transition
    )
    assert client.get(detail(incident)).status_code == 200


def test_user_without_unit_works_in_default_unit(unit):
    user = make_user(Role.DUTY_OFFICER)
    user.unit = None
    user.save()
    response = as_user(user).post(LIST, valid_payload(), format="json")
    assert response.status_code == 201
    assert response.json()["unit"] == "本单位"


# --- filters -----------------------------------------------------------------------------------


def test_list_filters(duty_api, duty_officer):
    now = timezone.now()
    late = make_incident(
        actor=duty_officer,
        grade="general",
        title="施工噪音扰民",
        occurred_at=now - timedelta(hours=6),
        discovered_at=now - timedelta(hours=5),
    )
    fresh = make_incident(actor=duty_officer, grade="major", title="自来水发黄")

    def refs(**params):
        return {r["reference"] for r in duty_api.get(LIST, params).json()["results"]}

    assert refs(grade="major") == {fresh.reference}
    assert refs(overdue="true") == {late.reference}
    assert refs(overdue="false") == {fresh.reference}
    assert refs(q="噪音") == {late.reference}
    assert refs(q=fresh.reference) == {fresh.reference}
    assert refs(status="new") == {late.reference, fresh.reference}
    assert duty_api.get(LIST, {"grade": "nope"}).status_code == 400


# --- schema and docs ---------------------------------------------------------------------------


def test_openapi_schema_and_docs_are_served_locally(duty_api):
    schema = duty_api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/incidents/" in schema.content
    docs = duty_api.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_errors_speak_chinese_by_default(duty_api):
    response = duty_api.post(LIST, valid_payload(occurred_at="2026-03-05 14:20"), format="json")
    assert response.status_code == 400
    assert "时区" in " ".join(response.json()["occurred_at"])
