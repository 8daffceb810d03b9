"""Browser views: the alerts page, acknowledge, the bell (polled by HTMX), and /healthz."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from alerts.selectors import alerts_visible_to, alerts_with_deliveries, sweep_status, unread_alert_ids
from alerts.services import alert_acknowledge, notifications_mark_read, outbox_stuck
from incidents.timeline import Actor

log = logging.getLogger(__name__)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("alerts:list")
    return HttpResponseRedirect(target)


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    qs = alerts_with_deliveries(alerts_visible_to(request.user))  # type: ignore[arg-type]
    if state == "open":
        qs = qs.filter(acknowledged_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    # Only the rows shown: a busy officer's unread notifications run into the thousands.
    unread = unread_alert_ids(request.user, [alert.pk for alert in page])  # type: ignore[arg-type]
    return render(request, "alerts/alert_list.html", {"page": page, "state": state, "unread_ids": unread})


@login_required
@require_POST
def alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(alerts_visible_to(request.user), pk=pk)  # type: ignore[arg-type]
    if not request.user.has_perm("alerts.acknowledge_alert"):
        messages.error(request, _("You may not acknowledge alerts."))
        return _back(request)
    try:
        alert_acknowledge(alert=alert, actor=Actor.of(request.user))  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Alert acknowledged."))
    return _back(request)


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)  # type: ignore[arg-type]
    return _back(request)


@login_required
@require_GET
@never_cache
def bell(request: HttpRequest) -> HttpResponse:
    """The bell alone, for HTMX to refresh every 30 seconds."""
    return render(request, "alerts/_bell.html")


def _broker_ok() -> tuple[bool, str]:
    from opinion.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as exc:  # any failure to connect is a failed check
        return False, f"{type(exc).__name__}: {exc}"[:300]
    return True, ""


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database and broker answer and the
    sweep ran within ``ALERTS_SWEEP_STALE_SECONDS``; 503 otherwise, with the reason."""
    body: dict[str, object] = {"time": timezone.now().isoformat()}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["database"] = {"ok": True}
    except Exception as exc:
        healthy = False
        body["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    broker_ok, broker_error = _broker_ok()
    healthy &= broker_ok
    body["broker"] = {"ok": broker_ok, **({"error": broker_error} if broker_error else {})}
    if body["database"]["ok"]:  # type: ignore[index]
        status = sweep_status()
        healthy &= not status.stale
        body["sweep"] = {
            "ok": not status.stale,
            "seconds_since_last": None if status.seconds_since is None else round(status.seconds_since, 1),
            "last_at": status.last_at.isoformat() if status.last_at else None,
            "stale_after_seconds": status.limit_seconds,
            "interval_seconds": settings.SWEEP_INTERVAL_SECONDS,
        }
        body["outbox"] = {"stuck": outbox_stuck(now=timezone.now()).count()}
    body["status"] = "ok" if healthy else "fail"
    return JsonResponse(body, status=200 if healthy else 503)
