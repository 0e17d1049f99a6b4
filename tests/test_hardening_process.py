"""Issue 11, as real processes: exit codes a CI reads, signals during apply, and
the seeded sandbox (`python -m reconciler.sandbox --seed STATE_DIR`)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.conftest import FLOW_NAME, REGION, sandbox_server

TIMEOUT = 60
UPDATING_READS = 25  # after a write, the flow stays UPDATING for 25 reads, 5 s at 0.2 s


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }


def reconcile(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--format", "md"],
        ["plan", "--detailed-exitcode", "--typo"],
        ["drift", "--format", "yaml"],
        ["iam-policy", "--account", "abc"],
    ],
)
def test_usage_errors_exit_1_not_2(tmp_path, state_dir, args):
    result = reconcile(environment(tmp_path), *args, "--state", str(state_dir))
    assert result.returncode == 1, result.stderr
    assert "Error:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_setting_exits_1_with_one_line(tmp_path, state_dir):
    env = environment(tmp_path, RECONCILE_FLOW_WAIT_DELAY="abc")
    result = reconcile(env, "apply", "--state", str(state_dir), "--auto-approve")
    assert result.returncode == 1
    assert result.stderr == (
        "error: RECONCILE_FLOW_WAIT_DELAY='abc': must be a positive number of seconds\n"
    )


def _read_until(proc: subprocess.Popen[str], text: str, deadline: float) -> str:
    """Lines of `proc`'s stdout (stderr merged) up to one containing `text`."""
    assert proc.stdout is not None
    seen = ""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while text not in seen:
            left = deadline - time.monotonic()
            assert left > 0 and selector.select(timeout=left), f"no {text!r} in: {seen}"
            line = proc.stdout.readline()
            assert line, f"ended before {text!r}: {seen}"
            seen += line
    return seen


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_apply_writes_its_report_and_lists_what_is_not_done(
    tmp_path, state_dir, signum, code
):
    """A remove, then (the flow UPDATING for a long while) the adds: the signal
    arrives while apply waits between the two."""
    with sandbox_server("--updating-describes", str(UPDATING_READS)) as endpoint:
        session = boto3.Session(
            region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
        )
        client = session.client("mediaconnect", endpoint_url=endpoint)
        ssm = session.client("ssm", endpoint_url=endpoint)
        for name in ("youtube-main", "restream", "linkedin", "custom-rtmp"):
            ssm.put_parameter(
                Name=f"/lunora/streaming/{name}/stream-key", Value=f"k-{name}", Type="SecureString"
            )
        arn = client.create_flow(
            Name=FLOW_NAME, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
        )["Flow"]["FlowArn"]
        client.add_flow_outputs(
            FlowArn=arn,
            Outputs=[
                {
                    "Name": "old",
                    "Protocol": "udp",
                    "Destination": "10.0.0.1",
                    "Port": 5004,
                    "OutputTags": {"reconciler:managed-by": "mediaconnect-reconciler"},
                }
            ],
        )
        for _ in range(UPDATING_READS):  # let the hand-made change settle first
            client.describe_flow(FlowArn=arn)
        report = tmp_path / "report.json"
        env = environment(tmp_path, AWS_ENDPOINT_URL=endpoint, RECONCILE_FLOW_WAIT_DELAY="0.2")
        command = ["apply", "--state", str(state_dir), "--auto-approve", "--report", str(report)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *command],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            before = _read_until(proc, f"waiting for {FLOW_NAME} (UPDATING", time.monotonic() + 60)
            proc.send_signal(signum)
            rest, _ = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = before + rest
    assert proc.returncode == code, output
    assert "done     remove   lunora-player-prod-rtmp-router/old" in output
    assert "Not done:" in output and "Traceback" not in output
    assert "skipped  add      lunora-player-prod-rtmp-router/youtube-main" in output
    document = json.loads(report.read_text())
    assert document["interrupted"] == signal.Signals(signum).name and document["ok"] is False
    outcomes = {r["output"]: r["outcome"] for r in document["results"]}
    assert outcomes["old"] == "done"
    assert {outcomes[n] for n in ("youtube-main", "restream", "linkedin", "custom-rtmp")} == {
        "skipped"
    }


