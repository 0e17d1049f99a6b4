"""A saved plan read back as a `Plan`, so `reconcile show` renders it with the
same renderers as `reconcile plan`, with no AWS call. Purely computational.

The rebuilt plan has what the renderers read (flow name, region, status, HLS
view, changes with before/after, unmanaged and protected outputs, what the
guards read: the names of the outputs each flow owned, its max_removals, its
freeze windows as recorded) and nothing else: no desired outputs, no live
output's fields, so it can be shown but never applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.core import savedcost
from reconciler.core.cost import PlanCost
from reconciler.core.errors import Location
from reconciler.core.freeze import FreezeWindow, Interval, Recorded
from reconciler.core.models import (
    DEFAULT_MAX_REMOVALS,
    FlowSpec,
    HlsView,
    LiveFlow,
    LiveOutput,
    Value,
    freeze,
)
from reconciler.core.planner import Action, FieldChange, FlowPlan, OutputChange, Plan
from reconciler.core.secrets import Secret


def field_value(saved: Any) -> Value:
    """A saved field value back as a plan value; a secret's identity becomes a
    placeholder Secret that renders as `(sensitive)` and holds nothing real."""
    if isinstance(saved, Mapping) and set(saved) == {"secret"}:
        return Secret("•••")
    return freeze(saved)


def _hls(entry: Mapping[str, Any]) -> HlsView:
    return HlsView(
        medialive_channel_id=entry["medialive_channel"],
        channel_state=entry["channel_state"],
        mediapackage_channel_id=entry["mediapackage_channel"],
        mediapackage_output_present=entry["mediapackage_output_present"],
        endpoint_urls=tuple(entry["endpoints"]),
        fingerprint=entry["fingerprint"],
    )


def _change(entry: Mapping[str, Any]) -> OutputChange:
    return OutputChange(
        action=Action(entry["action"]),
        flow=entry["flow"],
        output=entry["output"],
        adopt=bool(entry["adopt"]),
        fields=tuple(
            FieldChange(f["field"], field_value(f["before"]), field_value(f["after"]))
            for f in entry["fields"]
        ),
    )


def _location(text: str) -> Location:
    file, _, line = text.rpartition(":")
    return Location(Path(file), int(line)) if file and line.isdigit() else Location(Path(text))


def _window(notice: Mapping[str, Any]) -> FreezeWindow:
    """The window behind a recorded freeze notice: it gives the same notice as of
    the plan's time, and states nothing about any other time."""
    start, end = (datetime.fromisoformat(notice[k]) for k in ("start", "end"))
    return FreezeWindow(
        reason=notice["reason"],
        schedule=Recorded(Interval(start, end), notice["window"]),
        location=_location(notice["location"]),
        allow=frozenset(notice["allow"]),
    )


def plan_of(saved: Mapping[str, Any], source: Path) -> Plan:
    """The plan a saved document describes (raises KeyError/TypeError/ValueError
    when the document lacks a part; the caller names the file). Its guards (the
    removal guard, the freeze notices as of when it was made) come out as `plan`
    showed them; a plan saved without each flow's `max_removals` and `owned`
    outputs has only the limits of the flows that tripped the guard."""
    changes = [_change(c) for c in saved["comparable_changes"]]
    hls = {h["flow"]: _hls(h) for h in saved["hls"]}
    guards = saved.get("guards") or {}  # absent from plans saved before the guardrails
    limits = {t["flow"]: t["max_removals"] for t in guards.get("removals", {}).get("flows", [])}
    as_of = datetime.fromisoformat(guards["as_of"]) if guards.get("as_of") else None
    notices = guards.get("freeze", [])
    flows = []
    for flow in saved["flows"]:
        name = flow["name"]
        limit = flow.get("max_removals", limits.get(name))
        owned = tuple(LiveOutput(o, "", {}, managed=True) for o in flow.get("owned", []))
        flows.append(
            FlowPlan(
                spec=FlowSpec(
                    name=name,
                    region=flow["region"],
                    location=Location(source),
                    freeze=tuple(_window(n) for n in notices if n["flow"] == name),
                    max_removals=DEFAULT_MAX_REMOVALS if limit is None else int(limit),
                ),
                live=LiveFlow(
                    name=name,
                    arn=flow["arn"],
                    region=flow["region"],
                    status=flow["status"],
                    outputs=owned,
                    hls=hls.get(name),
                ),
                changes=tuple(c for c in changes if c.flow == name),
                unmanaged=tuple(u["output"] for u in saved["unmanaged"] if u["flow"] == name),
                protected=tuple(p["output"] for p in saved["protected"] if p["flow"] == name),
            )
        )
    return Plan(tuple(flows), as_of=as_of)


def cost_of(saved: Mapping[str, Any], plan: Plan) -> PlanCost | None:
    """The cost `plan` (rebuilt from `saved`) was shown with, or None for a plan
    saved without one (before saved plans carried it). Raises like `plan_of`."""
    record = saved.get("cost")
    return None if record is None else savedcost.plan_cost_of(record, plan)
