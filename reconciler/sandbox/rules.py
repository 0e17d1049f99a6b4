"""The one place that decides whether the sandbox accepts a request.

Two layers, like the real service: botocore's model (types, required members,
enums, lengths and ranges, via `reconciler.aws.model.request_errors`), then the
service rules the model cannot express, kept in the small tables below. Every
function returns messages naming the offending field by its request path; an
empty list means accepted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.aws.model import request_errors, shape_errors

_PUSH = ("Destination", "Port")

# Members an output needs, beyond the model, keyed by protocol ("*": every output).
# Name and Protocol: the model marks neither required, but the output ARN ends
# with the name and every output has a transport protocol.
OUTPUT_NEEDS: Mapping[str, tuple[str, ...]] = {
    "*": ("Name", "Protocol"),
    "zixi-push": _PUSH,
    "rtp": _PUSH,
    "rtp-fec": _PUSH,
    "rist": _PUSH,
    "udp": _PUSH,
    "srt-caller": _PUSH,
    "rtmp-push": (*_PUSH, "RtmpPushSettings"),
    "srt-listener": ("Port",),
}

# A source needs a name for the same reason an output does.
SOURCE_NEEDS: Mapping[str, tuple[str, ...]] = {"*": ("Name",)}

# Integer members that are network ports: 1..65535 (the model only says "integer").
PORT_MEMBERS = ("Port", "IngestPort", "SenderControlPort")
PORT_RANGE = range(1, 65536)

MAX_OUTPUTS_PER_FLOW = 50


def model_errors(operation_name: str, params: Mapping[str, Any]) -> list[str]:
    """What botocore's model says is wrong with the request (member names)."""
    return request_errors(operation_name, params)


def output_errors(view: Mapping[str, Any], path: str) -> list[str]:
    """Service rules for one output, given as the flat AddOutputRequest `view` describing it.

    `path` prefixes field names in messages (`Outputs[2]`; "" for top-level fields).
    """
    return _needs_errors(OUTPUT_NEEDS, view, path) + _port_errors(view, path)


def stored_output_errors(output: Mapping[str, Any]) -> list[str]:
    """Ways an output (member names) would break the response shape if stored.

    Only updates can get here: UpdateFlowOutput's `Encryption` has no required
    members, but an output's `Encryption` needs `RoleArn`, and a sent structure
    replaces the stored one. The real service refuses to end up there too.
    """
    return shape_errors("Output", output)


def source_errors(view: Mapping[str, Any], path: str) -> list[str]:
    """Service rules for one source, given as its SetSourceRequest."""
    return _needs_errors(SOURCE_NEEDS, view, path) + _port_errors(view, path)


def duplicate_name_errors(existing: Iterable[str], added: list[Any], path: str) -> list[str]:
    """Output names must be unique within a flow, counting the ones being added."""
    counts = Counter([*existing, *(name for name in added if isinstance(name, str))])
    return [
        f"{path}[{index}].Name: an output named {name!r} already exists on this flow"
        for index, name in enumerate(added)
        if isinstance(name, str) and counts[name] > 1
    ]


def _needs_errors(
    table: Mapping[str, tuple[str, ...]], view: Mapping[str, Any], path: str
) -> list[str]:
    protocol = view.get("Protocol")
    errors = [
        f"{_at(path, name)}: required field is missing" for name in table["*"] if name not in view
    ]
    if isinstance(protocol, str):
        errors += [
            f"{_at(path, name)}: required for protocol {protocol}"
            for name in table.get(protocol, ())
            if name not in view
        ]
    return errors


def _port_errors(view: Mapping[str, Any], path: str) -> list[str]:
    return [
        f"{_at(path, name)}: {view[name]} is not a port number (1-65535)"
        for name in PORT_MEMBERS
        if isinstance(view.get(name), int) and view[name] not in PORT_RANGE
    ]


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
