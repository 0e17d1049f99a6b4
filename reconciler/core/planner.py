"""The plan: what it takes to make each live flow match git.

`plan(state, desired, observed)` is purely computational, with no side effects:
everything it needs was read before, and nothing it returns has been done yet.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from fnmatch import fnmatchcase

from reconciler.core.errors import ReconcilerError
from reconciler.core.models import (
    SENSITIVE_PATHS,
    DesiredOutput,
    Fields,
    FlowSpec,
    LiveFlow,
    LiveOutput,
    Value,
)
from reconciler.core.outputs import REPLACE_PATHS
from reconciler.core.rules import MAX_OUTPUTS_PER_FLOW
from reconciler.core.secrets import Secret

# The order fields are listed in: where the stream goes first, then how.
FIELD_ORDER = (
    "Protocol",
    "Destination",
    "Port",
    "RtmpPushSettings.ApplicationName",
    "RtmpPushSettings.StreamName",
    "RtmpPushSettings.TlsEncryption",
    "StreamId",
    "OutputStatus",
    "Description",
)


def _field_order(path: str) -> tuple[int, str]:
    return (FIELD_ORDER.index(path) if path in FIELD_ORDER else len(FIELD_ORDER), path)


class Action(StrEnum):
    ADD = "add"
    UPDATE = "update"
    REPLACE = "replace"  # remove, then add: interrupts this one destination briefly
    REMOVE = "remove"


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Value  # None: not set
    after: Value

    @property
    def sensitive(self) -> bool:
        return (
            self.path in SENSITIVE_PATHS
            or isinstance(self.before, Secret)
            or isinstance(self.after, Secret)
        )


@dataclass(frozen=True)
class OutputChange:
    action: Action
    flow: str
    output: str
    fields: tuple[FieldChange, ...]
    desired: DesiredOutput | None = None
    live: LiveOutput | None = None
    adopt: bool = False  # an unmanaged output that git now claims: apply tags it

    @property
    def adoption_only(self) -> bool:
        """An unmanaged output that already matches git: apply only tags it as
        ours. Bookkeeping, not a change: it does not count as drift."""
        return self.adopt and self.action is Action.UPDATE and not self.fields


@dataclass(frozen=True)
class FlowPlan:
    spec: FlowSpec
    live: LiveFlow
    changes: tuple[OutputChange, ...]
    unmanaged: tuple[str, ...]  # live outputs neither in git nor ours: left alone
    protected: tuple[str, ...]  # live outputs named in `protected`: never touched


@dataclass(frozen=True)
class Plan:
    flows: tuple[FlowPlan, ...]
    as_of: datetime | None = None  # when it was made (UTC): freeze windows are shown as of then

    @property
    def changes(self) -> tuple[OutputChange, ...]:
        return tuple(c for f in self.flows for c in f.changes)

    @property
    def has_changes(self) -> bool:
        """Whether applying would change any output (adoptions alone do not)."""
        return any(not c.adoption_only for c in self.changes)

    def summary(self) -> dict[str, int]:
        """Changes per action, and `adopt`: outputs apply will only tag."""
        counts = {action.value: 0 for action in Action}
        counts["adopt"] = 0
        for change in self.changes:
            counts["adopt" if change.adoption_only else change.action.value] += 1
        return counts


class PlanError(ReconcilerError):
    pass


def plan(
    flows: Iterable[FlowSpec],
    desired: Iterable[DesiredOutput],
    observed: Mapping[str, LiveFlow],
    *,
    replace_unmanaged: frozenset[str] = frozenset(),
) -> Plan:
    """Per flow, the adds, updates, replaces and removes that make AWS match git.

    `observed` maps each flow name to its live state. Outputs git does not
    mention are removed only if we created them (or the flow says `prune`),
    and outputs named in `protected` are never touched. Adopting never removes:
    an unmanaged output that would need a replace raises PlanError unless its
    name is in `replace_unmanaged` (`--replace-unmanaged NAME`).
    """
    wanted: dict[str, dict[str, DesiredOutput]] = {}
    for output in desired:
        wanted.setdefault(output.flow, {})[output.name] = output
    return Plan(
        tuple(
            _plan_flow(spec, wanted.get(spec.name, {}), observed[spec.name], replace_unmanaged)
            for spec in sorted(flows, key=lambda f: f.name)
        )
    )


def _plan_flow(
    spec: FlowSpec,
    wanted: Mapping[str, DesiredOutput],
    live: LiveFlow,
    replace_unmanaged: frozenset[str],
) -> FlowPlan:
    have = {o.name: o for o in live.outputs}
    changes: list[OutputChange] = []
    unmanaged: list[str] = []
    protected: list[str] = []
    for name in sorted(wanted.keys() | have.keys()):
        want, got = wanted.get(name), have.get(name)
        if name in spec.protected:
            if got is not None:
                protected.append(name)
            continue
        if got is None:
            assert want is not None
            fields = tuple(FieldChange(p, None, v) for p, v in _ordered(want.fields))
            changes.append(OutputChange(Action.ADD, spec.name, name, fields, desired=want))
        elif want is None:
            if got.entitlement_arn is None and (got.managed or spec.prune):
                fields = tuple(FieldChange(p, v, None) for p, v in _ordered(got.fields))
                changes.append(OutputChange(Action.REMOVE, spec.name, name, fields, live=got))
            else:
                unmanaged.append(name)
        else:
            if got.entitlement_arn is not None:
                raise PlanError(
                    f"{want.location}: output {name!r} on flow {spec.name!r} was created by "
                    "an entitlement and cannot be managed here; rename the destination"
                )
            change = _compare(spec.name, want, got)
            if change is not None and change.adopt and change.action is Action.REPLACE:
                _check_replace_allowed(change, want, replace_unmanaged)
            if change is not None:
                changes.append(change)
    _check_capacity(spec, live, changes)
    return FlowPlan(spec, live, tuple(changes), tuple(unmanaged), tuple(protected))


def protected_warnings(spec: FlowSpec, live: LiveFlow) -> list[str]:
    """One `FILE:LINE: ...` line per `protected` entry that protects nothing on
    `live`: it names no output, or differs from one only by case or spaces."""
    names = {o.name for o in live.outputs}
    folded = {o.name.strip().casefold(): o.name for o in live.outputs}
    entries = spec.protected_at or tuple((name, spec.location) for name in sorted(spec.protected))
    warnings = []
    for entry, location in entries:
        if entry in names:
            continue
        near = folded.get(entry.strip().casefold())
        if near is not None:
            warnings.append(
                f"{location}: protected entry {entry!r} does not protect output {near!r} of flow "
                f"{spec.name!r}: names must match exactly (case and spaces too)"
            )
        else:
            warnings.append(
                f"{location}: protected entry {entry!r} matches no output of flow {spec.name!r}"
            )
    return warnings


def differences(want: Fields, got: Fields) -> tuple[FieldChange, ...]:
    """The fields of `want` that `got` does not match, in display order."""
    return tuple(
        FieldChange(path, got.get(path), value)
        for path, value in _ordered(want)
        if not _same(got.get(path), value)
    )


def _compare(flow: str, want: DesiredOutput, got: LiveOutput) -> OutputChange | None:
    diffs = differences(want.fields, got.fields)
    if any(d.path in REPLACE_PATHS for d in diffs):
        return OutputChange(
            Action.REPLACE, flow, want.name, diffs, desired=want, live=got, adopt=not got.managed
        )
    if diffs or not got.managed:
        return OutputChange(
            Action.UPDATE, flow, want.name, diffs, desired=want, live=got, adopt=not got.managed
        )
    return None


def _check_replace_allowed(
    change: OutputChange, want: DesiredOutput, replace_unmanaged: frozenset[str]
) -> None:
    """Adopting must never remove an output the tool does not own: replacing
    one (remove, then add) needs the operator to name it explicitly."""
    if change.output in replace_unmanaged:
        return
    paths = ", ".join(f.path for f in change.fields if f.path in REPLACE_PATHS)
    raise PlanError(
        f"{want.location}: output {change.output!r} on flow {change.flow!r} exists but is not "
        f"managed by reconcile, and changing its {paths} means removing it and adding it again; "
        "reconcile will not remove an output it does not own. Rename the destination, "
        "remove the output by hand, or plan and apply with "
        f"--replace-unmanaged {change.output}"
    )


def _ordered(fields: Fields) -> list[tuple[str, Value]]:
    return sorted(fields.items(), key=lambda item: _field_order(item[0]))


def _same(live: Value, desired: Value) -> bool:
    # Secret.__eq__ does the comparison (in constant time) when either side is one.
    if isinstance(live, Secret):
        return live == desired
    return desired == live


def _check_capacity(spec: FlowSpec, live: LiveFlow, changes: list[OutputChange]) -> None:
    adds = sum(c.action is Action.ADD for c in changes)
    removes = sum(c.action is Action.REMOVE for c in changes)
    total = len(live.outputs) + adds - removes
    if total > MAX_OUTPUTS_PER_FLOW:
        raise PlanError(
            f"{spec.location}: flow {spec.name!r} would have {total} outputs; "
            f"MediaConnect allows at most {MAX_OUTPUTS_PER_FLOW} per flow"
        )


def select(plan: Plan, *, flows: Collection[str] = (), outputs: Collection[str] = ()) -> Plan:
    """The part of `plan` on the named flows and outputs (shell-style patterns;
    none given: all)."""

    def chosen(name: str, patterns: Collection[str]) -> bool:
        return not patterns or any(fnmatchcase(name, p) for p in patterns)

    return Plan(
        tuple(
            replace(
                flow,
                changes=tuple(c for c in flow.changes if chosen(c.output, outputs)),
                unmanaged=tuple(n for n in flow.unmanaged if chosen(n, outputs)),
                protected=tuple(n for n in flow.protected if chosen(n, outputs)),
            )
            for flow in plan.flows
            if chosen(flow.spec.name, flows)
        ),
        as_of=plan.as_of,
    )
