"""A plan's cost as a saved plan records it, and back, so `reconcile show`
prints the cost lines `reconcile plan` printed. Purely computational.

The record is plain numbers and strings (amounts at full precision, so totals
and their rounding come out exactly as they did): the bills before and after
the plan with the usage each was computed from, each change's monthly delta in
plan order, and the budget checks. It is for display only: no fingerprint
covers it and apply never compares it (apply prices the plan it makes again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.cost import (
    Bill,
    BudgetCheck,
    ChangeCost,
    FlowCost,
    FlowLoad,
    OutputCost,
    OutputLoad,
    PlanCost,
)
from reconciler.core.planner import Plan


def cost_record(cost: PlanCost) -> dict[str, Any]:
    """`cost` as plain JSON-ready data (changes in the plan's order)."""
    return {
        "before": _bill(cost.before),
        "after": _bill(cost.after),
        "changes": [{"monthly_delta": c.delta_usd, "why": c.why} for c in cost.changes],
        "budgets": [
            {
                "flow": b.flow,
                "budget_usd_month": b.budget_usd,
                "monthly_after": b.after_usd,
                "crossed": b.crossed,
                "message": b.message,
            }
            for b in cost.budgets
        ],
    }


def plan_cost_of(record: Mapping[str, Any], plan: Plan) -> PlanCost:
    """The cost `record` describes, each change's cost tied to `plan`'s change at
    the same place (raises KeyError/TypeError/ValueError on a malformed record,
    or one that does not have a cost per change of `plan`)."""
    changes = [
        ChangeCost(change, _number(entry["monthly_delta"]), _text(entry["why"]))
        for change, entry in zip(plan.changes, _list(record["changes"]), strict=True)
    ]
    budgets = [
        BudgetCheck(
            flow=_text(b["flow"]),
            budget_usd=_required(b["budget_usd_month"]),
            after_usd=_number(b["monthly_after"]),
            crossed=_flag(b["crossed"]),
            message=_text(b["message"]),
        )
        for b in _list(record["budgets"])
    ]
    return PlanCost(
        _bill_of(record["before"]), _bill_of(record["after"]), tuple(changes), tuple(budgets)
    )


def _bill(bill: Bill) -> dict[str, Any]:
    return {
        "free_tier_gb": bill.free_tier_gb,
        "flows": [
            {
                "name": f.name,
                "region": f.region,
                "flow_usd": f.flow_usd,
                "transfer_usd": f.transfer_usd,
                "unknown": list(f.unknown),
                "load": {
                    "running": f.load.running,
                    "hours": f.load.hours,
                    "bitrate_mbps": f.load.bitrate_mbps,
                    "basis": f.load.basis,
                    "budget_usd_month": f.load.budget_usd_month,
                },
                "outputs": [
                    {
                        "name": o.name,
                        "gb": o.gb,
                        "usd": o.usd,
                        "enabled": o.load.enabled,
                        "bitrate_mbps": o.load.bitrate_mbps,
                        "hours": o.load.hours,
                        "basis": o.load.basis,
                    }
                    for o in f.outputs
                ],
            }
            for f in bill.flows
        ],
    }


def _bill_of(record: Mapping[str, Any]) -> Bill:
    flows = tuple(_flow_of(f) for f in _list(record["flows"]))
    return Bill(flows, _required(record["free_tier_gb"]))


def _flow_of(record: Mapping[str, Any]) -> FlowCost:
    outputs = tuple(
        OutputCost(
            name=_text(o["name"]),
            gb=_number(o["gb"]),
            usd=_number(o["usd"]),
            load=OutputLoad(
                name=_text(o["name"]),
                enabled=_flag(o["enabled"]),
                bitrate_mbps=_number(o["bitrate_mbps"]),
                hours=_required(o["hours"]),
                basis=_text(o["basis"]),
            ),
        )
        for o in _list(record["outputs"])
    )
    load = record["load"]
    flow_load = FlowLoad(
        name=_text(record["name"]),
        region=_text(record["region"]),
        running=_flag(load["running"]),
        hours=_required(load["hours"]),
        bitrate_mbps=_number(load["bitrate_mbps"]),
        basis=_text(load["basis"]),
        outputs=tuple(o.load for o in outputs),
        budget_usd_month=_number(load["budget_usd_month"]),
    )
    return FlowCost(
        name=flow_load.name,
        region=flow_load.region,
        flow_usd=_number(record["flow_usd"]),
        transfer_usd=_number(record["transfer_usd"]),
        outputs=outputs,
        unknown=tuple(_text(u) for u in _list(record["unknown"])),
        load=flow_load,
    )


def _number(value: Any) -> float | None:
    """A JSON number as saved (int or float, unchanged), or None."""
    if value is None:
        return None
    return _required(value)


def _required(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"cost: expected a number, not {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"cost: expected a string, not {value!r}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"cost: expected true or false, not {value!r}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"cost: expected a list, not {value!r}")
    return value
