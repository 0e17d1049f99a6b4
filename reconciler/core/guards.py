"""Guardrails on a plan: the mass-removal guard and change freezes.

Purely computational: from a plan (and, for freezes, the time given) to
outcomes that every renderer shows and that apply enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.core.freeze import FreezeWindow, Interval, utc_text
from reconciler.core.planner import Action, FlowPlan, OutputChange, Plan

ALLOW_REMOVALS_FLAG = "--allow-removals"
BREAK_GLASS_FLAG = "--break-glass"

# --- the mass-removal guard --------------------------------------------------------


@dataclass(frozen=True)
class RemovalTrip:
    """One flow whose planned removals trip the guard."""

    flow: str
    removals: tuple[str, ...]  # outputs removed or replaced (a replace removes first)
    limit: int  # the flow's max_removals
    leaves_none: bool  # it owned outputs and would be left with none

    def reason(self) -> str:
        parts = []
        if len(self.removals) > self.limit:
            parts.append(
                f"{len(self.removals)} outputs would be removed or replaced "
                f"(max_removals: {self.limit})"
            )
        if self.leaves_none:
            parts.append("it would be left with no output it owns")
        return f"flow {self.flow}: " + " and ".join(parts)


@dataclass(frozen=True)
class RemovalGuard:
    """The guard's outcome for a whole plan."""

    trips: tuple[RemovalTrip, ...]
    planned: int  # removes + replaces in the whole plan: what --allow-removals must cover

    @property
    def tripped(self) -> bool:
        return bool(self.trips)

    def allows(self, allowed: int | None) -> bool:
        """Whether apply may go ahead, given `--allow-removals` (None: not given)."""
        return not self.trips or (allowed is not None and allowed >= self.planned)

    def warning(self) -> str:
        """One line, for the top of every rendering of the plan."""
        return (
            "REMOVAL GUARD: "
            + "; ".join(t.reason() for t in self.trips)
            + f". Apply refuses this plan unless given {ALLOW_REMOVALS_FLAG} {self.planned}."
        )

    def refusal(self, allowed: int | None) -> str:
        given = (
            f" ({ALLOW_REMOVALS_FLAG} {allowed} is fewer than the {self.planned} planned)"
            if allowed is not None
            else ""
        )
        return (
            "refusing to apply: mass-removal guard: "
            + "; ".join(t.reason() for t in self.trips)
            + f"{given}. Nothing was applied. If these removals are intended, run again with "
            f"{ALLOW_REMOVALS_FLAG} {self.planned}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "tripped": self.tripped,
            "planned": self.planned,
            "flows": [
                {
                    "flow": t.flow,
                    "removals": list(t.removals),
                    "max_removals": t.limit,
                    "leaves_no_output": t.leaves_none,
                }
                for t in self.trips
            ],
        }


def removal_guard(plan: Plan) -> RemovalGuard:
    """Per flow: removes plus replaces above `max_removals`, or the last owned
    output removed (prune flows alike), trips the guard."""
    trips = [trip for flow in plan.flows if (trip := _trip(flow)) is not None]
    planned = sum(c.action in (Action.REMOVE, Action.REPLACE) for c in plan.changes)
    return RemovalGuard(tuple(trips), planned)


def _trip(flow: FlowPlan) -> RemovalTrip | None:
    removals = tuple(c.output for c in flow.changes if c.action in (Action.REMOVE, Action.REPLACE))
    removed = {c.output for c in flow.changes if c.action is Action.REMOVE}
    owned_before = {o.name for o in flow.live.outputs if o.managed} | removed
    owned_after = {o.name for o in flow.live.outputs if o.managed} - removed
    owned_after |= {c.output for c in flow.changes if c.action is not Action.REMOVE}
    leaves_none = bool(removed) and bool(owned_before) and not owned_after
    if len(removals) > flow.spec.max_removals or leaves_none:
        return RemovalTrip(flow.spec.name, removals, flow.spec.max_removals, leaves_none)
    return None


# --- change freezes ---------------------------------------------------------------


def action_of(change: OutputChange) -> str:
    """The action name a freeze window's `allow` list matches: `enable` or
    `disable` for an update that changes OutputStatus (to ENABLED or DISABLED)
    and no other field; otherwise the planner's action (an adoption is an update)."""
    if change.action is Action.UPDATE and [f.path for f in change.fields] == ["OutputStatus"]:
        after = change.fields[0].after
        if after == "DISABLED":
            return "disable"
        if after == "ENABLED":
            return "enable"
    return change.action.value


