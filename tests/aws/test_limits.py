"""Client-side rate limits and patience with throttles (aws.clients)."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner

from reconciler.app.settings import load_settings, make_aws
from reconciler.aws.clients import RATE_LIMITS, Clients, RateLimiter, rate_class
from reconciler.cli import main
from tests.conftest import FLOW_NAME
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
    assert rate_class("secretsmanager", "BatchGetSecretValue") is None
    describe, other = RATE_LIMITS["mediaconnect", "DescribeFlow"], RATE_LIMITS["mediaconnect", None]
    assert describe[0] <= 30 and other[0] <= 5 and other[1] <= 30  # MediaConnect's quotas


def test_stream_keys_are_read_within_parameter_stores_throughput():
    standard = Clients().rate_limit("ssm", "GetParameters")
    higher = make_aws(load_settings({"RECONCILE_SSM_THROUGHPUT": "higher"}))
    assert standard is not None and standard[0] <= 40  # the standard throughput, shared
    faster = higher.clients.rate_limit("ssm", "GetParameters")
    assert faster is not None and 40 < faster[0] <= 3000


def test_an_unknown_parameter_store_throughput_is_one_line_and_exit_1(state_dir):
    result = CliRunner().invoke(
        main, ["plan", "--state", str(state_dir)], env={"RECONCILE_SSM_THROUGHPUT": "fast"}
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: RECONCILE_SSM_THROUGHPUT='fast': must be one of standard, higher"
    ]


def test_the_flows_are_read_while_the_stream_keys_are_fetched(state_dir, sandbox, stream_keys):
    """GetParameters is held until a DescribeFlow has been sent: reading one after
    the other would hold it for the whole timeout."""
    sandbox.create_flow()
    flow_read = threading.Event()
    waited: list[bool] = []

    def plan(service: str, operation: str) -> str | None:
        if operation == "DescribeFlow":
            flow_read.set()
        elif operation == "GetParameters":
            waited.append(flow_read.wait(timeout=10))
        return None

    with injected(plan):
        result = CliRunner().invoke(main, ["plan", "--state", str(state_dir)])
    assert result.exit_code == 0, result.output
    assert waited and all(waited)


def test_a_missing_key_is_reported_before_a_missing_flow(state_dir, sandbox, stream_keys):
    """Keys and flows are read at once, but the key's error is the one shown."""
    sandbox.ssm.delete_parameter(Name=next(iter(stream_keys)))
    result = CliRunner().invoke(main, ["plan", "--state", str(state_dir)])  # no flow made
    assert result.exit_code == 1
    assert "parameter not found" in result.output
    assert f"flow {FLOW_NAME!r} not found" not in result.output


def test_a_stream_key_read_still_throttled_after_botocore_retries_is_tried_again(
    state_dir, sandbox, stream_keys, monkeypatch, no_waiting
):
    sandbox.create_flow()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    throttles = iter(["ssm-throttle"] * 2)

    def plan(service: str, operation: str) -> str | None:
        return next(throttles, None) if operation == "GetParameters" else None

    with injected(plan) as faults:
        result = CliRunner().invoke(main, ["plan", "--state", str(state_dir)])
    assert result.exit_code == 0, result.output
    assert [op for _, op, _ in faults.injected] == ["GetParameters"] * 2


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


def test_a_throttled_write_is_tried_again_and_applied_once(
    state_dir, sandbox, stream_keys, monkeypatch, no_waiting
):
    """A 429 means the write was refused, not applied: trying again is safe."""
    arn = sandbox.create_flow()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore gives up at once
    throttles = iter(["throttle"] * 3)

    def plan(service: str, operation: str) -> str | None:
        return next(throttles, None) if operation == "AddFlowOutputs" else None

    with injected(plan) as faults:
        result = CliRunner().invoke(main, ["apply", "--state", str(state_dir), "--auto-approve"])
    assert result.exit_code == 0, result.output
    assert [op for _, op, _ in faults.injected] == ["AddFlowOutputs"] * 3
    assert sorted(sandbox.outputs(arn)) == sorted(declared_outputs(state_dir))


def test_a_write_that_failed_otherwise_is_not_retried_beyond_botocore(
    state_dir, sandbox, stream_keys, monkeypatch, no_waiting
):
    """A 500 may or may not have been applied: apply reports it; a re-run converges."""
    sandbox.create_flow()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")

    def plan(service: str, operation: str) -> str | None:
        return "500" if operation == "AddFlowOutputs" else None

    with injected(plan) as faults:
        result = CliRunner().invoke(main, ["apply", "--state", str(state_dir), "--auto-approve"])
    assert result.exit_code == 1
    assert [op for _, op, _ in faults.injected] == ["AddFlowOutputs"] * 2


def declared_outputs(state_dir) -> list[str]:
    """The output names the state declares (one destination file each)."""
    return [p.stem for p in (state_dir / "destinations").glob("*.yaml")]
