"""The status use case: the plan, plus CloudWatch health of every output. Read-only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler.app.planning import EVERY_FLOW, compute_plan
from reconciler.aws import Aws
from reconciler.core import status
from reconciler.core.errors import AwsError
from reconciler.core.selection import FlowFilter


def current_status(
    state_dir: Path,
    aws: Aws,
    environ: Mapping[str, str],
    *,
    minutes: int,
    only: FlowFilter = EVERY_FLOW,
) -> status.Status:
    """Each output's desired and live state, drift, and health over the last `minutes`.

    A region whose metrics cannot be read is reported as such, not as an error.
    """
    planned = compute_plan(state_dir, aws, environ, only)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(minutes=minutes)
    metrics: dict[status.MetricQuery, tuple[float, ...]] = {}
    unavailable: dict[str, str] = {}
    for region, queries in status.metric_queries(planned.plan).items():
        try:
            metrics.update(
                aws.cloudwatch.metric_data(
                    region, queries, start=start, end=end, period=status.PERIOD
                )
            )
        except AwsError as e:
            unavailable[region] = str(e)
    return status.build(
        planned.state,
        planned.plan,
        metrics,
        as_of=end,
        minutes=minutes,
        unavailable=unavailable,
    )
