"""The plan use case: read git and AWS, and compute what would make them match.

Writes nothing. The CLI chooses how to show what comes back.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler.app import clock, notifying
from reconciler.app.resolver import Resolver, desired_outputs
from reconciler.aws import Aws
from reconciler.aws.mediaconnect import MediaConnect
from reconciler.core import planner
from reconciler.core.concurrency import both, in_parallel
from reconciler.core.cost import PlanCost, plan_cost
from reconciler.core.errors import AwsError, FlowNotFound, NotFound, ReconcilerError, StateErrors
from reconciler.core.models import DesiredOutput, FlowSpec, LiveFlow, State
from reconciler.core.pricing import load_pricing
from reconciler.core.selection import FlowFilter, select
from reconciler.core.state import load_state

EVERY_FLOW = FlowFilter()
log = logging.getLogger(__name__)


def validate_state(state_dir: Path) -> State:
    """Offline: schema and semantic checks, that literal notification URLs are
    ones Apprise can use, and `pricing.yaml` beside the state. Raises StateErrors."""
    state = load_state(state_dir)
    errors: list[ReconcilerError] = [*notifying.target_errors(state)]
    try:
        load_pricing(state_dir)
    except StateErrors as e:
        errors += e.errors
    if errors:
        raise StateErrors(errors)
    return state


@dataclass(frozen=True)
class Planned:
    """A plan and what it was computed from (the state carries its fingerprint)."""

    plan: planner.Plan
    state: State
    desired: list[DesiredOutput]
    replace_unmanaged: frozenset[str] = frozenset()  # `--replace-unmanaged` names
    # (flow, output) → the version of its stored key (SSM, Secrets Manager)
    key_versions: Mapping[tuple[str, str], str] = field(default_factory=dict)
    cost: PlanCost | None = None  # what the plan does to the monthly bill


def compute_plan(
    state_dir: Path,
    aws: Aws,
    environ: Mapping[str, str],
    only: FlowFilter = EVERY_FLOW,
    *,
    replace_unmanaged: frozenset[str] = frozenset(),
) -> Planned:
    """Read git and AWS, and compute the plan for the flows `only` accepts. Writes nothing.

    A `protected` entry that protects nothing live is logged as a warning.
    An unmanaged output is replaced (removed, then added) only when its name
    is in `replace_unmanaged`; otherwise such a plan is refused (PlanError).

    Stream keys and flows are read at once (threads; the rate limiters in
    `aws.clients` keep the pace); a key that cannot be had is reported before
    any flow error, and nothing is written either way. AWS cost: GetParameters
    per 10 SSM keys and BatchGetSecretValue per 20 secrets (per region); one
    DescribeFlow per flow (plus ListFlows per region for flows given by name),
    one ListTagsForResource on the flow (its ownership manifest), and one more
    per unprotected output the manifest does not list.
    """
    state = select(load_state(state_dir), only)
    resolver = Resolver(environ, aws.secrets)
    specs = list(state.flows.values())
    # Keys and flows are read at the same time: reads only, so a key that
    # cannot be had still stops the plan before anything is written (and its
    # error comes first, whatever the flows answered).
    desired, found = both(
        functools.partial(desired_outputs, state, resolver),
        functools.partial(in_parallel, [functools.partial(observe_flow, s, aws) for s in specs]),
    )
    regions = {name: flow.region for name, flow in state.flows.items()}
    versions = {
        (d.flow, d.name): version
        for d in state.destinations
        if d.stream_key is not None
        and (version := resolver.version(d.stream_key, regions[d.flow])) is not None
    }
    observed = {spec.name: live for spec, live in zip(specs, found, strict=True)}
    for name, spec in sorted(state.flows.items()):
        for warning in planner.protected_warnings(spec, observed[name]):
            log.warning("%s", warning)
    result = planner.plan(
        state.flows.values(), desired, observed, replace_unmanaged=replace_unmanaged
    )
    cost = plan_cost(result, state, load_pricing(state_dir))
    return Planned(
        replace(result, as_of=clock.now()), state, desired, replace_unmanaged, versions, cost
    )


def observe_flow(spec: FlowSpec, aws: Aws) -> LiveFlow:
    """The live flow (and its HLS path, when guarded): read-only."""
    arn = spec.arn or _arn_by_name(spec, aws.mediaconnect)
    try:
        live = aws.mediaconnect.describe_flow(
            spec.region, arn, tags_for=lambda name: name not in spec.protected, with_manifest=True
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
