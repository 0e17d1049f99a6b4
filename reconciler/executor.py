"""Carrying out a plan: exactly the calls it lists, nothing re-planned.

Per flow: one RemoveFlowOutput per removed (or replaced) output, then one
AddFlowOutputs for every new (or replaced) output, then one UpdateFlowOutput
per changed output carrying only what changed, and a TagResource for outputs
being adopted. Removes go first so that adds never push a flow past its output
limit. A failed call is recorded and the independent changes go on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from reconciler.errors import AwsError, NotFound
from reconciler.outputs import add_request, update_request
from reconciler.planner import Action, FlowPlan, OutputChange, Plan


class OutputWriter(Protocol):
    """The writes the executor needs (implemented by `aws.mediaconnect.MediaConnect`)."""

    def add_outputs(
        self, region: str, flow_arn: str, outputs: Sequence[Mapping[str, Any]]
    ) -> dict[str, str]: ...

    def update_output(
        self, region: str, flow_arn: str, output_arn: str, changes: Mapping[str, Any]
    ) -> None: ...

    def remove_output(self, region: str, flow_arn: str, output_arn: str) -> None: ...

    def mark_managed(self, region: str, output_arn: str) -> None: ...


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Result:
    change: OutputChange
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class ApplyReport:
    results: tuple[Result, ...]

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.DONE for r in self.results)


def apply(
    plan: Plan, aws: OutputWriter, *, on_result: Callable[[Result], None] = lambda r: None
) -> ApplyReport:
    """Make the plan's calls; report one result per change, in call order."""
    results: list[Result] = []

    def record(result: Result) -> None:
        results.append(result)
        on_result(result)

    for flow in plan.flows:
        _apply_flow(flow, aws, record)
    return ApplyReport(tuple(results))


def _apply_flow(flow: FlowPlan, aws: OutputWriter, record: Callable[[Result], None]) -> None:
    region, flow_arn = flow.live.region, flow.live.arn
    to_add: list[OutputChange] = []
    for change in flow.changes:
        if change.action not in (Action.REMOVE, Action.REPLACE):
            continue
        assert change.live is not None
        try:
            aws.remove_output(region, flow_arn, change.live.arn)
        except NotFound:
            pass  # already gone: the outcome we wanted
        except AwsError as e:
            record(Result(change, Outcome.FAILED, str(e)))
            continue
        if change.action is Action.REPLACE:
            to_add.append(change)
        else:
            record(Result(change, Outcome.DONE))

    to_add += [c for c in flow.changes if c.action is Action.ADD]
    if to_add:
        requests = []
        for change in to_add:
            assert change.desired is not None
            requests.append(add_request(change.output, change.desired.fields))
        try:
            arns = aws.add_outputs(region, flow_arn, requests)
        except AwsError as e:
            for change in to_add:
                record(Result(change, Outcome.FAILED, str(e)))
        else:
            for change in to_add:
                record(Result(change, Outcome.DONE, arns.get(change.output, "")))

    for change in flow.changes:
        if change.action is Action.UPDATE:
            record(_update(change, region, flow_arn, aws))


def _update(change: OutputChange, region: str, flow_arn: str, aws: OutputWriter) -> Result:
    assert change.desired is not None and change.live is not None
    try:
        if change.fields:
            body = update_request(change.desired.fields, (f.path for f in change.fields))
            aws.update_output(region, flow_arn, change.live.arn, body)
        if change.adopt:
            aws.mark_managed(region, change.live.arn)
    except AwsError as e:
        return Result(change, Outcome.FAILED, str(e))
    return Result(change, Outcome.DONE)
