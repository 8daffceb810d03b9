"""Filters for detection lists (browser)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from monitoring.choices import Sentiment
from monitoring.models import Detection


class DetectionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    platform = django_filters.CharFilter(label=_("Platform"), field_name="platform")
    sentiment = django_filters.ChoiceFilter(label=_("Sentiment"), choices=Sentiment.choices)
    since = django_filters.DateFilter(label=_("From"), field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=_("To"), field_name="at", lookup_expr="date__lte")

    class Meta:
        model = Detection
        fields = ["q", "platform", "sentiment", "since", "until"]

    def search(self, queryset: QuerySet[Detection], name: str, value: str) -> QuerySet[Detection]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(outlet__icontains=value) | Q(text__icontains=value)
        )
