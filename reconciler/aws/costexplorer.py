"""Cost Explorer and the Price List: what MediaConnect really cost, and its rates.

Both are global services answered from us-east-1. `reconcile cost --actual`
makes one GetCostAndUsage call (plus one per further page); `--refresh-prices`
one GetProducts call per page per region priced. IAM: ce:GetCostAndUsage and
pricing:GetProducts, granted by `iam-policy --for cost` only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from reconciler.aws.clients import Clients
from reconciler.core.spend import ActualSpend, UsageLine

ENDPOINT_REGION = "us-east-1"
# Cost Explorer's SERVICE dimension value for MediaConnect.
CE_SERVICE_NAME = "AWS Elemental MediaConnect"
PRICE_LIST_SERVICE_CODE = "AWSElementalMediaConnect"
MAX_PAGES = 50  # a bound, far above what one service's month or price list needs


class CostExplorer:
    def __init__(self, clients: Clients | None = None) -> None:
        self._clients = clients or Clients()

    def mediaconnect_spend(self, start: date, end: date) -> ActualSpend:
        """Unblended MediaConnect cost over [start, end), per usage type."""
        lines: dict[str, UsageLine] = {}
        token: str | None = None
        for _ in range(MAX_PAGES):
            extra = {"NextPageToken": token} if token else {}
            page = self._clients.call(
                "ce", ENDPOINT_REGION, "GetCostAndUsage", **cost_request(start, end), **extra
            )
            for result in page.get("ResultsByTime", []):
                for group in result.get("Groups", []):
                    line = _line(group)
                    old = lines.get(line.usage_type)
                    lines[line.usage_type] = line if old is None else old.plus(line)
            token = page.get("NextPageToken")
            if not token:
                break
        return ActualSpend(start, end, tuple(sorted(lines.values(), key=lambda u: u.usage_type)))

    def price_list(self, region: str) -> Iterator[dict[str, Any]]:
        """The Price List's MediaConnect products in `region`, each parsed."""
        token: str | None = None
        for _ in range(MAX_PAGES):
            extra = {"NextToken": token} if token else {}
            page = self._clients.call(
                "pricing", ENDPOINT_REGION, "GetProducts", **products_request(region), **extra
            )
            for item in page.get("PriceList", []):
                yield json.loads(item) if isinstance(item, str) else item
            token = page.get("NextToken")
            if not token:
                return


def cost_request(start: date, end: date) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost", "UsageQuantity"],
        "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [CE_SERVICE_NAME]}},
        "GroupBy": [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
    }


def products_request(region: str) -> dict[str, Any]:
    return {
        "ServiceCode": PRICE_LIST_SERVICE_CODE,
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }


def _line(group: dict[str, Any]) -> UsageLine:
    metrics = group.get("Metrics", {})
    cost = metrics.get("UnblendedCost", {})
    usage = metrics.get("UsageQuantity", {})
    return UsageLine(
        usage_type=str((group.get("Keys") or ["(none)"])[0]),
        usd=float(cost.get("Amount", 0) or 0),
        quantity=float(usage.get("Amount", 0) or 0),
        unit=str(usage.get("Unit", "")),
    )
