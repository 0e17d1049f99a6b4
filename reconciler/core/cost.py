"""What MediaConnect charges for a state, and what each planned change adds.

Purely computational. The model (docs/cost.md):

- A transport-stream flow pays `flow_usd_per_hour` for each of its
  `hours_per_month` (the hours it runs). A flow in STANDBY pays nothing and
  sends nothing while it stays there: one in STANDBY now is still estimated
  for its declared hours, and says so (`hours_per_month: 0` for one kept idle).
- Each ENABLED output pays transfer for its own copy of the stream:
  `bitrate_mbps * 10^6 / 8 * 3600 * hours / 2^30` GB a month, priced on the
  region's monthly tiers. Tiers apply to a region's whole volume; each output
  carries its share at the average rate. A DISABLED output sends nothing.
- The account-wide free tier (100 GB) is deducted only when asked, once,
  region by region in name order.
- Nothing is invented: an unpriced region or an unknown bitrate makes that part
  of the cost unknown, with the reason.

Per-change deltas are marginal and taken in plan order, so they add up to the
plan's total delta exactly; a replace that keeps status and usage costs $0.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from reconciler.core.models import DestinationSpec, FlowSpec, LiveFlow, State
from reconciler.core.planner import Action, OutputChange, Plan
from reconciler.core.pricing import (
    BYTES_PER_GB,
    FREE_TIER_GB,
    HOURS_PER_MONTH,
    PriceTable,
    tiered_cost,
)

STANDBY = "STANDBY"


def gb_per_month(bitrate_mbps: float, hours: float) -> float:
    """Transfer of one copy of a stream, in billing GB (2^30 bytes)."""
    return bitrate_mbps * 1e6 / 8 * 3600 * hours / BYTES_PER_GB


@dataclass(frozen=True)
class OutputLoad:
    """One output's monthly usage: `gb` is None when its bitrate is unknown."""

    name: str
    enabled: bool
    bitrate_mbps: float | None
    hours: float
    basis: str  # where the bitrate and hours come from, for people

    @property
    def gb(self) -> float | None:
        if not self.enabled:
            return 0.0
        return None if self.bitrate_mbps is None else gb_per_month(self.bitrate_mbps, self.hours)


@dataclass(frozen=True)
class FlowLoad:
    name: str
    region: str
    running: bool  # False: in STANDBY now (no charge while it stays there)
    hours: float
    bitrate_mbps: float | None  # the flow's default for its outputs
    basis: str
    outputs: tuple[OutputLoad, ...]
    budget_usd_month: float | None = None

    def with_output(self, output: OutputLoad) -> FlowLoad:
        rest = tuple(o for o in self.outputs if o.name != output.name)
        return replace(self, outputs=(*rest, output))

    def without(self, name: str) -> FlowLoad:
        return replace(self, outputs=tuple(o for o in self.outputs if o.name != name))


@dataclass(frozen=True)
class OutputCost:
    name: str
    gb: float | None
    usd: float | None
    load: OutputLoad


@dataclass(frozen=True)
class FlowCost:
    name: str
    region: str
    flow_usd: float | None  # None: region not priced
    transfer_usd: float | None  # None: region not priced or a bitrate unknown
    outputs: tuple[OutputCost, ...]
    unknown: tuple[str, ...]  # why some part is unknown
    load: FlowLoad

    @property
    def usd(self) -> float | None:
        if self.flow_usd is None or self.transfer_usd is None:
            return None
        return self.flow_usd + self.transfer_usd

    @property
    def known_usd(self) -> float:
        return (self.flow_usd or 0.0) + sum(o.usd or 0.0 for o in self.outputs)


@dataclass(frozen=True)
class Bill:
    flows: tuple[FlowCost, ...]
    free_tier_gb: float  # deducted (0 unless asked)

    @property
    def usd(self) -> float | None:
        return None if self.unknown else self.known_usd

    @property
    def known_usd(self) -> float:
        return sum(f.known_usd for f in self.flows)

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(reason for f in self.flows for reason in f.unknown)

    def flow(self, name: str) -> FlowCost | None:
        return next((f for f in self.flows if f.name == name), None)


