"""Monitoring use cases: clients and keys, keyword rules, ingest, the worsening alert, and taking
the earliest detection as the incident's first publication (首发)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as translation_override

from incidents.models import Incident
from incidents.services import incident_update, timeline_add
from incidents.timeline import Actor, register_kind
from incidents.validators import text_error
from monitoring import matching
from monitoring.choices import Scope
from monitoring.ingest import write_batch_generic, write_batch_postgresql
from monitoring.models import (
    ClientKey,
    Detection,
    KeywordRule,
    MonitoringClient,
    RulesVersion,
    WorseningPolicy,
)
from monitoring.validation import MAX_ITEMS, validate_item

logger = logging.getLogger(__name__)

register_kind("keyword_rule_added", gettext_lazy("Keyword rule added: %(rule)s"))
register_kind("keyword_rule_changed", gettext_lazy("Keyword rule changed: %(rule)s (%(state)s)"))

MAX_GROUPS = 10
MAX_TERMS = 50
MAX_TERM_LENGTH = 50


# --- Keyword rules -------------------------------------------------------------------------------


def rules_version_bump() -> None:
    """Move the rules version in the caller's transaction; every process rebuilds within seconds."""
    updated = RulesVersion.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())
    if not updated:
        RulesVersion.objects.get_or_create(pk=1, defaults={"version": 2})
    matching.invalidate()
    transaction.on_commit(matching.invalidate)


def _lock_incident(incident_id: int) -> None:
    """Lock the rule's incident before the rules version, the order the incident services take
    them in (an incident edit locks the incident, then its save bumps the version). The other
    order deadlocked against a concurrent edit of the same incident: the rule's transaction
    held the version row and, at commit, its deferred foreign-key check waited for the incident
    row. ``FOR NO KEY UPDATE`` leaves the foreign-key checks of ingest (matches) unblocked."""
    list(Incident.objects.select_for_update(no_key=True).filter(pk=incident_id).values_list("pk", flat=True))


