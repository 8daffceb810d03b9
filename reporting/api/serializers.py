from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.fields import AwareDateTimeField
from incidents.models import Incident, User
from reporting.choices import ReportKind
from reporting.models import Report


def _name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class ReportOutput(serializers.ModelSerializer[Report]):
    """A report. Content fields carry the incident API's names (title, summary, …)."""

    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    heading = serializers.CharField(read_only=True)
    unit = serializers.CharField(source="unit.name", read_only=True)
    signer_name = serializers.SerializerMethodField()
    submitted_by = serializers.SerializerMethodField()
    deadline_due_at = serializers.DateTimeField(source="deadline.due_at", read_only=True, allow_null=True)
    superseded_by = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "incident",
            "incident_reference",
            "kind",
            "sequence",
            "status",
            "heading",
            "grade",
            "unit",
            "unit_id",
            "document_name",
            "secrecy",
            "year",
            "number",
            "title",
            "summary",
            "first_published_at",
            "first_outlet",
            "first_url",
            "spread",
            "spread_data",
            "facts",
            "background",
            "attachments",
            "trend_assessment",
            "measures",
            "suggestions",
            "outcome",
            "assessment",
            "signer",
            "signer_name",
            "report_to",
            "send_to",
            "copy_to",
            "copies",
            "submitted_at",
            "submitted_by",
            "deadline",
            "deadline_due_at",
            "on_time",
            "minutes_late",
            "supersedes",
            "superseded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_signer_name(self, obj: Report) -> str | None:
        return _name(obj.signer)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_submitted_by(self, obj: Report) -> str | None:
        return _name(obj.submitted_by)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_superseded_by(self, obj: Report) -> int | None:
        try:
            return obj.superseded_by.pk
        except Report.DoesNotExist:
            return None


class ReportCreateInput(serializers.Serializer):
    """``{incident, kind}`` starts a prefilled draft; ``{incident, supersedes}`` a correction."""

    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    kind = serializers.ChoiceField(choices=ReportKind.choices, required=False)
    supersedes = serializers.PrimaryKeyRelatedField(queryset=Report.objects.all(), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "kind" not in attrs and "supersedes" not in attrs:
            raise serializers.ValidationError(
                {"kind": [serializers.Field.default_error_messages["required"]]}
            )
        return attrs


class ReportPatchInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    first_published_at = AwareDateTimeField(required=False, allow_null=True)
    first_outlet = serializers.CharField(max_length=200, required=False, allow_blank=True)
    first_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    spread = serializers.CharField(required=False, allow_blank=True)
    facts = serializers.CharField(required=False, allow_blank=True)
    background = serializers.CharField(required=False, allow_blank=True)
    attachments = serializers.CharField(required=False, allow_blank=True)
    trend_assessment = serializers.CharField(required=False, allow_blank=True)
    measures = serializers.CharField(required=False, allow_blank=True)
    suggestions = serializers.CharField(required=False, allow_blank=True)
    outcome = serializers.CharField(required=False, allow_blank=True)
    assessment = serializers.CharField(required=False, allow_blank=True)
    document_name = serializers.CharField(max_length=40, required=False)
    secrecy = serializers.CharField(max_length=40, required=False, allow_blank=True)
    signer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    report_to = serializers.CharField(max_length=500, required=False, allow_blank=True)
    send_to = serializers.CharField(max_length=500, required=False, allow_blank=True)
    copy_to = serializers.CharField(max_length=500, required=False, allow_blank=True)
    copies = serializers.IntegerField(min_value=1, max_value=9999, required=False, allow_null=True)