def bill(loads: Iterable[FlowLoad], prices: PriceTable) -> Bill:
    """The monthly cost of `loads` under `prices`."""
    loads = list(loads)
    gb = {
        region: sum(o.gb or 0.0 for f in loads if f.region == region for o in f.outputs)
        for region in {f.region for f in loads}
    }
    region_usd, free = _transfer(gb, prices)
    flows = [_flow_cost(load, prices, region_usd.get(load.region)) for load in loads]
    used = (FREE_TIER_GB - free) if prices.deduct_free_tier else 0.0
    return Bill(tuple(flows), used)


def _transfer(
    gb: Mapping[str, float], prices: PriceTable
) -> tuple[dict[str, tuple[float, float]], float]:
    """Each priced region's (GB, USD after the free tier) for its total `gb`, and
    the free tier left (deducted region by region, in name order)."""
    free = FREE_TIER_GB if prices.deduct_free_tier else 0.0
    region_usd: dict[str, tuple[float, float]] = {}
    for region in sorted(gb):
        rates = prices.get(region)
        if rates is None:
            continue
        deducted = min(free, gb[region])
        free -= deducted
        region_usd[region] = (gb[region], tiered_cost(gb[region] - deducted, rates.internet_tiers))
    return region_usd, free


def _flow_cost(load: FlowLoad, prices: PriceTable, region: tuple[float, float] | None) -> FlowCost:
    rates = prices.get(load.region)
    if rates is None or region is None:
        reason = f"{load.name}: no price data for region {load.region}"
        outputs = tuple(OutputCost(o.name, o.gb, None, o) for o in load.outputs)
        return FlowCost(load.name, load.region, None, None, outputs, (reason,), load)
    region_gb, region_usd = region
    average = region_usd / region_gb if region_gb else 0.0
    costs: list[OutputCost] = []
    unknown: list[str] = []
    for o in load.outputs:
        gb = o.gb
        if gb is None:
            unknown.append(f"{load.name}/{o.name}: transfer unknown ({o.basis})")
        costs.append(OutputCost(o.name, gb, None if gb is None else gb * average, o))
    outputs = tuple(costs)
    flow_usd = rates.flow_usd_per_hour * load.hours
    transfer = None if unknown else sum(o.usd or 0.0 for o in outputs)
    return FlowCost(
        load.name, load.region, flow_usd, transfer, tuple(outputs), tuple(unknown), load
    )


# --- loads from the state and the live flows -------------------------------------


def flow_load(
    spec: FlowSpec,
    destinations: Iterable[DestinationSpec],
    live: LiveFlow | None,
) -> FlowLoad:
    """What git says `spec` should carry, with the live flow's status and
    source MaxBitrate when known (`live` None: assumed running, no MaxBitrate)."""
    hours = spec.hours_per_month if spec.hours_per_month is not None else HOURS_PER_MONTH
    hours_basis = "flow file" if spec.hours_per_month is not None else "default, 24/7"
    bitrate, basis = _flow_bitrate(spec, live)
    load = FlowLoad(
        name=spec.name,
        region=spec.region,
        running=live is None or live.status != STANDBY,
        hours=hours,
        bitrate_mbps=bitrate,
        basis=f"{basis}; {hours:g} h/month ({hours_basis})",
        outputs=(),
        budget_usd_month=spec.budget_usd_month,
    )
    outputs = tuple(output_load(load, d, enabled=_enabled(d)) for d in destinations)
    return replace(load, outputs=outputs)


