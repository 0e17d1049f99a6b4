"""The text of notifications: pure functions from what happened to a title and
a body. They name outputs, actions and outcomes, never a field's value, so no
stream key can be in them; a failure's detail is AWS's error code and message,
which never carry request parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.core.guards import action_of
from reconciler.core.planner import FlowPlan
from reconciler.core.results import Outcome, Result


@dataclass(frozen=True)
class Message:
    """One notification: its event, the flows it is about, and its text."""

    event: str
    flows: tuple[str, ...]
    title: str
    body: str


def run_link(environ: Mapping[str, str]) -> str | None:
    """The CI run's page, when running in GitHub Actions."""
    parts = [environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    if not all(parts):
        return None
    server, repository, run_id = parts
    return f"{str(server).rstrip('/')}/{repository}/actions/runs/{run_id}"


def _footer(environ: Mapping[str, str]) -> list[str]:
    link = run_link(environ)
    return ["", f"CI run: {link}"] if link else []


def apply_event(results: Sequence[Result]) -> str:
    """`apply.success` (every change done), `apply.partial` or `apply.failed` (none done)."""
    done = sum(r.outcome is Outcome.DONE for r in results)
    if done == len(results):
        return "apply.success"
    return "apply.partial" if done else "apply.failed"


TITLES = {
    "apply.success": "Applied",
    "apply.partial": "Apply PARTLY FAILED",
    "apply.failed": "Apply FAILED",
}


def apply_message(
    flow: str, results: Sequence[Result], environ: Mapping[str, str], *, region: str = ""
) -> Message:
    event = apply_event(results)
    counts = {o: sum(r.outcome is o for r in results) for o in Outcome}
    where = f" ({region})" if region else ""
    lines = [
        f"Flow {flow}{where}: {counts[Outcome.DONE]} done, {counts[Outcome.FAILED]} failed, "
        f"{counts[Outcome.SKIPPED]} skipped."
    ]
    for result in results:
        line = f"- {action_of(result.change)} {result.change.output}: {result.outcome.value}"
        if result.outcome is not Outcome.DONE and result.detail:
            line += f" ({result.detail})"
        lines.append(line)
    return Message(event, (flow,), f"{TITLES[event]}: {flow}", "\n".join(lines + _footer(environ)))


def failed_message(flows: tuple[str, ...], error: str, environ: Mapping[str, str]) -> Message:
    """Apply stopped before making any change (it could not plan)."""
    lines = [f"Apply could not start; nothing was changed: {error}"]
    return Message(
        "apply.failed",
        flows,
        f"Apply FAILED: {', '.join(flows)}",
        "\n".join(lines + _footer(environ)),
    )


def override_message(
    flow: str,
    *,
    reason: str,
    caller: Mapping[str, Any],
    windows: Sequence[Mapping[str, Any]],
    environ: Mapping[str, str],
) -> Message:
    who = caller.get("Arn") or caller.get("error") or "unknown caller"
    lines = [f"Change freeze on flow {flow} overridden with --break-glass by {who}.", ""]
    lines.append(f"Reason: {reason}")
    for window in windows:
        blocked = ", ".join(f"{b['action']} {b['output']}" for b in window["blocked"])
        lines.append(
            f"Window: {window['reason']!r} ({window['window']}) until {window['end']}; "
            f"changes: {blocked}"
        )
    return Message(
        "freeze-override",
        (flow,),
        f"Change freeze overridden: {flow}",
        "\n".join(lines + _footer(environ)),
    )


def drift_message(flow: FlowPlan, environ: Mapping[str, str]) -> Message:
    changes = [c for c in flow.changes if not c.adoption_only]
    lines = [f"Flow {flow.spec.name} differs from git: {len(changes)} output(s)."]
    lines += [f"- {action_of(c)} {c.output} would make it match" for c in changes]
    return Message(
        "drift.found",
        (flow.spec.name,),
        f"Drift found: {flow.spec.name}",
        "\n".join(lines + _footer(environ)),
    )


def resolved_message(flow: str, environ: Mapping[str, str]) -> Message:
    return Message(
        "drift.resolved",
        (flow,),
        f"Drift resolved: {flow}",
        "\n".join([f"Flow {flow} matches git again.", *_footer(environ)]),
    )
