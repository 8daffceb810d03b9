"""Browser views for incidents. Thin: read through the selectors, check through
``incidents.permissions``, write through ``incidents.services``.

Another unit's incident is 404 (its existence is not disclosed), as in the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from incidents import permissions as can
from incidents import services
from incidents.choices import Grade, Source, Status
from incidents.filtersets import IncidentFilterSet
from incidents.forms import AttachmentForm, IncidentForm, RegradeForm, TransitionForm, add_service_errors
from incidents.models import Incident, User
from incidents.panels import panels
from incidents.selectors import incidents_visible_to, incidents_with_clocks
from incidents.timeline import Actor

StrOrPromise = str | Promise


def incident_url(incident: Incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def incident_for(request: HttpRequest, pk: int) -> Incident:
    """The incident if the user may see it; 404 otherwise (another unit's incident included)."""
    return get_object_or_404(incidents_with_clocks(incidents_visible_to(_user(request))), pk=pk)


class IncidentListView(LoginRequiredMixin, ListView):
    """Incidents the user can see, filtered with the API's filterset, each with its next clock."""

    template_name = "incidents/list.html"
    paginate_by = 25
    context_object_name = "incidents"

    def get_queryset(self) -> QuerySet[Incident]:
        user = _user(self.request)
        self.filterset = IncidentFilterSet(
            self.request.GET or None,
            queryset=incidents_with_clocks(incidents_visible_to(user)),
            request=self.request,
        )
        form = self.filterset.form
        # Checkboxes read better than a multi-select under time pressure.
        for name, choices in (("grade", Grade.choices), ("status", Status.choices)):
            form.fields[name].widget = forms.CheckboxSelectMultiple(choices=choices)
        for name in ("occurred_after", "occurred_before"):
            form.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        form.fields["overdue"].widget = forms.Select(
            choices=[("", _("Any")), ("true", _("Overdue only")), ("false", _("Not overdue"))]
        )
        form.fields["source"].widget.choices = [("", _("All")), *Source.choices]
        if user.sees_all_units:
            form.fields["unit"].empty_label = _("All")
        else:
            del form.fields["unit"]  # one unit only: the filter would offer nothing
        return self.filterset.qs

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:  # type: ignore[attr-defined]
            return ["incidents/_list_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filterset=self.filterset,
            filter_query=query.urlencode(),
            filtered=bool(self.request.GET and any(v for k, v in self.request.GET.items() if k != "page")),
            can_create=can.can_create(_user(self.request)),
        )
        return context


class IncidentCreateView(LoginRequiredMixin, View):
    """Log an incident (登记): numbered, its clocks started, by ``incident_create``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not can.can_create(_user(request)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, IncidentForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IncidentForm(request.POST)
        if form.is_valid():
            try:
                incident = services.incident_create(
                    actor=Actor.of(_user(request)), grade=form.cleaned_data["grade"], **form.service_fields()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Incident %(reference)s logged.") % {"reference": incident.reference}
                )
                return HttpResponseRedirect(incident_url(incident))
        return self._render(request, form)

    def _render(self, request: HttpRequest, form: IncidentForm) -> HttpResponse:
        return render(request, "incidents/form.html", {"form": form, "incident": None})


class IncidentUpdateView(LoginRequiredMixin, View):
    """Edit the report fields. Grade and status change through their own forms (with a reason)."""

    def setup_incident(self, request: HttpRequest, pk: int) -> Incident:
        incident = incident_for(request, pk)
        if not can.can_edit(_user(request), incident):
            raise PermissionDenied
        return incident

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.setup_incident(request, pk)
        return self._render(request, IncidentForm(instance=incident), incident)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.setup_incident(request, pk)
        # The form validates a copy, so a refused edit leaves the page's incident untouched.
        form = IncidentForm(request.POST, instance=incident_for(request, pk))
        if form.is_valid():
            try:
                services.incident_update(
                    incident=incident, actor=Actor.of(_user(request)), **form.service_fields()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return HttpResponseRedirect(incident_url(incident))
        return self._render(request, form, incident)

    def _render(self, request: HttpRequest, form: IncidentForm, incident: Incident) -> HttpResponse:
        return render(request, "incidents/form.html", {"form": form, "incident": incident})


class IncidentDetailView(LoginRequiredMixin, View):
    """Every report field, the clocks, the timeline, the regrade and status forms, and the
    panels other apps register. The POST views below re-render it with a bound form on error."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return incident_detail(request, incident_for(request, pk))


# The report's fields (报送要素) in the order a report upward lists them.
REPORT_FIELDS = (
    "summary",
    "occurred_at",
    "discovered_at",
    "first_published_at",
    "first_outlet",
    "first_url",
    "spread",
    "facts",
    "background",
)


def report_fields(incident: Incident) -> list[dict[str, Any]]:
    rows = []
    for name in REPORT_FIELDS:
        field = Incident._meta.get_field(name)
        assert isinstance(field, models.Field)
        kind = (
            "time"
            if isinstance(field, models.DateTimeField)
            else "url"
            if isinstance(field, models.URLField)
            else "text"
            if isinstance(field, models.TextField)
            else "plain"
        )
        rows.append(
            {"name": name, "label": field.verbose_name, "value": getattr(incident, name), "kind": kind}
        )
    return rows


def incident_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    regrade_form: RegradeForm | None = None,
    transition_form: TransitionForm | None = None,
    attachment_form: AttachmentForm | None = None,
) -> HttpResponse:
    user = _user(request)
    deadlines = list(incident.deadlines.all())
    context = {
        "incident": incident,
        "report_fields": report_fields(incident),
        "open_deadlines": [d for d in deadlines if d.is_open],
        "closed_deadlines": [d for d in deadlines if not d.is_open],
        "timeline": incident.timeline.select_related("actor_user").order_by("-at", "-id"),
        "attachments": incident.attachments.all(),
        "can_edit": can.can_edit(user, incident),
        "can_regrade": can.can_regrade(user, incident) and incident.is_open,
        "can_transition": can.can_transition(user, incident),
        "can_attach": can.can_view(user, incident) and user.has_perm("incidents.add_incidentattachment"),
        "regrade_form": regrade_form or RegradeForm(incident=incident),
        "transition_form": transition_form or TransitionForm(incident=incident),
        "attachment_form": attachment_form or AttachmentForm(),
        "panels": panels(),
    }
    return render(request, "incidents/detail.html", context)


