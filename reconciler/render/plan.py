"""Renderers: pure functions from a plan (or apply results) to text.

Sensitive fields are shown only as `(sensitive)` and whether they change; a
`Secret` has no other string form anyway, so a renderer that forgot would
still print nothing secret.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Callable, Iterable

from reconciler.core.cost import PlanCost
from reconciler.core.guards import warnings
from reconciler.core.hlsguard import HlsCheck
from reconciler.core.models import HlsView, Struct, Value
from reconciler.core.plandoc import plan_document
from reconciler.core.planner import Action, FieldChange, FlowPlan, OutputChange, Plan
from reconciler.core.results import ApplyReport, Outcome, Result
from reconciler.core.secrets import REDACTED, Secret
from reconciler.render import cost as costs

SYMBOLS = {Action.ADD: "+", Action.UPDATE: "~", Action.REPLACE: "±", Action.REMOVE: "-"}
NOTES = {
    Action.REPLACE: "removed, then added again: this destination alone is briefly interrupted",
}
TLS_PATH = "RtmpPushSettings.TlsEncryption"
ADOPT_NOTE = "adopting an existing unmanaged output: it will be tagged as managed"
ADOPT_ONLY_NOTE = "already matches git: apply only tags it as managed"


def summary_line(plan: Plan) -> str:
    s = plan.summary()
    adopt = (
        f" {s['adopt']} existing output(s) already match git and will be tagged as managed."
        if s["adopt"]
        else ""
    )
    if not plan.has_changes:
        return f"No changes. The live flows match git.{adopt}"
    return (
        f"Plan: {s['add']} to add, {s['update']} to update, {s['replace']} to replace, "
        f"{s['remove']} to remove.{adopt}"
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


def hls_line(view: HlsView) -> str:
    group = (
        "MediaPackage output group present"
        if view.mediapackage_output_present
        else ("MediaPackage output group MISSING")
    )
    endpoints = ", ".join(view.endpoint_urls) or "no endpoints"
    return (
        f"HLS path (read-only): MediaLive {view.medialive_channel_id} {view.channel_state}; "
        f"{group}; MediaPackage {view.mediapackage_channel_id}: {endpoints}"
    )


def hls_checks(checks: Iterable[HlsCheck]) -> str:
    """Apply's closing statement about each guarded HLS path."""
    lines = []
    for check in checks:
        if check.unchanged:
            lines.append(
                f"HLS path next to {check.flow} unchanged by apply "
                f"(MediaLive {check.after.medialive_channel_id} {check.after.channel_state}, "
                f"{check.after.fingerprint[:19]}… before and after)."
            )
        else:
            lines.append(f"HLS path next to {check.flow} CHANGED during apply:")
            lines += [f"  {line}" for line in check.differences().splitlines()]
    return "".join(f"{line}\n" for line in lines)


def text(plan: Plan, cost: PlanCost | None = None) -> str:
    """The plan for a terminal; with `cost`, each change's monthly delta and a
    closing cost summary (budgets included)."""
    lines: list[str] = [f"!! {w}" for w in warnings(plan)]
    if lines:
        lines.append("")
    for flow in plan.flows:
        lines.append(f"Flow {flow.spec.name} ({flow.live.region}, {flow.live.status})")
        if flow.live.hls is not None:
            lines.append(f"  {hls_line(flow.live.hls)}")
        if not flow.changes:
            lines.append("  no changes")
        for change in flow.changes:
            notes = [NOTES[change.action]] if change.action in NOTES else []
            if change.adopt:
                notes.append(ADOPT_ONLY_NOTE if change.adoption_only else ADOPT_NOTE)
            label = "adopt" if change.adoption_only else change.action.value
            symbol = "=" if change.adoption_only else SYMBOLS[change.action]
            head = f"  {symbol} {label:<8} {change.output}"
            if cost is not None and not change.adoption_only:
                head += f"  ({costs.change_note(cost.of(change))})"
            lines.append(head + "".join(f"\n      ({n})" for n in notes))
            fields = _visible_fields(change)
            width = max((len(f.path) for f in fields), default=0)
            lines += [f"      {f.path:<{width}}  {_field_text(change, f)}" for f in fields]
        lines += [f"  · unmanaged {name} (left alone)" for name in flow.unmanaged]
        lines += [f"  · protected {name} (never touched)" for name in flow.protected]
        lines.append("")
    lines.append(summary_line(plan))
    if cost is not None:
        lines += costs.plan_lines(cost)
    return "\n".join(lines) + "\n"


def as_json(plan: Plan, cost: PlanCost | None = None) -> str:
    """The plan as JSON; with `cost`, a top-level `cost` object and one per change."""
    document = plan_document(plan)
    if cost is not None:
        document["cost"] = costs.plan_document(cost)
        for entry, change in zip(document["changes"], plan.changes, strict=True):
            entry["cost"] = costs.change_document(cost.of(change))
    return json.dumps(document, indent=2) + "\n"


# GitHub refuses a comment or an issue body longer than 65,536 characters. The
# Markdown plan stops short of that, leaving room for a sticky comment's marker
# and header. Sizes are counted in UTF-8 bytes, which are never fewer than
# characters, so the limit holds however GitHub counts.
GITHUB_BODY_LIMIT = 65_536
MARKDOWN_LIMIT = GITHUB_BODY_LIMIT - 4_096
MD_TABLE_HEAD = ["| action | output | field | change |", "|---|---|---|---|"]


