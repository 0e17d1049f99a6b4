"""The project's errors. Each one renders as a single line for the user.

Exit codes are part of the interface: every `ReconcilerError` exits 1; the CLI
maps Ctrl-C to 130. Anything else is a bug and gets a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.secrets import redact


class ReconcilerError(Exception):
    """Base class: a problem the user can act on, reported as one line."""

    exit_code = 1


@dataclass(frozen=True)
class Location:
    """Where in the state files something was written."""

    file: Path
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


class StateError(ReconcilerError):
    """A mistake in the YAML state, pinned to a file and line."""

    def __init__(self, location: Location, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}")


class StateErrors(ReconcilerError):
    """Several mistakes found in one pass; each prints on its own line."""

    def __init__(self, errors: Sequence[ReconcilerError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in errors))


class SecretError(ReconcilerError):
    """A stream key reference that could not be resolved. Never holds the value."""

    def __init__(self, location: Location, reference: str, reason: str) -> None:
        super().__init__(f"{location}: stream_key {reference}: {reason}")


class AwsError(ReconcilerError):
    """An AWS call failed: the call, AWS's error code and AWS's message. The
    message is untrusted (AWS may echo the request, stream keys included), so
    every part passes the redaction sink here, wherever the error came from."""

    def __init__(self, operation: str, code: str, message: str, status: int | None = None) -> None:
        self.operation = operation
        self.code = redact(code)
        self.status = status
        super().__init__(redact(f"{operation} failed: {code}: {message}"))


class NotFound(AwsError):
    """The flow or output does not exist (HTTP 404)."""


class Throttled(AwsError):
    """AWS kept refusing with 429 after botocore's retries."""


class FlowNotFound(ReconcilerError):
    def __init__(self, name: str, region: str) -> None:
        super().__init__(f"flow {name!r} not found in {region}")


class FlowNotReady(ReconcilerError):
    """The flow stayed busy (UPDATING, STARTING, ...) past the wait, or is unusable."""


class Refused(ReconcilerError):
    """The user (or the lack of a terminal) declined to apply."""


class Interrupted(KeyboardInterrupt):
    """SIGINT (Ctrl-C) or SIGTERM stopped the run: exit 128 + the signal's number.
    A KeyboardInterrupt, so no `except Exception` on the way swallows it."""

    def __init__(self, signal_number: int = 2, signal_name: str = "SIGINT") -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.exit_code = 128 + signal_number
