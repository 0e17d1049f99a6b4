"""`settings:` in a destination file, checked key by key against the shape of
one output in botocore's AddFlowOutputs model before anything else reads it,
so a value of the wrong shape is one error at its line, never a crash later.

Purely computational (the model is read as data by `core.servicemodel`).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from reconciler.core.errors import StateError
from reconciler.core.servicemodel import shape, shape_errors
from reconciler.core.yamlfile import Document

# The model's shape of one output in an AddFlowOutputs request.
OUTPUT_REQUEST = "AddOutputRequest"


def setting_errors(doc: Document, key: str, value: Any) -> list[StateError]:
    """An unknown `settings` key, or a value of the wrong shape (a string where
    AWS expects an object, ...), each at its own line. Ranges, enums and
    required members are left to the whole-request check."""
    members = sorted(shape(OUTPUT_REQUEST)["members"])
    if key not in members:
        close = difflib.get_close_matches(key, members, n=1, cutoff=0.6)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        message = f"settings.{key}: not an AddFlowOutputs output field{hint}"
        return [doc.error(message, "settings", key)]
    member = shape(OUTPUT_REQUEST)["members"][key]["shape"]
    wrong = [p for p in shape_errors(member, value) if ": expected " in p or ": unknown field" in p]
    return [
        doc.error(
            f"AWS would reject this output: settings.{key}{_member_path(problem)}",
            "settings",
            key,
            *_path_parts(problem.split(":", 1)[0]),
        )
        for problem in wrong
    ]


def _member_path(problem: str) -> str:
    """`request: expected ...` → `: expected ...`; `A.B: x` → `.A.B: x`."""
    if problem.startswith("request:"):
        return problem.removeprefix("request")
    return problem if problem.startswith("[") else f".{problem}"


def _path_parts(path: str) -> tuple[str | int, ...]:
    """`A[0].B` → ("A", 0, "B"), to find the line of a nested setting."""
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(p for p in parts if p != "request")
