"""Use cases: each gathers what it needs, calls the pure core, returns values.

No printing here; the CLI chooses how to show what comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from reconciler import executor, planner
from reconciler.aws import Aws
from reconciler.aws.mediaconnect import MediaConnect
from reconciler.errors import FlowNotFound, NotFound, ReconcilerError
from reconciler.models import FlowSpec, LiveFlow, State
from reconciler.resolver import Resolver, desired_outputs
from reconciler.state import load_state


def validate(state_dir: Path) -> State:
    """Offline: schema and semantic checks only. Raises StateErrors."""
    return load_state(state_dir)


def plan(state_dir: Path, aws: Aws, environ: Mapping[str, str]) -> planner.Plan:
    """Read git and AWS, and compute the plan. Writes nothing.

    Stream keys are resolved before any MediaConnect call, so a missing key
    fails fast. AWS cost: GetParameters per 10 SSM keys and BatchGetSecretValue
    per 20 secrets (per region); one DescribeFlow per flow (plus ListFlows per
    region for flows given by name) and one ListTagsForResource per unprotected
    output.
    """
    state = load_state(state_dir)
    desired = desired_outputs(state, Resolver(environ, aws.secrets))
    observed = {name: observe_flow(spec, aws.mediaconnect) for name, spec in state.flows.items()}
    return planner.plan(state.flows.values(), desired, observed)


def observe_flow(spec: FlowSpec, aws: MediaConnect) -> LiveFlow:
    arn = spec.arn or _arn_by_name(spec, aws)
    try:
        live = aws.describe_flow(spec.region, arn, tags_for=lambda name: name not in spec.protected)
    except NotFound:
        raise FlowNotFound(spec.name, spec.region) from None
    if live.name != spec.name:
        raise ReconcilerError(
            f"{spec.location}: arn names flow {live.name!r}, but the file says {spec.name!r}"
        )
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
