"""Browser views: the monitoring panel on the incident page, its actions, and detection lists.

Views are thin: permissions, a form, one service call, a redirect (or an HTMX partial)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import permissions as can
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from incidents.timeline import Actor
from monitoring import selectors, services
from monitoring.charts import hourly_chart
from monitoring.filtersets import DetectionFilterSet
from monitoring.forms import KeywordRuleForm
from monitoring.models import Detection, KeywordRule
from monitoring.selectors import (
    incident_earliest_detection,
    incident_rules,
    incident_spread_summary,
)

PANEL_DETECTIONS = 20
PAGE_SIZE = 50


def _incident(request: HttpRequest, pk: int) -> Incident:
    return get_object_or_404(incidents_visible_to(request.user), pk=pk)  # type: ignore[arg-type]


def incident_panel_context(
    request: HttpRequest, incident: Incident, *, rule_form: KeywordRuleForm | None = None
) -> dict[str, Any]:
    """Everything the monitoring panel shows, under one name (``mon``) so it never collides
    with the incident page's own context."""
    user = request.user
    earliest = incident_earliest_detection(incident)
    summary = incident_spread_summary(incident, earliest=earliest)
    filters = DetectionFilterSet(request.GET or None, queryset=selectors.incident_detections(incident))
    detections = filters.qs[:PANEL_DETECTIONS]
    can_accept = (
        earliest is not None
        and can.can_edit(user, incident)  # type: ignore[arg-type]
        and (incident.first_published_at != earliest.published_at or incident.first_url != earliest.url)
    )
    return {
        "mon": {
            "summary": summary,
            "chart": hourly_chart(summary["hourly"]),
            "rules": list(incident_rules(incident)),
            "can_edit_rules": user.has_perm("monitoring.add_keywordrule"),
            "can_toggle_rules": user.has_perm("monitoring.change_keywordrule"),
            "rule_form": rule_form or KeywordRuleForm(),
            "earliest": earliest,
            "can_accept": can_accept,
            "filters": filters,
            "detections": detections,
            "more_url": reverse("monitoring:incident_detections", args=[incident.pk]),
        }
    }


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)  # type: ignore[arg-type]  # login_required


def _back(incident: Incident) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("incidents:detail", args=[incident.pk]) + "#monitoring")


@login_required
@require_POST
def rule_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    if not request.user.has_perm("monitoring.add_keywordrule"):
        raise PermissionDenied
    form = KeywordRuleForm(request.POST)
    if form.is_valid():
        try:
            services.keyword_rule_create(incident=incident, actor=_actor(request), **form.cleaned_rule())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Keyword rule added. Monitoring systems see it at their next poll."))
            return _back(incident)
    return render(
        request,
        "monitoring/rule_form.html",
        {"incident": incident, "form": form},
        status=400,
    )


@login_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    if not request.user.has_perm("monitoring.change_keywordrule"):
        raise PermissionDenied
    rule = get_object_or_404(KeywordRule, pk=rule_pk, incident=incident)
    services.keyword_rule_update(rule=rule, actor=_actor(request), is_active=not rule.is_active)
    return _back(incident)


@login_required
@require_POST
def first_publication_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the earliest matched detection becomes 首发时间, 首发媒体 and 链接."""
    incident = _incident(request, pk)
    if not can.can_edit(request.user, incident):  # type: ignore[arg-type]
        raise PermissionDenied
    detection = get_object_or_404(Detection, pk=request.POST.get("detection"), matches__incident=incident)
    try:
        services.first_publication_accept(incident=incident, actor=_actor(request), detection=detection)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("First publication taken from the earliest detection."))
    return _back(incident)


def _page(request: HttpRequest, queryset: QuerySet[Detection]) -> tuple[DetectionFilterSet, Any]:
    filters = DetectionFilterSet(request.GET or None, queryset=queryset)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return filters, page


@login_required
def incident_detections(request: HttpRequest, pk: int) -> HttpResponse:
    """An incident's detections, filterable and paged (a partial for HTMX, else a page)."""
    incident = _incident(request, pk)
    filters, page = _page(request, selectors.incident_detections(incident))
    context = {"incident": incident, "filters": filters, "page": page}
    if getattr(request, "htmx", False):
        return render(request, "monitoring/_detection_rows.html", {**context, "rows": page})
    return render(request, "monitoring/incident_detections.html", context)


@login_required
def detections(request: HttpRequest) -> HttpResponse:
    """All detections the user may see: those matched to visible incidents (every detection
    for the leadership group and administrators, matched or not)."""
    user = request.user
    queryset = Detection.objects.select_related("client").order_by("-at", "-id")
    if not user.sees_all_units:  # type: ignore[union-attr]
        queryset = queryset.filter(matches__incident__in=incidents_visible_to(user)).distinct()  # type: ignore[arg-type]
    filters, page = _page(request, queryset)
    context = {"filters": filters, "page": page}
    if getattr(request, "htmx", False):
        return render(request, "monitoring/_detection_rows.html", {**context, "rows": page})
    return render(request, "monitoring/detections.html", context)
