"""How monitoring systems authenticate: ``Authorization: Api-Key <key>``.

The key is looked up by its prefix and checked against its SHA-512 hash
(djangorestframework-api-key). This authentication is attached only to the two client
endpoints (ingest and the rules feed), so a key can do nothing else: every other endpoint
ignores the header and answers 401/403."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from monitoring.models import ClientKey

KEYWORD = "Api-Key"


class ClientKeyAuthentication(BaseAuthentication):
    """401 for a missing, unknown or wrong key; 403 for a revoked or expired key or an inactive
    client. ``request.auth`` is the ``ClientKey``; ``request.user`` stays anonymous."""

    def authenticate(self, request: Request) -> tuple[Any, ClientKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _sep, key = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        key = key.strip()
        prefix = key.partition(".")[0]
        if not key or not prefix:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        api_key = ClientKey.objects.select_related("client").filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if api_key.revoked or api_key.has_expired or not api_key.client.is_active:
            raise exceptions.PermissionDenied(_("This API key has been revoked."))
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class HasClientKey(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ClientKey)


class ClientRateThrottle(SimpleRateThrottle):
    """Requests per client (all its keys together), at the client's own rate if it has one,
    else ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["monitoring_client"]`` (MONITORING_RATE)."""

    scope = "monitoring_client"

    def __init__(self) -> None:  # the rate depends on the client: set per request
        pass

    def allow_request(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, ClientKey):
            return True
        self.rate = request.auth.client.rate or self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.client_id}  # type: ignore[union-attr]