class IncidentDeadlinesView(LoginRequiredMixin, View):
    """The clocks panel alone, refreshed by HTMX so a deadline met elsewhere shows up."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = incident_for(request, pk)
        deadlines = list(incident.deadlines.all())
        return render(
            request,
            "incidents/_deadlines.html",
            {
                "incident": incident,
                "open_deadlines": [d for d in deadlines if d.is_open],
                "closed_deadlines": [d for d in deadlines if not d.is_open],
            },
        )


class IncidentActionView(LoginRequiredMixin, View):
    """A form posted from the incident page that runs one service: refused with 403 without
    the permission, re-rendered on the page with the errors (the service's too) when invalid,
    redirected back with a message when done."""

    form_name: str  # the detail page's context name for this form
    anchor = "#content"
    success_message: StrOrPromise  # lazily translated: read per request, in its language

    def allowed(self, user: User, incident: Incident) -> bool:
        raise NotImplementedError

    def make_form(self, request: HttpRequest, incident: Incident) -> forms.BaseForm:
        raise NotImplementedError

    def perform(self, actor: Actor, incident: Incident, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = incident_for(request, pk)
        if not self.allowed(_user(request), incident):
            raise PermissionDenied
        form = self.make_form(request, incident)
        if form.is_valid():
            try:
                self.perform(Actor.of(_user(request)), incident, form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, str(self.success_message))
                return HttpResponseRedirect(incident_url(incident) + self.anchor)
        bound: dict[str, Any] = {self.form_name: form}  # the page shows this form with its errors
        return incident_detail(request, incident_for(request, pk), **bound)


class IncidentRegradeView(IncidentActionView):
    form_name = "regrade_form"
    success_message = gettext_lazy("Grade changed; the first-report deadline follows the new grade.")

    def allowed(self, user: User, incident: Incident) -> bool:
        return can.can_regrade(user, incident)

    def make_form(self, request: HttpRequest, incident: Incident) -> forms.BaseForm:
        return RegradeForm(request.POST, incident=incident)

    def perform(self, actor: Actor, incident: Incident, data: dict[str, Any]) -> None:
        services.incident_regrade(incident=incident, actor=actor, grade=data["grade"], reason=data["reason"])


class IncidentTransitionView(IncidentActionView):
    form_name = "transition_form"
    success_message = gettext_lazy("Status changed.")

    def allowed(self, user: User, incident: Incident) -> bool:
        return can.can_transition(user, incident)

    def make_form(self, request: HttpRequest, incident: Incident) -> forms.BaseForm:
        return TransitionForm(request.POST, incident=incident)

    def perform(self, actor: Actor, incident: Incident, data: dict[str, Any]) -> None:
        services.incident_transition(
            incident=incident, actor=actor, status=data["status"], reason=data["reason"]
        )


class AttachmentAddView(IncidentActionView):
    form_name = "attachment_form"
    anchor = "#attachments"
    success_message = gettext_lazy("Attachment added.")

    def allowed(self, user: User, incident: Incident) -> bool:
        return user.has_perm("incidents.add_incidentattachment")

    def make_form(self, request: HttpRequest, incident: Incident) -> forms.BaseForm:
        return AttachmentForm(request.POST, request.FILES)

    def perform(self, actor: Actor, incident: Incident, data: dict[str, Any]) -> None:
        services.attachment_add(
            incident=incident, actor=actor, file=data["file"], description=data["description"]
        )
