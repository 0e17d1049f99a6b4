"""Secret values and references to them.

A `Secret` is how a stream key travels through the program: its str, repr,
format and JSON forms are all `(sensitive)`, it refuses to be pickled, and the
only way to the plain text is `reveal()`, which the AWS adapter calls at the
moment it builds a request. Anything that prints, logs or serialises a value
therefore redacts stream keys without having to remember to.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

REDACTED = "(sensitive)"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plain text. Call only where it is handed to AWS."""
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, str):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


def reveal_all(value: Any) -> Any:
    """A copy of a request structure with every Secret replaced by its text."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, Mapping):
        return {k: reveal_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal_all(v) for v in value]
    return value


def mask_all(value: Any, placeholder: str = REDACTED) -> Any:
    """A copy with every Secret replaced by a placeholder of the right type."""
    if isinstance(value, Secret):
        return placeholder
    if isinstance(value, Mapping):
        return {k: mask_all(v, placeholder) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_all(v, placeholder) for v in value]
    return value


class SecretRef:
    """Where a stream key lives. Subclasses say how to write it back in YAML."""

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class EnvRef(SecretRef):
    """`{env: NAME}`: an environment variable of the process running the tool."""

    name: str

    def describe(self) -> str:
        return f"{{env: {self.name}}}"