def test_seeded_sandbox_makes_plan_work_next(tmp_path, state_dir):
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", "--seed", str(state_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(4)]
        assert lines[0].startswith("sandbox listening on http://127.0.0.1:")
        exports = [line for line in lines if line.startswith("export ")]
        assert len(exports) == 2
        env = environment(tmp_path)
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
        for line in exports:
            for pair in line.removeprefix("export ").split():
                name, value = pair.split("=", 1)
                env[name] = value
        assert env["AWS_ENDPOINT_URL"] == lines[0].rsplit(" ", 1)[1]
        assert lines[3].startswith(f"# seeded 1 flow(s): {FLOW_NAME} ({REGION}); 4 placeholder")
        plan = reconcile(env, "plan", "--state", str(state_dir), "--detailed-exitcode")
        assert plan.returncode == 2, plan.stderr
        assert "Plan: 4 to add, 0 to update, 0 to replace, 0 to remove." in plan.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=TIMEOUT)


def test_seed_refuses_an_invalid_state(tmp_path, state_dir):
    (state_dir / "destinations" / "x.yaml").write_text("name: x\n")
    result = subprocess.run(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", "--seed", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"{state_dir / 'destinations' / 'x.yaml'}:")


def test_seeding_a_running_sandbox_twice_changes_nothing(tmp_path, state_dir):
    with sandbox_server() as endpoint:
        command = [sys.executable, "-m", "reconciler.sandbox", "--seed", str(state_dir)]
        first = subprocess.run(
            [*command, "--endpoint", endpoint], capture_output=True, text=True, timeout=TIMEOUT
        )
        assert first.returncode == 0, first.stderr
        session = boto3.Session(
            region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
        )
        ssm = session.client("ssm", endpoint_url=endpoint)
        name = "/lunora/streaming/restream/stream-key"
        key = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        second = subprocess.run(
            [*command, "--endpoint", endpoint], capture_output=True, text=True, timeout=TIMEOUT
        )
        assert second.returncode == 0, second.stderr
        assert f"{FLOW_NAME} ({REGION}, already there)" in second.stdout
        flows = session.client("mediaconnect", endpoint_url=endpoint).list_flows()["Flows"]
        assert [f["Name"] for f in flows] == [FLOW_NAME]
        assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == key


@pytest.mark.parametrize(
    ("command", "fmt", "args"),
    [("plan", "md", ""), ("validate", "markdown", "--typo"), ("drift", "yaml", "")],
)
def test_the_composite_action_fails_a_usage_error(tmp_path, state_dir, command, fmt, args):
    """`format: md` or a typo in `args:` exits 1, which fails the step; only 2
    (changes, drift) passes as an answer."""
    from tests.github.test_action import run_step

    reconcile = Path(sys.executable).parent / "reconcile"
    done, outputs = run_step(tmp_path, reconcile, command, fmt=fmt, args=args)
    assert done.returncode == 1, done.stderr
    assert outputs["exit-code"] == "1" and outputs["changes"] == "false"
    assert "Error:" in done.stderr


def test_sigterm_during_a_plan_ends_with_one_line_and_exit_143(tmp_path, state_dir):
    """The signal comes while the plan waits for AWS (5 s a request): it stops
    with one line, and without waiting for calls it has not started."""
    with sandbox_server("--latency-ms", "5000") as endpoint:
        env = environment(tmp_path, AWS_ENDPOINT_URL=endpoint)
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "--debug", "plan", "--state", str(state_dir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _read_until(proc, "Sending http request", time.monotonic() + TIMEOUT)
            proc.send_signal(signal.SIGTERM)
            rest, _ = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 143, rest
    assert rest.rstrip().splitlines()[-1] == "interrupted (SIGTERM)"
    assert "Traceback" not in rest
