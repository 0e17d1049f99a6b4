"""The plan as plain JSON-ready data: what `plan --format json` prints and what a
saved plan carries. Sensitive fields carry no value. Purely computational."""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.guards import guards_document
from reconciler.core.models import Struct, Value
from reconciler.core.planner import Action, FieldChange, OutputChange, Plan
from reconciler.core.secrets import REDACTED, Secret


def _json_field(change: OutputChange, field: FieldChange) -> dict[str, Any]:
    if field.sensitive:
        return {"field": field.path, "sensitive": True, "changed": True}
    entry: dict[str, Any] = {"field": field.path}
    if change.action is not Action.ADD:
        entry["before"] = _plain(field.before)
    if change.action is not Action.REMOVE:
        entry["after"] = _plain(field.after)
    return entry


def _plain(value: Value) -> Any:
    if isinstance(value, Struct):
        return json.loads(str(value))
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Secret):
        return REDACTED
    return value


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON-ready data; sensitive fields carry no value. Its
    `guards` come first: the removal guard's outcome and the freeze windows."""
    return {
        "guards": guards_document(plan),
        "summary": plan.summary(),
        "changes": [
            {
                "action": c.action.value,
                "flow": c.flow,
                "output": c.output,
                "adopt": c.adopt,
                "fields": [_json_field(c, f) for f in c.fields],
            }
            for c in plan.changes
        ],
        "unmanaged": [{"flow": f.spec.name, "output": n} for f in plan.flows for n in f.unmanaged],
        "protected": [{"flow": f.spec.name, "output": n} for f in plan.flows for n in f.protected],
        "hls": [
            {
                "flow": f.spec.name,
                "medialive_channel": f.live.hls.medialive_channel_id,
                "channel_state": f.live.hls.channel_state,
                "mediapackage_channel": f.live.hls.mediapackage_channel_id,
                "mediapackage_output_present": f.live.hls.mediapackage_output_present,
                "endpoints": list(f.live.hls.endpoint_urls),
                "fingerprint": f.live.hls.fingerprint,
            }
            for f in plan.flows
            if f.live.hls is not None
        ],
    }