def _flow_bitrate(spec: FlowSpec, live: LiveFlow | None) -> tuple[float | None, str]:
    if spec.bitrate_mbps is not None:
        return spec.bitrate_mbps, f"{spec.bitrate_mbps:g} Mb/s (flow file)"
    if live is not None and live.source_max_bitrate:
        mbps = live.source_max_bitrate / 1e6
        return mbps, f"{mbps:g} Mb/s (the live source's MaxBitrate)"
    why = "the live flow reports no source MaxBitrate" if live is not None else "not read from AWS"
    return None, f"bitrate unknown: set bitrate_mbps in {spec.location.file} ({why})"


def _enabled(dest: DestinationSpec) -> bool:
    return dest.fields.get("OutputStatus", "ENABLED") != "DISABLED"


def output_load(flow: FlowLoad, dest: DestinationSpec | None, *, enabled: bool) -> OutputLoad:
    """One output's usage: the destination's overrides, else the flow's defaults."""
    name = dest.name if dest is not None else ""
    bitrate, hours, basis = flow.bitrate_mbps, flow.hours, flow.basis
    if dest is not None and (dest.bitrate_mbps is not None or dest.hours_per_month is not None):
        bitrate = dest.bitrate_mbps if dest.bitrate_mbps is not None else bitrate
        hours = dest.hours_per_month if dest.hours_per_month is not None else hours
        shown = "unknown" if bitrate is None else f"{bitrate:g} Mb/s"
        basis = f"{shown}; {hours:g} h/month (destination file)"
    return OutputLoad(name, enabled, bitrate, hours, basis)


def state_loads(state: State, observed: Mapping[str, LiveFlow] | None = None) -> list[FlowLoad]:
    """Loads of every flow of the state as git declares it."""
    observed = observed or {}
    return [
        flow_load(spec, state.destinations_of(spec.name), observed.get(spec.name))
        for spec in sorted(state.flows.values(), key=lambda f: f.name)
    ]


# --- the plan's cost ------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeCost:
    change: OutputChange
    delta_usd: float | None  # None: unknown (see `why`)
    why: str = ""


@dataclass(frozen=True)
class BudgetCheck:
    flow: str
    budget_usd: float
    after_usd: float | None
    crossed: bool  # the plan raises the flow's cost above its budget
    message: str


@dataclass(frozen=True)
class PlanCost:
    before: Bill
    after: Bill
    changes: tuple[ChangeCost, ...]
    budgets: tuple[BudgetCheck, ...]

    @property
    def delta_usd(self) -> float:
        return self.after.known_usd - self.before.known_usd

    @property
    def over_budget(self) -> tuple[BudgetCheck, ...]:
        return tuple(b for b in self.budgets if b.crossed)

    def of(self, change: OutputChange) -> ChangeCost | None:
        return self._by_change.get(id(change))

    @functools.cached_property
    def _by_change(self) -> dict[int, ChangeCost]:
        return {id(c.change): c for c in self.changes}


def plan_cost(plan: Plan, state: State, prices: PriceTable) -> PlanCost:
    """The cost before and after `plan`, and each change's monthly delta.

    A change alters one flow's outputs, so only its region's transfer total
    moves: each delta is taken from the regions' totals, not from billing
    every flow again (linear in the size of the plan, not quadratic)."""
    loads = {f.spec.name: _live_load(f.spec, state, f.live) for f in plan.flows}
    before = bill(loads.values(), prices)
    declared = {(d.flow, d.name): d for d in state.destinations}
    flows = {f.name: f for f in before.flows}
    flow_usd = sum(f.flow_usd or 0.0 for f in before.flows)
    flow_gb = {name: _known_gb(load) for name, load in loads.items()}

    def known_usd() -> tuple[float, dict[str, tuple[float, float]]]:
        gb: dict[str, list[float]] = {}
        for name, load in loads.items():
            gb.setdefault(load.region, []).append(flow_gb[name])
        region_usd, _ = _transfer({r: math.fsum(v) for r, v in gb.items()}, prices)
        return flow_usd + math.fsum(usd for _, usd in region_usd.values()), region_usd

    total, _ = known_usd()
    costs = []
    for change in plan.changes:
        load = _applied(loads[change.flow], change, declared.get((change.flow, change.output)))
        loads[change.flow], flow_gb[change.flow] = load, _known_gb(load)
        after, region_usd = known_usd()
        now = _flow_cost(load, prices, region_usd.get(load.region))
        costs.append(_change_cost(change, flows[change.flow], now, after - total))
        flows[change.flow], total = now, after
    final = bill(loads.values(), prices)
    budgets = tuple(_budget(before, final, load) for load in loads.values())
    return PlanCost(before, final, tuple(costs), tuple(b for b in budgets if b is not None))


