"""Apply against a flow that goes UPDATING after each change, an apply killed
between calls and run again, and two applies racing on one flow. The last two
use real processes against the sandbox server on 127.0.0.1."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.sandbox.mediaconnect import settings as sandbox_settings
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME, REGION, sandbox_server

TIMEOUT = 60


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_apply_waits_while_the_flow_is_updating(
    state_dir, sandbox, stream_keys, aws_calls, monkeypatch
):
    flow_arn = sandbox.create_flow()
    run("apply", "--state", str(state_dir), "--auto-approve")
    for name in ("restream", "linkedin"):
        path = state_dir / "destinations" / f"{name}.yaml"
        path.write_text(path.read_text() + "enabled: false\n")
    (state_dir / "destinations" / "custom-rtmp.yaml").unlink()
    monkeypatch.setattr(sandbox_settings, "updating_describes", 2)
    monkeypatch.setenv("RECONCILE_FLOW_WAIT_DELAY", "0.01")
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    # remove, (wait: UPDATING, UPDATING, ACTIVE) update, (wait ...) update
    assert aws_calls.named("DescribeFlow") == 1 + 3 + 3
    outputs = sandbox.outputs(flow_arn)
    assert {n: o["OutputStatus"] for n, o in outputs.items()} == {
        "linkedin": "DISABLED",
        "restream": "DISABLED",
        "youtube-main": "ENABLED",
    }


def test_a_flow_that_stays_updating_is_reported_and_skipped(
    state_dir, sandbox, stream_keys, monkeypatch
):
    sandbox.create_flow()
    run("apply", "--state", str(state_dir), "--auto-approve")
    for name in ("restream", "linkedin"):
        path = state_dir / "destinations" / f"{name}.yaml"
        path.write_text(path.read_text() + "enabled: false\n")
    monkeypatch.setattr(sandbox_settings, "updating_describes", 60)
    monkeypatch.setenv("RECONCILE_FLOW_WAIT_DELAY", "0.01")
    monkeypatch.setenv("RECONCILE_FLOW_WAIT_TIMEOUT", "0.2")
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert "done     update   lunora-player-prod-rtmp-router/linkedin" in result.stdout
    assert "skipped  update   lunora-player-prod-rtmp-router/restream: flow" in result.stdout
    assert "is still UPDATING after 0.2 s; run apply again once it settles" in result.stdout
    monkeypatch.setenv("RECONCILE_FLOW_WAIT_TIMEOUT", "30")  # now it settles within the wait
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert run("drift", "--state", str(state_dir)).exit_code == 0


# --- real processes against the sandbox server ----------------------------------------


@pytest.fixture
def server():
    """The sandbox server, reporting each flow UPDATING for 3 reads after a change,
    so that an apply spends time between its calls."""
    with sandbox_server("--updating-describes", "3") as endpoint:
        session = boto3.Session(
            region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
        )
        ssm = session.client("ssm", endpoint_url=endpoint)
        for name, value in EXAMPLE_KEYS.items():
            ssm.put_parameter(Name=name, Value=value, Type="SecureString")
        client = session.client("mediaconnect", endpoint_url=endpoint)
        arn = client.create_flow(
            Name=FLOW_NAME, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
        )["Flow"]["FlowArn"]
        yield endpoint, client, arn


def environment(endpoint: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "RECONCILE_FLOW_WAIT_DELAY": "0.2",
    }


def reconcile(env, *args: str, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def live_outputs(client, arn) -> list[dict]:
    return client.describe_flow(FlowArn=arn)["Flow"].get("Outputs", [])


def assert_flow_equals_git(env, state_dir, client, arn, expected: set[str]) -> None:
    names = [o["Name"] for o in live_outputs(client, arn)]
    assert not [n for n, count in Counter(names).items() if count > 1], "duplicate outputs"
    assert set(names) == expected, "lost or extra outputs"
    drift = reconcile(env, "drift", "--state", str(state_dir))
    out, _ = drift.communicate(timeout=TIMEOUT)
    assert drift.returncode == 0, out


def edit(state_dir: Path) -> None:
    """A change with every kind of call: remove one, disable two, add one."""
    (state_dir / "destinations" / "custom-rtmp.yaml").unlink()
    for name in ("restream", "linkedin"):
        path = state_dir / "destinations" / f"{name}.yaml"
        path.write_text(path.read_text() + "enabled: false\n")
    (state_dir / "destinations" / "twitch.yaml").write_text(
        f"name: twitch\nflow: {FLOW_NAME}\nurl: rtmp://live.twitch.tv/app\n"
        "stream_key: {ssm: /lunora/streaming/youtube-main/stream-key}\n"
    )


def test_apply_killed_between_calls_converges_on_the_next_run(server, state_dir, tmp_path):
    endpoint, client, arn = server
    env = environment(endpoint, tmp_path)
    first = reconcile(env, "apply", "--state", str(state_dir), "--auto-approve")
    assert first.wait(timeout=TIMEOUT) == 0
    edit(state_dir)
    victim = reconcile(env, "apply", "--state", str(state_dir), "--auto-approve")
    deadline = time.monotonic() + TIMEOUT
    for line in victim.stdout:  # the first call has returned: kill it mid-apply
        if line.startswith("  done     remove") or time.monotonic() > deadline:
            break
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=TIMEOUT)
    assert victim.returncode == -signal.SIGKILL
    left = {o["Name"] for o in live_outputs(client, arn)}
    assert "custom-rtmp" not in left and "twitch" not in left  # it died between the two
    again = reconcile(env, "apply", "--state", str(state_dir), "--auto-approve")
    out, _ = again.communicate(timeout=TIMEOUT)
    assert again.returncode == 0, out
    assert_flow_equals_git(
        env, state_dir, client, arn, {"youtube-main", "restream", "linkedin", "twitch"}
    )


def paused_apply(env, state_dir: Path) -> tuple[subprocess.Popen, int]:
    """An apply that has planned and now waits at its confirmation prompt (its
    stdin is a terminal), so a test decides exactly when its writes begin."""
    controller, terminal = pty.openpty()
    process = reconcile(env, "apply", "--state", str(state_dir), stdin=terminal)
    os.close(terminal)
    seen, deadline = "", time.monotonic() + TIMEOUT
    assert process.stdout is not None
    while "Apply these changes?" not in seen:
        assert time.monotonic() < deadline and process.poll() is None, seen
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if ready:
            seen += os.read(process.stdout.fileno(), 4096).decode()
    return process, controller


def test_an_apply_overtaken_by_another_still_ends_equal_to_git(server, state_dir, tmp_path):
    """Two applies of one change: the first has planned, the second plans and
    applies everything, then the first carries out its now stale plan. It must
    neither fail, duplicate nor lose an output: every call it makes either finds
    the work done or does it. Deterministic: the first waits at its prompt."""
    endpoint, client, arn = server
    env = environment(endpoint, tmp_path)
    for round_ in range(2):  # first: 4 adds; then: a remove, two updates and an add
        if round_:
            edit(state_dir)
        first, controller = paused_apply(env, state_dir)
        second = reconcile(env, "apply", "--state", str(state_dir), "--auto-approve")
        out, _ = second.communicate(timeout=TIMEOUT)
        assert second.returncode == 0, out
        os.write(controller, b"y\n")
        rest, _ = first.communicate(timeout=TIMEOUT)
        os.close(controller)
        assert first.returncode == 0, rest
        assert "Apply complete" in rest
    assert_flow_equals_git(
        env, state_dir, client, arn, {"youtube-main", "restream", "linkedin", "twitch"}
    )
