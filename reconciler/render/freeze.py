"""`reconcile freeze status`: every flow's freeze windows, as of a given time.

Pure functions from the state and the time to text or JSON-ready data.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from reconciler.core.freeze import FreezeWindow, utc_text
from reconciler.core.models import State


def _window_state(window: FreezeWindow, now: datetime) -> dict[str, Any]:
    current = window.open_at(now)
    if current is not None:
        return {"state": "open", "start": current.start, "end": current.end}
    upcoming = window.next_opening(now)
    if upcoming is not None:
        return {"state": "upcoming", "start": upcoming.start, "end": upcoming.end}
    return {"state": "over", "start": None, "end": None}


def status_document(state: State, now: datetime) -> dict[str, Any]:
    flows = []
    for name in sorted(state.flows):
        spec = state.flows[name]
        windows = []
        for window in spec.freeze:
            found = _window_state(window, now)
            windows.append(
                {
                    "reason": window.reason,
                    "window": window.schedule.describe(),
                    "location": str(window.location),
                    "allow": sorted(window.allow),
                    "state": found["state"],
                    "start": found["start"].isoformat() if found["start"] else None,
                    "end": found["end"].isoformat() if found["end"] else None,
                }
            )
        flows.append({"flow": name, "max_removals": spec.max_removals, "windows": windows})
    return {"as_of": now.isoformat(), "flows": flows}


def status_text(state: State, now: datetime) -> str:
    lines = [f"Change freezes as of {utc_text(now)}", ""]
    for name in sorted(state.flows):
        spec = state.flows[name]
        lines.append(f"Flow {name} (max_removals: {spec.max_removals})")
        if not spec.freeze:
            lines.append("  no freeze windows")
        for window in spec.freeze:
            found = _window_state(window, now)
            allow = f"; allowed: {', '.join(sorted(window.allow))}" if window.allow else ""
            if found["state"] == "open":
                when = f"OPEN NOW, until {utc_text(found['end'])}"
            elif found["state"] == "upcoming":
                when = f"next from {utc_text(found['start'])} until {utc_text(found['end'])}"
            else:
                when = "over"
            lines.append(f"  {window.reason!r}: {window.schedule.describe()}{allow}")
            lines.append(f"      {when}  ({window.location})")
        lines.append("")
    return "\n".join(lines)


def status_json(state: State, now: datetime) -> str:
    return json.dumps(status_document(state, now), indent=2) + "\n"
