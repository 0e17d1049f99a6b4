"""Carrying out a plan: exactly the changes it lists, nothing re-planned.

Per flow: one RemoveFlowOutput per removed (or replaced) output, then one
AddFlowOutputs for every new (or replaced) output, then one UpdateFlowOutput
per changed output carrying only what changed, and a TagResource for outputs
being adopted; last, when it changed, one TagResource on the flow recording
which outputs are ours (`core.ownership`). Removes go first so that adds
never push a flow past its output limit.

Before every write after the first on a flow, the flow is read again
(`ready_flow`, which also waits while MediaConnect reports it UPDATING). The
fresh read makes apply safe to re-run and to race: an add whose output already
exists with the desired settings, a remove of an output already gone, and an
update already in effect all count as done without a call; an output that
changed under us is reported, not overwritten. A failed call is recorded and
the independent changes go on; when a flow disappears or never settles, its
remaining changes are skipped with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from reconciler.core import ownership
from reconciler.core.errors import AwsError, NotFound, ReconcilerError
from reconciler.core.models import LiveFlow, LiveOutput
from reconciler.core.outputs import add_request, update_request
from reconciler.core.planner import Action, FlowPlan, OutputChange, Plan, differences
from reconciler.core.results import ApplyReport, Outcome, Result

log = logging.getLogger(__name__)


class OutputWriter(Protocol):
    """What the executor needs from AWS (implemented by `aws.mediaconnect.MediaConnect`)."""

    def ready_flow(self, region: str, flow_arn: str) -> LiveFlow: ...

    def add_outputs(
        self, region: str, flow_arn: str, outputs: Sequence[Mapping[str, Any]]
    ) -> dict[str, str]: ...

    def update_output(
        self, region: str, flow_arn: str, output_arn: str, changes: Mapping[str, Any]
    ) -> None: ...

    def remove_output(self, region: str, flow_arn: str, output_arn: str) -> None: ...

    def mark_managed(self, region: str, output_arn: str) -> None: ...

    def record_ownership(self, region: str, flow_arn: str, tags: Mapping[str, str]) -> None: ...


class FlowUnavailable(Exception):
    """The flow went away or never settled: skip what is left on it."""


def apply(
    plan: Plan, aws: OutputWriter, *, on_result: Callable[[Result], None] = lambda r: None
) -> ApplyReport:
    """Make the plan's calls; report one result per change, in call order."""
    results: list[Result] = []

    def record(result: Result) -> None:
        results.append(result)
        on_result(result)

    for flow in plan.flows:
        _FlowRun(flow, aws, record).run()
    return ApplyReport(tuple(results))


