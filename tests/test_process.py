"""`reconcile` as a real process against the sandbox server over loopback:
boto3's AWS_ENDPOINT_URL works, and user mistakes never print a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import boto3
import pytest

from tests.conftest import EXAMPLE_KEYS, FLOW_NAME, REGION, sandbox_server

TIMEOUT = 60


@pytest.fixture(scope="module")
def endpoint():
    with sandbox_server() as url:
        yield url


def reconcile(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def test_plan_and_apply_through_aws_endpoint_url(endpoint, env, state_dir):
    session = boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    client = session.client("mediaconnect", endpoint_url=endpoint)
    ssm = session.client("ssm", endpoint_url=endpoint)
    for name, value in EXAMPLE_KEYS.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    name = f"{FLOW_NAME}"
    client.create_flow(Name=name, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000})
    env["AWS_ENDPOINT_URL"] = endpoint
    plan = reconcile("plan", "--state", str(state_dir), "--detailed-exitcode", env=env)
    assert plan.returncode == 2, plan.stderr
    assert "Plan: 4 to add" in plan.stdout
    applied = reconcile("apply", "--state", str(state_dir), "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stderr
    again = reconcile("drift", "--state", str(state_dir), env=env)
    assert again.returncode == 0, again.stdout
    for key in EXAMPLE_KEYS.values():
        assert key not in plan.stdout + applied.stdout + applied.stderr + again.stdout


def test_schema_error_is_one_line_and_exit_1(env, state_dir):
    (state_dir / "destinations" / "x.yaml").write_text("name: x\nflow: f\nport: 5\n")
    result = reconcile("validate", "--state", str(state_dir), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith(f"{state_dir / 'destinations' / 'x.yaml'}:")


def test_missing_credentials_is_a_clear_error(env, state_dir):
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    env["AWS_DEFAULT_REGION"] = REGION
    result = reconcile("plan", "--state", str(state_dir), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: GetParameters: no AWS credentials found")
    assert "Traceback" not in result.stderr


def test_unreachable_endpoint_is_a_clear_error(env, state_dir):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_MAX_ATTEMPTS="1")
    result = reconcile("plan", "--state", str(state_dir), env=env)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 4
    assert all(
        "stream_key {ssm: /lunora/streaming/" in line
        and line.endswith("ssm:GetParameters failed: EndpointConnectionError")
        for line in lines
    )
    assert "Traceback" not in result.stderr
