"""Signals the host platform can connect to (blinker, as Flask's own signals)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with ``lead_ids`` (new leads, after they are stored and linked), from a job's app context.
lead_received = _signals.signal("metaads.lead-received")
#: Sent with ``lead_id``, ``from_status``, ``to_status``, ``user_id`` after a status change commits.
lead_status_changed = _signals.signal("metaads.lead-status-changed")
