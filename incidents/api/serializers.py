from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.fields import AwareDateTimeField
from incidents.choices import DeadlineKind, Grade, ResponseLevel, Source, Status, WarningLevel
from incidents.models import Deadline, Incident
from incidents.selectors import incident_report_deadline


class DeadlineOutput(serializers.ModelSerializer[Deadline]):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Deadline
        fields = ["kind", "sequence", "due_at", "met_at", "cancelled_at", "minutes_late", "overdue"]

    def get_overdue(self, obj: Deadline) -> bool:
        return obj.is_overdue()


class IncidentOutput(serializers.ModelSerializer[Incident]):
    unit: serializers.StringRelatedField = serializers.StringRelatedField()
    unit_id = serializers.IntegerField(read_only=True)
    owner = serializers.SerializerMethodField()
    report_due_at = serializers.SerializerMethodField()
    deadlines = DeadlineOutput(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "summary",
            "grade",
            "source",
            "status",
            "warning_level",
            "response_level",
            "occurred_at",
            "discovered_at",
            "first_published_at",
            "first_outlet",
            "first_url",
            "spread",
            "facts",
            "background",
            "unit",
            "unit_id",
            "owner",
            "report_due_at",
            "deadlines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_owner(self, obj: Incident) -> str | None:
        return obj.owner.get_username() if obj.owner else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_report_due_at(self, obj: Incident) -> str | None:
        deadline = incident_report_deadline(obj)
        return serializers.DateTimeField().to_representation(deadline.due_at) if deadline else None


class IncidentInput(serializers.Serializer):
    """What a client may write. Grade changes after creation go through ``regrade``."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField()
    grade = serializers.ChoiceField(choices=Grade.choices)
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    occurred_at = AwareDateTimeField()
    discovered_at = AwareDateTimeField()
    first_published_at = AwareDateTimeField(required=False, allow_null=True)
    first_outlet = serializers.CharField(max_length=200, required=False, allow_blank=True)
    first_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    spread = serializers.CharField(required=False, allow_blank=True)
    facts = serializers.CharField(required=False, allow_blank=True)
    background = serializers.CharField(required=False, allow_blank=True)
    warning_level = serializers.ChoiceField(choices=WarningLevel.choices, required=False, allow_blank=True)
    response_level = serializers.ChoiceField(choices=ResponseLevel.choices, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        occurred, discovered = attrs.get("occurred_at"), attrs.get("discovered_at")
        if occurred and discovered and discovered < occurred:
            raise serializers.ValidationError(
                {"discovered_at": [_("Discovery cannot come before the event occurred.")]}
            )
        return attrs


class IncidentPatchInput(IncidentInput):
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields.pop("grade")
        for field in fields.values():
            field.required = False
        return fields

    def validate(self, attrs: dict) -> dict:
        # Checked here, once the body is known to be an object (a JSON null or list is refused
        # before this with "expected a dictionary").
        if "grade" in self.initial_data:
            raise serializers.ValidationError(
                {"grade": ["Use POST …/regrade/ with a reason to change the grade."]}
            )
        incident: Incident = self.context["incident"]
        occurred = attrs.get("occurred_at", incident.occurred_at)
        discovered = attrs.get("discovered_at", incident.discovered_at)
        if discovered < occurred:
            raise serializers.ValidationError(
                {"discovered_at": [_("Discovery cannot come before the event occurred.")]}
            )
        return attrs


class RegradeInput(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    reason = serializers.CharField(max_length=1000)


class TransitionInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(max_length=1000)


__all__ = [
    "DeadlineKind",
    "DeadlineOutput",
    "IncidentInput",
    "IncidentOutput",
    "RegradeInput",
    "TransitionInput",
]
