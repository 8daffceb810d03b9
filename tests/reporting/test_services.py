from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.choices import DeadlineKind, Grade, Status
from incidents.models import Deadline, TimelineEvent, Unit
from incidents.services import incident_transition
from incidents.timeline import Actor
from reporting.choices import SOURCE_FIELDS, ReportKind, ReportStatus
from reporting.models import Report, RequiredFieldSet
from reporting.services import report_create_draft, report_submit, report_update
from tests.factories import make_user
from tests.reporting.conftest import (
    COMPLETE_FIRST,
    FOLLOW_UP_MAJOR,
    complete_draft,
    first_draft,
    incident_for,
)

pytestmark = pytest.mark.django_db


def submit(report, user):
    return report_submit(report=report, actor=Actor.of(user))


# --- Drafts -----------------------------------------------------------------------------------


def test_draft_is_prefilled_from_the_incident(clock, duty_officer):
    incident = incident_for(
        duty_officer,
        first_outlet="新浪微博",
        first_url="https://weibo.com/x",
        spread="转发较多",
        facts="正在核查",
        background="无",
    )
    report = first_draft(duty_officer, incident)
    assert report.status == ReportStatus.DRAFT
    assert report.number is None
    assert (report.title, report.summary) == (incident.title, incident.summary)
    assert (report.first_outlet, report.first_url, report.facts) == (
        "新浪微博",
        "https://weibo.com/x",
        "正在核查",
    )
    assert report.spread.startswith("转发较多")
    assert report.unit == incident.unit
    assert report.heading == "关于某区网传学校食堂食材过期舆情的首报"
    event = TimelineEvent.objects.filter(incident=incident, kind="report_drafted").get()
    assert event.data["report"] == report.pk
    assert "首报" in event.message


def test_one_draft_per_report_and_follow_up_needs_first_report(clock, duty_officer):
    incident = incident_for(duty_officer)
    first_draft(duty_officer, incident)
    with pytest.raises(ValidationError) as exc:
        first_draft(duty_officer, incident)
    assert "kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        report_create_draft(incident=incident, kind=ReportKind.FOLLOW_UP, actor=Actor.of(duty_officer))
    assert "kind" in exc.value.message_dict


# --- Required fields --------------------------------------------------------------------------


def test_first_report_with_gaps_is_refused_naming_each_missing_field(clock, duty_officer):
    incident = incident_for(duty_officer)
    report = first_draft(duty_officer, incident)
    report_update(report=report, actor=Actor.of(duty_officer), facts="", background="", attachments="")
    with pytest.raises(ValidationError) as exc:
        submit(report, duty_officer)
    errors = exc.value.message_dict
    # summary is prefilled; every other source field is missing, plus signer and 报.
    assert set(errors) == (set(SOURCE_FIELDS) - {"summary"}) | {"signer", "report_to"}
    assert errors["first_outlet"] == ["较大事件的首报必须填写“首发媒体”。"]
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.number is None
    assert not Deadline.objects.filter(incident=incident, met_at__isnull=False).exists()


def test_complete_first_report_submits(clock, duty_officer, signer):
    report = complete_draft(first_draft(duty_officer, incident_for(duty_officer)), duty_officer, signer)
    report = submit(report, duty_officer)
    assert report.status == ReportStatus.SUBMITTED
    assert (report.year, report.number) == (2026, 1)
    assert report.signer == signer and report.submitted_by == duty_officer


def test_follow_up_for_major_needs_trend_measures_suggestions(clock, duty_officer, signer):
    incident = incident_for(duty_officer, grade=Grade.MAJOR)
    submit(complete_draft(first_draft(duty_officer, incident), duty_officer, signer), duty_officer)
    follow = report_create_draft(incident=incident, kind=ReportKind.FOLLOW_UP, actor=Actor.of(duty_officer))
    assert follow.signer == signer and follow.report_to == "市委网信办"  # carried over
    with pytest.raises(ValidationError) as exc:
        submit(follow, duty_officer)
    assert set(exc.value.message_dict) == {"facts", "trend_assessment", "measures", "suggestions"}
    report_update(report=follow, actor=Actor.of(duty_officer), **FOLLOW_UP_MAJOR)
    follow = submit(follow, duty_officer)
    assert follow.heading.endswith("续报（一）")


