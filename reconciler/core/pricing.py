"""MediaConnect prices per region: the embedded table and `pricing.yaml` overrides.

Units are AWS's billing units: a transfer "GB" is 2^30 bytes and a month is
730 hours. Every embedded figure carries where it was read and when; a region
whose figures could not be verified is left out, so estimates there say the
cost is unknown instead of inventing a number (docs/cost.md lists what is in).

`load_pricing(root)` reads `root/pricing.yaml` when present (I/O: that one file),
validates it with FILE:LINE errors and returns the merged table. Everything
else here is purely computational.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.core.errors import StateError, StateErrors
from reconciler.core.yamlfile import Document, load_document

PRICING_FILE = "pricing.yaml"
HOURS_PER_MONTH = 730.0
BYTES_PER_GB = 2**30
FREE_TIER_GB = 100.0  # per account per month, shared by every AWS service

# Regions where MediaConnect has an endpoint (AWS General Reference, "AWS
# Elemental MediaConnect endpoints and quotas", read 2026-11-28). pricing.yaml
# may price only these; a typo such as `us-west-9` is an error, not a new region.
MEDIACONNECT_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1",
        "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-4",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1",
        "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3",
        "me-central-1", "me-south-1", "sa-east-1", "il-central-1",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Tier:
    """`usd_per_gb` for the month's GB up to `up_to_gb` (None: no upper bound)."""

    up_to_gb: float | None
    usd_per_gb: float


@dataclass(frozen=True)
class RegionPrices:
    """On-demand prices of transport-stream flows in one region.

    A flow in STANDBY is not an active resource: no flow-hour charge, and it
    sends nothing, so no transfer either.
    """

    region: str
    flow_usd_per_hour: float
    internet_tiers: tuple[Tier, ...]  # data transfer out of AWS, monthly tiers
    aws_usd_per_gb: float | None  # to destinations inside AWS; None: not known
    source: str  # where the figures were read
    read_on: str  # ISO date they were read


@dataclass(frozen=True)
class PriceTable:
    regions: Mapping[str, RegionPrices]
    deduct_free_tier: bool = False
    origin: str = "embedded table"

    def get(self, region: str) -> RegionPrices | None:
        return self.regions.get(region)


# The embedded figures. us-west-2's flow-hour and first-tier rates are the
# design document's ($0.16/h, $0.09/GB), which the issue re-states; AWS's own
# MediaConnect page renders its rate table with a script, so its numbers could
# not be read from a stored copy (only its text: the two-dimensional model and
# the standby rule). The tiers beyond 10 TB are AWS's standard internet egress
# tiers for US regions. No other region could be verified: none is embedded.
EMBEDDED = PriceTable(
    {
        "us-west-2": RegionPrices(
            region="us-west-2",
            flow_usd_per_hour=0.16,
            internet_tiers=(
                Tier(10_240, 0.09),
                Tier(51_200, 0.085),
                Tier(153_600, 0.07),
                Tier(None, 0.05),
            ),
            aws_usd_per_gb=None,
            source=(
                "https://aws.amazon.com/mediaconnect/pricing/ (model, standby rule; rates as "
                "quoted by docs/design, mediaconnect-granular-control.md); tiers above 10 TB: "
                "AWS internet egress rate card as quoted by https://www.egresscost.com/aws"
            ),
            read_on="2026-11-28",
        )
    }
)


def tiered_cost(gb: float, tiers: tuple[Tier, ...]) -> float:
    """USD for `gb` GB in one month: each GB at the rate of the tier it falls in."""
    total, floor = 0.0, 0.0
    for tier in tiers:
        if gb <= floor:
            break
        top = gb if tier.up_to_gb is None else min(gb, tier.up_to_gb)
        total += (top - floor) * tier.usd_per_gb
        floor = top if tier.up_to_gb is None else tier.up_to_gb
    return total


# --- pricing.yaml ----------------------------------------------------------------


def load_pricing(root: Path, *, base: PriceTable = EMBEDDED) -> PriceTable:
    """`base` with `root/pricing.yaml` applied (if the file exists).

    Raises StateErrors naming the file and line of every mistake.
    """
    path = root / PRICING_FILE
    if not path.is_file():
        return base
    try:
        doc = load_document(path)
    except StateError as e:
        raise StateErrors([e]) from None
    errors: list[StateError] = []
    table = _parse(doc, base, errors)
    if errors:
        errors.sort(key=lambda e: e.location.line or 0)
        raise StateErrors(errors)
    return table


def _parse(doc: Document, base: PriceTable, errors: list[StateError]) -> PriceTable:
    data = doc.data
    if not isinstance(data, dict):
        errors.append(doc.error("pricing.yaml must be a mapping (deduct_free_tier, regions)"))
        return base
    for key in sorted(data.keys() - {"deduct_free_tier", "regions", "refreshed_on"}):
        errors.append(doc.error(f"unknown key `{key}` (known: deduct_free_tier, regions)", key))
    deduct = data.get("deduct_free_tier", base.deduct_free_tier)
    if not isinstance(deduct, bool):
        errors.append(doc.error("deduct_free_tier: must be true or false", "deduct_free_tier"))
        deduct = False
    regions = dict(base.regions)
    raw = data.get("regions", {})
    if not isinstance(raw, dict):
        errors.append(doc.error("regions: must be a mapping of region name to prices", "regions"))
        raw = {}
    for name, spec in raw.items():
        if name not in MEDIACONNECT_REGIONS:
            errors.append(
                doc.error(f"regions.{name}: not a region MediaConnect runs in", "regions", name)
            )
            continue
        prices = _region(doc, name, spec, regions.get(name), errors)
        if prices is not None:
            regions[name] = prices
    return PriceTable(regions, deduct, f"{doc.path} over the embedded table")


