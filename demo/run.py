"""`make demo`: a guided tour of reconcile against the local sandbox.

Starts the sandbox (moto plus the MediaConnect fidelity layer) on 127.0.0.1,
creates the example flow of state/ with one output made by hand, then runs
validate → plan → apply → plan → (disable a destination) → plan → apply on a
copy of state/, and stops the sandbox. The checkout is left unchanged.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import IO

import boto3

ROOT = Path(__file__).resolve().parent.parent
FLOW = "lunora-player-prod-rtmp-router"
REGION = "us-west-2"
# Example keys for the demo only, stored as SSM SecureStrings in the sandbox:
# the state files reference them, as they would real ones.
DEMO_KEYS = {
    f"/lunora/streaming/{name}/stream-key": f"demo-{name}-key"
    for name in ("youtube-main", "restream", "linkedin", "custom-rtmp")
}
STEP_TIMEOUT = 120


def bold(text: str) -> str:
    """Bold on a terminal; plain into a pipe or a file, and under NO_COLOR or TERM=dumb."""
    plain = os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
    return text if plain or not sys.stdout.isatty() else f"\033[1m{text}\033[0m"


def say(title: str, text: str = "") -> None:
    print(f"\n{bold(f'── {title}')}")
    if text:
        print(textwrap.fill(text, width=88))


def reconcile(env: dict[str, str], *args: str, expect: tuple[int, ...] = (0,)) -> None:
    print(f"\n$ reconcile {shlex.join(args)}", flush=True)
    code = subprocess.run(
        [sys.executable, "-m", "reconciler", *args], env=env, timeout=STEP_TIMEOUT, check=False
    ).returncode
    if code not in expect:
        raise SystemExit(f"demo: `reconcile {args[0]}` exited {code}, expected {expect}")


def start_sandbox(env: dict[str, str], log: IO[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # "sandbox listening on http://127.0.0.1:PORT"
    if not line.startswith("sandbox listening on "):
        proc.kill()
        raise SystemExit(f"demo: the sandbox did not start; see {log.name}")
    return proc, line.rsplit(" ", 1)[1]


def create_example_flow(endpoint: str) -> str:
    """What the platform team did once by hand: the stream keys in SSM, the flow
    MediaLive feeds, and one output made in the console that the tool must
    leave alone."""
    session = boto3.Session(
        region_name=REGION, aws_access_key_id="sandbox", aws_secret_access_key="sandbox"
    )
    ssm = session.client("ssm", endpoint_url=endpoint)
    for name, value in DEMO_KEYS.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    client = session.client("mediaconnect", endpoint_url=endpoint)
    arn = client.create_flow(
        Name=FLOW,
        Source={
            "Name": "medialive-channel-3714710",
            "Protocol": "rtp-fec",
            "IngestPort": 5000,
            "MaxBitrate": 50_000_000,
            "WhitelistCidr": "10.0.0.0/16",
        },
    )["Flow"]["FlowArn"]
    client.start_flow(FlowArn=arn)
    client.add_flow_outputs(
        FlowArn=arn,
        Outputs=[
            {
                "Name": "ops-monitor",
                "Description": "Made by hand in the console",
                "Protocol": "srt-caller",
                "Destination": "203.0.113.10",
                "Port": 9000,
                "MinLatency": 200,
            }
        ],
    )
    return str(arn)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="reconcile-demo-"))
    state = work / "state"
    shutil.copytree(ROOT / "state", state)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.pop("AWS_PROFILE", None)
    log = (work / "sandbox.log").open("w")
    sandbox, endpoint = start_sandbox(env, log)
    try:
        env["AWS_ENDPOINT_URL"] = endpoint
        say(
            "0. The setup",
            f"A local AWS sandbox is listening on {endpoint} (moto plus a MediaConnect that "
            f"behaves like the real one). It holds the flow {FLOW}: MediaLive feeds it rtp-fec "
            "on port 5000, and someone added one output, ops-monitor, by hand. The HLS path "
            "(MediaLive → MediaPackage) is not involved and is never called. We work on a copy "
            f"of state/ in {state}. The stream keys are SecureString parameters in the sandbox's "
            "SSM; the state files only reference them.",
        )
        create_example_flow(endpoint)
        st = ("--state", str(state))

        say("1. Validate the YAML (offline: no AWS call)")
        reconcile(env, "validate", *st)

        say("2. Plan: what would make the flow match git", "Stream keys show as (sensitive).")
        reconcile(env, "plan", *st)

        say("3. Apply", "One AddFlowOutputs call adds all four; ops-monitor is left alone.")
        reconcile(env, "apply", *st, "--auto-approve")

        say("4. Plan again: nothing to do")
        reconcile(env, "plan", *st, "--detailed-exitcode")

        say(
            "5. Stop one destination",
            "A producer sets `enabled: false` in destinations/restream.yaml. Everything else "
            "stays on air.",
        )
        restream = state / "destinations" / "restream.yaml"
        restream.write_text(restream.read_text() + "enabled: false\n")
        reconcile(env, "plan", *st, "--detailed-exitcode", expect=(2,))

        say("6. Apply: one UpdateFlowOutput carrying only OutputStatus")
        reconcile(env, "apply", *st, "--auto-approve")

        say(
            "7. Drift check: in sync",
            "Scheduled in CI, exit 2 would mean someone changed the flow.",
        )
        reconcile(env, "drift", *st)
        say("Done", "The sandbox stops now; your checkout is unchanged.")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
