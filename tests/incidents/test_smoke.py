from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.choices import DeadlineKind, Grade
from tests.factories import make_incident


@pytest.mark.django_db
def test_create_assigns_reference_and_first_report_deadline(duty_officer):
    incident = make_incident(actor=duty_officer, grade=Grade.MAJOR)
    assert incident.reference.startswith("YQ-")
    deadline = incident.deadlines.get(kind=DeadlineKind.FIRST_REPORT)
    assert deadline.due_at == incident.occurred_at + timedelta(hours=2)


@pytest.mark.django_db
def test_api_lists_incident(duty_api, duty_officer):
    incident = make_incident(actor=duty_officer)
    response = duty_api.get(reverse("incident-list"))
    assert response.status_code == 200
    assert response.json()["results"][0]["reference"] == incident.reference
