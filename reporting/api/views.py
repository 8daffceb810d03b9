from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.permissions import can_view as can_view_incident
from incidents.timeline import Actor
from reporting import exports, services
from reporting import permissions as can
from reporting.api.renderers import DocxRenderer, PdfRenderer
from reporting.api.serializers import ReportCreateInput, ReportOutput, ReportPatchInput
from reporting.choices import ReportKind, ReportStatus
from reporting.models import Report
from reporting.selectors import reports_visible_to


class ReportFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields = ["incident", "kind", "status", "unit", "year"]


class ReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Reports on the caller's unit's incidents (every unit's for the leadership group and
    administrators). Another unit's report answers 404: its existence is not disclosed."""

    serializer_class = ReportOutput
    filterset_class = ReportFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Report]:
        return reports_visible_to(self.request.user).order_by("-created_at", "-id")  # type: ignore[arg-type]

    def _actor(self) -> Actor:
        return Actor.of(self.request.user)  # type: ignore[arg-type]

    def _output(self, report: Report, code: int = status.HTTP_200_OK) -> Response:
        report = self.get_queryset().get(pk=report.pk)
        return Response(ReportOutput(report, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=ReportCreateInput, responses={201: ReportOutput})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        if not can.can_create(user):  # type: ignore[arg-type]
            raise PermissionDenied()
        data = ReportCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = data.validated_data["incident"]
        supersedes = data.validated_data.get("supersedes")
        if not can_view_incident(user, incident):  # type: ignore[arg-type]
            # Same answer as an unknown id: another unit's incident is not disclosed.
            return Response(
                {"incident": [f'Invalid pk "{incident.pk}" - object does not exist.']},
                status=status.HTTP_400_BAD_REQUEST,
            )
        report = services.report_create_draft(
            incident=incident,
            kind=supersedes.kind if supersedes else data.validated_data["kind"],
            actor=self._actor(),
            supersedes=supersedes,
        )
        return self._output(report, status.HTTP_201_CREATED)

    @extend_schema(request=ReportPatchInput, responses=ReportOutput)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = self.get_object()
        if not can.can_edit(request.user, report):  # type: ignore[arg-type]
            raise PermissionDenied()
        data = ReportPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        unknown = sorted(set(request.data) - set(data.fields))
        if unknown:
            return Response(
                {name: ["This field cannot be changed here."] for name in unknown},
                status=status.HTTP_400_BAD_REQUEST,
            )
        report = services.report_update(report=report, actor=self._actor(), **data.validated_data)
        return self._output(report)

    @extend_schema(request=None, responses=ReportOutput)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Submit upward: 400 naming each missing field, or the report with number and on_time."""
        report = self.get_object()
        if not can.can_submit(request.user, report):  # type: ignore[arg-type]
            raise PermissionDenied()
        report = services.report_submit(report=report, actor=self._actor())
        return self._output(report)

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["docx", "pdf"], required=True)],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, DocxRenderer.media_type): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[DocxRenderer, PdfRenderer])
    def export(self, request: Request, pk: str | None = None) -> Response:
        """The official document as Word or PDF."""
        report = self.get_object()
        fmt = request.accepted_renderer.format
        if fmt == "docx":
            body = exports.report_docx(report)
        elif fmt == "pdf":
            body = exports.report_pdf(report)
        else:  # pragma: no cover - negotiation admits only the two renderers
            raise NotFound()
        from reporting.views import _attachment

        return Response(body, headers={"Content-Disposition": _attachment(exports.filename(report, fmt))})
