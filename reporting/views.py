"""Browser pages for reports: list, start a draft, edit with per-field errors, submit, the
print view (the official document), Word and PDF downloads, corrections. Views are thin: the
services hold the rules, so the browser and the API answer alike."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from incidents.models import Incident, User
from incidents.permissions import can_view as can_view_incident
from incidents.selectors import incidents_visible_to
from incidents.timeline import Actor
from reporting import exports, services
from reporting import permissions as can
from reporting.choices import ReportKind, ReportStatus
from reporting.forms import ReportCreateForm, ReportForm
from reporting.models import Report
from reporting.selectors import reports_of_incident, reports_visible_to, required_fields_for

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _report(request: HttpRequest, pk: int) -> Report:
    """The report if the user may see it; 404 otherwise (another unit's report is not disclosed)."""
    return get_object_or_404(reports_visible_to(_user(request)), pk=pk)


def form_errors_from(form: BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: each field's message by its field."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, msgs in error.message_dict.items():
        form.add_error(name if name in form.fields else None, msgs)


class ReportListView(LoginRequiredMixin, ListView):
    template_name = "reporting/list.html"
    context_object_name = "reports"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Report]:
        qs = reports_visible_to(_user(self.request)).order_by("-submitted_at", "-created_at")
        status = self.request.GET.get("status")
        if status in ReportStatus.values:
            qs = qs.filter(status=status)
        kind = self.request.GET.get("kind")
        if kind in ReportKind.values:
            qs = qs.filter(kind=kind)
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            statuses=ReportStatus.choices,
            kinds=ReportKind.choices,
            status=self.request.GET.get("status", ""),
            kind=self.request.GET.get("kind", ""),
            can_create=can.can_create(_user(self.request)),
        )
        return ctx


