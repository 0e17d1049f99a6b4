"""Renderers: pure functions from a plan (or apply results) to text.

Sensitive fields are shown only as `(sensitive)` and whether they change; a
`Secret` has no other string form anyway, so a renderer that forgot would
still print nothing secret.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.executor import ApplyReport, Outcome, Result
from reconciler.models import Struct, Value
from reconciler.planner import Action, FieldChange, FlowPlan, OutputChange, Plan
from reconciler.secrets import REDACTED, Secret

SYMBOLS = {Action.ADD: "+", Action.UPDATE: "~", Action.REPLACE: "±", Action.REMOVE: "-"}
NOTES = {
    Action.REPLACE: "removed, then added again: this destination alone is briefly interrupted",
}
TLS_PATH = "RtmpPushSettings.TlsEncryption"
ADOPT_NOTE = "adopting an existing unmanaged output: it will be tagged as managed"


def summary_line(plan: Plan) -> str:
    s = plan.summary()
    if not plan.has_changes:
        return "No changes. The live flows match git."
    return (
        f"Plan: {s['add']} to add, {s['update']} to update, {s['replace']} to replace, "
        f"{s['remove']} to remove."
    )


def show(value: Value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Struct):
        return str(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if value != "" else '""'


def _show_field(path: str, value: Value) -> str:
    if path == TLS_PATH:
        return "none (RTMP)" if value is None else "public TLS (RTMPS)"
    return show(value)


def _field_text(change: OutputChange, field: FieldChange) -> str:
    if change.action is Action.ADD:
        return REDACTED if field.sensitive else _show_field(field.path, field.after)
    if field.sensitive:
        return f"{REDACTED} changed"
    return f"{_show_field(field.path, field.before)} → {_show_field(field.path, field.after)}"


def _visible_fields(change: OutputChange) -> list[FieldChange]:
    if change.action is Action.REMOVE:
        return [f for f in change.fields if f.path in ("Protocol", "Destination", "Port")]
    if change.action is Action.ADD:
        return [f for f in change.fields if f.after not in (None, "") or f.path == TLS_PATH]
    return list(change.fields)


def text(plan: Plan) -> str:
    lines: list[str] = []
    for flow in plan.flows:
        lines.append(f"Flow {flow.spec.name} ({flow.live.region}, {flow.live.status})")
        if not flow.changes:
            lines.append("  no changes")
        for change in flow.changes:
            notes = [NOTES[change.action]] if change.action in NOTES else []
            if change.adopt:
                notes.append(ADOPT_NOTE)
            head = f"  {SYMBOLS[change.action]} {change.action.value:<8} {change.output}"
            lines.append(head + "".join(f"\n      ({n})" for n in notes))
            fields = _visible_fields(change)
            width = max((len(f.path) for f in fields), default=0)
            lines += [f"      {f.path:<{width}}  {_field_text(change, f)}" for f in fields]
        lines += [f"  · unmanaged {name} (left alone)" for name in flow.unmanaged]
        lines += [f"  · protected {name} (never touched)" for name in flow.protected]
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


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


def as_json(plan: Plan) -> str:
    document = {
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
    }
    return json.dumps(document, indent=2) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _md_flow(flow: FlowPlan) -> list[str]:
    counts = ", ".join(
        f"{sum(c.action is a for c in flow.changes)} {a.value}"
        for a in Action
        if any(c.action is a for c in flow.changes)
    )
    lines = [
        f"<details open><summary><b>{flow.spec.name}</b> ({flow.live.region}): "
        f"{counts or 'no changes'}</summary>",
        "",
    ]
    if flow.changes:
        lines += ["| action | output | field | change |", "|---|---|---|---|"]
        for change in flow.changes:
            label = f"{SYMBOLS[change.action]} {change.action.value}"
            if change.adopt:
                label += " (adopt)"
            fields: list[FieldChange | None] = [*_visible_fields(change)] or [None]
            for field in fields:
                detail = "" if field is None else _md(_field_text(change, field))
                path = "" if field is None else f"`{field.path}`"
                lines.append(f"| {label} | `{change.output}` | {path} | {detail} |")
                label = ""
        lines.append("")
    for name in flow.unmanaged:
        lines.append(f"- unmanaged `{name}`: left alone")
    for name in flow.protected:
        lines.append(f"- protected `{name}`: never touched")
    lines += ["", "</details>", ""]
    return lines


def markdown(plan: Plan) -> str:
    lines = [f"**{summary_line(plan)}**", ""]
    for flow in plan.flows:
        lines += _md_flow(flow)
    return "\n".join(lines)


def result_line(result: Result) -> str:
    change = result.change
    line = f"  {result.outcome.value:<8} {change.action.value:<8} {change.flow}/{change.output}"
    return f"{line}: {result.detail}" if result.outcome is not Outcome.DONE else line


def apply_text(report: ApplyReport) -> str:
    """The closing summary; the per-output lines were printed as calls returned."""
    counts = {o: sum(r.outcome is o for r in report.results) for o in Outcome}
    lines = [""]
    if not report.ok:
        lines.append("Not done:")
        lines += [result_line(r) for r in report.results if r.outcome is not Outcome.DONE]
    lines.append(
        f"Apply {'complete' if report.ok else 'incomplete'}: {counts[Outcome.DONE]} done, "
        f"{counts[Outcome.FAILED]} failed, {counts[Outcome.SKIPPED]} skipped."
    )
    return "\n".join(lines) + "\n"


RENDERERS = {"text": text, "json": as_json, "markdown": markdown}
