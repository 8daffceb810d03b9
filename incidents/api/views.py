from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import permissions as can
from incidents import services
from incidents.api.serializers import (
    IncidentInput,
    IncidentOutput,
    IncidentPatchInput,
    RegradeInput,
    TransitionInput,
)
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident, User
from incidents.selectors import incidents_visible_to, incidents_with_clocks
from incidents.timeline import Actor


def _user(request: Request) -> User:
    """The signed-in user (IsAuthenticated has already refused anonymous callers)."""
    return cast(User, request.user)


class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Incidents of the caller's unit (all units for the leadership group and administrators).

    Another unit's incident answers 404, not 403: its existence is not disclosed."""

    serializer_class = IncidentOutput
    filterset_class = IncidentFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Incident]:
        return incidents_with_clocks(incidents_visible_to(_user(self.request)))

    def _output(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        incident = self.get_queryset().get(pk=incident.pk)
        return Response(IncidentOutput(incident, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=IncidentInput, responses={201: IncidentOutput})
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        if not can.can_create(_user(request)):
            raise PermissionDenied()
        data = IncidentInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_create(actor=Actor.of(_user(request)), **data.validated_data)
        return self._output(incident, status.HTTP_201_CREATED)

    @extend_schema(request=IncidentPatchInput, responses=IncidentOutput)
    def partial_update(self, request: Request, *args: object, **kwargs: object) -> Response:
        incident = self.get_object()
        if not can.can_edit(_user(request), incident):
            raise PermissionDenied()
        data = IncidentPatchInput(data=request.data, context={"incident": incident})
        data.is_valid(raise_exception=True)
        incident = services.incident_update(
            incident=incident, actor=Actor.of(_user(request)), **data.validated_data
        )
        return self._output(incident)

    @extend_schema(request=RegradeInput, responses=IncidentOutput)
    @action(detail=True, methods=["post"])
    def regrade(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if not can.can_regrade(_user(request), incident):
            raise PermissionDenied()
        data = RegradeInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_regrade(
            incident=incident, actor=Actor.of(_user(request)), **data.validated_data
        )
        return self._output(incident)

    @extend_schema(request=TransitionInput, responses=IncidentOutput)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if not can.can_transition(_user(request), incident):
            raise PermissionDenied()
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_transition(
            incident=incident, actor=Actor.of(_user(request)), **data.validated_data
        )
        return self._output(incident)
