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

# Where `--store-keys` puts keys unless told otherwise:
# /streaming/FLOW/OUTPUT/stream-key (the form `validate` suggests, per flow).
DEFAULT_KEY_PREFIX = "/streaming"


# Every secret value this process has seen, so that log output and error
# messages can be scrubbed of them whatever their route (see `scrub`).
_SEEN: set[str] = set()


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if len(value) >= 4:  # shorter values would blank out ordinary text
            _SEEN.add(value)

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


def scrub(text: str) -> str:
    """`text` with every secret value seen so far replaced by (sensitive)."""
    for value in sorted(_SEEN, key=len, reverse=True):
        if value in text:
            text = text.replace(value, REDACTED)
    return text


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
    """Where a stream key lives (never the key). `describe()` is its YAML form."""

    def describe(self) -> str:
        raise NotImplementedError

    def as_yaml(self) -> dict[str, str]:
        raise NotImplementedError


@dataclass(frozen=True)
class EnvRef(SecretRef):
    """`{env: NAME}`: an environment variable of the process running the tool."""

    name: str

    def describe(self) -> str:
        return f"{{env: {self.name}}}"

    def as_yaml(self) -> dict[str, str]:
        return {"env": self.name}


@dataclass(frozen=True)
class SsmRef(SecretRef):
    """`{ssm: /path}`: an SSM Parameter Store SecureString, read decrypted."""

    name: str

    def describe(self) -> str:
        return f"{{ssm: {self.name}}}"

    def as_yaml(self) -> dict[str, str]:
        return {"ssm": self.name}


@dataclass(frozen=True)
class SecretsManagerRef(SecretRef):
    """`{secretsmanager: NAME_OR_ARN, key: FIELD}`: a Secrets Manager secret;
    with `key`, one field of a JSON secret."""

    secret_id: str
    key: str | None = None

    def describe(self) -> str:
        key = f", key: {self.key}" if self.key else ""
        return f"{{secretsmanager: {self.secret_id}{key}}}"

    def as_yaml(self) -> dict[str, str]:
        return {"secretsmanager": self.secret_id, **({"key": self.key} if self.key else {})}


def secret_ref(value: Mapping[str, str]) -> SecretRef:
    """The reference a schema-valid YAML mapping describes."""
    if "env" in value:
        return EnvRef(value["env"])
    if "ssm" in value:
        return SsmRef(value["ssm"])
    return SecretsManagerRef(value["secretsmanager"], value.get("key"))


def key_parameter(prefix: str, flow: str, output: str) -> str:
    """The SSM parameter name for an output's stream key: PREFIX/FLOW/OUTPUT/stream-key."""
    return f"/{prefix.strip('/')}/{flow}/{output}/stream-key".replace("//", "/")