def test_follow_up_for_general_grade_does_not_need_the_three(clock, duty_officer, signer):
    incident = incident_for(duty_officer, grade=Grade.GENERAL)
    submit(complete_draft(first_draft(duty_officer, incident), duty_officer, signer), duty_officer)
    follow = report_create_draft(incident=incident, kind=ReportKind.FOLLOW_UP, actor=Actor.of(duty_officer))
    report_update(report=follow, actor=Actor.of(duty_officer), facts="已核实。")
    assert submit(follow, duty_officer).status == ReportStatus.SUBMITTED


def test_final_report_needs_outcome_and_assessment(clock, duty_officer, signer):
    incident = incident_for(duty_officer)
    submit(complete_draft(first_draft(duty_officer, incident), duty_officer, signer), duty_officer)
    final = report_create_draft(incident=incident, kind=ReportKind.FINAL, actor=Actor.of(duty_officer))
    with pytest.raises(ValidationError) as exc:
        submit(final, duty_officer)
    assert set(exc.value.message_dict) == {"outcome", "assessment"}
    report_update(report=final, actor=Actor.of(duty_officer), outcome="已处置完毕", assessment="处置及时")
    assert submit(final, duty_officer).heading.endswith("终报")


def test_required_fields_are_configuration(clock, duty_officer, signer):
    RequiredFieldSet.objects.update_or_create(
        kind="first", grade=Grade.LARGER, defaults={"fields": ["summary"]}
    )
    report = first_draft(duty_officer, incident_for(duty_officer))
    report_update(report=report, actor=Actor.of(duty_officer), signer=signer, report_to="市委")
    assert submit(report, duty_officer).number == 1
    row = RequiredFieldSet(kind="first", grade=Grade.MAJOR, fields=["nonsense"])
    with pytest.raises(ValidationError):
        row.full_clean()


def test_signer_must_be_allowed_to_sign(clock, duty_officer, unit):
    report = first_draft(duty_officer, incident_for(duty_officer))
    with pytest.raises(ValidationError) as exc:
        report_update(report=report, actor=Actor.of(duty_officer), signer=duty_officer)
    assert "signer" in exc.value.message_dict
    # The unit head (负责人) may sign without the permission.
    unit.head = duty_officer
    unit.save()
    complete_draft(report, duty_officer, duty_officer)
    assert submit(report, duty_officer).signer == duty_officer


# --- Numbering --------------------------------------------------------------------------------


def test_issue_numbers_run_per_unit_and_year(clock, duty_officer, signer, other_unit):
    for expected in (1, 2):
        report = complete_draft(first_draft(duty_officer, incident_for(duty_officer)), duty_officer, signer)
        assert submit(report, duty_officer).number == expected
    other_officer = make_user("值班员", unit=other_unit)
    other_unit.head = other_officer
    other_unit.save()
    other = complete_draft(
        first_draft(other_officer, incident_for(other_officer)), other_officer, other_officer
    )
    assert submit(other, other_officer).number == 1
    clock.move_to("2027-01-01T00:30:00+08:00")
    report = complete_draft(
        first_draft(
            duty_officer, incident_for(duty_officer, occurred_at=clock_now(-60), discovered_at=clock_now(-30))
        ),
        duty_officer,
        signer,
    )
    report = submit(report, duty_officer)
    assert (report.year, report.number) == (2027, 1)


def clock_now(minutes: int):
    from django.utils import timezone

    return timezone.now() + timedelta(minutes=minutes)


# --- Deadlines --------------------------------------------------------------------------------


