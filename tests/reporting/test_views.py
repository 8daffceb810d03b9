from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents.choices import Role
from incidents.panels import panels
from incidents.timeline import Actor
from reporting.models import Report
from reporting.services import report_submit
from tests.factories import make_user
from tests.reporting.conftest import complete_draft, first_draft, incident_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(duty_officer) -> Client:
    client = Client()
    client.force_login(duty_officer)
    return client


def test_nav_link_and_list(clock, browser, duty_officer, signer):
    report = report_submit(
        report=complete_draft(first_draft(duty_officer, incident_for(duty_officer)), duty_officer, signer),
        actor=Actor.of(duty_officer),
    )
    page = browser.get(reverse("reporting:list")).content.decode()
    assert f'href="{reverse("reporting:list")}"' in page  # base.html shows the nav link
    assert report.heading in page and "2026年第1期" in page


def test_from_new_incident_to_submitted_first_report(clock, browser, duty_officer, signer):
    incident = incident_for(duty_officer)
    response = browser.post(reverse("reporting:create"), {"incident": incident.pk, "kind": "first"})
    report = Report.objects.get(incident=incident)
    assert response.status_code == 302 and response["Location"] == reverse("reporting:edit", args=[report.pk])
    page = browser.get(response["Location"]).content.decode()
    assert "首发媒体" in page and "签发人" in page  # Chinese first

    # Submitting with gaps: 400, the form again, an error by each missing field.
    response = browser.post(
        reverse("reporting:edit", args=[report.pk]),
        {"title": report.title, "summary": report.summary, "document_name": "舆情专报", "action": "submit"},
    )
    assert response.status_code == 200  # the form again, not a redirect
    form = response.context["form"]
    assert {"first_outlet", "first_url", "facts", "signer", "report_to"} <= set(form.errors)
    report.refresh_from_db()
    assert report.status == "draft"

    data = {
        "title": report.title,
        "summary": report.summary,
        "first_published_at": "2026-03-05T14:20",  # Beijing time, as the browser sends it
        "first_outlet": "新浪微博@某区生活圈",
        "first_url": "https://weibo.com/x",
        "spread": "转发126次",
        "facts": "已核实",
        "background": "无",
        "attachments": "1. 截图",
        "signer": signer.pk,
        "report_to": "市委网信办",
        "document_name": "舆情专报",
        "secrecy": "内部资料",
        "action": "submit",
    }
    response = browser.post(reverse("reporting:edit", args=[report.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    report.refresh_from_db()
    assert report.status == "submitted" and report.number == 1 and report.on_time is True
    page = browser.get(reverse("reporting:detail", args=[report.pk])).content.decode()
    assert "首发时间：2026年3月5日14时20分" in page and "2026年第1期" in page

    docx = browser.get(reverse("reporting:export", args=[report.pk, "docx"]))
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    pdf = browser.get(reverse("reporting:export", args=[report.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Submitted: the edit page sends you to the document.
    assert browser.get(reverse("reporting:edit", args=[report.pk])).status_code == 302


def test_submit_url_shows_gaps_as_form_errors(clock, browser, duty_officer):
    report = first_draft(duty_officer, incident_for(duty_officer))
    response = browser.post(reverse("reporting:submit", args=[report.pk]))
    assert response.status_code == 200
    assert "first_outlet" in response.context["form"].errors
    assert "errorlist" in response.content.decode()


def test_correction_from_the_document_page(clock, browser, duty_officer, signer):
    report = report_submit(
        report=complete_draft(first_draft(duty_officer, incident_for(duty_officer)), duty_officer, signer),
        actor=Actor.of(duty_officer),
    )
    response = browser.post(reverse("reporting:correct", args=[report.pk]))
    correction = Report.objects.get(supersedes=report)
    assert response["Location"] == reverse("reporting:edit", args=[correction.pk])


def test_other_units_report_is_404(clock, browser, other_unit):
    officer = make_user(Role.DUTY_OFFICER, unit=other_unit)
    report = first_draft(officer, incident_for(officer))
    for name in ("reporting:detail", "reporting:edit"):
        assert browser.get(reverse(name, args=[report.pk])).status_code == 404
    assert browser.get(reverse("reporting:export", args=[report.pk, "pdf"])).status_code == 404


def test_incident_panel_lists_reports_and_offers_buttons(clock, rf, duty_officer, signer):
    panel = next(p for p in panels() if p.key == "reports")
    incident = incident_for(duty_officer, grade="major")
    request = rf.get("/")
    request.user = duty_officer
    ctx = panel.context(request, incident)
    kinds = {a["kind"]: a for a in ctx["actions"]}
    assert kinds["first"]["blocker"] is None and kinds["follow_up"]["blocker"]

    report = report_submit(
        report=complete_draft(first_draft(duty_officer, incident), duty_officer, signer),
        actor=Actor.of(duty_officer),
    )
    ctx = panel.context(request, incident)
    kinds = {a["kind"]: a for a in ctx["actions"]}
    assert kinds["first"]["blocker"] and kinds["follow_up"]["blocker"] is None
    from django.template.loader import render_to_string

    html = render_to_string(panel.template, ctx, request=request)
    assert report.heading in html and "2026年第1期" in html
    assert 'value="follow_up"' in html and 'value="final"' in html


def test_incident_page_shows_the_reports_panel(clock, browser, duty_officer):
    incident = incident_for(duty_officer)
    page = browser.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'id="reports"' in page
    assert f'action="{reverse("reporting:create")}"' in page and 'value="first"' in page


def test_edit_form_shows_the_sections_of_its_kind(clock, browser, duty_officer, signer):
    incident = incident_for(duty_officer, grade="major")
    first = first_draft(duty_officer, incident)
    page = browser.get(reverse("reporting:edit", args=[first.pk])).content.decode()
    assert 'name="facts"' in page and 'name="trend_assessment"' not in page and 'name="outcome"' not in page
    report_submit(report=complete_draft(first, duty_officer, signer), actor=Actor.of(duty_officer))
    from reporting.services import report_create_draft

    follow = report_create_draft(incident=incident, kind="follow_up", actor=Actor.of(duty_officer))
    page = browser.get(reverse("reporting:edit", args=[follow.pk])).content.decode()
    assert 'name="trend_assessment"' in page and 'name="suggestions"' in page and 'name="outcome"' not in page
