"""Conversions between MediaConnect's rest-json wire format and the model's member names.

On the wire every member travels under its `locationName` (`outputArn`,
`transport.rtmpPushOutputSettings.streamName`); botocore users and
`reconciler.core.servicemodel` speak the member names (`OutputArn`, ...). The sandbox
decodes what it receives to member names (so requests can be validated and
reasoned about like boto3 users see them) and encodes what it stores back to the
wire. Both directions walk botocore's shapes, so a new model member needs no code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from reconciler.sandbox.model import operation

# botocore's shapes are duck-typed here (`type_name`, `members`, `member`, `value`,
# `serialization`) so this module type-checks with or without botocore stubs.
Shape = Any


def wire_name(member: str, shape: Shape) -> str:
    """The key a structure member travels under on the wire."""
    return str(shape.serialization.get("name", member))


def to_members(shape: Shape, wire: Any) -> Any:
    """`wire` with every structure key renamed from its wire name to its member name.

    Keys the shape does not know are kept unchanged and values of the wrong kind
    are passed through untouched, so that validation can report them instead of
    them disappearing silently.
    """
    if shape.type_name == "structure" and isinstance(wire, Mapping):
        return _decode_members(shape.members, wire)
    if shape.type_name == "list" and isinstance(wire, list):
        return [to_members(shape.member, item) for item in wire]
    if shape.type_name == "map" and isinstance(wire, Mapping):
        return {key: to_members(shape.value, item) for key, item in wire.items()}
    return wire


def to_wire(shape: Shape, members: Any) -> Any:
    """`members` as the wire carries it in `shape`: member names become wire names.

    This is also a projection: members the shape does not have are dropped, as
    are None values, because a response never carries members of another shape
    or JSON nulls.
    """
    if shape.type_name == "structure" and isinstance(members, Mapping):
        return {
            wire_name(name, shape.members[name]): to_wire(shape.members[name], value)
            for name, value in members.items()
            if name in shape.members and value is not None
        }
    if shape.type_name == "list" and isinstance(members, list):
        return [to_wire(shape.member, item) for item in members]
    if shape.type_name == "map" and isinstance(members, Mapping):
        return {key: to_wire(shape.value, item) for key, item in members.items()}
    return members


def project(shape: Shape, wire: Any) -> Any:
    """Wire data reduced to what `shape` can carry (for state moto stored raw)."""
    return to_wire(shape, to_members(shape, wire))


def request_params(
    operation_name: str,
    body: Mapping[str, Any],
    uri: Mapping[str, str],
    query: Mapping[str, list[str]],
) -> dict[str, Any]:
    """The request as boto3 users wrote it: member names, URI and query members included.

    `body` is the decoded JSON body, `uri` the URI labels matched by moto's router
    (possibly still percent-encoded), `query` the parsed query string. Query
    integers that do not parse stay strings, for validation to report.
    """
    shape: Shape = operation(operation_name).input_shape
    body_members = {
        name: member
        for name, member in shape.members.items()
        if "location" not in member.serialization
    }
    params = _decode_members(body_members, body)
    for name, member in shape.members.items():
        location, key = member.serialization.get("location"), wire_name(name, member)
        if location == "uri" and key in uri:
            params[name] = unquote(uri[key])
        elif location == "querystring" and key in query:
            params[name] = _query_value(member, query[key])
    return params


def _decode_members(members: Mapping[str, Shape], wire: Mapping[str, Any]) -> dict[str, Any]:
    by_wire = {wire_name(name, member): name for name, member in members.items()}
    decoded: dict[str, Any] = {}
    for key, value in wire.items():
        name = by_wire.get(key)
        decoded[name or key] = value if name is None else to_members(members[name], value)
    return decoded


def _query_value(member: Shape, values: list[str]) -> Any:
    if member.type_name == "list":
        return list(values)
    value = values[-1]
    if member.type_name in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            return value
    return value
