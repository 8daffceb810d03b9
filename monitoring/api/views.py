"""API views: thin over ``monitoring.services`` and ``monitoring.selectors``."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from incidents.timeline import Actor
from monitoring import services
from monitoring.api.auth import ClientKeyAuthentication, ClientRateThrottle, HasClientKey
from monitoring.api.serializers import (
    DetectionBatchInput,
    DetectionBatchOutput,
    KeywordRuleInput,
    KeywordRuleOutput,
    KeywordRulePatchInput,
    RulesFeedOutput,
    SpreadOutput,
)
from monitoring.matching import rules_version
from monitoring.models import ClientKey, KeywordRule
from monitoring.selectors import incident_spread_summary, rules_active
from monitoring.validation import MAX_ITEMS


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("Request too large.")
    default_code = "too_large"


def max_body_bytes() -> int:
    return int(
        getattr(settings, "MONITORING_MAX_BODY_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 10 << 20)
    )


def _read_json(request: Request) -> Any:
    """The body as JSON, refusing an oversized body before (or while) reading it."""
    limit = max_body_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge(_("The body exceeds %(limit)d bytes.") % {"limit": limit})
    raw = request._request.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(_("The body exceeds %(limit)d bytes.") % {"limit": limit})
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise exceptions.ParseError(_("Malformed JSON: %(error)s") % {"error": exc}) from None
    except RecursionError:  # [[[[…]]]] deeper than Python's recursion limit
        raise exceptions.ParseError(_("Malformed JSON: %(error)s") % {"error": "nested too deeply"}) from None


class DetectionBatchView(APIView):
    """Push detections: ``{"items": [...]}``, at most 1,000. One result per item, in order."""

    authentication_classes = [ClientKeyAuthentication]
    permission_classes = [HasClientKey]
    throttle_classes = [ClientRateThrottle]
    parser_classes = [JSONParser]

    @extend_schema(request=DetectionBatchInput, responses={200: DetectionBatchOutput}, auth=[])
    def post(self, request: Request) -> Response:
        body = _read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise exceptions.ParseError(_('Send a JSON object {"items": [...]}.'))
        items = body["items"]
        if len(items) > MAX_ITEMS:
            raise PayloadTooLarge(_("At most %(n)d items per request.") % {"n": MAX_ITEMS})
        key: ClientKey = request.auth  # type: ignore[assignment]
        results = services.detections_ingest(client=key.client, items=items)
        counts = {"created": 0, "updated": 0, "rejected": 0}
        for result in results:
            counts[result.status] += 1
        return Response({**counts, "results": [r.as_dict() for r in results]})


class RulesFeedView(APIView):
    """Active keyword rules for monitoring systems. Poll with ``If-None-Match``: 304 until a rule
    changes."""

    authentication_classes = [ClientKeyAuthentication]
    permission_classes = [HasClientKey]
    throttle_classes = [ClientRateThrottle]

    @extend_schema(responses={200: RulesFeedOutput, 304: None}, auth=[])
    def get(self, request: Request) -> Response:
        version = rules_version()
        etag = f'"rules-{version}"'
        if etag in [tag.strip() for tag in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        rules = [
            {
                "id": rule.pk,
                "incident": {
                    "id": rule.incident_id,
                    "reference": rule.incident.reference,
                    "title": rule.incident.title,
                },
                "groups": rule.groups,
                "exclude": rule.exclude,
                "scope": rule.scope,
                "updated_at": rule.updated_at,
            }
            for rule in rules_active()
        ]
        data = RulesFeedOutput({"version": version, "rules": rules}).data
        return Response(data, headers={"ETag": etag, "Cache-Control": "no-cache"})


def _visible_incident(request: Request, incident_pk: Any) -> Incident:
    """Another unit's incident answers 404: its existence is not disclosed."""
    return get_object_or_404(incidents_visible_to(request.user), pk=incident_pk)  # type: ignore[arg-type]


@extend_schema(parameters=[OpenApiParameter("incident_pk", int, OpenApiParameter.PATH)])
class IncidentKeywordRuleViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """An incident's keyword rules. Writing needs the keyword rule permissions (值班员, 监测员)."""

    serializer_class = KeywordRuleOutput
    permission_classes = [IsAuthenticated]
    pagination_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[KeywordRule]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return KeywordRule.objects.none()
        incident = _visible_incident(self.request, self.kwargs["incident_pk"])
        return KeywordRule.objects.filter(incident=incident).order_by("id")

    def _require(self, perm: str) -> None:
        if not self.request.user.has_perm(perm):
            raise exceptions.PermissionDenied()

    @extend_schema(request=KeywordRuleInput, responses={201: KeywordRuleOutput})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = _visible_incident(request, kwargs["incident_pk"])
        self._require("monitoring.add_keywordrule")
        data = KeywordRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        actor = Actor.of(request.user)  # type: ignore[arg-type]
        rule = services.keyword_rule_create(incident=incident, actor=actor, **data.validated_data)
        return Response(KeywordRuleOutput(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=KeywordRulePatchInput, responses=KeywordRuleOutput)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        self._require("monitoring.change_keywordrule")
        data = KeywordRulePatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.keyword_rule_update(rule=rule, actor=Actor.of(request.user), **data.validated_data)  # type: ignore[arg-type]
        return Response(KeywordRuleOutput(rule).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed("PUT")
        return super().update(request, *args, **kwargs)


class IncidentSpreadView(APIView):
    """Spread and hourly trend of one incident (传播情况), from the hourly trend table."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SpreadOutput)
    def get(self, request: Request, incident_pk: int) -> Response:
        incident = _visible_incident(request, incident_pk)
        return Response(incident_spread_summary(incident))
