from __future__ import annotations

import io

import pytest
from django.urls import reverse
from docx import Document as WordDocument
from pypdf import PdfReader
from rest_framework.test import APIClient

from incidents.choices import DeadlineKind, Grade, Role, Status
from incidents.models import Deadline
from reporting.choices import SOURCE_FIELDS
from tests.factories import make_user
from tests.reporting.conftest import COMPLETE_FIRST, incident_for

pytestmark = pytest.mark.django_db


def patch_complete(api: APIClient, report_id: int, signer_id: int, **extra):
    body = {**COMPLETE_FIRST, "signer": signer_id, "report_to": "市委网信办", **extra}
    body["first_published_at"] = "2026-03-05T14:20:00+08:00"
    return api.patch(reverse("report-detail", args=[report_id]), body, format="json")


def test_post_creates_prefilled_draft(clock, duty_api, duty_officer):
    incident = incident_for(duty_officer, first_outlet="新浪微博", facts="正在核查")
    response = duty_api.post(
        reverse("report-list"), {"incident": incident.pk, "kind": "first"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["number"] is None and body["on_time"] is None
    assert body["kind"] == "first" and body["incident"] == incident.pk
    # The incident's report fields under the incident API's names.
    for name in ("title", "summary", "first_outlet", "facts"):
        assert body[name] == getattr(incident, name)
    assert body["heading"] == "关于某区网传学校食堂食材过期舆情的首报"


def test_post_refuses_bad_kind_and_duplicates(clock, duty_api, duty_officer):
    incident = incident_for(duty_officer)
    url = reverse("report-list")
    assert duty_api.post(url, {"incident": incident.pk, "kind": "weekly"}, format="json").status_code == 400
    assert duty_api.post(url, {"incident": incident.pk, "kind": "first"}, format="json").status_code == 201
    response = duty_api.post(url, {"incident": incident.pk, "kind": "first"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()


def test_submit_with_gaps_is_400_naming_each_field(clock, duty_api, duty_officer):
    incident = incident_for(duty_officer)
    report_id = duty_api.post(
        reverse("report-list"), {"incident": incident.pk, "kind": "first"}, format="json"
    ).json()["id"]
    response = duty_api.post(reverse("report-submit", args=[report_id]))
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == (set(SOURCE_FIELDS) - {"summary"}) | {"signer", "report_to"}
    assert all(isinstance(v, list) and v[0] for v in errors.values())


def test_patch_then_submit_returns_number_and_on_time(clock, duty_api, duty_officer, signer):
    incident = incident_for(duty_officer)
    report_id = duty_api.post(
        reverse("report-list"), {"incident": incident.pk, "kind": "first"}, format="json"
    ).json()["id"]
    response = patch_complete(duty_api, report_id, signer.pk)
    assert response.status_code == 200, response.json()
    assert response.json()["first_published_at"] == "2026-03-05T14:20:00+08:00"
    response = duty_api.post(reverse("report-submit", args=[report_id]))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["number"] == 1 and body["year"] == 2026
    assert body["on_time"] is True and body["minutes_late"] == 0
    assert body["signer"] == signer.pk and body["signer_name"] == "李 签发"
    assert Deadline.objects.get(incident=incident, kind=DeadlineKind.FIRST_REPORT).met_at is not None
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    # Immutable now: PATCH and a second submit are refused.
    response = duty_api.patch(reverse("report-detail", args=[report_id]), {"facts": "改"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert duty_api.post(reverse("report-submit", args=[report_id])).status_code == 400


def test_patch_validates_input(clock, duty_api, duty_officer, monitor):
    incident = incident_for(duty_officer)
    report_id = duty_api.post(
        reverse("report-list"), {"incident": incident.pk, "kind": "first"}, format="json"
    ).json()["id"]
    url = reverse("report-detail", args=[report_id])
    response = duty_api.patch(url, {"first_published_at": "2026-03-05T14:20:00"}, format="json")
    assert response.status_code == 400 and "first_published_at" in response.json()
    response = duty_api.patch(url, {"signer": monitor.pk}, format="json")  # may not sign
    assert response.status_code == 400 and "signer" in response.json()
    response = duty_api.patch(url, {"number": 7}, format="json")
    assert response.status_code == 400 and "number" in response.json()


def test_export_docx_and_pdf(clock, duty_api, duty_officer, signer):
    incident = incident_for(duty_officer)
    report_id = duty_api.post(
        reverse("report-list"), {"incident": incident.pk, "kind": "first"}, format="json"
    ).json()["id"]
    patch_complete(duty_api, report_id, signer.pk)
    duty_api.post(reverse("report-submit", args=[report_id]))
    url = reverse("report-export", args=[report_id])

    response = duty_api.get(url, {"format": "docx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    text = "\n".join(p.text for p in WordDocument(io.BytesIO(response.content)).paragraphs)
    assert "首发时间：2026年3月5日14时20分" in text and "2026年第1期" in text

    response = duty_api.get(url, {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "关于某区网传学校食堂食材过期舆情的首报" in text

    assert duty_api.get(url, {"format": "xls"}).status_code == 404


def test_reports_are_scoped_to_the_users_units(clock, api, duty_officer, other_unit, leader):
    mine = incident_for(duty_officer)
    other_officer = make_user(Role.DUTY_OFFICER, unit=other_unit)
    theirs = incident_for(other_officer)
    own = APIClient()
    own.force_authenticate(duty_officer)
    own_id = own.post(reverse("report-list"), {"incident": mine.pk, "kind": "first"}, format="json").json()[
        "id"
    ]
    foreign = APIClient()
    foreign.force_authenticate(other_officer)
    foreign_id = foreign.post(
        reverse("report-list"), {"incident": theirs.pk, "kind": "first"}, format="json"
    ).json()["id"]

    listed = [r["id"] for r in own.get(reverse("report-list")).json()["results"]]
    assert listed == [own_id]
    assert own.get(reverse("report-detail", args=[foreign_id])).status_code == 404
    assert own.get(reverse("report-export", args=[foreign_id]), {"format": "pdf"}).status_code == 404
    assert own.post(reverse("report-submit", args=[foreign_id])).status_code == 404
    assert (
        own.patch(reverse("report-detail", args=[foreign_id]), {"facts": "x"}, format="json").status_code
        == 404
    )
    # Starting a report on another unit's incident looks like an unknown incident.
    response = own.post(reverse("report-list"), {"incident": theirs.pk, "kind": "first"}, format="json")
    assert response.status_code == 400 and "incident" in response.json()
    # The leadership group sees every unit's reports.
    api.force_authenticate(leader)
    assert {r["id"] for r in api.get(reverse("report-list")).json()["results"]} == {own_id, foreign_id}


def test_monitor_may_read_but_not_write(clock, api, duty_officer, monitor):
    incident = incident_for(duty_officer, grade=Grade.MAJOR)
    api.force_authenticate(monitor)
    assert api.get(reverse("report-list")).status_code == 200
    response = api.post(reverse("report-list"), {"incident": incident.pk, "kind": "first"}, format="json")
    assert response.status_code == 403


def test_unauthenticated_is_refused(api):
    assert api.get(reverse("report-list")).status_code in (401, 403)