def _known_gb(load: FlowLoad) -> float:
    """The flow's transfer whose bitrate is known, summed exactly (in any order)."""
    return math.fsum(o.gb or 0.0 for o in load.outputs)


def _live_load(spec: FlowSpec, state: State, live: LiveFlow) -> FlowLoad:
    """The live flow's outputs (all of them: unmanaged ones cost too), each with
    its destination's usage when git names it, else the flow's defaults."""
    flow = flow_load(spec, (), live)
    declared = {d.name: d for d in state.destinations_of(spec.name)}
    outputs = []
    for o in live.outputs:
        output = output_load(
            flow, declared.get(o.name), enabled=o.fields.get("OutputStatus") != "DISABLED"
        )
        outputs.append(replace(output, name=o.name))
    return replace(flow, outputs=tuple(outputs))


def _applied(flow: FlowLoad, change: OutputChange, dest: DestinationSpec | None) -> FlowLoad:
    if change.action is Action.REMOVE:
        return flow.without(change.output)
    assert change.desired is not None
    enabled = change.desired.fields.get("OutputStatus") != "DISABLED"
    return flow.with_output(replace(output_load(flow, dest, enabled=enabled), name=change.output))


def _change_cost(change: OutputChange, was: FlowCost, now: FlowCost, delta: float) -> ChangeCost:
    if now.flow_usd is None:
        return ChangeCost(change, None, now.unknown[0])
    unknown = [
        c.load.basis
        for c in (*was.outputs, *now.outputs)
        if c.name == change.output and c.gb is None
    ]
    if unknown:
        return ChangeCost(change, None, unknown[0])
    return ChangeCost(change, delta)


def _budget(before: Bill, after: Bill, load: FlowLoad) -> BudgetCheck | None:
    budget = load.budget_usd_month
    if budget is None:
        return None
    was, now = before.flow(load.name), after.flow(load.name)
    assert was is not None and now is not None
    if now.usd is None:
        return BudgetCheck(
            load.name, budget, None, False,
            f"flow {load.name}: budget ${budget:,.2f}/month cannot be checked: cost unknown",
        )  # fmt: skip
    crossed = now.usd > budget and now.usd > was.known_usd
    state = "would exceed" if crossed else "within"
    return BudgetCheck(
        load.name, budget, now.usd, crossed,
        f"flow {load.name}: ${now.usd:,.2f}/month after this plan, {state} its budget of "
        f"${budget:,.2f}/month",
    )  # fmt: skip


def loads_delta(before: Sequence[FlowLoad], after: Sequence[FlowLoad], prices: PriceTable) -> float:
    """Monthly USD `after` costs more than `before` (e.g. after a bitrate change)."""
    return bill(after, prices).known_usd - bill(before, prices).known_usd


# --- the design document's scenario -------------------------------------------------

# "Cost Comparison (Monthly, 24/7 Streaming)" in docs/design: its inputs and figures.
DESIGN_FIGURES = {"flow": 115.0, "transfer": 276.0, "total": 391.0}


def design_document_loads() -> list[FlowLoad]:
    """One flow in us-west-2 sending one 10 Mb/s stream 24/7 (730 h)."""
    basis = "10 Mb/s, 730 h/month (the design document's inputs)"
    output = OutputLoad("one destination", True, 10.0, HOURS_PER_MONTH, basis)
    return [FlowLoad("design document", "us-west-2", True, HOURS_PER_MONTH, 10.0, basis, (output,))]
