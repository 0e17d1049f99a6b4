"""The one place that decides whether the sandbox accepts a request.

Two layers, like the real service: botocore's model (types, required members,
enums, lengths and ranges, via `reconciler.core.servicemodel`), then the
service's own rules, defined once in `reconciler.core.rules` and shared with
the state loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.rules import (
    MAX_OUTPUTS_PER_FLOW,
    duplicate_name_errors,
    output_errors,
    source_errors,
)
from reconciler.core.servicemodel import request_errors, shape_errors

__all__ = [
    "MAX_OUTPUTS_PER_FLOW",
    "duplicate_name_errors",
    "model_errors",
    "output_errors",
    "source_errors",
    "stored_output_errors",
]


def model_errors(operation_name: str, params: Mapping[str, Any]) -> list[str]:
    """What botocore's model says is wrong with the request (member names)."""
    return request_errors(operation_name, params)


def stored_output_errors(output: Mapping[str, Any]) -> list[str]:
    """Ways an output (member names) would break the response shape if stored.

    Only updates can get here: UpdateFlowOutput's `Encryption` has no required
    members, but an output's `Encryption` needs `RoleArn`, and a sent structure
    replaces the stored one. The real service refuses to end up there too.
    """
    return shape_errors("Output", output)
