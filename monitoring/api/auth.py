"""How monitoring systems authenticate: ``Authorization: Api-Key <key>``.

The key is looked up by its prefix and checked against its SHA-512 hash
(djangorestframework-api-key). This authentication is attached only to the two client
endpoints (ingest and the rules feed), so a key can do nothing else: every other endpoint
ignores the header and answers 401/403."""

from __future__ import annotations

import math
import time
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

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


class ClientRateThrottle(BaseThrottle):
    """Requests per client (all its keys together), at the client's own rate if it has one,
    else ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["monitoring_client"]`` (MONITORING_RATE).

    A fixed window counted with the cache's atomic ``incr`` (Redis): O(1) per request whatever
    the rate, where DRF's ``SimpleRateThrottle`` keeps and re-pickles every timestamp of the
    window (thousands for a busy client), and shared by every web process."""

    scope = "monitoring_client"
    _wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, ClientKey):
            return True
        rate = request.auth.client.rate or api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        allowed, period = parse_rate(str(rate))
        now = time.time()
        window = int(now // period)
        key = f"throttle:{self.scope}:{request.auth.client_id}:{period}:{window}"
        if cache.add(key, 1, timeout=period + 1):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=period + 1)
                count = 1
        if count <= allowed:
            return True
        self._wait = (window + 1) * period - now
        return False

    def wait(self) -> float:
        return max(1.0, math.ceil(self._wait))


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/min"`` → (600, 60). Raises ValueError for anything else."""
    number, _sep, period = rate.strip().partition("/")
    if not number.strip().isdigit() or not period.strip() or period.strip()[0] not in _PERIODS:
        raise ValueError(rate)
    return int(number), _PERIODS[period.strip()[0]]
