"""The JSON Schemas of the state files, and their errors worded for people.

Messages never echo a value: a value may be a stream key written by mistake.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.core.errors import StateError
from reconciler.core.yamlfile import Document, Path_

if TYPE_CHECKING:  # jsonschema loads when a file is first checked, not for `--help`
    import jsonschema

SCHEMA_DIR = Path(__file__).parent.parent / "schemas"
MOVE_KEY = (
    "store it as an SSM SecureString (aws ssm put-parameter --type SecureString "
    "--name /streaming/NAME/key --value ...) and reference it: "
    "`stream_key: {ssm: /streaming/NAME/key}`"
)
HOW_TO_REFERENCE = f"a stream key must not be written in the state files: {MOVE_KEY}"
# How the schemas' patterns read to people. `(?![\s\S])` ends a pattern where
# `$` would also accept a trailing line break.
END = "(?![\\s\\S])"
NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,127}" + END
PATTERN_WORDS = {
    NAME_PATTERN: "must be a MediaConnect name: 1-128 letters, digits, `-` or `_`, starting "
    "with a letter or digit (no spaces or line breaks)",
}


@cache
def schema(kind: str) -> jsonschema.protocols.Validator:
    """The validator of `kind`'s schema, built once per process."""
    import jsonschema

    spec = raw_schema(kind)
    cls = jsonschema.validators.validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


@cache
def raw_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema document of `kind` ("flow", "destination")."""
    spec: dict[str, Any] = json.loads(
        (SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")
    )
    return spec


def schema_errors(doc: Document, kind: str) -> list[StateError]:
    """JSON Schema errors, worded without echoing values (a value may be a key)."""
    errors = []
    for error in schema(kind).iter_errors(doc.data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            errors += _unknown_keys(doc, error, path)
            continue
        errors.append(doc.error(_schema_message(error, path), *path))
    return errors


def _unknown_keys(
    doc: Document, error: jsonschema.ValidationError, path: Path_
) -> list[StateError]:
    """One error per unknown key, at the key's own line, with the closest known key."""
    spec = error.schema if isinstance(error.schema, dict) else {}
    known = sorted(spec.get("properties", {}))
    instance: Any = error.instance
    errors = []
    for key in sorted(k for k in instance if k not in known):
        close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
        hint = f" (did you mean `{close[0]}`?)" if close else f" (known keys: {', '.join(known)})"
        where = ".".join(str(p) for p in (*path, key))
        errors.append(doc.error(f"{where}: unknown key{hint}", *path, key))
    return errors


def _schema_message(error: jsonschema.ValidationError, path: Path_) -> str:
    field = ".".join(str(p) for p in path)
    prefix = f"{field}: " if field else ""
    if path[:1] == ("stream_key",) and isinstance(error.instance, str):
        return f"stream_key: {HOW_TO_REFERENCE}"
    if path[:1] == ("stream_key",):
        return (
            "stream_key: must be one reference: {ssm: /parameter/name}, "
            "{secretsmanager: NAME_OR_ARN, key: FIELD} or {env: VARIABLE}"
        )
    kind = error.validator
    if kind in ("required", "additionalProperties"):
        return prefix + error.message.replace("'", "`")
    if kind == "type":
        return f"{prefix}must be of type {error.validator_value}"
    if kind == "enum":
        allowed: Any = error.validator_value
        return f"{prefix}must be one of {', '.join(str(v) for v in allowed)}"
    if kind == "pattern":
        pattern = str(error.validator_value)
        if pattern in PATTERN_WORDS:
            return prefix + PATTERN_WORDS[pattern]
        return f"{prefix}has an invalid form (expected to match {pattern.replace(END, '$')})"
    if kind == "anyOf" and not path:
        return "needs a `url` (or an explicit `protocol` with `settings`)"
    if kind in ("minLength", "maxLength", "minimum", "maximum", "uniqueItems"):
        return f"{prefix}violates {kind} {error.validator_value}"
    return f"{prefix}is not valid ({kind})"
