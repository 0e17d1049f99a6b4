"""Secret values and references to them.

A `Secret` is how a stream key travels through the program: its str, repr,
format and JSON forms are all `(sensitive)`, it refuses to be pickled, and the
only way to the plain text is `reveal()`, which the AWS adapter calls at the
moment it builds a request. Anything that prints, logs or serialises a value
therefore redacts stream keys without having to remember to.
"""

from __future__ import annotations

import functools
import hmac
import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote, quote_plus

REDACTED = "(sensitive)"

# Where `--store-keys` puts keys unless told otherwise:
# /streaming/FLOW/OUTPUT/stream-key (the form `validate` suggests, per flow).
DEFAULT_KEY_PREFIX = "/streaming"

# A value is masked in text, and accepted as a stream key, only when masking
# it whole cannot blank out ordinary text: at least MIN_LENGTH characters, at
# least MIN_DISTINCT different ones, and not letters only unless at least
# WORDLIKE_LENGTH long (so an ordinary word such as "livestream" is refused).
MIN_LENGTH, MIN_DISTINCT, WORDLIKE_LENGTH = 8, 4, 16


def unsafe_reason(value: str) -> str | None:
    """Why `value` cannot be masked safely as a whole (so is refused as a
    stream key), or None when it can. Never quotes the value."""
    if len(value) < MIN_LENGTH:
        return f"the key is shorter than {MIN_LENGTH} characters, too short to keep out of logs"
    if len(set(value)) < MIN_DISTINCT:
        return f"the key has fewer than {MIN_DISTINCT} different characters"
    if len(value) < WORDLIKE_LENGTH and value.isalpha():
        return (
            f"the key is letters only and shorter than {WORDLIKE_LENGTH} characters, so it "
            "could be an ordinary word"
        )
    return None


# Every maskable secret value this process has seen, so that every string
# leaving the process can be scrubbed of them whatever their route (`redact`).
_SEEN: set[str] = set()
_forms: _Forms


def remember(value: str) -> None:
    """Mask `value` (and its encodings) in everything `redact` sees from now on,
    if it can be masked safely (see `unsafe_reason`)."""
    if unsafe_reason(value) is None:
        _SEEN.add(value)


_remember = remember  # (Secret's keyword argument shadows the name)


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str, *, remember: bool = True) -> None:
        """`remember=False` only for values that are not secret in text (a zixi
        stream ID): kept out of the redaction sink, still shown as (sensitive)."""
        self._value = value
        if remember:
            _remember(value)

    def reveal(self) -> str:
        """The plain text. Call only where it is handed to AWS."""
        return self._value

    def unsafe_reason(self) -> str | None:
        """Why this value cannot serve as a stream key (see `unsafe_reason`)."""
        return unsafe_reason(self._value)

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


# How a value can be written in text that leaves the process: JSON string
# bodies (ASCII or not), Python str and bytes reprs, percent-encodings (AWS's,
# forms', paths'), HTML. `encodings` applies them up to twice in a row
# (a JSON secret inside a logged JSON body, a repr of a URL-encoded value...).
_ENCODERS: tuple[Callable[[str], str], ...] = (
    lambda v: json.dumps(v)[1:-1],
    lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    lambda v: repr(v)[1:-1],
    lambda v: repr(v.encode("utf-8", "backslashreplace"))[2:-1],
    lambda v: quote(v, safe=""),
    lambda v: quote(v, safe="-_.~/"),
    lambda v: quote_plus(v),
    lambda v: html.escape(v),
)


# Characters every encoder above leaves as they are: a value made only of them
# has one form, itself (most stream keys are), so it needs no encoding at all.
_UNCHANGED = re.compile(r"[A-Za-z0-9_.~-]*")