class _FlowRun:
    def __init__(self, flow: FlowPlan, aws: OutputWriter, record: Callable[[Result], None]):
        self.plan, self.aws, self.record = flow, aws, record
        self.region, self.arn = flow.live.region, flow.live.arn
        self.current: LiveFlow | None = (
            flow.live if flow.live.status in ("ACTIVE", "STANDBY") else None
        )
        self.pending = list(flow.changes)
        self.results: list[Result] = []

    def run(self) -> None:
        steps: list[tuple[Callable[[Any], None], Any]] = []
        removes = [c for c in self.pending if c.action in (Action.REMOVE, Action.REPLACE)]
        steps += [(self._remove, c) for c in removes]
        steps.append((self._add, [c for c in self.pending if c.action is Action.ADD]))
        steps += [(self._update, c) for c in self.pending if c.action is Action.UPDATE]
        try:
            for step, argument in steps:
                step(argument)
        except FlowUnavailable as e:
            for change in list(self.pending):
                self._report(change, Outcome.SKIPPED, str(e))
        self._record_ownership()

    def _record_ownership(self) -> None:
        """Bring the flow's ownership manifest in step with what was done (one
        TagResource on the flow, only when it changed). A failure here loses no
        ownership: the outputs carry their own tags, which the next plan reads."""
        before = self.plan.live.manifest
        if before is None:
            return  # not read, so not known to be stale
        after = ownership.after_apply(self.plan, self.results)
        if after.same_ids(before):
            return
        tags = ownership.tags_for(after)
        if tags is None:
            log.warning(
                "flow %r has too many tags for the ownership manifest; plans will read "
                "each output's tags instead",
                self.plan.spec.name,
            )
            return
        try:
            self.aws.record_ownership(self.region, self.arn, tags)
        except ReconcilerError as e:
            log.warning(
                "flow %r: could not record ownership in its tags (%s); the next plan reads "
                "the outputs' own tags instead",
                self.plan.spec.name,
                e,
            )

    def _report(
        self, change: OutputChange, outcome: Outcome, detail: str = "", arn: str | None = None
    ) -> None:
        if change in self.pending:
            self.pending.remove(change)
            result = Result(change, outcome, detail, arn)
            self.results.append(result)
            self.record(result)

    def _outputs(self) -> dict[str, LiveOutput]:
        """The flow as it is now, read again unless nothing was written since."""
        if self.current is None:
            try:
                self.current = self.aws.ready_flow(self.region, self.arn)
            except NotFound:
                raise FlowUnavailable(f"flow {self.plan.spec.name!r} no longer exists") from None
            except ReconcilerError as e:
                raise FlowUnavailable(str(e)) from None
        return {o.name: o for o in self.current.outputs}

    def _wrote(self) -> None:
        self.current = None  # the next step must look again

    def _remove(self, change: OutputChange) -> None:
        """Remove (or, for a replace, remove before the add step re-adds)."""
        live = self._outputs().get(change.output)
        if (
            change.action is Action.REPLACE
            and live
            and not differences(_desired(change).fields, live.fields)
        ):
            self._report(change, Outcome.DONE, "already in place", live.arn)
            return
        if live is not None:
            try:
                self.aws.remove_output(self.region, self.arn, live.arn)
            except NotFound:
                pass  # gone between our read and our call: what we wanted
            except AwsError as e:
                self._report(change, Outcome.FAILED, str(e))  # a replace stops here too
                return
            finally:
                self._wrote()
        if change.action is Action.REMOVE:
            self._report(change, Outcome.DONE, "" if live else "already gone")

    def _add(self, adds: list[OutputChange]) -> None:
        replaced = [c for c in self.pending if c.action is Action.REPLACE]
        if not (adds or replaced):
            return
        wanted = adds + replaced
        live = self._outputs()
        to_send = [c for c in wanted if not self._settled(c, live)]
        if not to_send:
            return
        requests = [add_request(c.output, _desired(c).fields) for c in to_send]
        try:
            arns = self.aws.add_outputs(self.region, self.arn, requests)
        except AwsError as e:
            # It may have been applied before the answer was lost, or by a
            # concurrent apply: look before reporting.
            self._wrote()
            live = self._outputs()
            for change in to_send:
                if not self._settled(change, live):
                    self._report(change, Outcome.FAILED, str(e))
            return
        self._wrote()
        for change in to_send:
            self._report(change, Outcome.DONE, arn=arns.get(change.output))

    def _settled(self, change: OutputChange, live: Mapping[str, LiveOutput]) -> bool:
        """Report an add that needs no call (or cannot be made); True if reported."""
        existing = live.get(change.output)
        if existing is None:
            return False
        if differences(_desired(change).fields, existing.fields):
            self._report(
                change,
                Outcome.FAILED,
                "an output of this name exists with other settings (changed since the plan); "
                "plan again",
            )
        else:
            self._report(change, Outcome.DONE, "already in place", existing.arn)
        return True

    def _update(self, change: OutputChange) -> None:
        live = self._outputs().get(change.output)
        if live is None:
            self._report(
                change,
                Outcome.FAILED,
                "the output no longer exists (removed since the plan); plan again",
            )
            return
        desired = _desired(change).fields
        try:
            if change.fields and differences(desired, live.fields):
                body = update_request(desired, (f.path for f in change.fields))
                self.aws.update_output(self.region, self.arn, live.arn, body)
                self._wrote()
            if change.adopt:
                self.aws.mark_managed(self.region, live.arn)
        except NotFound:
            self._wrote()
            self._report(
                change,
                Outcome.FAILED,
                "the output no longer exists (removed since the plan); plan again",
            )
            return
        except AwsError as e:
            self._wrote()
            self._report(change, Outcome.FAILED, str(e))
            return
        self._report(change, Outcome.DONE, arn=live.arn)


def _desired(change: OutputChange) -> Any:
    assert change.desired is not None
    return change.desired
