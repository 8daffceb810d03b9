"""Bad input to the monitoring API: a rejected item or a 400 naming the field, never a 500.
Found by fuzzing the running server (schemathesis and hand-made bodies); each test failed
before its fix."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import pytest
from django.db import connection, transaction

from incidents.services import incident_update
from incidents.timeline import Actor
from monitoring.models import Detection, KeywordRule
from monitoring.services import keyword_rule_create
from tests.factories import make_incident
from tests.monitoring.helpers import add_rule, item, make_client
from tests.monitoring.test_api import DETECTIONS, keyed

pytestmark = pytest.mark.django_db


def push_raw(api, body: str):  # type: ignore[no-untyped-def]
    return api.post(DETECTIONS, data=body.encode(), content_type="application/json")


@pytest.mark.parametrize("field", ["title", "text", "outlet", "author", "platform", "external_id"])
def test_nul_in_an_item_rejects_that_item_only(unit, field) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL refuses NUL in text: the batch's one upsert failed with a DataError (500) and
    # took the good items down with it.
    _client, key = make_client()
    bad = {**item("bad"), field: "a\x00b"}
    response = push_raw(keyed(key), json.dumps({"items": [item("good-1"), bad, item("good-2")]}))
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created"]
    assert field in body["results"][1]["errors"]
    assert set(Detection.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}


def test_lone_surrogates_reject_the_item_and_are_not_echoed(unit) -> None:  # type: ignore[no-untyped-def]
    _client, key = make_client()
    items = [
        item("good"),
        item("x\ud800"),  # the rejected item's external_id would be echoed in the answer
        item("m", metrics={"reads\udc00": 1}),  # so would an unknown metric's name
        item("t", title="\ud83d"),
    ]
    response = push_raw(keyed(key), json.dumps({"items": items}))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "rejected"]
    assert results[1]["external_id"] is None and "external_id" in results[1]["errors"]
    assert "metrics" in results[2]["errors"] and "title" in results[3]["errors"]


@pytest.mark.parametrize(
    "published_at", ["0001-01-01T00:00:00+08:00", "0001-01-01T05:00:00Z", "1899-12-31T23:59:59+00:00"]
)
def test_published_at_outside_1900_to_2999_rejects_the_item(unit, published_at) -> None:  # type: ignore[no-untyped-def]
    # Year 1 at +08:00 was stored as year 0 in UTC; reading the detection back then failed.
    _client, key = make_client()
    response = push_raw(keyed(key), json.dumps({"items": [{**item("old"), "published_at": published_at}]}))
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["status"] == "rejected" and "1900" in result["errors"]["published_at"][0]
    assert not Detection.objects.exists()


def test_published_at_with_an_offset_postgresql_cannot_hold_is_stored(unit) -> None:  # type: ignore[no-untyped-def]
    # Python parses offsets up to ±23:59, PostgreSQL refuses beyond ±15:59: the batch failed.
    _client, key = make_client()
    published = "2026-03-04T09:40:27-21:16"
    response = push_raw(keyed(key), json.dumps({"items": [{**item("far"), "published_at": published}]}))
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "created"
    assert Detection.objects.get().published_at == datetime.fromisoformat(published)


def test_runaway_nesting_is_400(unit) -> None:  # type: ignore[no-untyped-def]
    _client, key = make_client()
    assert push_raw(keyed(key), "[" * 100_000 + "]" * 100_000).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"groups": [["学校"]], "scope": "\ud800"},
        {"groups": [["学校"]], "is_active": "\ud800"},
        {"groups": [["学校", "a\x00"]]},
        {"groups": [["学校"]], "exclude": ["\ud800"]},
        {"groups": "\x00"},
    ],
)
def test_keyword_rule_with_unstorable_text_is_400_naming_the_field(duty_api, duty_officer, body) -> None:  # type: ignore[no-untyped-def]
    incident = make_incident(actor=duty_officer)
    url = f"/api/v1/incidents/{incident.pk}/keyword-rules/"
    response = duty_api.post(url, data=json.dumps(body).encode(), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) & set(body)
    assert not KeywordRule.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rule_added_while_the_incident_is_edited_does_not_deadlock(unit) -> None:  # type: ignore[no-untyped-def]
    """Schemathesis found it with two workers: adding a rule held the rules version row and, at
    commit, its deferred foreign-key check waited for the incident row; an edit of the same
    incident held that row and waited for the version row. PostgreSQL killed one: a 500."""
    incident = make_incident(title="某区学校食堂")
    add_rule(incident, [["食堂"]])  # so that saving the incident bumps the rules version
    rule_written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def add_rule_and_wait() -> None:
        try:
            with transaction.atomic():
                keyword_rule_create(incident=incident, actor=Actor.system(), groups=[["学校"]])
                rule_written.set()
                release.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            rule_written.set()
            connection.close()

    def edit_incident() -> None:
        try:
            incident_update(incident=incident, actor=Actor.system(), title="某区学校食堂（更新）")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    adder = threading.Thread(target=add_rule_and_wait)
    adder.start()
    assert rule_written.wait(10)
    editor = threading.Thread(target=edit_incident)
    editor.start()
    # Commit the rule only once the edit is waiting for a lock the rule's transaction holds.
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.02)
    release.set()
    adder.join(20)
    editor.join(20)
    assert not errors, errors
    incident.refresh_from_db()
    assert incident.title == "某区学校食堂（更新）"
    assert KeywordRule.objects.filter(incident=incident).count() == 2
