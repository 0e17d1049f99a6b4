"""The one place that turns MediaConnect requests into the shapes the service stores and returns.

Requests are flat (`Protocol`, `MinLatency`, `RtmpPushSettings` beside `Port`);
responses nest transport settings under `Transport`, rename a few members
(request `RtmpPushSettings` is response `Transport.RtmpPushOutputSettings`) and
echo defaults nobody asked for. Where a request member lands is derived from
botocore's model: a member the response shape has stays at the top, one its
`Transport` has goes there, `RENAMES` covers the rest, and anything else (the
`*Tags` maps) is not stored on the resource at all.

Computation happens in member names (`OutputArn`); what is stored on moto's
`Flow` objects, and returned, is the wire form (`outputArn`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from reconciler.sandbox.model import service_model
from reconciler.sandbox.wire import to_members, to_wire

Path = tuple[str, ...]

# Request members whose response home has a different name.
RENAMES: Mapping[tuple[str, str], Path] = {
    ("Output", "RtmpPushSettings"): ("Transport", "RtmpPushOutputSettings"),
}

# What the real service echoes for transport settings that were not given, keyed
# by protocol. Evidence: awscli-DescribeFlow-1.json (rtp-fec outputs created
# without latency come back with SmoothingLatency 0) and the examples' README
# (zixi-push outputs come back with MaxLatency 6000). awsugcur-UpdateFlowOutput-1.json
# shows an rtp-fec output with MinLatency 1000 and no SmoothingLatency, so the
# defaults apply only when the request names no latency at all.
TRANSPORT_DEFAULTS: Mapping[str, Mapping[str, int]] = {
    "rtp": {"SmoothingLatency": 0},
    "rtp-fec": {"SmoothingLatency": 0},
    "zixi-push": {"MaxLatency": 6000},
}
LATENCY_MEMBERS = ("MinLatency", "MaxLatency", "SmoothingLatency")

# Top-level members the service fills in on every new output.
OUTPUT_DEFAULTS: Mapping[str, Any] = {
    "OutputStatus": "ENABLED",
    "DataTransferSubscriberFeePercent": 0,
}

# Outputs the service listens on report the address to connect to.
LISTENER_PROTOCOLS = frozenset({"srt-listener", "zixi-pull"})


@cache
def layout(request_shape: str, target_shape: str) -> Mapping[str, Path]:
    """Where each body member of `request_shape` lives in `target_shape` (member names).

    Members with no home in the target (tag maps, URI members) are absent.
    """
    request = _structure(request_shape)
    target = _structure(target_shape)
    transport = target.members.get("Transport")
    placed: dict[str, Path] = {}
    for name, member in request.members.items():
        if "location" in member.serialization:
            continue
        if (target_shape, name) in RENAMES:
            placed[name] = RENAMES[(target_shape, name)]
        elif name in target.members:
            placed[name] = (name,)
        elif transport is not None and name in transport.members:
            placed[name] = ("Transport", name)
    return placed


def patch(
    target: Mapping[str, Any], request: Mapping[str, Any], where: Mapping[str, Path]
) -> dict[str, Any]:
    """A copy of `target` with every request member that has a home set there.

    Members not in `request` are left as they are; a structure that is sent
    replaces the stored one wholesale (AWS does not merge nested settings).
    """
    result = copy.deepcopy(dict(target))
    for name, value in request.items():
        path = where.get(name)
        if path is None:
            continue
        node = result
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = copy.deepcopy(value)
    return result


def request_view(target: Mapping[str, Any], where: Mapping[str, Path]) -> dict[str, Any]:
    """The inverse of `patch`: the stored resource as the flat request that describes it."""
    view: dict[str, Any] = {}
    for name, path in where.items():
        node: Any = target
        for step in path:
            node = node.get(step) if isinstance(node, Mapping) else None
        if node is not None:
            view[name] = node
    return view


def new_output(
    request: Mapping[str, Any], output_arn: str, listener_address: str
) -> dict[str, Any]:
    """The wire form the service stores for an AddOutputRequest (member names in `request`)."""
    output = patch({"OutputArn": output_arn}, request, layout("AddOutputRequest", "Output"))
    for name, value in OUTPUT_DEFAULTS.items():
        output.setdefault(name, value)
    transport = output.setdefault("Transport", {})
    if not any(name in transport for name in LATENCY_MEMBERS):
        transport.update(TRANSPORT_DEFAULTS.get(transport.get("Protocol", ""), {}))
    if transport.get("Protocol") in LISTENER_PROTOCOLS:
        output.setdefault("ListenerAddress", listener_address)
    return _encode("Output", output)


def updated_output(stored: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """`stored` (wire) after an UpdateFlowOutput request (member names), in wire form."""
    output = patch(
        output_members(stored),
        request,
        layout("UpdateFlowOutputRequest", "Output"),
    )
    return _encode("Output", output)


def output_members(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored output (wire) in member names, as boto3 users see it."""
    members: dict[str, Any] = to_members(_structure("Output"), stored)
    return members


def output_request_view(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored output (wire) as the AddOutputRequest that would create it (for the rules)."""
    return request_view(output_members(stored), layout("AddOutputRequest", "Output"))


def new_source(request: Mapping[str, Any]) -> dict[str, Any]:
    """The wire form of a SetSourceRequest (moto adds `sourceArn` and `ingestIp`)."""
    return _encode("Source", patch({}, request, layout("SetSourceRequest", "Source")))


def new_vpc_interface(request: Mapping[str, Any], eni_id: str) -> dict[str, Any]:
    """The wire form of a VpcInterfaceRequest, with the network interface AWS creates."""
    interface = patch({}, request, layout("VpcInterfaceRequest", "VpcInterface"))
    interface.setdefault("NetworkInterfaceType", "ena")
    interface["NetworkInterfaceIds"] = [eni_id]
    return _encode("VpcInterface", interface)


def _encode(shape_name: str, members: Mapping[str, Any]) -> dict[str, Any]:
    encoded: dict[str, Any] = to_wire(_structure(shape_name), members)
    return encoded


def _structure(name: str) -> Any:
    """A structure shape of the model (duck-typed, see `reconciler.sandbox.wire`)."""
    shape: Any = service_model().shape_for(name)
    assert shape.type_name == "structure", name
    return shape
