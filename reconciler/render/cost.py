"""Cost in words and numbers: pure functions from `core.cost` values to text.

Amounts are USD a month, shown to the cent; JSON carries numbers rounded to
the cent (never strings), and `null` where the cost is unknown, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.core.cost import DESIGN_FIGURES, Bill, ChangeCost, FlowCost, PlanCost
from reconciler.core.spend import ActualSpend, CostReport

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


def _design_lines(report: CostReport) -> list[str]:
    flow = report.design.flows[0]
    doc = DESIGN_FIGURES
    return [
        "The design document's example (10 Mb/s, 24/7, one flow, us-west-2):",
        f"  {'':<18} {'this estimate':>14} {'document':>10}",
        f"  {'flow hours':<18} {_maybe(flow.flow_usd):>14} {'~' + usd(doc['flow']):>10}",
        f"  {'data transfer':<18} {_maybe(flow.transfer_usd):>14} {usd(doc['transfer']):>10}",
        f"  {'total':<18} {_maybe(report.design.usd):>14} {'~' + usd(doc['total']):>10}",
        "  (the document's flow figure is 720 h; a billing month is 730 h)",
        "",
    ]


def _actual_lines(actual: ActualSpend) -> list[str]:
    lines = [f"Actual MediaConnect spend, {actual.start} to {actual.end} (Cost Explorer):"]
    for line in actual.lines:
        lines.append(
            f"  {line.usage_type:<40} {line.quantity:>12,.1f} {line.unit:<6} {usd(line.usd):>12}"
        )
    lines.append(f"  {'total':<40} {'':>19} {usd(actual.usd):>12}")
    return [*lines, ""]


def report_text(report: CostReport) -> str:
    lines = _design_lines(report)
    lines.append(f"This state ({report.prices.origin}):")
    lines += bill_lines(report.bill)
    if report.actual is not None:
        lines += ["", *_actual_lines(report.actual)]
    return "\n".join(lines) + "\n"


def report_json(report: CostReport) -> str:
    flow = report.design.flows[0]
    document: dict[str, Any] = {
        "design_document": {
            "inputs": {
                "bitrate_mbps": 10,
                "hours_per_month": 730,
                "flows": 1,
                "region": "us-west-2",
            },
            "estimate": {
                "flow_usd": _cents(flow.flow_usd),
                "transfer_usd": _cents(flow.transfer_usd),
                "monthly_usd": _cents(report.design.usd),
            },
            "document": DESIGN_FIGURES,
        },
        "prices": report.prices.origin,
        "state": bill_document(report.bill),
    }
    if report.actual is not None:
        document["actual"] = {
            "start": report.actual.start.isoformat(),
            "end": report.actual.end.isoformat(),
            "usd": _cents(report.actual.usd),
            "usage_types": [
                {
                    "usage_type": u.usage_type,
                    "usd": _cents(u.usd),
                    "quantity": u.quantity,
                    "unit": u.unit,
                }
                for u in report.actual.lines
            ],
        }
    return as_json(document)


def report_markdown(report: CostReport) -> str:
    bill = report.bill
    total = _maybe(bill.usd) if bill.usd is not None else f"{usd(bill.known_usd)} known"
    lines = [f"💰 **This state costs {total}{MONTH}** ({_escape(report.prices.origin)})", ""]
    lines += ["| flow / destination | assumptions | GB/month | USD/month |", "|---|---|---:|---:|"]
    for f in bill.flows:
        head = f"**{_escape(f.name)}** ({f.region}) flow hours"
        lines.append(f"| {head} | {_escape(f.load.basis)} | | {_maybe(f.flow_usd)} |")
        for o in f.outputs:
            gb = "unknown" if o.gb is None else f"{o.gb:,.1f}"
            name = _escape(o.name) + ("" if o.load.enabled else " (disabled)")
            lines.append(f"| {name} | {_escape(o.load.basis)} | {gb} | {_maybe(o.usd)} |")
    lines += ["", *[f"- cost unknown: {_escape(r)}" for r in bill.unknown]]
    design = report.design.flows[0]
    lines += [
        "",
        "Design document's example (10 Mb/s, 24/7, one flow, us-west-2): "
        f"flow {_maybe(design.flow_usd)}, transfer {_maybe(design.transfer_usd)}, "
        f"total {_maybe(report.design.usd)} "
        f"(document: ~$115, $276, ~$391).",
        "",
    ]
    if report.actual is not None:
        lines += [
            f"Actual, {report.actual.start} to {report.actual.end}: {usd(report.actual.usd)}",
            "",
        ]
    return "\n".join(lines)


REPORTS: dict[str, Callable[[CostReport], str]] = {
    "text": report_text,
    "json": report_json,
    "markdown": report_markdown,
}