def _clean_terms(value: Any, field_name: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise ValidationError({field_name: _("Give a list of terms.")})
    terms: list[str] = []
    for term in value:
        if not isinstance(term, str):
            raise ValidationError({field_name: _("Each term must be text.")})
        term = " ".join(term.split())
        if not term:
            continue
        if len(term) > MAX_TERM_LENGTH:
            raise ValidationError(
                {
                    field_name: _("A term has at most %(n)d characters: %(term)s")
                    % {"n": MAX_TERM_LENGTH, "term": term}
                }
            )
        if term not in terms:
            terms.append(term)
    if len(terms) > MAX_TERMS:
        raise ValidationError({field_name: _("At most %(n)d terms.") % {"n": MAX_TERMS}})
    return terms


def keyword_rule_clean(*, groups: Any, exclude: Any, scope: str) -> tuple[list[list[str]], list[str], str]:
    """Normalise a rule's input or raise ``ValidationError`` naming the field."""
    if not isinstance(groups, list | tuple) or not groups:
        raise ValidationError({"groups": _("Give at least one group of terms.")})
    cleaned = [_clean_terms(group, "groups") for group in groups]
    cleaned = [group for group in cleaned if group]
    if not cleaned:
        raise ValidationError({"groups": _("Give at least one group of terms.")})
    if len(cleaned) > MAX_GROUPS:
        raise ValidationError({"groups": _("At most %(n)d groups.") % {"n": MAX_GROUPS}})
    excluded = _clean_terms(exclude or [], "exclude")
    folded_required = {matching.fold(t) for group in cleaned for t in group}
    clash = [t for t in excluded if matching.fold(t) in folded_required]
    if clash:
        raise ValidationError(
            {
                "exclude": _("A term cannot be both required and excluded: %(terms)s")
                % {"terms": "、".join(clash)}
            }
        )
    if scope not in Scope.values:
        raise ValidationError({"scope": _("Use title, text or both.")})
    return cleaned, excluded, scope


@transaction.atomic
def keyword_rule_create(
    *,
    incident: Incident,
    actor: Actor,
    groups: Any,
    exclude: Any = None,
    scope: str = Scope.BOTH,
    is_active: bool = True,
) -> KeywordRule:
    """Add a keyword rule to an incident; the matcher and monitoring systems pick it up."""
    groups, exclude, scope = keyword_rule_clean(groups=groups, exclude=exclude, scope=scope)
    _lock_incident(incident.pk)
    rule = KeywordRule(
        incident=incident,
        groups=groups,
        exclude=exclude,
        scope=scope,
        is_active=is_active,
        created_by=actor.user,
    )
    rule.full_clean()
    rule.save()
    rules_version_bump()
    timeline_add(
        incident=incident, kind="keyword_rule_added", actor=actor, data={"rule": str(rule), "id": rule.pk}
    )
    return rule


@transaction.atomic
def keyword_rule_update(
    *,
    rule: KeywordRule,
    actor: Actor,
    groups: Any = None,
    exclude: Any = None,
    scope: str | None = None,
    is_active: bool | None = None,
) -> KeywordRule:
    """Edit a rule or switch it on or off."""
    _lock_incident(rule.incident_id)
    rule = KeywordRule.objects.select_for_update().get(pk=rule.pk)
    new_groups, new_exclude, new_scope = keyword_rule_clean(
        groups=rule.groups if groups is None else groups,
        exclude=rule.exclude if exclude is None else exclude,
        scope=rule.scope if scope is None else scope,
    )
    changed = (new_groups, new_exclude, new_scope) != (rule.groups, rule.exclude, rule.scope) or (
        is_active is not None and is_active != rule.is_active
    )
    if not changed:
        return rule
    rule.groups, rule.exclude, rule.scope = new_groups, new_exclude, new_scope
    if is_active is not None:
        rule.is_active = is_active
    rule.full_clean()
    rule.save()
    rules_version_bump()
    timeline_add(
        incident=rule.incident,
        kind="keyword_rule_changed",
        actor=actor,
        data={"rule": str(rule), "id": rule.pk, "state": _("on") if rule.is_active else _("off")},
    )
    return rule


def incident_saved(*, incident: Incident, update_fields: Any) -> None:
    """An incident changed: if its status may have (closed incidents are not matched) and it has
    rules, the matcher must rebuild."""
    if update_fields is not None and "status" not in update_fields:
        return
    if KeywordRule.objects.filter(incident_id=incident.pk, is_active=True).exists():
        rules_version_bump()


# --- Clients and keys -----------------------------------------------------------------------------


@transaction.atomic
def client_create(*, name: str, description: str = "", rate: str = "") -> tuple[MonitoringClient, str]:
    """Register a monitoring system and make its first key. The key is returned once, never stored."""
    client = MonitoringClient(name=name.strip(), description=description, rate=rate.strip())
    client.full_clean()
    client.save()
    return client, client_key_add(client=client)


def client_key_add(*, client: MonitoringClient) -> str:
    """A new key for a client (rotation: add one, switch the system over, revoke the old)."""
    _key_obj, key = ClientKey.objects.create_key(client=client, name=client.name[:50])
    return str(key)


def client_key_revoke(*, key: ClientKey) -> ClientKey:
    """Refuse this key from now on. Final."""
    key.revoked = True
    key.save(update_fields=["revoked"])
    return key


# --- Ingest ---------------------------------------------------------------------------------------


@dataclass
class ItemResult:
    external_id: str | None
    status: str  # created | updated | rejected
    incidents: list[int] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "status": self.status,
            "incidents": self.incidents,
            "errors": self.errors,
        }


_DEADLOCK_RETRIES = 3


def _is_retryable(exc: OperationalError) -> bool:
    code = getattr(exc.__cause__, "pgcode", None)
    return code in {"40P01", "40001"}


def detections_ingest(
    *, client: MonitoringClient, items: list[Any], now: datetime | None = None
) -> list[ItemResult]:
    """Validate, match and write a batch of up to 1,000 detections; one result per item, in order.

    Bad items are rejected one by one; the rest are written in one transaction. Resending an
    item (same client and external id) updates it and corrects the trend by the difference."""
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} items")
    now = now or timezone.now()
    matcher = matching.current_matcher()
    results: list[ItemResult] = []
    clean_items: dict[str, dict[str, Any]] = {}
    result_of: dict[str, ItemResult] = {}
    for raw in items:
        clean, errors = validate_item(raw, now=now)
        if clean is None:
            external_id = raw.get("external_id") if isinstance(raw, dict) else None
            if external_id is not None and text_error(str(external_id)):
                external_id = None  # an unpaired surrogate cannot even be encoded in the answer
            results.append(
                ItemResult(
                    external_id=None if external_id is None else str(external_id),
                    status="rejected",
                    errors=errors,
                )
            )
            continue
        external_id = clean["external_id"]
        earlier = result_of.get(external_id)
        if earlier is not None:  # the last copy in a batch wins
            earlier.status = "rejected"
            earlier.errors = {"external_id": [_("Sent again later in this batch; the later copy was used.")]}
        clean["incident_ids"] = matcher.match(clean["title"], clean["text"])
        clean_items[external_id] = clean
        result = ItemResult(external_id=external_id, status="created", incidents=clean["incident_ids"])
        result_of[external_id] = result
        results.append(result)
    if not clean_items:
        return results
    batch = list(clean_items.values())
    write = write_batch_postgresql if connection.vendor == "postgresql" else write_batch_generic
    for attempt in range(_DEADLOCK_RETRIES):
        try:
            with transaction.atomic():
                written, touched = write(client=client, items=batch, now=now)
            break
        except OperationalError as exc:
            if attempt + 1 == _DEADLOCK_RETRIES or not _is_retryable(exc):
                raise
            time.sleep(0.01 * (attempt + 1))
    for w in written:
        result_of[w.external_id].status = "created" if w.created else "updated"
    worsening_check(touched=touched, now=now)
    return results


