"""Use cases for reports upward: start a prefilled draft, edit it, submit it (number, sign-off,
deadline), correct it. One function each, one transaction, a timeline entry on the incident."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.choices import DeadlineKind, Grade, Status
from incidents.models import Deadline, Incident, User
from incidents.numbering import counter_next
from incidents.services import deadline_meet, follow_up_open_next, incident_transition, timeline_add
from incidents.timeline import Actor, register_kind
from reporting import permissions as can
from reporting.choices import CONTENT_FIELDS, ReportKind, ReportStatus
from reporting.models import Report
from reporting.selectors import next_follow_up_sequence, required_fields_for
from reporting.spread import as_datetime, spread_snapshot, spread_summary, spread_text

register_kind("report_drafted", gettext_lazy("Report draft started: %(heading)s"))
register_kind(
    "report_submitted",
    gettext_lazy("Report submitted: %(heading)s, issue %(number)s of %(year)s, signed off by %(signer)s"),
)
register_kind(
    "report_superseded",
    gettext_lazy("Report corrected: issue %(old_number)s of %(old_year)s is superseded by issue %(number)s"),
)

# What an editor may change in a draft. The kind, number, unit and clock are the service's.
EDITABLE_FIELDS = (
    "title",
    *CONTENT_FIELDS,
    "document_name",
    "secrecy",
    "signer",
    "report_to",
    "send_to",
    "copy_to",
    "copies",
)
SIGN_OFF_FIELDS = ("document_name", "secrecy", "report_to", "send_to", "copy_to", "copies")


def report_scope(report: Report) -> str:
    """The counter scope of 第X期: per reporting unit (and, in the counter, per year)."""
    return f"report:{report.unit_id}"


def _original(incident: Incident, kind: str, sequence: int = 1) -> Report | None:
    return Report.objects.filter(
        incident=incident,
        kind=kind,
        sequence=sequence,
        status=ReportStatus.SUBMITTED,
        supersedes__isnull=True,
    ).first()


def draft_blocker(*, incident: Incident, kind: str, originals: Collection[str] | None = None) -> str | None:
    """Why a new (not correcting) report of ``kind`` cannot be started now, or None.

    ``originals``: the kinds whose original report (submitted, sequence 1, not a correction)
    exists, when the caller has the incident's reports at hand (the incident panel asks for
    every kind); otherwise each is looked up."""
    if kind not in ReportKind.values:
        return _("Unknown report kind: %(kind)s") % {"kind": kind}

    def done(k: str) -> bool:
        return k in originals if originals is not None else _original(incident, k) is not None

    first_done = done(ReportKind.FIRST)
    if kind == ReportKind.FIRST and first_done:
        return _("The first report (首报) is in; to change it, write a correction.")
    if kind != ReportKind.FIRST and not first_done:
        return _("Submit the first report (首报) first.")
    if kind == ReportKind.FINAL and done(ReportKind.FINAL):
        return _("The final report (终报) is in; to change it, write a correction.")
    if kind == ReportKind.FOLLOW_UP and done(ReportKind.FINAL):
        return _("The final report (终报) is in: no more follow-ups.")
    return None


def _existing_draft(incident: Incident, kind: str, sequence: int) -> Report | None:
    return Report.objects.filter(
        incident=incident, kind=kind, sequence=sequence, status=ReportStatus.DRAFT
    ).first()


def _prefill_from_incident(report: Report, incident: Incident) -> None:
    report.title = incident.title
    report.summary = incident.summary
    report.first_published_at = incident.first_published_at
    report.first_outlet = incident.first_outlet
    report.first_url = incident.first_url
    report.facts = incident.facts
    report.background = incident.background
    lines = [
        f"{i}. {a.description or (a.file.name or '').rsplit('/', 1)[-1]}"
        for i, a in enumerate(incident.attachments.all(), start=1)
    ]
    report.attachments = "\n".join(lines)
    spread = [incident.spread.strip()] if incident.spread.strip() else []
    summary = spread_summary(incident)
    if summary:
        report.spread_data = spread_snapshot(summary)
        spread.append(spread_text(report.spread_data))
        earliest = report.spread_data.get("earliest") or {}
        # 首发溯源: monitoring's earliest item fills what the incident does not say yet.
        if not report.first_published_at and earliest.get("published_at"):
            report.first_published_at = as_datetime(earliest["published_at"])
        if not report.first_outlet and earliest.get("outlet"):
            report.first_outlet = str(earliest["outlet"])[:200]
        if not report.first_url and earliest.get("url"):
            report.first_url = str(earliest["url"])[:1000]
    report.spread = "\n".join(spread)


def _prefill_sign_off(report: Report, incident: Incident) -> None:
    """Distribution and signer as the unit's last submitted report had them."""
    last = (
        Report.objects.filter(unit=incident.unit, status=ReportStatus.SUBMITTED)
        .select_related("signer")
        .order_by("-submitted_at")
        .first()
    )
    if last is None:
        return
    for name in SIGN_OFF_FIELDS:
        setattr(report, name, getattr(last, name))
    if last.signer and can.can_sign(last.signer, incident.unit):
        report.signer = last.signer