class ReportCreateView(LoginRequiredMixin, View):
    """Start a draft: from the incident page's buttons (POST incident + kind), or the form."""

    def _incidents(self, request: HttpRequest) -> QuerySet[Incident]:
        return incidents_visible_to(_user(request))

    def get(self, request: HttpRequest) -> HttpResponse:
        if not can.can_create(_user(request)):
            raise PermissionDenied
        form = ReportCreateForm(initial=request.GET.dict(), incidents=self._incidents(request))
        return render(request, "reporting/create.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can.can_create(_user(request)):
            raise PermissionDenied
        form = ReportCreateForm(request.POST, incidents=self._incidents(request))
        if form.is_valid():
            try:
                report = services.report_create_draft(
                    incident=form.cleaned_data["incident"],
                    kind=form.cleaned_data["kind"],
                    actor=Actor.of(_user(request)),
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Draft started, prefilled from the incident."))
                return redirect("reporting:edit", pk=report.pk)
        return render(request, "reporting/create.html", {"form": form})


def _edit_context(report: Report, form: ReportForm) -> dict[str, Any]:
    return {
        "report": report,
        "form": form,
        "required": set(required_fields_for(kind=report.kind, grade=report.incident.grade)),
        "follow_up_fields": ("trend_assessment", "measures", "suggestions"),
        "final_fields": ("outcome", "assessment"),
    }


class ReportEditView(LoginRequiredMixin, View):
    """Edit a draft; "save" keeps it a draft, "submit" saves and submits it upward."""

    def _draft(self, request: HttpRequest, pk: int) -> Report:
        report = _report(request, pk)
        if not can.can_edit(_user(request), report):
            raise PermissionDenied
        return report

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = self._draft(request, pk)
        if not report.is_draft:
            messages.info(request, _("This report has been submitted; it can only be corrected."))
            return redirect("reporting:detail", pk=report.pk)
        return render(request, "reporting/edit.html", _edit_context(report, ReportForm(instance=report)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = self._draft(request, pk)
        form = ReportForm(request.POST, instance=report)
        submit = request.POST.get("action") == "submit"
        actor = Actor.of(_user(request))
        if form.is_valid():
            try:
                report = services.report_update(report=report, actor=actor, **form.cleaned_data)
                if submit:
                    if not can.can_submit(_user(request), report):
                        raise PermissionDenied
                    report = services.report_submit(report=report, actor=actor)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                if submit:
                    messages.success(
                        request,
                        _("Submitted as issue %(number)s of %(year)s.")
                        % {"number": report.number, "year": report.year},
                    )
                    return redirect("reporting:detail", pk=report.pk)
                messages.success(request, _("Draft saved."))
                return redirect("reporting:edit", pk=report.pk)
        report.refresh_from_db()
        return render(request, "reporting/edit.html", _edit_context(report, form))


class ReportSubmitView(ReportEditView):
    """POST …/submit/: submit the draft as it is saved; gaps come back as form errors."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("reporting:edit", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = self._draft(request, pk)
        if not can.can_submit(_user(request), report):
            raise PermissionDenied
        try:
            report = services.report_submit(report=report, actor=Actor.of(_user(request)))
        except ValidationError as error:
            form = ReportForm(instance=report)
            form.full_clean()  # unbound: the saved draft, with an empty error list for the gaps
            form.cleaned_data = {}
            form_errors_from(form, error)
            return render(request, "reporting/edit.html", _edit_context(report, form))
        messages.success(
            request,
            _("Submitted as issue %(number)s of %(year)s.") % {"number": report.number, "year": report.year},
        )
        return redirect("reporting:detail", pk=report.pk)


class ReportDetailView(LoginRequiredMixin, View):
    """The report as the official document (also the browser's print view), with its status."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = _report(request, pk)
        user = _user(request)
        corrected_by = Report.objects.filter(supersedes=report).first()
        return render(
            request,
            "reporting/detail.html",
            {
                "report": report,
                "doc": exports.document(report),
                "corrected_by": corrected_by,
                "can_edit": can.can_edit(user, report) and report.is_draft,
                "can_correct": can.can_create(user)
                and can.can_edit(user, report)
                and not report.is_draft
                and corrected_by is None,
                "missing": services.report_missing_fields(report, grade=report.incident.grade)
                if report.is_draft
                else {},
            },
        )


class ReportExportView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
        report = _report(request, pk)
        return export_response(report, fmt)


def export_response(report: Report, fmt: str) -> HttpResponse:
    if fmt == "docx":
        body, content_type = exports.report_docx(report), DOCX
    elif fmt == "pdf":
        body, content_type = exports.report_pdf(report), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(body, content_type=content_type)
    response.headers["Content-Disposition"] = _attachment(exports.filename(report, fmt))
    return response


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"report.{name.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(name)}"


class ReportCorrectView(LoginRequiredMixin, View):
    """Start a correction: a new draft, copied from the submitted report it will supersede."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        report = _report(request, pk)
        user = _user(request)
        if not (can.can_create(user) and can.can_edit(user, report)):
            raise PermissionDenied
        try:
            draft = services.report_create_draft(
                incident=report.incident, kind=report.kind, actor=Actor.of(user), supersedes=report
            )
        except ValidationError as error:
            for msgs in error.message_dict.values():
                for msg in msgs:
                    messages.error(request, msg)
            return redirect("reporting:detail", pk=report.pk)
        return redirect("reporting:edit", pk=draft.pk)


def incident_panel_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """The "reports" panel on the incident page: its reports and the new 首报/续报/终报 buttons."""
    user = _user(request)
    if not (can_view_incident(user, incident) and user.has_perm("reporting.view_report")):
        return {"reports": [], "actions": [], "visible": False}
    reports = list(reports_of_incident(incident))
    drafts = {(r.kind): r for r in reports if r.is_draft and not r.supersedes_id}
    # The reports are loaded already: answer "is the original in?" from them, not a query
    # per kind.
    originals = {
        r.kind
        for r in reports
        if r.status == ReportStatus.SUBMITTED and r.sequence == 1 and not r.supersedes_id
    }
    actions = []
    if can.can_create(user):
        for kind, label in ReportKind.choices:
            draft = drafts.get(kind)
            blocker = (
                None if draft else services.draft_blocker(incident=incident, kind=kind, originals=originals)
            )
            actions.append({"kind": kind, "label": label, "draft": draft, "blocker": blocker})
    return {
        "visible": True,
        "incident": incident,
        "reports": reports,
        "actions": actions,
        "create_url": reverse("reporting:create"),
    }


class DashboardView(LoginRequiredMixin, View):
    """领导看板: refreshed in place by HTMX every 30 s; works without JavaScript."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from django.utils import timezone

        from reporting.dashboard import dashboard

        return render(request, "reporting/dashboard.html", dashboard(_user(request), now=timezone.now()))
