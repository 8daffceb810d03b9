"""Signals other apps may listen to without ``incidents`` importing them.

``deadlines_changed`` is sent after commit whenever a deadline is opened, moved, met or
cancelled, with ``incident_id``. Escalation listens to sweep at once rather than waiting for
the next beat tick (an incident logged already overdue escalates immediately).
"""

from django.dispatch import Signal

deadlines_changed = Signal()
