"""Use cases: each gathers what it needs, calls the pure core, returns values.

No printing here; the CLI chooses how to show what comes back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler import executor, planner, savedplan
from reconciler.aws import Aws
from reconciler.aws.mediaconnect import MediaConnect
from reconciler.errors import AwsError, FlowNotFound, NotFound, ReconcilerError
from reconciler.hlsguard import HlsCheck
from reconciler.models import DesiredOutput, FlowSpec, LiveFlow, State
from reconciler.provenance import git_info
from reconciler.resolver import Resolver, desired_outputs
from reconciler.state import load_state, state_fingerprint


def validate(state_dir: Path) -> State:
    """Offline: schema and semantic checks only. Raises StateErrors."""
    return load_state(state_dir)


@dataclass(frozen=True)
class Planned:
    """A plan and what it was computed from."""

    plan: planner.Plan
    state: State
    desired: list[DesiredOutput]
    state_fingerprint: str


def plan(state_dir: Path, aws: Aws, environ: Mapping[str, str]) -> planner.Plan:
    return compute(state_dir, aws, environ).plan


def compute(state_dir: Path, aws: Aws, environ: Mapping[str, str]) -> Planned:
    """Read git and AWS, and compute the plan. Writes nothing.

    Stream keys are resolved before any MediaConnect call, so a missing key
    fails fast. AWS cost: GetParameters per 10 SSM keys and BatchGetSecretValue
    per 20 secrets (per region); one DescribeFlow per flow (plus ListFlows per
    region for flows given by name) and one ListTagsForResource per unprotected
    output.
    """
    fingerprint = state_fingerprint(state_dir) if state_dir.is_dir() else ""
    state = load_state(state_dir)
    desired = desired_outputs(state, Resolver(environ, aws.secrets))
    observed = {name: observe_flow(spec, aws) for name, spec in state.flows.items()}
    result = planner.plan(state.flows.values(), desired, observed)
    return Planned(result, state, desired, fingerprint)


def check_hls(planned: Planned, aws: Aws) -> list[HlsCheck]:
    """Read each guarded HLS path again and pair it with what plan saw."""
    checks = []
    for flow in planned.plan.flows:
        guard, before = flow.spec.hls_guard, flow.live.hls
        if guard is not None and before is not None:
            after = aws.hls.observe(guard, guard.region or flow.spec.region)
            checks.append(HlsCheck(flow.spec.name, before, after))
    return checks


def save_plan(planned: Planned, path: Path, state_dir: Path, environ: Mapping[str, str]) -> None:
    """Write `planned` to `path` as a saved plan (no secret values inside)."""
    keyed = savedplan.Keyed(os.urandom(16), environ.get(PLAN_KEY_VARIABLE, "").encode())
    document = savedplan.document(
        planned.plan,
        keyed=keyed,
        state_fingerprint=planned.state_fingerprint,
        secrets=savedplan.secret_entries(planned.state, planned.desired, keyed),
        git=git_info(state_dir),
        created=now(),
    )
    _write_json(path, document)


def load_saved_plan(path: Path) -> dict[str, Any]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ReconcilerError(f"{path}: cannot read the saved plan: {e.strerror}") from None
    except ValueError:
        raise ReconcilerError(f"{path}: not a saved plan (invalid JSON)") from None
    if not isinstance(saved, dict) or saved.get("format") != savedplan.FORMAT:
        raise ReconcilerError(f"{path}: not a saved plan (made with `reconcile plan --out`)")
    if saved.get("version") != savedplan.VERSION:
        raise ReconcilerError(
            f"{path}: saved plan format version {saved.get('version')!r} is not supported "
            f"(this reconcile reads version {savedplan.VERSION}); plan again"
        )
    return saved


def recheck_saved_plan(
    saved: dict[str, Any], path: Path, state_dir: Path, aws: Aws, environ: Mapping[str, str]
) -> Planned:
    """Plan again from the same inputs and prove nothing changed since `saved`.

    Raises StalePlan, before any write, if the state files, a live flow, a
    stream key or the resulting changes differ from the saved plan.
    """
    pepper = environ.get(PLAN_KEY_VARIABLE, "")
    if saved.get("keyed_with_plan_key") and not pepper:
        raise StalePlan(path, [f"it was made with {PLAN_KEY_VARIABLE} set; set it for apply too"])
    keyed = savedplan.Keyed(bytes.fromhex(saved["salt"]), pepper.encode())
    planned = compute(state_dir, aws, environ)
    found = savedplan.problems(
        saved,
        plan=planned.plan,
        keyed=keyed,
        state_fingerprint=planned.state_fingerprint,
        secrets=savedplan.secret_entries(planned.state, planned.desired, keyed),
    )
    if found:
        raise StalePlan(path, found)
    return planned


def observe_flow(spec: FlowSpec, aws: Aws) -> LiveFlow:
    """The live flow (and its HLS path, when guarded): read-only."""
    arn = spec.arn or _arn_by_name(spec, aws.mediaconnect)
    try:
        live = aws.mediaconnect.describe_flow(
            spec.region, arn, tags_for=lambda name: name not in spec.protected
        )
    except NotFound:
        raise FlowNotFound(spec.name, spec.region) from None
    if live.name != spec.name:
        raise ReconcilerError(
            f"{spec.location}: arn names flow {live.name!r}, but the file says {spec.name!r}"
        )
    if spec.hls_guard is not None:
        guard = spec.hls_guard
        try:
            hls = aws.hls.observe(guard, guard.region or spec.region)
        except AwsError as e:
            raise ReconcilerError(
                f"{spec.location}: hls_guard: cannot read the HLS path: {e}"
            ) from None
        live = replace(live, hls=hls)
    return live


def _arn_by_name(spec: FlowSpec, aws: MediaConnect) -> str:
    arns = aws.flow_arns_named(spec.region, spec.name)
    if not arns:
        raise FlowNotFound(spec.name, spec.region)
    if len(arns) > 1:
        raise ReconcilerError(
            f"{spec.location}: {len(arns)} flows are named {spec.name!r} in {spec.region}; "
            "add `arn:` to say which one"
        )
    return arns[0]


def apply(
    plan: planner.Plan,
    aws: Aws,
    on_result: Callable[[executor.Result], None] = lambda r: None,
) -> executor.ApplyReport:
    return executor.apply(plan, aws.mediaconnect, on_result=on_result)


def write_report(
    path: Path,
    *,
    aws: Aws,
    planned: Planned,
    report: executor.ApplyReport,
    hls: list[HlsCheck],
    state_dir: Path,
    started: str,
    plan_file: Path | None,
) -> None:
    """The audit report of one apply: who, when, from which commit, which plan,
    every AWS call with its result, and each change's outcome. No secrets."""
    keyed = savedplan.Keyed(os.urandom(16))
    try:
        caller: dict[str, Any] = aws.identity()
    except ReconcilerError as e:
        caller = {"error": str(e)}
    document = {
        "format": "mediaconnect-reconciler/apply-report",
        "version": 1,
        "started": started,
        "finished": now(),
        "caller": caller,
        "git": git_info(state_dir),
        "plan_file": str(plan_file) if plan_file else None,
        "plan_fingerprint": savedplan.plan_fingerprint(planned.plan, keyed),
        "state_fingerprint": planned.state_fingerprint,
        "ok": report.ok,
        "results": [
            {
                "flow": r.change.flow,
                "output": r.change.output,
                "action": r.change.action.value,
                "outcome": r.outcome.value,
                "detail": r.detail,
                "output_arn": r.output_arn,
            }
            for r in report.results
        ],
        "hls_path": [
            {
                "flow": c.flow,
                "unchanged": c.unchanged,
                "before": c.before.fingerprint,
                "after": c.after.fingerprint,
            }
            for c in hls
        ],
        "calls": [asdict(call) for call in aws.clients.journal],
    }
    _write_json(path, document)


class StalePlan(ReconcilerError):
    def __init__(self, path: Path, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(
            f"refusing to apply {path}: "
            + "; ".join(reasons)
            + ". Nothing was applied; plan again."
        )


PLAN_KEY_VARIABLE = "RECONCILE_PLAN_KEY"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write whole or not at all (a temporary file renamed into place)."""
    text = json.dumps(document, indent=2, sort_keys=False) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as e:
        raise ReconcilerError(f"{path}: cannot write: {e.strerror}") from None
