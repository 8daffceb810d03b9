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

MAX_GROUPS = 16


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
    """A compiled set of rules. ``match`` answers the incident ids a detection belongs to.

    Rules are bits of Python integers, so a post that hits terms shared by hundreds of rules
    (学校, 北京 …) costs a few big-integer ORs, not a loop over those rules. Each term of the
    automaton carries ``(slot, rules)`` pairs: slot 0..15 is a group position, ``EXCLUDE`` the
    exclusions, and ``rules`` the bit set of the rules having the term there. A rule matches
    when, for every slot, it was hit there or has no group there, and no exclusion was hit."""

    version: int
    automaton: ahocorasick.Automaton | None
    incidents: list[int] = field(default_factory=list)  # per rule bit
    slots: int = 0
    no_group: list[int] = field(default_factory=list)  # per slot: rules without a group there
    title_scope: int = 0  # rules that look at the title (title or both)
    text_scope: int = 0  # rules that look at the text (text or both)

    def _hits(self, text: str) -> list[int]:
        hit = [0] * (self.slots + 1)
        if not text or self.automaton is None:
            return hit
        for _end, pairs in self.automaton.iter(fold(text)):
            for slot, rules in pairs:
                hit[slot] |= rules
        return hit

    def match(self, title: str, text: str) -> list[int]:
        """Incident ids (ascending) whose rules match this title and text."""
        if self.automaton is None:
            return []
        in_title = self._hits(title)
        in_text = self._hits(text)
        title_scope, text_scope = self.title_scope, self.text_scope
        seen = [(a & title_scope) | (b & text_scope) for a, b in zip(in_title, in_text, strict=True)]
        matched = ~seen[self.slots]  # no exclusion seen
        for slot in range(self.slots):
            matched &= seen[slot] | self.no_group[slot]
            if not matched:
                return []
        matched &= (1 << len(self.incidents)) - 1
        found: set[int] = set()
        while matched:
            low = matched & -matched
            found.add(self.incidents[low.bit_length() - 1])
            matched ^= low
        return sorted(found)


def _terms(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        folded = fold(value).strip()
        if folded:
            seen.setdefault(folded)
    return list(seen)


def compile_rules(rules: Iterable[RuleSpec], *, version: int = 0) -> Matcher:
    """Build one automaton over every term; a term shared by several rules carries them all."""
    masks: dict[str, dict[int, int]] = {}  # term -> slot -> rule bits
    matcher = Matcher(version=version, automaton=None)
    compiled: list[tuple[int, list[list[str]], list[str]]] = []
    for rule in rules:
        groups = [group for group in (_terms(g) for g in rule.groups) if group][:MAX_GROUPS]
        if not groups:
            continue  # a rule without terms matches nothing (and validation refuses it)
        bit = len(matcher.incidents)
        matcher.incidents.append(rule.incident_id)
        if rule.scope in ("title", "both"):
            matcher.title_scope |= 1 << bit
        if rule.scope in ("text", "both"):
            matcher.text_scope |= 1 << bit
        compiled.append((bit, groups, _terms(rule.exclude)))
    matcher.slots = max((len(groups) for _bit, groups, _ex in compiled), default=0)
    exclude_slot = matcher.slots
    matcher.no_group = [0] * matcher.slots
    for bit, groups, excluded in compiled:
        for slot, group in enumerate(groups):
            for term in group:
                by_slot = masks.setdefault(term, {})
                by_slot[slot] = by_slot.get(slot, 0) | 1 << bit
        for slot in range(len(groups), matcher.slots):
            matcher.no_group[slot] |= 1 << bit
        for term in excluded:
            by_slot = masks.setdefault(term, {})
            by_slot[exclude_slot] = by_slot.get(exclude_slot, 0) | 1 << bit
    if masks:
        automaton = ahocorasick.Automaton()
        for term, by_slot in masks.items():
            automaton.add_word(term, tuple(by_slot.items()))
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
