"""The time, for everything that depends on it (freeze windows).

One function, so tests can set the clock (`monkeypatch.setattr(clock, "now", ...)`)
instead of sleeping. Deliberately not settable from the environment: a variable
that moved the clock would also move every freeze window out of the way.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