@transaction.atomic
def report_create_draft(
    *, incident: Incident, kind: str, actor: Actor, supersedes: Report | None = None
) -> Report:
    """Start a report: prefilled from the incident and monitoring (or, for a correction, from the
    report it corrects). One draft per report slot at a time."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if supersedes is not None:
        supersedes = Report.objects.select_for_update().get(pk=supersedes.pk)
        if supersedes.incident_id != incident.pk:
            raise ValidationError({"supersedes": _("The corrected report belongs to another incident.")})
        if supersedes.status != ReportStatus.SUBMITTED:
            raise ValidationError(
                {"supersedes": _("Only a submitted report can be corrected; edit the draft.")}
            )
        if Report.objects.filter(supersedes=supersedes).exists():
            raise ValidationError(
                {"supersedes": _("This report already has a correction; correct the latest one.")}
            )
        kind, sequence = supersedes.kind, supersedes.sequence
    else:
        blocker = draft_blocker(incident=incident, kind=kind)
        if blocker:
            raise ValidationError({"kind": blocker})
        sequence = next_follow_up_sequence(incident) if kind == ReportKind.FOLLOW_UP else 1
    if supersedes is None and _existing_draft(incident, kind, sequence):
        raise ValidationError({"kind": _("A draft of this report exists already: edit it.")})

    report = Report(
        incident=incident,
        kind=kind,
        sequence=sequence,
        grade=incident.grade,
        unit=incident.unit,
        supersedes=supersedes,
        created_by=actor.user,
    )
    if supersedes is not None:
        for name in ("title", *CONTENT_FIELDS, "spread_data", "signer", *SIGN_OFF_FIELDS):
            setattr(report, name, getattr(supersedes, name))
        report.unit = supersedes.unit
    else:
        _prefill_from_incident(report, incident)
        _prefill_sign_off(report, incident)
    report.full_clean()
    report.save()
    timeline_add(
        incident=incident,
        kind="report_drafted",
        actor=actor,
        data={"report": report.pk, "report_kind": kind, "sequence": sequence, "heading": report.heading},
    )
    return report


def _check_signer(signer: User | None, report: Report) -> None:
    if signer is not None and not can.can_sign(signer, report.unit):
        raise ValidationError(
            {
                "signer": _("%(user)s may not sign off reports of %(unit)s.")
                % {"user": signer.get_full_name() or signer.get_username(), "unit": report.unit}
            }
        )


@transaction.atomic
def report_update(*, report: Report, actor: Actor, **fields: Any) -> Report:
    """Edit a draft. A submitted report never changes: a correction supersedes it."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown report fields: {sorted(unknown)}")
    report = Report.objects.select_for_update(of=("self",)).select_related("unit").get(pk=report.pk)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError(
            {"status": _("A submitted report cannot be changed. Write a correction: it supersedes this one.")}
        )
    if "signer" in fields:
        _check_signer(fields["signer"], report)
    for name, value in fields.items():
        setattr(
            report,
            name,
            "" if value is None and name not in ("signer", "copies", "first_published_at") else value,
        )
    report.full_clean()
    report.save()
    return report


def _field_label(name: str) -> str:
    return str(getattr(Report._meta.get_field(name), "verbose_name", name))


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def report_missing_fields(report: Report, *, grade: str | None = None) -> dict[str, str]:
    """Each field the report still lacks, with a message naming it (empty when complete)."""
    grade = grade or report.grade
    missing: dict[str, str] = {}
    kind_label = ReportKind(report.kind).label
    grade_label = Grade(grade).label
    for name in required_fields_for(kind=report.kind, grade=grade):
        if _is_blank(getattr(report, name, None)):
            missing[name] = _("%(field)s is required in a %(kind)s for a %(grade)s incident.") % {
                "field": _field_label(name),
                "kind": kind_label,
                "grade": grade_label,
            }
    if report.signer_id is None:
        missing["signer"] = _("Name who signs off the report (签发人).")
    if _is_blank(report.report_to):
        missing["report_to"] = _("Say to whom the report goes (报).")
    return missing