def encodings(value: str) -> set[str]:
    """`value` and every form of it `redact` masks: any two encodings in a row,
    then any of the escaping ones (JSON, repr) once more (a JSON secret in a
    JSON response body in a logged bytes repr)."""
    if _UNCHANGED.fullmatch(value):
        return {value} if value else set()
    forms = {value}
    for _ in range(2):
        forms |= {encode(form) for form in forms for encode in _ENCODERS}
    forms |= {encode(form) for form in forms for encode in _ENCODERS[:4]}
    return {form for form in forms if form}


# A masked form must stand whole: not preceded or followed by a letter or
# digit, unless what touches it is the tail of an escape (\n, \u00e9, %2F).
_BEFORE = (
    r"(?:(?<!\w)|(?<=\\[nrtbfv])|(?<=\\u[0-9a-fA-F]{4})|(?<=\\x[0-9a-fA-F]{2})"
    r"|(?<=%[0-9a-fA-F]{2}))"
)
_AFTER = r"(?!\w)"


def _form_pattern(form: str) -> str:
    before = _BEFORE if re.match(r"\w", form[0]) else ""
    after = _AFTER if re.match(r"\w", form[-1]) else ""
    return f"{before}{re.escape(form)}{after}"


@dataclass(frozen=True)
class _Forms:
    """Every form of every value known when it was made, in `_longest_first`
    order, and, when there are many, an index to find them fast."""

    seen: int  # len(_SEEN) when made
    forms: tuple[str, ...]
    runs: re.Pattern[str] | None = None  # maximal runs of characters forms use
    heads: Mapping[str, tuple[str, ...]] | None = None  # first `head` chars -> forms
    head: int = 0

    def present(self, text: str) -> tuple[str, ...]:
        """The forms that may occur in `text`, longest first: all of them when
        they are few (one fast substring search each), else those the index
        finds (a form lies whole inside one run of the characters forms use)."""
        if self.runs is None or self.heads is None:
            return self.forms
        found = set()
        for run in self.runs.finditer(text):
            start, end = run.span()
            for i in range(start, end - self.head + 1):
                for form in self.heads.get(text[i : i + self.head], ()):
                    if text.startswith(form, i):
                        found.add(form)
        return tuple(sorted(found, key=_longest_first))


def _longest_first(form: str) -> tuple[int, str]:
    """The order forms are masked in: a longer form first (it wins over a part
    of it), equal lengths in a fixed order, so the same text always comes out
    the same."""
    return -len(form), form


# Above this many forms, `redact` finds them through the index instead of
# searching for each: each search costs the text's length, the index does not.
INDEX_ABOVE = 256


def _known_forms() -> _Forms:
    global _forms
    if _forms.seen != len(_SEEN):
        seen = len(_SEEN)
        forms = tuple(sorted({f for v in list(_SEEN) for f in encodings(v)}, key=_longest_first))
        if len(forms) <= INDEX_ABOVE:
            _forms = _Forms(seen, forms)
        else:
            head = min(len(f) for f in forms)
            heads: dict[str, list[str]] = {}
            for form in forms:  # longest first, kept so within each head
                heads.setdefault(form[:head], []).append(form)
            alphabet = "".join(sorted({c for f in forms for c in f}))
            runs = re.compile(f"[{re.escape(alphabet)}]{{{head},}}")
            _forms = _Forms(seen, forms, runs, {k: tuple(v) for k, v in heads.items()}, head)
    return _forms


@functools.lru_cache(maxsize=4096)
def _whole(form: str) -> re.Pattern[str]:
    return re.compile(_form_pattern(form))


def redact(text: str) -> str:
    """The one redaction sink: `text` with every secret value this process
    knows (see `remember`), in every encoding `encodings` lists, replaced by
    (sensitive) where it stands whole. Every string that leaves the process
    passes here (stdout, stderr, log records, written files, AWS errors)."""
    for form in _known_forms().present(text):
        if form in text:  # a plain substring search first: most texts hold no key
            text = _whole(form).sub(REDACTED, text)
    return text


scrub = redact  # the older name, kept for callers
_forms = _Forms(0, ())


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
