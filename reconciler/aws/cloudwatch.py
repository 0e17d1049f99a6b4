"""CloudWatch: the MediaConnect health metrics behind `reconcile status`.

What MediaConnect publishes (namespace `AWS/MediaConnect`; datapoints every
second, periods of 1 s or more; dimension names `FlowARN`, `SourceARN`,
`OutputARN`, as used in CloudWatch dashboards and alarms on MediaConnect), per
the MediaConnect user guide's "metrics to monitor output health" and "metrics to
monitor source health" pages:

| metric | dimensions | applies to |
|---|---|---|
| `OutputConnected` (1 connected, 0 not) | OutputARN, FlowARN | Zixi and SRT outputs |
| `OutputDisconnections` (count) | OutputARN, FlowARN | Zixi and SRT outputs |
| `OutputBitrate` (b/s) | OutputARN, FlowARN | SRT, Fujitsu-QoS and MediaLive outputs |
| `OutputTotalPackets`, `OutputARQRequests`, ... | OutputARN, FlowARN | SRT and similar |
| `ConnectedOutputs` (count) | FlowARN | Zixi, Fujitsu and SRT outputs |
| `SourceBitRate` (b/s) | SourceARN, FlowARN | every source |
| `SourceConnected`, `SourceDisconnections` | SourceARN, FlowARN | Zixi, SRT (and RIST) sources |

The guide documents no per-output metric for rtmp-push outputs; for those the
flow's `SourceBitRate` is the only signal (see `reconciler.core.status`).

`metric_data` asks for every query of a region in one GetMetricData call
(CloudWatch takes up to 500 queries a call; only beyond that is a second call
made). AWS cost: that call, per region; IAM: cloudwatch:GetMetricData.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reconciler.aws.clients import Clients
from reconciler.core.status import MetricQuery

SERVICE = "cloudwatch"
MAX_QUERIES_PER_CALL = 500


class CloudWatch:
    def __init__(self, clients: Clients | None = None) -> None:
        self._clients = clients or Clients()

    def metric_data(
        self,
        region: str,
        queries: Sequence[MetricQuery],
        *,
        start: datetime,
        end: datetime,
        period: int,
    ) -> dict[MetricQuery, tuple[float, ...]]:
        """Each query's values over [start, end), one per `period` seconds that
        has data, newest first. A query with no data maps to ()."""
        values: dict[MetricQuery, tuple[float, ...]] = {q: () for q in queries}
        for offset in range(0, len(queries), MAX_QUERIES_PER_CALL):
            batch = {
                f"q{i}": q for i, q in enumerate(queries[offset : offset + MAX_QUERIES_PER_CALL])
            }
            pages = self._clients.pages(
                SERVICE,
                region,
                "GetMetricData",
                MetricDataQueries=[_query(query_id, q, period) for query_id, q in batch.items()],
                StartTime=start,
                EndTime=end,
                ScanBy="TimestampDescending",
            )
            for page in pages:
                for result in page.get("MetricDataResults", []):
                    query = batch[result["Id"]]
                    values[query] += tuple(float(v) for v in result.get("Values", []))
        return values


def _query(query_id: str, query: MetricQuery, period: int) -> dict[str, object]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": query.namespace,
                "MetricName": query.metric,
                "Dimensions": [{"Name": query.dimension, "Value": query.value}],
            },
            "Period": period,
            "Stat": query.stat,
        },
        "ReturnData": True,
    }
