"""Cost in words and numbers: pure functions from `core.cost` values to text.

Amounts are USD a month, shown to the cent; JSON carries numbers rounded to
the cent (never strings), and `null` where the cost is unknown, with the reason.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.core.cost import Bill, ChangeCost, FlowCost, PlanCost

MONTH = "/month"
STANDBY_NOTE = (
    "in STANDBY now: no charge while it stays there; the estimate is for the hours it runs"
)


def usd(amount: float) -> str:
    return f"${amount:,.2f}"


def signed(amount: float) -> str:
    cents = round(amount, 2)
    if cents == 0:
        return "$0.00"
    return f"{'+' if cents > 0 else '-'}${abs(cents):,.2f}"


def _cents(amount: float | None) -> float | None:
    return None if amount is None else round(amount, 2)


# --- in the plan ------------------------------------------------------------------


def change_note(cost: ChangeCost | None) -> str:
    """What one change does to the monthly bill, for the end of its line."""
    if cost is None:
        return ""
    if cost.delta_usd is None:
        return "cost unknown"
    return f"{signed(cost.delta_usd)}{MONTH}"


def headline(cost: PlanCost) -> str:
    """One sentence: "This plan adds $550.69/month (new total $667.49/month)."."""
    delta = round(cost.delta_usd, 2)
    if delta > 0:
        verb = f"adds {usd(delta)}{MONTH}"
    elif delta < 0:
        verb = f"saves {usd(-delta)}{MONTH}"
    else:
        verb = "does not change the monthly cost"
    total = cost.after.usd
    after = (
        f"new total {usd(total)}{MONTH}"
        if total is not None
        else f"known part {usd(cost.after.known_usd)}{MONTH}; the rest is unknown"
    )
    return f"This plan {verb} ({after})."


def plan_lines(cost: PlanCost) -> list[str]:
    """The plan's closing cost lines: headline, unknowns, budgets."""
    lines = [f"Cost: {headline(cost)}"]
    lines += [f"  cost unknown: {reason}" for reason in dict.fromkeys(cost.after.unknown)]
    for check in cost.budgets:
        mark = "OVER BUDGET" if check.crossed else "budget"
        lines.append(f"  {mark}: {check.message}")
    if cost.over_budget:
        lines.append("  apply refuses this plan unless given --accept-cost")
    return lines


def markdown_head(cost: PlanCost) -> list[str]:
    lines = [f"💰 **{headline(cost)}**"]
    for reason in dict.fromkeys(cost.after.unknown):
        lines.append(f"<br>Cost unknown: {_escape(reason)}")
    for check in cost.over_budget:
        lines.append(
            f"<br>⚠️ **Over budget:** {_escape(check.message)}; apply needs `--accept-cost`."
        )
    return [*lines, ""]


def markdown_table(cost: PlanCost) -> list[str]:
    rows = ["| flow | monthly before | monthly after | change |", "|---|---:|---:|---:|"]
    for was in cost.before.flows:
        now = cost.after.flow(was.name)
        assert now is not None
        rows.append(
            f"| `{_escape(was.name)}` ({_escape(was.region)}) | {_maybe(was.usd)} | "
            f"{_maybe(now.usd)} | {_delta(was, now)} |"
        )
    return ["<details><summary>Monthly cost per flow</summary>", "", *rows, "", "</details>", ""]


def _delta(was: FlowCost, now: FlowCost) -> str:
    if was.usd is None or now.usd is None:
        return "unknown"
    return signed(now.usd - was.usd)


def _maybe(amount: float | None) -> str:
    return "unknown" if amount is None else usd(amount)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def plan_document(cost: PlanCost) -> dict[str, Any]:
    """The `cost` object of `plan --format json`."""
    return {
        "currency": "USD",
        "monthly_before": _cents(cost.before.usd),
        "monthly_after": _cents(cost.after.usd),
        "monthly_delta": _cents(cost.delta_usd),
        "unknown": list(dict.fromkeys(cost.after.unknown)),
        "budgets": [
            {
                "flow": b.flow,
                "budget_usd_month": b.budget_usd,
                "monthly_after": _cents(b.after_usd),
                "crossed": b.crossed,
                "message": b.message,
            }
            for b in cost.budgets
        ],
    }


def change_document(cost: ChangeCost | None) -> dict[str, Any]:
    if cost is None or cost.delta_usd is None:
        return {"monthly_delta": None, "unknown": cost.why if cost else "not estimated"}
    return {"monthly_delta": _cents(cost.delta_usd)}


# --- `reconcile cost` ---------------------------------------------------------------


def bill_document(bill: Bill) -> dict[str, Any]:
    return {
        "currency": "USD",
        "monthly_total": _cents(bill.usd),
        "monthly_known": _cents(bill.known_usd),
        "free_tier_gb_deducted": bill.free_tier_gb,
        "unknown": list(bill.unknown),
        "flows": [
            {
                "flow": f.name,
                "region": f.region,
                "running": f.load.running,
                "assumptions": f.load.basis,
                "standby_now": not f.load.running,
                "flow_hours": f.load.hours,
                "flow_usd": _cents(f.flow_usd),
                "transfer_usd": _cents(f.transfer_usd),
                "monthly_usd": _cents(f.usd),
                "destinations": [
                    {
                        "name": o.name,
                        "enabled": o.load.enabled,
                        "assumptions": o.load.basis,
                        "gb": None if o.gb is None else round(o.gb, 1),
                        "transfer_usd": _cents(o.usd),
                    }
                    for o in f.outputs
                ],
            }
            for f in bill.flows
        ],
    }


def bill_lines(bill: Bill) -> list[str]:
    lines: list[str] = []
    for f in bill.flows:
        lines.append(f"Flow {f.name} ({f.region}): {_maybe(f.usd)}{MONTH}")
        lines.append(f"  assumptions: {f.load.basis}")
        if not f.load.running:
            lines.append(f"  {STANDBY_NOTE}")
        lines.append(f"  {'flow hours':<16} {f.load.hours:>10g} h  {_maybe(f.flow_usd):>12}")
        for o in f.outputs:
            gb = "unknown" if o.gb is None else f"{o.gb:,.1f} GB"
            status = "" if o.load.enabled else " (disabled)"
            lines.append(f"  {o.name + status:<16} {gb:>12}  {_maybe(o.usd):>12}")
    total = _maybe(bill.usd) if bill.usd is not None else f"{usd(bill.known_usd)} known"
    lines.append(f"Total: {total}{MONTH}")
    if bill.free_tier_gb:
        lines.append(f"  free tier deducted: {bill.free_tier_gb:g} GB")
    lines += [f"  cost unknown: {reason}" for reason in bill.unknown]
    return lines


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"