# --- Worsening alert ------------------------------------------------------------------------------

_raised_lock = threading.Lock()
_raised: set[str] = set()


def worsening_key(incident_id: int, hour: datetime) -> str:
    return f"worsening:{incident_id}:{hour.astimezone(UTC):%Y%m%d%H}"


def worsening_check(*, touched: list[tuple[int, datetime, int, int]], now: datetime) -> list[Any]:
    """Raise the ``worsening`` alert for incidents whose current hour grew past the policy's
    factor and floor, or whose negative share crossed the threshold. At most once per incident
    per hour: the alert key is unique in the database; this process also remembers keys it has
    raised so a busy hour does not try again on every batch."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    current = {
        incident_id: (total, negative)
        for incident_id, row_hour, total, negative in touched
        if row_hour == hour and worsening_key(incident_id, hour) not in _raised
    }
    if not current:
        return []
    policy = WorseningPolicy.current()
    if not policy.enabled:
        return []
    low = min(policy.floor, policy.negative_floor)
    current = {k: v for k, v in current.items() if v[0] >= max(low, 1)}
    if not current:
        return []
    from monitoring.models import TrendHour

    previous = dict(
        TrendHour.objects.filter(incident_id__in=current, hour=hour - timedelta(hours=1)).values_list(
            "incident_id", "total"
        )
    )
    raised = []
    for incident_id, (total, negative) in sorted(current.items()):
        before = previous.get(incident_id, 0)
        growth = total >= policy.floor and total > policy.factor * before
        share = negative / total if total else 0.0
        negative_hit = total >= policy.negative_floor and share >= policy.negative_share
        if not (growth or negative_hit):
            continue
        alert = _raise_worsening(
            incident_id=incident_id,
            hour=hour,
            now=now,
            total=total,
            before=before,
            negative=negative,
            growth=growth,
            share=share if negative_hit else None,
        )
        if alert is not None:
            raised.append(alert)
    return raised


def _raise_worsening(
    *,
    incident_id: int,
    hour: datetime,
    now: datetime,
    total: int,
    before: int,
    negative: int,
    growth: bool,
    share: float | None,
) -> Any:
    from alerts.choices import AlertKind, Audience
    from alerts.services import alert_raise

    key = worsening_key(incident_id, hour)
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return None
    with translation_override("zh-hans"):
        reasons = []
        if growth:
            reasons.append(
                _("%(total)d detections this hour against %(before)d the hour before")
                % {"total": total, "before": before}
            )
        if share is not None:
            reasons.append(_("negative share %(share)d%%") % {"share": round(share * 100)})
        message = _("%(reference)s %(title)s: trend worsening (%(reasons)s)") % {
            "reference": incident.reference,
            "title": incident.title,
            "reasons": "；".join(reasons),
        }
    alert = alert_raise(
        incident=incident,
        kind=AlertKind.WORSENING,
        audience=Audience.LEADERSHIP,
        key=key,
        message=message,
        now=now,
        data={
            "hour": hour.isoformat(),
            "total": total,
            "previous": before,
            "negative": negative,
            "growth": growth,
            "negative_share": None if share is None else round(share, 3),
        },
    )
    with _raised_lock:
        if len(_raised) > 100_000:
            _raised.clear()
        _raised.add(key)
    return alert


def worsening_forget() -> None:
    """Forget the keys this process raised and the cached policy (tests)."""
    from monitoring.models import _policy_cache

    with _raised_lock:
        _raised.clear()
    _policy_cache.clear()


# --- First publication ----------------------------------------------------------------------------


def first_publication_accept(*, incident: Incident, actor: Actor, detection: Detection) -> Incident:
    """Take a detection as the incident's first publication (首发时间, 首发媒体, 链接), through
    ``incident_update`` so the timeline records who did it."""
    if incident.pk not in (detection.incident_ids or []):
        raise ValidationError(_("This detection is not matched to the incident."))
    if detection.published_at is None:
        raise ValidationError(_("This detection has no published time."))
    fields: dict[str, Any] = {"first_published_at": detection.published_at}
    outlet = detection.outlet or detection.platform
    if outlet:
        fields["first_outlet"] = outlet[:200]
    if detection.url:
        fields["first_url"] = detection.url[:1000]
    return incident_update(incident=incident, actor=actor, **fields)
