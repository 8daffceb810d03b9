from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.choices import Role
from monitoring.models import ClientKey, Detection, KeywordRule
from monitoring.services import client_key_revoke
from tests.factories import make_incident, make_user
from tests.monitoring.helpers import add_rule, item, make_client

pytestmark = pytest.mark.django_db
DETECTIONS = "/api/v1/detections/"
FEED = "/api/v1/keyword-rules/"


def keyed(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


def push(api: APIClient, items: list, **extra):  # type: ignore[no-untyped-def]
    return api.post(DETECTIONS, data=json.dumps({"items": items}), content_type="application/json", **extra)


def test_urls_are_where_the_readme_says() -> None:
    assert reverse("monitoring-detections") == DETECTIONS
    assert reverse("monitoring-rules-feed") == FEED


def test_push_answers_one_result_per_item_in_order(unit) -> None:  # type: ignore[no-untyped-def]
    incident = make_incident()
    add_rule(incident, [["食堂"], ["过期"]])
    _client, key = make_client()
    response = push(keyed(key), [item("1"), {"external_id": "2", "sentiment": "bad", "text": "x"}, item("3")])
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["rejected"]) == (2, 0, 1)
    assert [r["external_id"] for r in body["results"]] == ["1", "2", "3"]
    assert body["results"][0] == {
        "external_id": "1",
        "status": "created",
        "incidents": [incident.pk],
        "errors": {},
    }
    assert list(body["results"][1]["errors"]) == ["sentiment"]
    again = push(keyed(key), [item("1")]).json()
    assert again["results"][0]["status"] == "updated"


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Api-Key nonsense", 401), ("Api-Key abc.def", 401), ("Token abc", 401), ("Api-Key ", 401)],
)
def test_bad_key_is_401(db: None, header: str | None, status: int) -> None:
    api = APIClient()
    if header is not None:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = push(api, [item("1")])
    assert response.status_code == status
    assert response["WWW-Authenticate"] == "Api-Key"
    assert api.get(FEED).status_code == status


def test_wrong_secret_with_a_real_prefix_is_401(db: None) -> None:
    _client, key = make_client()
    prefix = key.partition(".")[0]
    assert push(keyed(f"{prefix}.wrongsecret"), [item("1")]).status_code == 401


def test_revoked_key_and_inactive_client_are_403(db: None) -> None:
    client, key = make_client()
    assert push(keyed(key), [item("1")]).status_code == 200
    client_key_revoke(key=ClientKey.objects.get(client=client))
    assert push(keyed(key), [item("1")]).status_code == 403
    assert keyed(key).get(FEED).status_code == 403
    client2, key2 = make_client("第二个")
    client2.is_active = False
    client2.save()
    assert push(keyed(key2), [item("1")]).status_code == 403


def test_key_may_do_nothing_else(unit) -> None:  # type: ignore[no-untyped-def]
    incident = make_incident()
    _client, key = make_client()
    api = keyed(key)
    assert api.get("/api/v1/incidents/").status_code in (401, 403)
    assert api.get(f"/api/v1/incidents/{incident.pk}/").status_code in (401, 403)
    assert api.post(
        f"/api/v1/incidents/{incident.pk}/keyword-rules/", {"groups": [["甲"]]}, format="json"
    ).status_code in (401, 403)
    assert api.get(f"/api/v1/incidents/{incident.pk}/spread/").status_code in (401, 403)


def test_more_than_1000_items_is_413(db: None) -> None:
    _client, key = make_client()
    response = push(keyed(key), [item(str(i)) for i in range(1001)])
    assert response.status_code == 413
    assert not Detection.objects.exists()