def _deadline_answered(report: Report) -> Deadline | None:
    """首报 meets the open first-report deadline; 续报 (and 终报, the last continuing report)
    the open follow-up deadline. A correction answers none: the original did."""
    if report.supersedes_id:
        return None
    kind = DeadlineKind.FIRST_REPORT if report.kind == ReportKind.FIRST else DeadlineKind.FOLLOW_UP
    return (
        Deadline.objects.open()
        .filter(incident_id=report.incident_id, kind=kind)
        .order_by("due_at", "sequence")
        .first()
    )


@transaction.atomic
def report_submit(*, report: Report, actor: Actor) -> Report:
    """Submit a draft upward: refuse it naming each missing field; otherwise number it 第X期
    (gapless per unit and year), record the sign-off, meet the deadline it answers (on time or
    minutes late), move a new incident to reported, and open the next 续报 deadline when the
    grade has a cadence."""
    # Lock the incident first: two submissions for one incident (say two 续报) queue here, so
    # sequence and deadline checks see each other's result.
    incident = Incident.objects.select_for_update().get(pk=report.incident_id)
    report = Report.objects.select_for_update(of=("self",)).select_related("unit", "signer").get(pk=report.pk)
    if report.status != ReportStatus.DRAFT:
        raise ValidationError({"status": _("This report has been submitted already.")})
    if actor.user is not None and not actor.user.has_perm("reporting.submit_report"):
        raise ValidationError({"status": _("You may not submit reports.")})

    report.grade = incident.grade  # required fields follow the grade in force now
    errors: dict[str, list[str]] = {k: [v] for k, v in report_missing_fields(report).items()}
    if report.signer is not None and not can.can_sign(report.signer, report.unit):
        errors.setdefault("signer", []).append(
            _("%(user)s may not sign off reports of %(unit)s.")
            % {"user": report.signer.get_full_name() or report.signer.get_username(), "unit": report.unit}
        )
    if report.supersedes_id:
        if Report.objects.filter(supersedes_id=report.supersedes_id, status=ReportStatus.SUBMITTED).exists():
            errors.setdefault("supersedes", []).append(_("That report has been corrected already."))
    else:
        if report.kind == ReportKind.FOLLOW_UP:
            report.sequence = next_follow_up_sequence(incident)
        elif _original(incident, report.kind) is not None:
            errors.setdefault("kind", []).append(
                _("This report is in already; to change it, write a correction.")
            )
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    report.year = timezone.localtime(now).year
    report.number = counter_next(scope=report_scope(report), year=report.year)
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now
    report.submitted_by = actor.user
    deadline = _deadline_answered(report)
    if deadline is not None:
        deadline = deadline_meet(deadline=deadline, actor=actor, at=now)
        report.deadline = deadline
        report.minutes_late = deadline.minutes_late
        report.on_time = deadline.minutes_late == 0
    report.full_clean()
    report.save()

    signer = report.signer
    assert signer is not None
    timeline_add(
        incident=incident,
        kind="report_submitted",
        actor=actor,
        at=now,
        data={
            "report": report.pk,
            "report_kind": report.kind,
            "sequence": report.sequence,
            "heading": report.heading,
            "number": report.number,
            "year": report.year,
            "signer": signer.get_full_name() or signer.get_username(),
            "on_time": report.on_time,
            "minutes_late": report.minutes_late,
        },
    )
    if report.supersedes is not None:
        old = report.supersedes
        timeline_add(
            incident=incident,
            kind="report_superseded",
            actor=actor,
            at=now,
            data={
                "report": report.pk,
                "old_report": old.pk,
                "old_number": old.number,
                "old_year": old.year,
                "number": report.number,
                "year": report.year,
                "heading": report.heading,
            },
        )
    if report.kind == ReportKind.FIRST and incident.status == Status.NEW:
        incident_transition(
            incident=incident,
            actor=actor,
            status=Status.REPORTED,
            reason=_("First report submitted (issue %(number)s of %(year)s)")
            % {"number": report.number, "year": report.year},
        )
    if report.kind in (ReportKind.FIRST, ReportKind.FOLLOW_UP) and not report.supersedes_id:
        follow_up_open_next(incident=incident, actor=actor, after=now)
    return report
