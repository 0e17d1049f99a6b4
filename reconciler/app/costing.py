"""The `reconcile cost` use case: the monthly bill of the whole state, the
design document's scenario beside it, and optionally actual spend from Cost
Explorer or fresh rates from the Price List.

Reads only, except `refresh_prices`, which writes `pricing.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from reconciler.app.files import write_text
from reconciler.app.planning import _arn_by_name
from reconciler.aws import Aws
from reconciler.core import cost
from reconciler.core.errors import FlowNotFound, NotFound
from reconciler.core.models import LiveFlow
from reconciler.core.pricing import EMBEDDED, PRICING_FILE, load_pricing, pricing_yaml
from reconciler.core.spend import CostReport, last_full_month, region_prices
from reconciler.core.state import load_state

PRICE_LIST_SOURCE = "AWS Price List API (pricing:GetProducts, AWSElementalMediaConnect)"


def estimate(
    state_dir: Path,
    aws: Aws | None,
    *,
    deduct_free_tier: bool = False,
    actual_on: date | None = None,
) -> CostReport:
    """The monthly estimate. With `aws`, each flow's status and source
    MaxBitrate are read (DescribeFlow; no tag look-ups); with `actual_on`, last
    full month's MediaConnect spend before that day (GetCostAndUsage)."""
    state = load_state(state_dir)
    prices = load_pricing(state_dir)
    if deduct_free_tier:
        prices = replace(prices, deduct_free_tier=True)
    observed: dict[str, LiveFlow] = {}
    if aws is not None:
        for spec in state.flows.values():
            arn = spec.arn or _arn_by_name(spec, aws.mediaconnect)
            try:
                observed[spec.name] = aws.mediaconnect.describe_flow(
                    spec.region, arn, tags_for=lambda name: False
                )
            except NotFound:
                raise FlowNotFound(spec.name, spec.region) from None
    actual = None
    if aws is not None and actual_on is not None:
        actual = aws.costexplorer.mediaconnect_spend(*last_full_month(actual_on))
    return CostReport(
        design=cost.bill(cost.design_document_loads(), EMBEDDED),
        bill=cost.bill(cost.state_loads(state, observed), prices),
        prices=prices,
        actual=actual,
    )


@dataclass(frozen=True)
class Refreshed:
    path: Path
    regions: tuple[str, ...]  # written from the Price List
    missing: tuple[str, ...]  # asked for, but no flow-hour or transfer rate found


def refresh_prices(state_dir: Path, aws: Aws, today: date) -> Refreshed:
    """Read the state's regions' rates from the Price List and write them, dated,
    to `pricing.yaml` (other regions keep what the table had)."""
    state = load_state(state_dir)
    table = load_pricing(state_dir)
    regions = dict(table.regions)
    found, missing = [], []
    for region in sorted({f.region for f in state.flows.values()}):
        prices = region_prices(
            region,
            aws.costexplorer.price_list(region),
            read_on=today.isoformat(),
            source=PRICE_LIST_SOURCE,
        )
        if prices is None:
            missing.append(region)
        else:
            regions[region] = prices
            found.append(region)
    path = state_dir / PRICING_FILE
    write_text(path, pricing_yaml(replace(table, regions=regions), refreshed_on=today.isoformat()))
    return Refreshed(path, tuple(found), tuple(missing))
