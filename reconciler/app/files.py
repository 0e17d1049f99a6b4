"""Writing the tool's own files (saved plans, audit reports): whole or not at all,
and through the redaction sink (`secrets.redact`), like everything that leaves
the process."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcilerError
from reconciler.core.secrets import redact


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write whole or not at all (a temporary file renamed into place)."""
    write_text(path, json.dumps(document, indent=2, sort_keys=False) + "\n")


def check_writable(path: Path) -> None:
    """Raise ReconcilerError now if `write_json(path, ...)` could not write
    (no such directory, no permission, a directory in the way). Leaves nothing."""
    if path.is_dir():
        raise ReconcilerError(f"{path}: cannot write: it is a directory")
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text("", encoding="utf-8")
        temporary.unlink()
    except OSError as e:
        raise ReconcilerError(f"{path}: cannot write: {e.strerror}") from None


def write_text(path: Path, text: str) -> None:
    """Write whole or not at all (a temporary file renamed into place), through
    the redaction sink like everything that leaves the process."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(redact(text), encoding="utf-8")
        temporary.replace(path)
    except OSError as e:
        raise ReconcilerError(f"{path}: cannot write: {e.strerror}") from None
