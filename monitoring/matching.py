"""Keyword matching: one Aho-Corasick automaton (pyahocorasick) over every term of every active
rule, so a detection is scanned once whatever the number of rules.

A rule is groups of terms (any term within a group, every group required) and exclusion terms
(none may appear), looked for in the title, the text or both. Chinese has no spaces, so terms
are plain substrings. Text and terms are folded the same way: NFKC (full-width Ａ１ → A1,
half-width ｶﾅ → カナ) then case folding.

``compile_rules`` and ``Matcher`` are pure; ``current_matcher`` keeps one compiled matcher per
process and rebuilds it when the rules version in the database moves (checked at most every
``MONITORING_RULES_CHECK_SECONDS``).
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick

# A hit is coded as rule_index << 6 | slot: slots 0..62 are the rule's groups, 63 its exclusions.
_SLOT_BITS = 6
EXCLUDE_SLOT = (1 << _SLOT_BITS) - 1
MAX_GROUPS = EXCLUDE_SLOT
_SLOT_MASK = EXCLUDE_SLOT


def fold(value: str) -> str:
    """The form both text and terms are compared in."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


@dataclass(frozen=True)
class RuleSpec:
    """What the matcher needs of a keyword rule."""

    incident_id: int
    groups: tuple[tuple[str, ...], ...]
    exclude: tuple[str, ...] = ()
    scope: str = "both"  # title | text | both


@dataclass
class Matcher:
    """A compiled set of rules. ``match`` answers the incident ids a detection belongs to."""

    version: int
    automaton: ahocorasick.Automaton | None
    incidents: list[int] = field(default_factory=list)  # per rule index
    scopes: list[str] = field(default_factory=list)
    required: list[int] = field(default_factory=list)  # bit mask of the groups a rule needs

    def _hits(self, text: str) -> set[int]:
        if not text or self.automaton is None:
            return set()
        hits: set[int] = set()
        for _end, codes in self.automaton.iter(fold(text)):
            hits.update(codes)
        return hits

    def match(self, title: str, text: str) -> list[int]:
        """Incident ids (ascending) whose rules match this title and text."""
        if self.automaton is None:
            return []
        title_hits = self._hits(title)
        text_hits = self._hits(text)
        masks: dict[int, list[int]] = {}  # rule -> [title mask, text mask]
        for index, hits in ((0, title_hits), (1, text_hits)):
            for code in hits:
                rule = code >> _SLOT_BITS
                masks.setdefault(rule, [0, 0])[index] |= 1 << (code & _SLOT_MASK)
        matched: set[int] = set()
        exclude_bit = 1 << EXCLUDE_SLOT
        for rule, (title_mask, text_mask) in masks.items():
            scope = self.scopes[rule]
            mask = (
                title_mask if scope == "title" else text_mask if scope == "text" else title_mask | text_mask
            )
            required = self.required[rule]
            if mask & required == required and not mask & exclude_bit:
                matched.add(self.incidents[rule])
        return sorted(matched)


def _terms(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        folded = fold(value).strip()
        if folded:
            seen.setdefault(folded)
    return list(seen)


def compile_rules(rules: Iterable[RuleSpec], *, version: int = 0) -> Matcher:
    """Build one automaton over every term; a term shared by several rules carries them all."""
    codes: dict[str, list[int]] = {}
    matcher = Matcher(version=version, automaton=None)
    for rule in rules:
        groups = [_terms(group) for group in rule.groups]
        groups = [group for group in groups if group]
        if not groups or len(groups) > MAX_GROUPS:
            continue  # a rule without terms matches nothing (and validation refuses it)
        index = len(matcher.incidents)
        matcher.incidents.append(rule.incident_id)
        matcher.scopes.append(rule.scope)
        matcher.required.append((1 << len(groups)) - 1)
        for slot, group in enumerate(groups):
            for term in group:
                codes.setdefault(term, []).append(index << _SLOT_BITS | slot)
        for term in _terms(rule.exclude):
            codes.setdefault(term, []).append(index << _SLOT_BITS | EXCLUDE_SLOT)
    if codes:
        automaton = ahocorasick.Automaton()
        for term, term_codes in codes.items():
            automaton.add_word(term, tuple(term_codes))
        automaton.make_automaton()
        matcher.automaton = automaton
    return matcher


# --- One matcher per process, rebuilt when the rules version moves ------------------------------

_lock = threading.Lock()
_current: Matcher | None = None
_checked_at = 0.0


def _check_seconds() -> float:
    from django.conf import settings

    return float(getattr(settings, "MONITORING_RULES_CHECK_SECONDS", 1.0))


def rules_version() -> int:
    from monitoring.models import RulesVersion

    version = RulesVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(version or 0)


def load_matcher(version: int) -> Matcher:
    from monitoring.selectors import rules_active

    specs = [
        RuleSpec(
            incident_id=rule.incident_id,
            groups=tuple(tuple(group) for group in rule.groups),
            exclude=tuple(rule.exclude),
            scope=rule.scope,
        )
        for rule in rules_active().only("incident_id", "groups", "exclude", "scope")
    ]
    return compile_rules(specs, version=version)


def current_matcher() -> Matcher:
    """This process's matcher: the version is read at most every few seconds (one tiny query)
    and the automaton rebuilt only when it changed."""
    global _current, _checked_at
    now = time.monotonic()
    matcher = _current
    if matcher is not None and now - _checked_at < _check_seconds():
        return matcher
    with _lock:
        if _current is not None and now - _checked_at < _check_seconds():
            return _current
        version = rules_version()
        if _current is None or _current.version != version:
            _current = load_matcher(version)
        _checked_at = time.monotonic()
        return _current


def invalidate() -> None:
    """Make this process look at the version on its next match (after a change it made)."""
    global _checked_at
    _checked_at = 0.0


def reset() -> None:
    """Forget the compiled matcher (tests)."""
    global _current, _checked_at
    with _lock:
        _current = None
        _checked_at = 0.0
