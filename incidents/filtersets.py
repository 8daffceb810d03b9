"""One filterset for the browser list and the API list."""

from __future__ import annotations

from datetime import date, datetime, time

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import Grade, Source, Status
from incidents.models import Incident, Unit


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    grade = django_filters.MultipleChoiceFilter(label=_("grade"), choices=Grade.choices)
    status = django_filters.MultipleChoiceFilter(label=_("status"), choices=Status.choices)
    source = django_filters.ChoiceFilter(label=_("source"), choices=Source.choices)
    unit = django_filters.ModelChoiceFilter(label=_("unit"), queryset=Unit.objects.all())
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    occurred_after = django_filters.DateFilter(
        label=_("Occurred on or after"), field_name="occurred_at", method="filter_after"
    )
    occurred_before = django_filters.DateFilter(
        label=_("Occurred on or before"), field_name="occurred_at", method="filter_before"
    )

    class Meta:
        model = Incident
        fields = ["q", "grade", "status", "source", "unit", "overdue", "occurred_after", "occurred_before"]

    def filter_q(self, qs: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        for term in value.split():
            qs = qs.filter(
                Q(reference__icontains=term)
                | Q(title__icontains=term)
                | Q(summary__icontains=term)
                | Q(first_outlet__icontains=term)
            )
        return qs

    def filter_overdue(self, qs: QuerySet[Incident], name: str, value: bool | None) -> QuerySet[Incident]:
        if value is None:
            return qs
        overdue = Q(
            deadlines__met_at__isnull=True,
            deadlines__cancelled_at__isnull=True,
            deadlines__due_at__lte=timezone.now(),
        )
        ids = Incident.objects.filter(overdue).values("pk")
        return qs.filter(pk__in=ids) if value else qs.exclude(pk__in=ids)

    # Dates are Beijing dates: 3月5日 means 00:00–24:00 in Asia/Shanghai, not in UTC.
    def filter_after(self, qs: QuerySet[Incident], name: str, value: date) -> QuerySet[Incident]:
        start = timezone.make_aware(datetime.combine(value, time.min))
        return qs.filter(occurred_at__gte=start)

    def filter_before(self, qs: QuerySet[Incident], name: str, value: date) -> QuerySet[Incident]:
        end = timezone.make_aware(datetime.combine(value, time.max))
        return qs.filter(occurred_at__lte=end)
