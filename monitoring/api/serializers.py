"""Serializers for the keyword rules API and the schema of the ingest endpoint.

Ingest itself validates items with plain checks (``monitoring.validation``): the serializers
below document the shape for the OpenAPI schema and are not run on the hot path."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from incidents.api.fields import AwareDateTimeField
from monitoring.choices import Scope, Sentiment
from monitoring.models import KeywordRule


class KeywordRuleInput(serializers.Serializer):
    groups = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(max_length=50), allow_empty=False),
        allow_empty=False,
        help_text="Groups of terms: any term within a group, every group required (主体词 AND 事件词).",
    )
    exclude = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        default=list,
        help_text="屏蔽词: none may appear.",
    )
    scope = serializers.ChoiceField(choices=Scope.choices, required=False, default=Scope.BOTH)
    is_active = serializers.BooleanField(required=False, default=True)


class KeywordRulePatchInput(KeywordRuleInput):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            field.default = serializers.empty
        return fields


class KeywordRuleOutput(serializers.ModelSerializer[KeywordRule]):
    class Meta:
        model = KeywordRule
        fields = ["id", "incident", "groups", "exclude", "scope", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class FeedIncident(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()


class FeedRule(serializers.Serializer):
    id = serializers.IntegerField()
    incident = FeedIncident()
    groups = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    exclude = serializers.ListField(child=serializers.CharField())
    scope = serializers.ChoiceField(choices=Scope.choices)
    updated_at = serializers.DateTimeField()


class RulesFeedOutput(serializers.Serializer):
    version = serializers.IntegerField()
    rules = FeedRule(many=True)


class MetricsInput(serializers.Serializer):
    reads = serializers.IntegerField(min_value=0, required=False)
    reposts = serializers.IntegerField(min_value=0, required=False)
    comments = serializers.IntegerField(min_value=0, required=False)
    likes = serializers.IntegerField(min_value=0, required=False)


class DetectionItemInput(serializers.Serializer):
    """One detection, as a DRF serializer: the shape documented in the schema, and the baseline
    the benchmark compares the plain checks with."""

    external_id = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True)
    outlet = serializers.CharField(max_length=200, required=False, allow_blank=True)
    author = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    text = serializers.CharField(max_length=100_000, required=False, allow_blank=True)
    published_at = AwareDateTimeField(required=False, allow_null=True)
    metrics = MetricsInput(required=False)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)


class DetectionBatchInput(serializers.Serializer):
    items = DetectionItemInput(many=True, max_length=1000)  # type: ignore[call-arg]


# "errors" would shadow Serializer.errors as a class attribute: build the schema-only
# serializer from a dict.
ItemResultOutput = inline_serializer(
    name="DetectionItemResult",
    fields={
        "external_id": serializers.CharField(allow_null=True),
        "status": serializers.ChoiceField(choices=["created", "updated", "rejected"]),
        "incidents": serializers.ListField(child=serializers.IntegerField()),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


class DetectionBatchOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = serializers.ListField(child=ItemResultOutput)


class SpreadOutput(serializers.Serializer):
    """``monitoring.selectors.incident_spread_summary``, for the schema."""

    total = serializers.IntegerField()
    by_sentiment = serializers.DictField(child=serializers.IntegerField())
    by_platform = serializers.ListField(child=serializers.DictField())
    top_outlets = serializers.ListField(child=serializers.DictField())
    metrics = serializers.DictField(child=serializers.IntegerField())
    hourly = serializers.ListField(child=serializers.DictField())
    earliest = serializers.DictField(allow_null=True)