@dataclass(frozen=True)
class FreezeHit:
    """A window open now on a flow the plan changes."""

    flow: str
    window: FreezeWindow
    occurrence: Interval
    blocked: tuple[OutputChange, ...]  # the changes its `allow` list does not cover

    def reason(self) -> str:
        changes = ", ".join(f"{action_of(c)} {c.output}" for c in self.blocked)
        return (
            f"flow {self.flow} is in change freeze {self.window.describe()} until "
            f"{utc_text(self.occurrence.end)}; not allowed: {changes}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "reason": self.window.reason,
            "window": self.window.schedule.describe(),
            "location": str(self.window.location),
            "start": self.occurrence.start.isoformat(),
            "end": self.occurrence.end.isoformat(),
            "blocked": [{"action": action_of(c), "output": c.output} for c in self.blocked],
        }


def freeze_hits(plan: Plan, now: datetime) -> tuple[FreezeHit, ...]:
    """Every window open at `now` on a flow with changes and a change it does not allow."""
    hits = []
    for flow in plan.flows:
        if not flow.changes:
            continue
        for window in flow.spec.freeze:
            occurrence = window.open_at(now)
            if occurrence is None:
                continue
            blocked = tuple(c for c in flow.changes if action_of(c) not in window.allow)
            if blocked:
                hits.append(FreezeHit(flow.spec.name, window, occurrence, blocked))
    return tuple(hits)


def freeze_refusal(hits: tuple[FreezeHit, ...]) -> str:
    return (
        "refusing to apply: "
        + "; ".join(h.reason() for h in hits)
        + f'. Nothing was applied. To apply anyway, run again with {BREAK_GLASS_FLAG} "REASON".'
    )


@dataclass(frozen=True)
class FreezeNotice:
    """For the plan: the window a flow is in now, or its next one."""

    flow: str
    window: FreezeWindow
    occurrence: Interval
    open: bool

    def text(self) -> str:
        allow = f" (allowed: {', '.join(sorted(self.window.allow))})" if self.window.allow else ""
        if self.open:
            return (
                f"CHANGE FREEZE: flow {self.flow} is frozen until "
                f"{utc_text(self.occurrence.end)}: {self.window.describe()}; apply refuses "
                f"changes{allow} without {BREAK_GLASS_FLAG}."
            )
        return (
            f"Next change freeze on flow {self.flow}: from {utc_text(self.occurrence.start)} "
            f"until {utc_text(self.occurrence.end)}: {self.window.describe()}{allow}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "open": self.open,
            "reason": self.window.reason,
            "window": self.window.schedule.describe(),
            "location": str(self.window.location),
            "start": self.occurrence.start.isoformat(),
            "end": self.occurrence.end.isoformat(),
            "allow": sorted(self.window.allow),
        }


def freeze_notices(plan: Plan, now: datetime) -> tuple[FreezeNotice, ...]:
    """Per flow with windows: each window open at `now`, else the next to open."""
    notices = []
    for flow in plan.flows:
        windows = flow.spec.freeze
        current = [(w, i) for w in windows if (i := w.open_at(now)) is not None]
        if current:
            notices += [FreezeNotice(flow.spec.name, w, i, True) for w, i in current]
            continue
        upcoming = [(w, i) for w in windows if (i := w.next_opening(now)) is not None]
        if upcoming:
            window, occurrence = min(upcoming, key=lambda pair: pair[1].start)
            notices.append(FreezeNotice(flow.spec.name, window, occurrence, False))
    return tuple(notices)


def guards_document(plan: Plan) -> dict[str, Any]:
    """The `guards` object of the JSON plan (and of saved plans): the removal
    guard, and the freeze windows as of the time the plan was made."""
    notices = freeze_notices(plan, plan.as_of) if plan.as_of is not None else ()
    return {
        "removals": removal_guard(plan).as_dict(),
        "freeze": [n.as_dict() for n in notices],
        "as_of": plan.as_of.isoformat() if plan.as_of is not None else None,
    }


def warnings(plan: Plan) -> list[str]:
    """The lines every rendering of the plan shows first, most urgent first."""
    lines = []
    guard = removal_guard(plan)
    if guard.tripped:
        lines.append(guard.warning())
    if plan.as_of is not None:
        lines += [n.text() for n in freeze_notices(plan, plan.as_of)]
    return lines
