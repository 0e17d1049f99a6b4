"""Actual spend (Cost Explorer) and live rates (Price List), as typed values.

Purely computational: the AWS adapter fetches, this module reads what came back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reconciler.core.cost import Bill
from reconciler.core.pricing import PriceTable, RegionPrices, Tier


@dataclass(frozen=True)
class UsageLine:
    usage_type: str
    usd: float
    quantity: float
    unit: str

    def plus(self, other: UsageLine) -> UsageLine:
        return UsageLine(
            self.usage_type, self.usd + other.usd, self.quantity + other.quantity, self.unit
        )


@dataclass(frozen=True)
class ActualSpend:
    start: date
    end: date  # exclusive
    lines: tuple[UsageLine, ...]

    @property
    def usd(self) -> float:
        return sum(line.usd for line in self.lines)


@dataclass(frozen=True)
class CostReport:
    """What `reconcile cost` shows."""

    design: Bill  # the design document's scenario, on the embedded prices
    bill: Bill  # the state as git declares it
    prices: PriceTable
    actual: ActualSpend | None = None


def last_full_month(today: date) -> tuple[date, date]:
    """[first day of last month, first day of this month)."""
    end = today.replace(day=1)
    return (end - timedelta(days=1)).replace(day=1), end


# --- Price List products -> RegionPrices ----------------------------------------------


def region_prices(
    region: str, products: Iterable[Mapping[str, Any]], *, read_on: str, source: str
) -> RegionPrices | None:
    """The flow-hour rate and internet transfer tiers found among `products`
    (Price List `aws_v1` items), or None when either is missing: nothing is
    guessed. Flow hours: an on-demand dimension in hours whose description
    names a flow (not CDI or JPEG XS). Transfer: GB dimensions whose usage type
    or description says out to the internet, tiered by beginRange/endRange."""
    flow_rate: float | None = None
    tiers: list[tuple[float, float | None, float]] = []
    for product in products:
        attributes = product.get("product", {}).get("attributes", {})
        usage_type = str(attributes.get("usagetype", ""))
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dim in term.get("priceDimensions", {}).values():
                text = f"{dim.get('description', '')} {usage_type}".lower()
                unit = str(dim.get("unit", "")).lower()
                price = _usd(dim)
                if price is None:
                    continue
                if unit in ("hrs", "hours", "hour") and "flow" in text and not _special(text):
                    flow_rate = price if flow_rate is None else max(flow_rate, price)
                elif unit == "gb" and ("internet" in text or "datatransfer-out" in text):
                    begin = float(dim.get("beginRange", 0) or 0)
                    end = dim.get("endRange", "Inf")
                    top = None if str(end) == "Inf" else float(end)
                    tiers.append((begin, top, price))
    if flow_rate is None or not tiers:
        return None
    tiers.sort()
    return RegionPrices(
        region=region,
        flow_usd_per_hour=flow_rate,
        internet_tiers=tuple(Tier(top, price) for _, top, price in tiers),
        aws_usd_per_gb=None,
        source=source,
        read_on=read_on,
    )


def _special(text: str) -> bool:
    return any(word in text for word in ("cdi", "jpeg", "reserved", "gateway", "ndi"))


def _usd(dimension: Mapping[str, Any]) -> float | None:
    try:
        return float(dimension.get("pricePerUnit", {}).get("USD"))
    except (TypeError, ValueError):
        return None
