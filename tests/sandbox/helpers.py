"""Helpers shared by the sandbox tests (kept out of conftest so they can be imported)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.core.servicemodel import shape_errors

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def body(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without ResponseMetadata: what the service actually said."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def assert_shape(shape_name: str, value: Any) -> None:
    """`value` is a valid instance of the named botocore shape."""
    assert shape_errors(shape_name, value) == [], f"{shape_name}: {shape_errors(shape_name, value)}"


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in `value` (`Transport.Protocol`, `Outputs[].Name`), values ignored."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path} | key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def without_arns(value: Any) -> Any:
    """`value` with every *Arn value blanked (ARNs are generated; their keys still count)."""
    if isinstance(value, dict):
        return {k: "<arn>" if k.endswith("Arn") else without_arns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_arns(item) for item in value]
    return value


def as_of_example(output: dict[str, Any]) -> dict[str, Any]:
    """A sandbox output as the examples' era showed it.

    Today's service adds DataTransferSubscriberFeePercent (0) to every output and
    reports OutputStatus; the examples predate both and leave ENABLED out (their
    README: "OutputStatus is absent in older responses"). Both are checked here
    and then set aside, so the rest can be compared exactly.
    """
    output = dict(output)
    assert output.pop("DataTransferSubscriberFeePercent") == 0
    assert output["OutputStatus"] in ("ENABLED", "DISABLED")
    if output["OutputStatus"] == "ENABLED":
        del output["OutputStatus"]
    return output


def add_request(example_output: dict[str, Any], omit: tuple[str, ...] = ()) -> dict[str, Any]:
    """The AddOutputRequest that describes an example output (flattened Transport, no ARN)."""
    request = {k: v for k, v in example_output.items() if k not in ("OutputArn", "Transport")}
    request.update(example_output.get("Transport", {}))
    return {k: v for k, v in request.items() if k not in omit}


def client_error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a ClientError."""
    response: Any = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
    )


def cfn_outputs(name: str) -> list[dict[str, Any]]:
    """The AWS::MediaConnect::FlowOutput properties of a template, as AddOutputRequests."""
    resources = example(name)["Resources"].values()
    return [
        {k: v for k, v in r["Properties"].items() if k != "FlowArn"}
        for r in resources
        if r["Type"] == "AWS::MediaConnect::FlowOutput"
    ]
