"""Choosing some flows of the state: `--flow NAME` and `--region R` (repeatable, glob).

Pure: a filtered `State` keeps the fingerprint of all the files, so a saved
plan made for some flows still goes stale when any state file changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from reconciler.core.errors import ReconcilerError
from reconciler.core.models import State


class NoFlowMatches(ReconcilerError):
    """A `--flow` or `--region` pattern matches no flow of the state."""


@dataclass(frozen=True)
class FlowFilter:
    """Flow-name and region patterns (shell globs: `*`, `?`, `[...]`); empty = all."""

    names: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.regions)

    def accepts(self, name: str, region: str) -> bool:
        return (not self.names or any(fnmatchcase(name, p) for p in self.names)) and (
            not self.regions or any(fnmatchcase(region, p) for p in self.regions)
        )


def select(state: State, only: FlowFilter) -> State:
    """The flows `only` accepts and their destinations.

    Raises NoFlowMatches naming each pattern that matches no flow, so a typo
    in a CI matrix fails instead of planning nothing.
    """
    if not only:
        return state
    flows = {n: f for n, f in state.flows.items() if only.accepts(n, f.region)}
    unmatched = [f"--flow {p}" for p in only.names if not any(fnmatchcase(n, p) for n in flows)]
    unmatched += [
        f"--region {p}"
        for p in only.regions
        if not any(fnmatchcase(f.region, p) for f in flows.values())
    ]
    if unmatched:
        raise NoFlowMatches(
            f"{', '.join(unmatched)}: matches no flow in the state"
            + ("" if flows else " (together with the other filters)")
        )
    destinations = tuple(d for d in state.destinations if d.flow in flows)
    return replace(state, flows=flows, destinations=destinations)