def _number(doc: Document, value: Any, *where: str | int) -> float | None:
    field = ".".join(str(w) for w in where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        doc_error = doc.error(f"{field}: must be a number", *where)
    elif value < 0 or value > 1_000:
        doc_error = doc.error(f"{field}: must be between 0 and 1000 (USD)", *where)
    else:
        return float(value)
    raise _Bad(doc_error)


class _Bad(Exception):
    def __init__(self, error: StateError) -> None:
        self.error = error


REGION_KEYS = ("flow_usd_per_hour", "internet_tiers", "aws_usd_per_gb", "source", "read_on")


def _region(
    doc: Document, name: str, spec: Any, old: RegionPrices | None, errors: list[StateError]
) -> RegionPrices | None:
    at = ("regions", name)
    if not isinstance(spec, dict):
        errors.append(doc.error(f"regions.{name}: must be a mapping of prices", *at))
        return None
    for key in sorted(spec.keys() - set(REGION_KEYS)):
        errors.append(
            doc.error(
                f"regions.{name}.{key}: unknown key (known: {', '.join(REGION_KEYS)})", *at, key
            )
        )
    if old is None and not {"flow_usd_per_hour", "internet_tiers"} <= spec.keys():
        errors.append(
            doc.error(
                f"regions.{name}: a region not in the embedded table needs flow_usd_per_hour "
                "and internet_tiers",
                *at,
            )
        )
        return None
    try:
        prices = old or RegionPrices(name, 0.0, (), None, "", "")
        if "flow_usd_per_hour" in spec:
            rate = _number(doc, spec["flow_usd_per_hour"], *at, "flow_usd_per_hour")
            prices = replace(prices, flow_usd_per_hour=rate or 0.0)
        if "aws_usd_per_gb" in spec:
            rate = _number(doc, spec["aws_usd_per_gb"], *at, "aws_usd_per_gb")
            prices = replace(prices, aws_usd_per_gb=rate)
        if "internet_tiers" in spec:
            prices = replace(prices, internet_tiers=_tiers(doc, spec["internet_tiers"], *at))
    except _Bad as bad:
        errors.append(bad.error)
        return None
    source = spec.get("source", f"{doc.path}")
    read_on = spec.get("read_on", prices.read_on or "unknown")
    return replace(prices, source=str(source), read_on=str(read_on))


def _tiers(doc: Document, raw: Any, *at: str) -> tuple[Tier, ...]:
    where: tuple[str | int, ...] = (*at, "internet_tiers")
    if not isinstance(raw, list) or not raw:
        raise _Bad(
            doc.error(f"{'.'.join(map(str, where))}: must be a non-empty list of tiers", *where)
        )
    tiers: list[Tier] = []
    floor = 0.0
    for index, item in enumerate(raw):
        here: tuple[str | int, ...] = (*where, index)
        if not isinstance(item, dict) or "usd_per_gb" not in item:
            raise _Bad(doc.error(f"{'.'.join(map(str, here))}: needs usd_per_gb", *here))
        extra = item.keys() - {"up_to_gb", "usd_per_gb"}
        if extra:
            raise _Bad(doc.error(f"{'.'.join(map(str, here))}: unknown key `{min(extra)}`", *here))
        rate = _number(doc, item["usd_per_gb"], *here, "usd_per_gb") or 0.0
        top = item.get("up_to_gb")
        last = index == len(raw) - 1
        if top is None and not last:
            raise _Bad(
                doc.error(
                    f"{'.'.join(map(str, here))}: only the last tier may be open-ended", *here
                )
            )
        if top is not None:
            if isinstance(top, bool) or not isinstance(top, int | float) or top <= floor:
                raise _Bad(
                    doc.error(
                        f"{'.'.join(map(str, here))}.up_to_gb: must be a number above the "
                        f"previous tier's ({floor:g})",
                        *here,
                        "up_to_gb",
                    )
                )
            floor = float(top)
        tiers.append(Tier(None if top is None else float(top), rate))
    if tiers[-1].up_to_gb is not None:
        tiers.append(Tier(None, tiers[-1].usd_per_gb))
    return tuple(tiers)


def pricing_yaml(table: PriceTable, *, refreshed_on: str) -> str:
    """`table` as a pricing.yaml document (what `cost --refresh-prices` writes)."""
    lines = [
        "# MediaConnect prices, written by `reconcile cost --refresh-prices`.",
        "# Plans read these instead of the embedded table; edit or delete freely.",
        f"refreshed_on: {json.dumps(refreshed_on)}",
        f"deduct_free_tier: {'true' if table.deduct_free_tier else 'false'}",
        "regions:",
    ]
    for name in sorted(table.regions):
        prices = table.regions[name]
        lines += [
            f"  {name}:",
            f"    flow_usd_per_hour: {prices.flow_usd_per_hour!r}",
            "    internet_tiers:",
        ]
        for tier in prices.internet_tiers:
            top = "" if tier.up_to_gb is None else f"up_to_gb: {tier.up_to_gb!r}, "
            lines.append(f"      - {{{top}usd_per_gb: {tier.usd_per_gb!r}}}")
        if prices.aws_usd_per_gb is not None:
            lines.append(f"    aws_usd_per_gb: {prices.aws_usd_per_gb!r}")
        # JSON strings are YAML strings, whatever quotes or colons they hold.
        lines += [
            f"    source: {json.dumps(prices.source)}",
            f"    read_on: {json.dumps(prices.read_on)}",
        ]
    return "\n".join(lines) + "\n"
