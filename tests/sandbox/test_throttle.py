"""The sandbox's simulated MediaConnect rate limit and latency (used by `make bench`)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config

from reconciler.sandbox.throttle import CONTROL_PATH, Limits
from tests.conftest import sandbox_server


def request(
    limits: Limits, method: str, path: str, region: str = "us-west-2", target: str = ""
) -> str:
    """A signed request's status; with `target` (X-Amz-Target), an SSM one."""
    service = "ssm" if target else "mediaconnect"
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=AK/20260101/{region}/{service}/"
        "aws4_request, SignedHeaders=host, Signature=x",
        "HTTP_X_AMZ_TARGET": target,
    }
    statuses: list[str] = []
    limits(environ, lambda status, headers: statuses.append(status))
    return statuses[0].split()[0]


def ok_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [b"{}"]


def test_the_bucket_allows_a_burst_of_30_then_answers_429_per_region_and_class() -> None:
    limits = Limits(app=ok_app, throttle=True)
    tags = [request(limits, "GET", "/tags/arn%3Aflow") for _ in range(31)]
    assert tags == ["200"] * 30 + ["429"]
    # DescribeFlow has its own bucket, and another region its own.
    assert request(limits, "GET", "/v1/flows/arn%3Aflow") == "200"
    assert request(limits, "GET", "/tags/arn%3Aflow", region="eu-west-1") == "200"
    assert limits.throttled == {"ListTagsForResource": 1}
    assert limits.calls["ListTagsForResource"] == 32


def test_parameter_store_reads_share_its_standard_throughput_unless_higher_is_on() -> None:
    limits = Limits(app=ok_app, throttle=True)
    reads = ["AmazonSSM.GetParameters", "AmazonSSM.GetParameter"] * 20
    assert [request(limits, "POST", "/", target=t) for t in reads] == ["200"] * 40
    assert request(limits, "POST", "/", target="AmazonSSM.GetParametersByPath") == "400"
    assert request(limits, "POST", "/", target="AmazonSSM.PutParameter") == "200"  # not a read
    assert limits.throttled == {"GetParametersByPath": 1}
    limits.ssm_higher_throughput = True
    limits._buckets.clear()
    assert {request(limits, "POST", "/", target="AmazonSSM.GetParameters") for _ in range(500)} == {
        "200"
    }


def test_without_throttle_nothing_is_refused() -> None:
    limits = Limits(app=ok_app)
    assert {request(limits, "GET", "/tags/arn%3Aflow") for _ in range(40)} == {"200"}


@pytest.mark.usefixtures("aws_env")
def test_the_server_answers_too_many_requests_as_mediaconnect_does() -> None:
    with sandbox_server("--throttle") as endpoint:
        client: Any = boto3.client(
            "mediaconnect",
            endpoint_url=endpoint,
            region_name="us-west-2",
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
        codes = []
        for _ in range(80):
            try:
                client.list_flows()
                codes.append("ok")
            except client.exceptions.TooManyRequestsException as e:
                codes.append(e.response["Error"]["Code"])
        assert codes.count("TooManyRequestsException") >= 1
        with urllib.request.urlopen(endpoint + CONTROL_PATH) as answer:
            counts = json.load(answer)
        assert counts["throttled"]["ListFlows"] == codes.count("TooManyRequestsException")
