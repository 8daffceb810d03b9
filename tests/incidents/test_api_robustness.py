"""Bad input to the incidents API and forms: a 400 (or a form error) naming the field, never a
500, never a half-written record. Found by fuzzing the running server (schemathesis and
hand-made bodies); each test failed before its fix."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Incident
from tests.factories import make_incident
from tests.incidents.test_api import LIST, detail, valid_payload
from tests.incidents.test_views import client_for, valid_post

pytestmark = pytest.mark.django_db


def post_raw(api, url: str, body: str, method: str = "post"):
    """Send a body exactly as written (json.dumps escapes a lone surrogate as \\ud800)."""
    return getattr(api, method)(url, data=body.encode(), content_type="application/json")


@pytest.mark.parametrize("body", ["null", "5", "[]", '"grade"'])
def test_patch_with_a_body_that_is_not_an_object_is_400(duty_api, duty_officer, body):
    # Was a TypeError ("grade" in None) before the serializer saw the body.
    incident = make_incident(actor=duty_officer)
    response = post_raw(duty_api, detail(incident), body, method="patch")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_patch_naming_the_grade_still_points_to_regrade(duty_api, duty_officer):
    incident = make_incident(actor=duty_officer, grade="general")
    response = duty_api.patch(detail(incident), {"grade": "major", "facts": "核实中"}, format="json")
    assert response.status_code == 400 and "regrade" in response.json()["grade"][0]
    incident.refresh_from_db()
    assert incident.grade == "general" and incident.facts != "核实中"


@pytest.mark.parametrize("field", ["grade", "source", "warning_level", "title"])
@pytest.mark.parametrize("text", ["\ud800", "a\x00b"])
def test_unstorable_text_in_any_field_is_400_naming_it(duty_api, field, text):
    # A lone surrogate in a choice field was echoed in the error message, and the response could
    # not be encoded: a 500 (and the debug page failed too).
    before = Incident.objects.count()
    response = post_raw(duty_api, LIST, json.dumps(valid_payload(**{field: text})))
    assert response.status_code == 400
    assert field in response.json()
    assert Incident.objects.count() == before


def test_unstorable_text_in_a_key_is_400(duty_api):
    body = json.dumps({**valid_payload(), "x\ud800": 1})
    response = post_raw(duty_api, LIST, body)
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_runaway_nesting_is_400(duty_api):
    # json.loads raises RecursionError, which DRF's parser let through.
    response = post_raw(duty_api, LIST, "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "field,value",
    [
        ("occurred_at", "0001-01-01T00:00:00+08:00"),  # year 0 in UTC: the row could not be read back
        ("first_published_at", "0001-01-01T05:00:00+08:00"),
        ("first_published_at", "1899-12-31T23:59:59Z"),
    ],
)
def test_times_outside_1900_to_2999_are_400_and_write_nothing(duty_api, field, value):
    before = Incident.objects.count()
    response = duty_api.post(LIST, valid_payload(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json() and "1900" in response.json()[field][0]
    assert Incident.objects.count() == before
    assert duty_api.get(LIST).status_code == 200


def test_an_offset_postgresql_cannot_hold_is_read_as_the_same_instant(duty_api):
    # Python parses offsets up to ±23:59, PostgreSQL refuses beyond ±15:59: a DataError (500).
    occurred = "2026-03-04T09:40:27-21:16"
    response = duty_api.post(
        LIST,
        valid_payload(occurred_at=occurred, discovered_at="2026-03-05T07:00:00Z", first_published_at=None),
        format="json",
    )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.occurred_at == datetime.fromisoformat(occurred)


def test_patch_to_year_one_is_400_and_the_incident_stays_readable(duty_api, duty_officer):
    incident = make_incident(actor=duty_officer)
    response = duty_api.patch(detail(incident), {"occurred_at": "0001-01-01T00:00:00+08:00"}, format="json")
    assert response.status_code == 400 and "occurred_at" in response.json()
    assert duty_api.get(detail(incident)).status_code == 200
    assert duty_api.get(LIST).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "unit=abc",
        "unit=99999999999999999999",
        "occurred_after=notadate",
        "occurred_after=0001-01-01",
        "occurred_before=9999-12-31",
        "page=0",
        "page=99999",
        "overdue=maybe",
        "q=%00",
        "grade=%00",
    ],
)
def test_list_filters_of_the_wrong_type_are_4xx(duty_api, duty_officer, query):
    make_incident(actor=duty_officer)
    response = duty_api.get(f"{LIST}?{query}")
    assert response.status_code in (200, 400, 404), response.content[:200]


@pytest.mark.parametrize("pk", ["abc", "0", "99999999999999999999"])
def test_ids_that_do_not_exist_or_are_not_numbers_are_404(duty_api, pk):
    assert duty_api.get(f"{LIST}{pk}/").status_code == 404
    assert (
        duty_api.post(f"{LIST}{pk}/regrade/", {"grade": "major", "reason": "x"}, format="json").status_code
        == 404
    )


# --- browser forms ----------------------------------------------------------------------------


def test_form_refuses_year_one_beside_the_field(duty_officer):
    # datetime-local "0001-01-01T00:00" in Beijing time was saved as year 0 in UTC: every page
    # listing the incident then failed.
    client: Client = client_for(duty_officer)
    before = Incident.objects.count()
    response = client.post(reverse("incidents:create"), valid_post(occurred_at="0001-01-01T00:00"))
    assert response.status_code == 200
    assert "occurred_at" in response.context["form"].errors
    assert Incident.objects.count() == before
    incident = make_incident(actor=duty_officer)
    response = client.post(
        reverse("incidents:edit", args=[incident.pk]), valid_post(first_published_at="0001-01-01T00:00")
    )
    assert response.status_code == 200
    assert "first_published_at" in response.context["form"].errors
    assert client.get(reverse("incidents:list")).status_code == 200
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 200


@pytest.mark.parametrize(
    "field,value",
    [("title", "a\x00b"), ("summary", "a\x00b"), ("occurred_at", "notadate"), ("first_url", "http://[::1")],
)
def test_form_refuses_nul_and_bad_values_with_a_form_error(duty_officer, field, value):
    client = client_for(duty_officer)
    response = client.post(reverse("incidents:create"), valid_post(**{field: value}))
    assert response.status_code == 200 and field in response.context["form"].errors


def test_regrade_form_with_nul_reason_is_a_form_error(duty_officer):
    incident = make_incident(actor=duty_officer, grade="general")
    response = client_for(duty_officer).post(
        reverse("incidents:regrade", args=[incident.pk]), {"grade": "major", "reason": "a\x00b"}
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.grade == "general"
