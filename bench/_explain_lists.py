"""EXPLAIN ANALYZE every list query (incidents, detections, reports, alerts, the bell, the
dashboard) at a realistic size. Not part of ``make bench`` (it needs the data set below).

    createdb -h 127.0.0.1 -U postgres opinion_explain
    export DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/opinion_explain
    .venv/bin/python manage.py migrate
    psql -h 127.0.0.1 -U postgres opinion_explain -f bench/_explain_lists.sql   # ~1 min
    .venv/bin/python -m bench._explain_lists [name filter …]   # PLANS=1 prints each plan

Figures from it are in docs/queries.md."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opinion.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.utils import timezone  # noqa: E402

from alerts.models import Notification  # noqa: E402
from alerts.selectors import alerts_visible_to, alerts_with_deliveries  # noqa: E402
from incidents.filtersets import IncidentFilterSet  # noqa: E402
from incidents.models import Deadline, Incident, User  # noqa: E402
from incidents.selectors import incidents_visible_to, incidents_with_clocks  # noqa: E402
from monitoring import selectors as monitoring  # noqa: E402
from monitoring.filtersets import DetectionFilterSet  # noqa: E402
from monitoring.models import Detection  # noqa: E402
from reporting import dashboard  # noqa: E402
from reporting.api.views import ReportFilterSet  # noqa: E402
from reporting.selectors import reports_visible_to  # noqa: E402

ONLY = sys.argv[1:]


def _last_sql(fn: Callable[[], Any]) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return seen[-1]


def explain(name: str, qs: QuerySet[Any], *, count: bool = True) -> None:
    """The page query (``qs`` sliced) and, for paged lists, the paginator's COUNT."""
    if ONLY and not any(o in name for o in ONLY):
        return
    for label in ("page", "count") if count else ("page",):
        if label == "count":
            base = qs._chain()  # type: ignore[attr-defined]
            base.query.clear_limits()
            sql, params = _last_sql(base.count)
        else:
            sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        ms = re.search(r"Execution Time: ([\d.]+) ms", plan)
        print(f"{name} [{label}]: {ms.group(1) if ms else '?'} ms")
        if os.environ.get("PLANS"):
            print(plan, "\n")


def q(params: str) -> QueryDict | None:
    return QueryDict(params) if params else None


def main() -> None:
    duty = User.objects.get(username="user1")  # 值班员, unit 1
    leader = User.objects.get(username="user10")  # 领导小组: every unit
    now = timezone.now()
    people = (("duty", duty), ("leader", leader))
    for who, user in people:
        for p in (
            "",
            "grade=major&grade=general",
            "status=new&status=reported",
            "overdue=true",
            "occurred_after=2026-01-01&occurred_before=2026-02-01",
            "source=police",
            "q=舆情",
        ):
            base = incidents_with_clocks(incidents_visible_to(user))
            explain(f"incidents {who} {p}", IncidentFilterSet(q(p), queryset=base).qs[:25])
    for who, user in people:
        base = Detection.objects.select_related("client").order_by("-at", "-id")
        if not user.sees_all_units:
            base = base.filter(matches__incident__in=incidents_visible_to(user)).distinct()
        for p in ("", "since=2026-01-01&until=2026-01-31", "platform=微博&sentiment=negative", "q=食堂"):
            explain(f"detections {who} {p}", DetectionFilterSet(q(p), queryset=base).qs[:50])
    big = Incident.objects.order_by("-id")[1]
    for p in ("", "sentiment=negative", "since=2026-01-01"):
        qs = DetectionFilterSet(q(p), queryset=monitoring.incident_detections(big)).qs
        explain(f"incident detections {p}", qs[:50])
    for who, user in people:
        base = reports_visible_to(user)
        explain(f"reports page {who}", base.order_by("-submitted_at", "-created_at")[:50])
        page = base.order_by("-submitted_at", "-created_at").filter(status="submitted", kind="first")
        explain(f"reports page {who} status=submitted&kind=first", page[:50])
        for p in ("", "kind=follow_up&status=draft", "year=2025"):
            qs = ReportFilterSet(q(p), queryset=base.order_by("-created_at", "-id")).qs
            explain(f"reports API {who} {p}", qs[:50])
    for who, user in people:
        for state in ("open", "all"):
            qs = alerts_with_deliveries(alerts_visible_to(user))
            if state == "open":
                qs = qs.filter(acknowledged_at__isnull=True)
            explain(f"alerts {who} {state}", qs[:50])
    explain("bell", Notification.objects.filter(recipient=duty, channel_kind="in_app", read_at__isnull=True))
    for who, user in people:
        incidents = dashboard._open_incidents(user)
        explain(f"dashboard matrix {who}", incidents.values("grade", "status").order_by(), count=False)
        deadlines = (
            Deadline.objects.open().filter(incident__in=incidents.values("pk")).select_related("incident")
        )
        explain(
            f"dashboard overdue {who}", deadlines.filter(due_at__lte=now).order_by("due_at")[:20], count=False
        )
        soon = deadlines.filter(due_at__gt=now, due_at__lte=now + timedelta(hours=1)).order_by("due_at")
        explain(f"dashboard due soon {who}", soon[:20], count=False)
        explain(f"dashboard late reports {who}", dashboard.late_reports(user, now=now), count=False)
        explain(f"dashboard spread {who}", incidents.order_by("-occurred_at")[:20], count=False)


if __name__ == "__main__":
    main()