def _md(value: str) -> str:
    """Text safe in a table cell or an HTML element: no pipe, newline or tag breaks out."""
    return html.escape(value, quote=False).replace("|", "\\|").replace("\n", " ")


def _code(value: str) -> str:
    """`value` as an inline code span it cannot break out of: fenced by more
    backticks than any run inside it (CommonMark), so `**`, `[..](..)` and
    HTML inside stay literal; pipes escaped for tables, newlines flattened."""
    text = value.replace("\n", " ").replace("\r", " ").replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]!~])")


def _md_text(value: str) -> str:
    """Untrusted text (names, descriptions, AWS's error messages) as plain
    Markdown: every character that makes emphasis, a link, an image or a
    code span backslash-escaped, then `_md`."""
    return _md(_MARKDOWN_PUNCTUATION.sub(r"\\\1", value))


def _md_size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def _md_counts(flow: FlowPlan) -> str:
    counts = [
        (a.value, sum(c.action is a and not c.adoption_only for c in flow.changes)) for a in Action
    ]
    counts.append(("adopt", sum(c.adoption_only for c in flow.changes)))
    return ", ".join(f"{n} {label}" for label, n in counts if n) or "no changes"


def _md_rows(change: OutputChange, cost: PlanCost | None = None) -> list[str]:
    """The table rows of one change: never split, so a cut falls between changes."""
    label = f"{SYMBOLS[change.action]} {change.action.value}"
    if cost is not None and not change.adoption_only:
        label += f" <b>{_md(costs.change_note(cost.of(change)))}</b>"
    if change.adoption_only:
        label = f"= adopt<br><sub>{_md(ADOPT_ONLY_NOTE)}</sub>"
    elif change.adopt:
        label += " (adopt)"
    if change.action in NOTES:
        label += f"<br><sub>{_md(NOTES[change.action])}</sub>"
    rows = []
    fields: list[FieldChange | None] = [*_visible_fields(change)] or [None]
    for field in fields:
        path = "" if field is None else _code(field.path)
        detail = "" if field is None else _md_text(_field_text(change, field))
        rows.append(f"| {label} | {_code(change.output)} | {path} | {detail} |")
        label = ""
    return rows


def _md_flow(flow: FlowPlan, room: int, cost: PlanCost | None = None) -> tuple[list[str], int]:
    """One flow's collapsible section in at most `room` bytes, and how many of its
    changes it shows. Whole changes only, and the section is always closed; an
    empty list when not even its heading and one change fit."""
    state = " open" if flow.changes else ""
    head = [
        f"<details{state}><summary><b>{_md_text(flow.spec.name)}</b> ({_md(flow.live.region)}): "
        f"{_md_counts(flow)}</summary>",
        "",
    ]
    if flow.live.hls is not None:
        head += [_md_text(hls_line(flow.live.hls)), ""]
    tail = [f"- unmanaged {_code(name)}: left alone" for name in flow.unmanaged]
    tail += [f"- protected {_code(name)}: never touched" for name in flow.protected]
    tail += ["", "</details>", ""]
    if flow.changes:
        head += MD_TABLE_HEAD
        tail.insert(0, "")
    room -= _md_size(head) + _md_size(tail)
    body: list[str] = []
    shown = 0
    for change in flow.changes:
        rows = _md_rows(change, cost)
        room -= _md_size(rows)
        if room < 0:
            break
        body += rows
        shown += 1
    if room < 0 and not body:
        return [], 0
    return head + body + tail, shown


def _md_cut_note(left: int, total: int) -> list[str]:
    return [
        f"> **Cut here:** {left} of {total} changes are not shown, to stay within GitHub's "
        f"{GITHUB_BODY_LIMIT:,}-character limit. The workflow run's job summary and artifacts "
        "hold the full plan.",
        "",
    ]


def markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT, cost: PlanCost | None = None) -> str:
    """The plan for a pull request comment, an issue or a job summary: a one-line
    summary, then one collapsible section per flow. A plan longer than `limit`
    bytes is cut between two changes, with a note saying how many are left out.
    With `cost`, the first line says what the plan adds a month, each change
    shows its delta, and a per-flow cost table follows the summary."""
    head = [line for w in warnings(plan) for line in (f"> **⚠️ {_md(w)}**", "")]
    if cost is not None:  # guard warnings first, then the cost line, as in the text
        head += costs.markdown_head(cost)
    head += [f"**{_md(summary_line(plan))}**", ""]
    if cost is not None:
        head += costs.markdown_table(cost)
    sections = [line for f in plan.flows for line in _md_flow(f, sys.maxsize, cost)[0]]
    full = "\n".join(head + sections)
    if len(full.encode()) <= limit:
        return full
    total = len(plan.changes)
    lines = list(head)
    room = limit - _md_size(head) - _md_size(_md_cut_note(total, total))
    shown = 0
    for flow in plan.flows:
        section, count = _md_flow(flow, room, cost)
        lines += section
        room -= _md_size(section)
        shown += count
        if not section or count < len(flow.changes):
            break
    return "\n".join(lines + _md_cut_note(total - shown, total))


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


RENDERERS: dict[str, Callable[[Plan], str]] = {"text": text, "json": as_json, "markdown": markdown}


def render_plan(fmt: str, plan: Plan, cost: PlanCost | None = None) -> str:
    """The plan in `fmt` (a RENDERERS key), with its cost when given."""
    if fmt == "markdown":
        return markdown(plan, cost=cost)
    return text(plan, cost) if fmt == "text" else as_json(plan, cost)
