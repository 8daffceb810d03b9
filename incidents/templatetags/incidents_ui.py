"""Template helpers for the incident pages: Beijing-time formatting and the panels other apps
register (``incidents.panels``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.safestring import SafeString

from incidents.formats import format_local
from incidents.panels import Panel

register = template.Library()


@register.filter
def local(value: datetime | str | None) -> str:
    """A time in Beijing time, 2026年3月5日14时20分 in Chinese, 2026-03-05 14:20 in English."""
    return format_local(value)


@register.filter
def iso(value: datetime | None) -> str:
    """An unambiguous ISO 8601 time with its offset, for ``data-due`` (read by countdown.js)."""
    return value.isoformat() if value else ""


@register.simple_tag(takes_context=True)
def incident_panel(context: template.Context, panel: Panel) -> SafeString:
    """Render a registered panel like ``{% include panel.template %}``, with the panel's own
    ``context(request, incident)`` dict pushed on top of the page's context."""
    extra: dict[str, Any] = panel.context(context["request"], context["incident"])
    tmpl = context.template.engine.get_template(panel.template)  # type: ignore[union-attr]
    with context.push(**extra):
        return tmpl.render(context)
