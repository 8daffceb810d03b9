"""Sections other apps add to the incident page, without ``incidents`` importing them.

An app registers a panel in its ``AppConfig.ready()``::

    register_panel(Panel(key="monitoring", order=20, template="monitoring/_incident_panel.html",
                         context=lambda request, incident: {...}))

The incident detail view renders every registered panel, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from incidents.models import Incident


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    template: str
    context: Callable[[HttpRequest, Incident], dict[str, Any]]


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: p.order)
