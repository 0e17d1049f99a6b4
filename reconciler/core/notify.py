"""Notification targets and events: who hears about what.

A flow file's `notify:` lists targets `{url: REFERENCE, events: [...]}`. The URL
is an Apprise URL held where stream keys are (`{ssm: ...}`, `{env: ...}`,
`{secretsmanager: ...}`), because most carry a token; a plain string is allowed
for a URL that holds none. Events (a family name selects all of its kind):

- `apply.success`, `apply.partial`, `apply.failed` (`apply`): after an apply
  that changed the flow: every change done; some done and some not; none done;
- `drift.found`, `drift.resolved` (`drift`): `reconcile drift` found the flow
  differing from git; or found it matching again after it had differed;
- `freeze-override`: an apply went through a freeze window with --break-glass;
- `budget.exceeded` (`budget`): the cost guard refused or was overridden
  (sent by the budget guard through `app.notifying.announce`).

Purely computational.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.errors import Location
from reconciler.core.secrets import SecretRef

EVENTS = (
    "apply.success",
    "apply.partial",
    "apply.failed",
    "drift.found",
    "drift.resolved",
    "freeze-override",
    "budget.exceeded",
)
FAMILIES = {"apply", "drift", "budget"}


def expand(names: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The events a list of event or family names selects."""
    selected = set()
    for name in names:
        selected |= {e for e in EVENTS if e == name or e.startswith(f"{name}.")}
    return frozenset(selected)


@dataclass(frozen=True)
class NotifyTarget:
    """One `notify:` entry: an Apprise URL (a reference, or a literal holding no
    token) and the events it receives."""

    url: SecretRef | str
    events: frozenset[str]
    location: Location  # the line of `url`

    def describe(self) -> str:
        """How to name the target in messages: its reference, never a resolved URL."""
        return self.url.describe() if isinstance(self.url, SecretRef) else "(literal url)"
