"""Request validation against botocore's MediaConnect service model.

botocore checks types and required members before it sends a request, but not
enum values or upper bounds. AWS does, at apply time. This module checks all of
it up front, so a destination AWS would reject is a validation error instead of
an apply-time surprise. The sandbox uses the same checks on what it receives.

Purely computational: reads the model shipped inside botocore, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

SERVICE = "mediaconnect"


@cache
def service_model(service: str = SERVICE) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(name: str, service: str = SERVICE) -> OperationModel:
    return service_model(service).operation_model(name)


def request_errors(operation_name: str, params: Mapping[str, Any]) -> list[str]:
    """Every way `params` breaks the model's input shape for `operation_name`.

    Messages name the offending field by its path (`Outputs[0].Port`). An empty
    list means AWS's own request validation has nothing to object to that the
    model can express.
    """
    shape = operation(operation_name).input_shape
    assert shape is not None
    errors: list[str] = []
    _check(shape, params, "", errors)
    return errors


def shape_errors(shape_name: str, value: Any) -> list[str]:
    """Every way `value` breaks the named model shape (used on responses too)."""
    errors: list[str] = []
    _check(service_model().shape_for(shape_name), value, "", errors)
    return errors


def enum_values(shape_name: str) -> tuple[str, ...]:
    return tuple(service_model().shape_for(shape_name).enum)


def _check(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    where = path or "request"
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if not isinstance(value, Mapping):
            errors.append(f"{where}: expected an object, got {_kind(value)}")
            return
        for name in shape.required_members:
            if name not in value:
                errors.append(f"{_join(path, name)}: required field is missing")
        if shape.is_tagged_union and len(value) != 1:
            members = ", ".join(shape.members)
            errors.append(f"{where}: set exactly one of {members}")
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                errors.append(f"{_join(path, name)}: unknown field")
                continue
            _check(member, member_value, _join(path, name), errors)
    elif kind == "list":
        if not isinstance(value, list | tuple):
            errors.append(f"{where}: expected a list, got {_kind(value)}")
            return
        _check_range(shape, len(value), where, "items", errors)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", errors)
    elif kind == "map":
        if not isinstance(value, Mapping):
            errors.append(f"{where}: expected an object, got {_kind(value)}")
            return
        for key, item in value.items():
            _check(shape.key, key, f"{where}.<key>", errors)
            _check(shape.value, item, f"{path}[{key!r}]", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{where}: expected a string, got {_kind(value)}")
            return
        if shape.enum and value not in shape.enum:
            errors.append(f"{where}: {value!r} is not one of {', '.join(shape.enum)}")
        _check_range(shape, len(value), where, "characters", errors)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{where}: expected an integer, got {_kind(value)}")
            return
        _check_range(shape, value, where, "", errors)
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{where}: expected a number, got {_kind(value)}")
            return
        _check_range(shape, value, where, "", errors)
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{where}: expected true or false, got {_kind(value)}")


def _check_range(shape: Shape, amount: float, where: str, unit: str, errors: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    what = f"{amount} {unit}".strip()
    if low is not None and amount < low:
        errors.append(f"{where}: {what} is below the minimum of {low}")
    if high is not None and amount > high:
        errors.append(f"{where}: {what} is above the maximum of {high}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