def test_first_report_meets_its_deadline_on_time(clock, duty_officer, signer):
    incident = incident_for(duty_officer)  # 较大: due 3 h after 14:00
    report = complete_draft(first_draft(duty_officer, incident), duty_officer, signer)
    clock.move_to("2026-03-05T16:59:00+08:00")
    report = submit(report, duty_officer)
    deadline = Deadline.objects.get(incident=incident, kind=DeadlineKind.FIRST_REPORT)
    assert deadline.met_at == report.submitted_at and deadline.met_by == duty_officer
    assert report.deadline == deadline
    assert report.on_time is True and report.minutes_late == 0
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    kinds = list(TimelineEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert {"deadline_met", "report_submitted", "status_changed"} <= set(kinds)


def test_first_report_late_records_minutes_late(clock, duty_officer, signer):
    incident = incident_for(duty_officer)
    report = complete_draft(first_draft(duty_officer, incident), duty_officer, signer)
    clock.move_to("2026-03-05T17:12:30+08:00")  # 12.5 minutes past 17:00
    report = submit(report, duty_officer)
    assert report.on_time is False and report.minutes_late == 13
    event = TimelineEvent.objects.get(incident=incident, kind="report_submitted")
    assert event.data["minutes_late"] == 13 and event.data["number"] == report.number
    assert (
        event.message == "报告已报送：关于某区网传学校食堂食材过期舆情的首报（2026年第1期），签发人：李 签发"
    )


def test_cadence_opens_follow_ups_until_closed(clock, duty_officer, signer):
    incident = incident_for(duty_officer, grade=Grade.MAJOR)  # 重大: 续报 every 8 h
    submit(complete_draft(first_draft(duty_officer, incident), duty_officer, signer), duty_officer)
    follow_1 = Deadline.objects.open().get(incident=incident, kind=DeadlineKind.FOLLOW_UP)
    assert follow_1.due_at == clock_now(0) + timedelta(hours=8)

    clock.move_to("2026-03-05T22:00:00+08:00")  # 30 min before 续报一 is due
    report = report_create_draft(incident=incident, kind=ReportKind.FOLLOW_UP, actor=Actor.of(duty_officer))
    report_update(report=report, actor=Actor.of(duty_officer), **FOLLOW_UP_MAJOR)
    report = submit(report, duty_officer)
    assert report.deadline == follow_1 and report.on_time is True
    follow_2 = Deadline.objects.open().get(incident=incident, kind=DeadlineKind.FOLLOW_UP)
    assert follow_2.sequence == 2 and follow_2.due_at == clock_now(0) + timedelta(hours=8)

    clock.move_to("2026-03-06T07:00:00+08:00")  # an hour late for 续报二 (due 06:00)
    report = report_create_draft(incident=incident, kind=ReportKind.FOLLOW_UP, actor=Actor.of(duty_officer))
    report_update(report=report, actor=Actor.of(duty_officer), **FOLLOW_UP_MAJOR)
    report = submit(report, duty_officer)
    assert report.sequence == 2 and report.heading.endswith("续报（二）")
    assert report.on_time is False and report.minutes_late == 60

    incident_transition(
        incident=incident, actor=Actor.of(duty_officer), status=Status.CLOSED, reason="已平息"
    )
    assert not Deadline.objects.open().filter(incident=incident).exists()


def test_no_follow_up_clock_without_cadence(clock, duty_officer, signer):
    incident = incident_for(duty_officer, grade=Grade.LARGER)
    submit(complete_draft(first_draft(duty_officer, incident), duty_officer, signer), duty_officer)
    assert not Deadline.objects.filter(incident=incident, kind=DeadlineKind.FOLLOW_UP).exists()


def test_final_report_meets_open_follow_up_and_opens_none(clock, duty_officer, signer):
    incident = incident_for(duty_officer, grade=Grade.MAJOR)
    submit(complete_draft(first_draft(duty_officer, incident), duty_officer, signer), duty_officer)
    final = report_create_draft(incident=incident, kind=ReportKind.FINAL, actor=Actor.of(duty_officer))
    report_update(report=final, actor=Actor.of(duty_officer), outcome="已处置", assessment="及时")
    final = submit(final, duty_officer)
    assert final.deadline is not None and final.deadline.kind == DeadlineKind.FOLLOW_UP
    assert not Deadline.objects.open().filter(incident=incident, kind=DeadlineKind.FOLLOW_UP).exists()


# --- Immutability and corrections -------------------------------------------------------------


def test_submitted_report_cannot_be_changed_by_the_service(clock, duty_officer, signer):
    report = submit(
        complete_draft(first_draft(duty_officer, incident_for(duty_officer)), duty_officer, signer),
        duty_officer,
    )
    with pytest.raises(ValidationError) as exc:
        report_update(report=report, actor=Actor.of(duty_officer), facts="改了")
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError):
        submit(report, duty_officer)


