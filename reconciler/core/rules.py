"""MediaConnect's own rules that botocore's model cannot express.

Defined once: the state loader checks destinations with them (so AWS will not
reject an output at apply time) and the sandbox enforces them on the requests
it receives. Every function returns messages naming the offending field by its
request path; an empty list means accepted. Purely computational.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

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


def output_errors(view: Mapping[str, Any], path: str) -> list[str]:
    """Service rules for one output, given as the flat AddOutputRequest `view` describing it.

    `path` prefixes field names in messages (`Outputs[2]`; "" for top-level fields).
    """
    return _needs_errors(OUTPUT_NEEDS, view, path) + _port_errors(view, path)


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
