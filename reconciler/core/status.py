"""`reconcile status`: what is live, whether it matches git, and whether it is healthy.

Purely computational: rows are built from the state, a plan and CloudWatch
values that were fetched before; the renderers turn them into text, JSON or
one self-contained HTML page. Nothing here does I/O.

A row never shows a stream key, nor anything that may carry one: the host
and port are shown, never the URL's path or query, the RTMP application
name, or an SRT/Zixi stream ID.

Health of one output, from the flow's CloudWatch metrics over the last N
minutes (the metrics and which outputs get them are listed in
`reconciler.aws.cloudwatch`), first rule that applies:

1. absent: the output is not on the flow (apply would add it);
2. down: the flow is in ERROR;
3. off: the flow is not running (STANDBY, STARTING, ...), or the output is
   DISABLED;
4. unknown: CloudWatch could not be read in this region (the reason is shown);
5. down: the flow's latest `SourceBitRate` is 0, or the output's latest
   `OutputConnected` is 0, or its latest `OutputBitrate` is 0;
6. degraded: `OutputDisconnections` added up over the window is above 0;
7. healthy: the output's latest `OutputConnected` is 1 or its latest
   `OutputBitrate` is above 0;
8. unknown: no output metrics in the window. Always so for RTMP outputs,
   for which MediaConnect documents none; the flow's source bitrate is then
   shown instead, as the best sign there is.

"Latest" is the newest one-minute datapoint in the window; `OutputConnected`
is read as the minute's Maximum, the bitrates as Averages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reconciler.core.models import LiveOutput, State
from reconciler.core.planner import FlowPlan, Plan

NAMESPACE = "AWS/MediaConnect"
PERIOD = 60  # seconds: one datapoint a minute
RUNNING = frozenset({"ACTIVE", "UPDATING"})


@dataclass(frozen=True)
class MetricQuery:
    """One CloudWatch metric of one MediaConnect resource, with its statistic."""

    metric: str
    stat: str
    dimension: str
    value: str
    namespace: str = NAMESPACE


# Values per query, newest first; a query with no data maps to () or is absent.
Metrics = Mapping[MetricQuery, Sequence[float]]


def source_bitrate_query(flow_arn: str) -> MetricQuery:
    return MetricQuery("SourceBitRate", "Average", "FlowARN", flow_arn)


def output_queries(output_arn: str) -> tuple[MetricQuery, MetricQuery, MetricQuery]:
    """(connected, bitrate, disconnections) for one output."""
    return (
        MetricQuery("OutputConnected", "Maximum", "OutputARN", output_arn),
        MetricQuery("OutputBitrate", "Average", "OutputARN", output_arn),
        MetricQuery("OutputDisconnections", "Sum", "OutputARN", output_arn),
    )


def metric_queries(plan: Plan) -> dict[str, list[MetricQuery]]:
    """Per region: each flow's source bitrate and each enabled output's metrics."""
    regions: dict[str, list[MetricQuery]] = {}
    for flow in plan.flows:
        queries = regions.setdefault(flow.live.region, [])
        queries.append(source_bitrate_query(flow.live.arn))
        for output in flow.live.outputs:
            if output.fields.get("OutputStatus") != "DISABLED":
                queries += output_queries(output.arn)
    return regions


class Health(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"
    OFF = "off"
    ABSENT = "absent"


@dataclass(frozen=True)
class Row:
    """One output: declared in git, live on the flow, or both."""

    flow: str
    flow_status: str
    name: str
    desired: str | None  # OutputStatus git asks for; None: not in git
    live: str | None  # OutputStatus on the flow; None: not on the flow
    protocol: str | None
    host: str | None
    port: int | None
    ownership: str  # managed, unmanaged, protected, entitlement; "" when not live
    drift: bool  # the plan has a change for this output
    health: Health
    reason: str
    bitrate: float | None  # latest OutputBitrate, b/s

    @property
    def address(self) -> str:
        if self.host and self.port:
            return f"{self.host}:{self.port}"
        return self.host or (f"port {self.port}" if self.port else "")


@dataclass(frozen=True)
class FlowHealth:
    name: str
    region: str
    status: str
    source_bitrate: float | None  # latest SourceBitRate, b/s
    metrics_error: str | None  # why CloudWatch could not be read, if it could not


@dataclass(frozen=True)
class Status:
    as_of: datetime
    minutes: int
    flows: tuple[FlowHealth, ...]
    rows: tuple[Row, ...]

    def rows_of(self, flow: str) -> list[Row]:
        return [r for r in self.rows if r.flow == flow]

    def counts(self) -> dict[str, int]:
        found = Counter(r.health for r in self.rows)
        return {h.value: found[h] for h in Health if found[h]}


def build(
    state: State,
    plan: Plan,
    metrics: Metrics,
    *,
    as_of: datetime,
    minutes: int,
    unavailable: Mapping[str, str] | None = None,
) -> Status:
    """The status of every output git declares and every output the flows have.

    `unavailable` maps a region to why its metrics could not be read.
    """
    unavailable = unavailable or {}
    flows, rows = [], []
    for flow in plan.flows:
        error = unavailable.get(flow.live.region)
        source = _latest(metrics, source_bitrate_query(flow.live.arn))
        flows.append(FlowHealth(flow.spec.name, flow.live.region, flow.live.status, source, error))
        rows += _flow_rows(state, flow, metrics, source, error, minutes)
    return Status(as_of, minutes, tuple(flows), tuple(rows))


def _flow_rows(
    state: State,
    flow: FlowPlan,
    metrics: Metrics,
    source: float | None,
    error: str | None,
    minutes: int,
) -> list[Row]:
    wanted = {d.name: d for d in state.destinations_of(flow.spec.name)}
    have = {o.name: o for o in flow.live.outputs}
    drifting = {c.output for c in flow.changes}
    rows = []
    for name in sorted(wanted.keys() | have.keys()):
        want, got = wanted.get(name), have.get(name)
        fields = got.fields if got is not None else want.fields if want is not None else {}
        bitrate = None if got is None else _latest(metrics, output_queries(got.arn)[1])
        health, reason = _health(flow, got, metrics, source, error, minutes)
        port = fields.get("Port")
        rows.append(
            Row(
                flow=flow.spec.name,
                flow_status=flow.live.status,
                name=name,
                desired=_str(want.fields.get("OutputStatus")) if want is not None else None,
                live=None if got is None else _str(got.fields.get("OutputStatus")),
                protocol=_str(fields.get("Protocol")),
                host=_str(fields.get("Destination")),
                port=port if isinstance(port, int) else None,
                ownership=_ownership(flow, got),
                drift=name in drifting,
                health=health,
                reason=reason,
                bitrate=bitrate,
            )
        )
    return rows


def _health(
    flow: FlowPlan,
    output: LiveOutput | None,
    metrics: Metrics,
    source: float | None,
    error: str | None,
    minutes: int,
) -> tuple[Health, str]:
    """The rule in the module docstring, in the same order."""
    status = flow.live.status
    if output is None:
        return Health.ABSENT, "not on the flow"
    if status == "ERROR":
        return Health.DOWN, "the flow is in ERROR"
    if status not in RUNNING:
        return Health.OFF, f"the flow is {status}"
    if output.fields.get("OutputStatus") == "DISABLED":
        return Health.OFF, "output disabled"
    if error is not None:
        return Health.UNKNOWN, f"metrics unavailable: {error}"
    connected_q, bitrate_q, drops_q = output_queries(output.arn)
    connected, bitrate = _latest(metrics, connected_q), _latest(metrics, bitrate_q)
    drops = int(sum(metrics.get(drops_q, ())))
    if source == 0:
        return Health.DOWN, "the flow's source is receiving nothing"
    if connected == 0:
        return Health.DOWN, "disconnected"
    if bitrate == 0:
        return Health.DOWN, "connected, sending nothing" if connected else "sending nothing"
    if drops:
        return Health.DEGRADED, f"{drops} disconnection(s) in the last {minutes} min"
    if connected or bitrate:
        signs = (["connected"] if connected else []) + (
            [f"sending {rate(bitrate)}"] if bitrate else []
        )
        return Health.HEALTHY, ", ".join(signs)
    if source is None:
        return Health.UNKNOWN, f"no metrics in the last {minutes} min"
    return Health.UNKNOWN, f"no output metrics; flow source at {rate(source)}"


def _latest(metrics: Metrics, query: MetricQuery) -> float | None:
    values = metrics.get(query, ())
    return values[0] if values else None


def _ownership(flow: FlowPlan, output: LiveOutput | None) -> str:
    if output is None:
        return ""
    if output.entitlement_arn is not None:
        return "entitlement"
    if output.name in flow.spec.protected:
        return "protected"
    return "managed" if output.managed else "unmanaged"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def rate(bits_per_second: float | None) -> str:
    if bits_per_second is None:
        return ""
    if bits_per_second >= 1_000_000:
        return f"{bits_per_second / 1_000_000:.1f} Mb/s"
    return f"{bits_per_second / 1000:.0f} kb/s"