def test_body_over_the_limit_is_413(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MONITORING_MAX_BODY_BYTES = 2000
    _client, key = make_client()
    response = push(keyed(key), [item("1", text="长" * 3000)])
    assert response.status_code == 413
    assert push(keyed(key), [item("1")]).status_code == 200


@pytest.mark.parametrize(
    "body", ["{not json", "[]", '{"items": {}}', '{"item": []}', '"items"', "\xff\xfe".encode("latin-1")]
)
def test_malformed_body_is_400(db: None, body: str | bytes) -> None:
    _client, key = make_client()
    response = keyed(key).post(DETECTIONS, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_rate_past_the_clients_limit_is_429_with_retry_after(db: None) -> None:
    _client, key = make_client(rate="3/min")
    other_client, other_key = make_client("另一个")
    api = keyed(key)
    codes = [push(api, [item(str(i))]).status_code for i in range(3)]
    assert codes == [200, 200, 200]
    response = push(api, [item("x")])
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert not Detection.objects.filter(external_id="x").exists()
    # Per client: another client is not held back.
    assert push(keyed(other_key), [item("x")]).status_code == 200


def test_default_rate_comes_from_the_setting(db: None) -> None:
    from rest_framework.settings import api_settings

    assert "monitoring_client" in api_settings.DEFAULT_THROTTLE_RATES


# --- keyword rules -----------------------------------------------------------------------------


def test_user_adds_rule_and_feed_lists_it_with_etag(unit) -> None:  # type: ignore[no-untyped-def]
    monitor = make_user(Role.MONITOR, unit=unit)
    incident = make_incident()
    api = APIClient()
    api.force_authenticate(monitor)
    url = f"/api/v1/incidents/{incident.pk}/keyword-rules/"
    response = api.post(
        url, {"groups": [["学校", "校园"], ["过期"]], "exclude": ["演练"], "scope": "title"}, format="json"
    )
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    assert response.json()["groups"] == [["学校", "校园"], ["过期"]]
    assert api.get(url).json()[0]["id"] == rule_id

    _client, key = make_client()
    client_api = keyed(key)
    feed = client_api.get(FEED)
    assert feed.status_code == 200
    etag = feed["ETag"]
    rules = feed.json()["rules"]
    assert rules == [
        {
            "id": rule_id,
            "incident": {"id": incident.pk, "reference": incident.reference, "title": incident.title},
            "groups": [["学校", "校园"], ["过期"]],
            "exclude": ["演练"],
            "scope": "title",
            "updated_at": rules[0]["updated_at"],
        }
    ]
    assert client_api.get(FEED, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Switching the rule off changes the ETag and empties the feed.
    off = api.patch(f"{url}{rule_id}/", {"is_active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    after = client_api.get(FEED, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    assert after.json()["rules"] == []


def test_rule_on_another_units_incident_is_404(unit, other_unit) -> None:  # type: ignore[no-untyped-def]
    theirs = make_incident(unit=other_unit)
    monitor = make_user(Role.MONITOR, unit=unit)
    api = APIClient()
    api.force_authenticate(monitor)
    url = f"/api/v1/incidents/{theirs.pk}/keyword-rules/"
    assert api.post(url, {"groups": [["甲"]]}, format="json").status_code == 404
    assert api.get(url).status_code == 404
    assert api.get(f"/api/v1/incidents/{theirs.pk}/spread/").status_code == 404
    assert not KeywordRule.objects.exists()


def test_rule_needs_permission_and_valid_input(unit) -> None:  # type: ignore[no-untyped-def]
    incident = make_incident()
    url = f"/api/v1/incidents/{incident.pk}/keyword-rules/"
    leader = make_user(Role.LEADERSHIP, unit=unit)
    api = APIClient()
    api.force_authenticate(leader)
    assert api.post(url, {"groups": [["甲"]]}, format="json").status_code == 403
    api.force_authenticate(make_user(Role.DUTY_OFFICER, unit=unit))
    for body, field in [
        ({"groups": []}, "groups"),
        ({"groups": [[]]}, "groups"),
        ({"groups": "甲"}, "groups"),
        ({"groups": [["甲"]], "scope": "everywhere"}, "scope"),
        ({"groups": [["甲"]], "exclude": ["甲"]}, "exclude"),
        ({"groups": [["很" * 51]]}, "groups"),
    ]:
        response = api.post(url, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), (body, response.json())
    assert not KeywordRule.objects.exists()
    assert APIClient().post(url, {"groups": [["甲"]]}, format="json").status_code in (401, 403)


def test_spread_endpoint(unit) -> None:  # type: ignore[no-untyped-def]
    incident = make_incident()
    add_rule(incident, [["食堂"]])
    _client, key = make_client()
    now = datetime.now(tz=UTC)
    push(keyed(key), [item("1", published_at=now - timedelta(minutes=1))])
    api = APIClient()
    api.force_authenticate(make_user(Role.DUTY_OFFICER, unit=unit))
    body = api.get(f"/api/v1/incidents/{incident.pk}/spread/").json()
    assert body["total"] == 1 and body["by_sentiment"]["negative"] == 1
