"""Request validation against the MediaConnect service model that botocore ships.

botocore checks types and required members before it sends a request, but not
enum values or upper bounds. AWS does, at apply time. This module checks all of
it up front, so a destination AWS would reject is a validation error instead of
an apply-time surprise. The sandbox uses the same checks on what it receives.

The model is read as data (botocore's `service-2.json.gz`), located without
importing botocore, so `validate` stays offline and quick. Purely
computational otherwise.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SERVICE = "mediaconnect"
Shape = Mapping[str, Any]


@cache
def model(service: str = SERVICE) -> dict[str, Any]:
    """The newest model of `service` in the installed botocore, as JSON data."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    data = Path(next(iter(spec.submodule_search_locations))) / "data" / service
    version = max(p.name for p in data.iterdir() if p.is_dir())
    path = data / version / "service-2.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    with gzip.open(path.with_name("service-2.json.gz"), "rt", encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


def shape(name: str, service: str = SERVICE) -> Shape:
    shapes: dict[str, Shape] = model(service)["shapes"]
    return shapes[name]


def request_errors(operation_name: str, params: Mapping[str, Any]) -> list[str]:
    """Every way `params` breaks the model's input shape for `operation_name`.

    Messages name the offending field by its path (`Outputs[0].Port`). An empty
    list means AWS's own request validation has nothing to object to that the
    model can express.
    """
    return operation_errors(operation_name, params, "input")


def operation_errors(
    operation_name: str, value: Any, direction: str, service: str = SERVICE
) -> list[str]:
    """Every way `value` breaks `service`'s model of the operation's `input`
    (a request) or `output` (a response)."""
    name = model(service)["operations"][operation_name][direction]["shape"]
    errors: list[str] = []
    _check(shape(name, service), value, "", errors, service)
    return errors


def shape_errors(shape_name: str, value: Any, service: str = SERVICE) -> list[str]:
    """Every way `value` breaks the named model shape (used on responses too)."""
    errors: list[str] = []
    _check(shape(shape_name, service), value, "", errors, service)
    return errors


def enum_values(shape_name: str, service: str = SERVICE) -> tuple[str, ...]:
    return tuple(shape(shape_name, service)["enum"])


def _check(spec: Shape, value: Any, path: str, errors: list[str], service: str = SERVICE) -> None:
    where = path or "request"
    kind = spec["type"]
    if kind == "structure":
        if not isinstance(value, Mapping):
            errors.append(f"{where}: expected an object, got {_kind(value)}")
            return
        members: Mapping[str, Any] = spec.get("members", {})
        for name in spec.get("required", []):
            if name not in value:
                errors.append(f"{_join(path, name)}: required field is missing")
        if spec.get("union") and len(value) != 1:
            errors.append(f"{where}: set exactly one of {', '.join(members)}")
        for name, member_value in value.items():
            member = members.get(name)
            if member is None:
                errors.append(f"{_join(path, name)}: unknown field")
                continue
            _check(
                shape(member["shape"], service), member_value, _join(path, name), errors, service
            )
    elif kind == "list":
        if not isinstance(value, list | tuple):
            errors.append(f"{where}: expected a list, got {_kind(value)}")
            return
        _check_range(spec, len(value), where, "items", errors)
        for index, item in enumerate(value):
            _check(
                shape(spec["member"]["shape"], service), item, f"{path}[{index}]", errors, service
            )
    elif kind == "map":
        if not isinstance(value, Mapping):
            errors.append(f"{where}: expected an object, got {_kind(value)}")
            return
        for key, item in value.items():
            _check(shape(spec["key"]["shape"], service), key, f"{where}.<key>", errors, service)
            _check(
                shape(spec["value"]["shape"], service), item, f"{path}[{key!r}]", errors, service
            )
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{where}: expected a string, got {_kind(value)}")
            return
        allowed = spec.get("enum")
        if allowed and value not in allowed:
            errors.append(f"{where}: {value!r} is not one of {', '.join(allowed)}")
        _check_range(spec, len(value), where, "characters", errors)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{where}: expected an integer, got {_kind(value)}")
            return
        _check_range(spec, value, where, "", errors)
    elif kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{where}: expected a number, got {_kind(value)}")
            return
        _check_range(spec, value, where, "", errors)
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{where}: expected true or false, got {_kind(value)}")


def _check_range(spec: Shape, amount: float, where: str, unit: str, errors: list[str]) -> None:
    low, high = spec.get("min"), spec.get("max")
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