def test_database_refuses_to_change_or_delete_a_submitted_report(clock, duty_officer, signer):
    report = submit(
        complete_draft(first_draft(duty_officer, incident_for(duty_officer)), duty_officer, signer),
        duty_officer,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=report.pk).update(facts="悄悄改了")
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=report.pk).delete()
    report.refresh_from_db()
    assert report.facts == COMPLETE_FIRST["facts"]
    # A draft is an ordinary row.
    draft = first_draft(duty_officer, incident_for(duty_officer))
    Report.objects.filter(pk=draft.pk).update(facts="草稿可改")


def test_correction_supersedes_and_both_are_kept(clock, duty_officer, signer):
    incident = incident_for(duty_officer)
    original = submit(complete_draft(first_draft(duty_officer, incident), duty_officer, signer), duty_officer)
    correction = report_create_draft(
        incident=incident, kind=ReportKind.FIRST, actor=Actor.of(duty_officer), supersedes=original
    )
    assert correction.facts == original.facts and correction.signer == signer
    assert correction.heading.endswith("首报（更正）")
    with pytest.raises(ValidationError):  # one correction at a time
        report_create_draft(
            incident=incident, kind=ReportKind.FIRST, actor=Actor.of(duty_officer), supersedes=original
        )
    report_update(report=correction, actor=Actor.of(duty_officer), facts="更正：涉事食材为临期食材。")
    correction = submit(correction, duty_officer)
    assert correction.number == 2 and correction.supersedes == original
    assert correction.deadline is None and correction.on_time is None
    original.refresh_from_db()
    assert original.status == ReportStatus.SUBMITTED and original.facts == COMPLETE_FIRST["facts"]
    assert original.superseded_by == correction
    event = TimelineEvent.objects.get(incident=incident, kind="report_superseded")
    assert event.data["old_number"] == 1 and event.data["number"] == 2


def test_leadership_sees_all_units_signers(clock, duty_officer, signer):
    from reporting.selectors import signers_for

    assert signer in signers_for(Unit.default())
    assert duty_officer not in signers_for(Unit.default())


def test_admin_form_edits_required_fields_as_checkboxes():
    from reporting.admin import RequiredFieldSetForm

    form = RequiredFieldSetForm(
        data={"kind": "final", "grade": Grade.MAJOR, "fields": ["outcome", "measures"]}
    )
    assert form.is_valid(), form.errors
    row = form.save()
    assert row.fields == ["outcome", "measures"]
    from reporting.selectors import required_fields_for

    assert required_fields_for(kind="final", grade=Grade.MAJOR) == ["outcome", "measures"]
    assert required_fields_for(kind="final", grade=Grade.GENERAL) == ["outcome", "assessment"]
    bad = RequiredFieldSetForm(data={"kind": "final", "grade": "", "fields": ["password"]})
    assert not bad.is_valid() and "fields" in bad.errors
