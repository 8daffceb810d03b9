"""Bad input to the reports API and forms: a 400 (or a form error) naming the field, never a
500, never a half-written record. Found by fuzzing the running server (schemathesis and
hand-made bodies); each test failed before its fix."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document as WordDocument

from reporting.models import Report
from tests.reporting.conftest import first_draft, incident_for

pytestmark = pytest.mark.django_db


def send_raw(api, method: str, url: str, body: str):  # type: ignore[no-untyped-def]
    return getattr(api, method)(url, data=body.encode(), content_type="application/json")


@pytest.mark.parametrize("published", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-08:00"])
def test_patch_with_a_time_outside_1900_to_2999_is_400_and_the_report_stays_readable(
    clock, duty_api, duty_officer, published
) -> None:  # type: ignore[no-untyped-def]
    # Stored as year 0 (or 10000) in UTC, the report could no longer be loaded: every page
    # and list showing it failed.
    report = first_draft(duty_officer, incident_for(duty_officer))
    url = reverse("report-detail", args=[report.pk])
    response = duty_api.patch(url, {"first_published_at": published}, format="json")
    assert response.status_code == 400 and "first_published_at" in response.json()
    assert duty_api.get(url).status_code == 200
    assert duty_api.get(reverse("report-list")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "\ud800"},  # echoed in "is not a valid choice": the answer could not be encoded
        {"kind": "first", "incident": "\ud800"},
        {"kind": "first", "supersedes": ["\ud800"]},
    ],
)
def test_create_with_unstorable_text_is_400_naming_the_field(clock, duty_api, duty_officer, body) -> None:  # type: ignore[no-untyped-def]
    incident = incident_for(duty_officer)
    body = {"incident": incident.pk, **body}
    response = send_raw(duty_api, "post", reverse("report-list"), json.dumps(body))
    assert response.status_code == 400
    assert set(response.json()) & set(body)
    assert not Report.objects.exists()


def test_control_characters_do_not_break_the_word_export(clock, duty_api, duty_officer) -> None:  # type: ignore[no-untyped-def]
    # The API accepts them (only NUL is refused), python-docx refused the whole document.
    report = first_draft(duty_officer, incident_for(duty_officer))
    response = duty_api.patch(
        reverse("report-detail", args=[report.pk]),
        {"summary": "网传\x1b某区\x07学校食堂", "first_outlet": "微博\x0b某区生活圈"},
        format="json",
    )
    assert response.status_code == 200
    export = reverse("report-export", args=[report.pk])
    docx = duty_api.get(f"{export}?format=docx")
    assert docx.status_code == 200
    text = "\n".join(p.text for p in WordDocument(io.BytesIO(docx.content)).paragraphs)
    assert "网传某区学校食堂" in text
    assert duty_api.get(f"{export}?format=pdf").status_code == 200


def test_edit_form_refuses_year_one_beside_the_field(clock, duty_officer) -> None:  # type: ignore[no-untyped-def]
    report = first_draft(duty_officer, incident_for(duty_officer))
    browser = Client()
    browser.force_login(duty_officer)
    response = browser.post(
        reverse("reporting:edit", args=[report.pk]),
        {"title": report.title, "document_name": "舆情专报", "first_published_at": "0001-01-01T00:00"},
    )
    assert response.status_code == 200
    assert "first_published_at" in response.context["form"].errors
    report.refresh_from_db()
    assert report.first_published_at is None or report.first_published_at.year >= 1900
    assert browser.get(reverse("reporting:detail", args=[report.pk])).status_code == 200


def test_report_list_page_with_an_unsigned_draft(clock, duty_api, duty_officer) -> None:  # type: ignore[no-untyped-def]
    # PATCH {"signer": null} is valid; the list page then failed for everyone: a missing
    # variable in a filter argument (default:r.signer.username) raises in Django templates.
    report = first_draft(duty_officer, incident_for(duty_officer))
    response = duty_api.patch(reverse("report-detail", args=[report.pk]), {"signer": None}, format="json")
    assert response.status_code == 200 and response.json()["signer"] is None
    browser = Client()
    browser.force_login(duty_officer)
    response = browser.get(reverse("reporting:list"))
    assert response.status_code == 200 and report.heading in response.content.decode()
