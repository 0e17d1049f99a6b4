"""Apply's guardrails: the mass-removal guard and change freezes, enforced
before the first write. See `core.guards` for what trips them.

Side effects: one STS GetCallerIdentity call when a freeze is broken (who
broke it goes into the audit report and the notification). Never writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.app.planning import Planned
from reconciler.aws import Aws
from reconciler.core.errors import ReconcilerError, Refused
from reconciler.core.guards import (
    BREAK_GLASS_FLAG,
    FreezeHit,
    freeze_hits,
    freeze_refusal,
    removal_guard,
)


@dataclass(frozen=True)
class Override:
    """A change freeze broken with --break-glass."""

    reason: str
    caller: dict[str, Any]
    hits: tuple[FreezeHit, ...]
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "caller": self.caller,
            "at": self.at.isoformat(),
            "windows": [h.as_dict() for h in self.hits],
        }


@dataclass(frozen=True)
class Cleared:
    """What the guardrails let through, for the audit report."""

    allow_removals: int | None
    removals: dict[str, Any]
    override: Override | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "removals": {**self.removals, "allow_removals": self.allow_removals},
            "break_glass": self.override.as_dict() if self.override else None,
        }


def check(
    planned: Planned,
    aws: Aws,
    *,
    now: datetime,
    allow_removals: int | None = None,
    break_glass: str | None = None,
) -> Cleared:
    """Refuse (raise Refused, nothing written) a plan that trips the removal
    guard without a large enough `allow_removals`, or that changes a flow inside
    one of its freeze windows (beyond what the window allows) without
    `break_glass`, a non-blank reason."""
    if break_glass is not None and not break_glass.strip():
        raise Refused(f'{BREAK_GLASS_FLAG} needs a reason, e.g. {BREAK_GLASS_FLAG} "INC-123"')
    guard = removal_guard(planned.plan)
    if not guard.allows(allow_removals):
        raise Refused(guard.refusal(allow_removals))
    hits = freeze_hits(planned.plan, now)
    override = None
    if hits:
        if break_glass is None:
            raise Refused(freeze_refusal(hits))
        try:
            caller: dict[str, Any] = aws.identity()
        except ReconcilerError as e:
            caller = {"error": str(e)}
        override = Override(break_glass.strip(), caller, hits, now)
    return Cleared(allow_removals, guard.as_dict(), override)
