"""Client-side rate limits and patience with throttles (aws.clients)."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from reconciler.aws.clients import RATE_LIMITS, RateLimiter, rate_class
from reconciler.cli import main
from tests.faults import injected


def test_the_bucket_lets_a_burst_through_then_paces_at_its_rate():
    limiter = RateLimiter(rate=20.0, burst=2.0)
    start = time.monotonic()
    for _ in range(4):
        limiter.acquire()
    # two at once, then one every 1/20 s: at least 0.1 s for the last two
    assert time.monotonic() - start >= 0.09


def test_describe_flow_and_other_mediaconnect_calls_have_their_own_limits():
    assert rate_class("mediaconnect", "DescribeFlow") == ("mediaconnect", "DescribeFlow")
    assert rate_class("mediaconnect", "ListTagsForResource") == ("mediaconnect", None)
    assert rate_class("ssm", "GetParameters") is None
    describe, other = RATE_LIMITS["mediaconnect", "DescribeFlow"], RATE_LIMITS["mediaconnect", None]
    assert describe[0] <= 30 and other[0] <= 5 and other[1] <= 30  # MediaConnect's quotas


@pytest.fixture
def no_waiting(monkeypatch):
    """Back-offs (botocore's and ours) take no time in these tests."""
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda seconds: None)


def test_a_read_still_throttled_after_botocore_retries_is_tried_again(
    state_dir, sandbox, stream_keys, monkeypatch, no_waiting
):
    sandbox.create_flow()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore gives up at once
    throttles = iter(["throttle"] * 3)

    def plan(service: str, operation: str) -> str | None:
        return next(throttles, None) if operation == "DescribeFlow" else None

    with injected(plan) as faults:
        result = CliRunner().invoke(main, ["plan", "--state", str(state_dir)])
    assert result.exit_code == 0, result.output
    assert [op for _, op, _ in faults.injected] == ["DescribeFlow"] * 3


def test_a_write_is_not_retried_beyond_botocore(
    state_dir, sandbox, stream_keys, monkeypatch, no_waiting
):
    sandbox.create_flow()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")

    def plan(service: str, operation: str) -> str | None:
        return "throttle" if operation == "AddFlowOutputs" else None

    with injected(plan) as faults:
        result = CliRunner().invoke(main, ["apply", "--state", str(state_dir), "--auto-approve"])
    assert result.exit_code == 1
    assert [op for _, op, _ in faults.injected] == ["AddFlowOutputs"] * 2
