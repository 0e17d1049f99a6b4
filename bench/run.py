"""Benchmarks: AWS calls and wall time for plan/apply at several flow sizes.

API calls are the tool's main cost against real AWS (5 requests/s steady per
account and region), so the figures that matter most are the call counts. Wall
times are measured in-process against the sandbox, once with no added latency
and once with a simulated round trip per call (RTT_MS), which is closer to AWS.

    make bench            # or: .venv/bin/python bench/run.py [--rtt-ms 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.handlers import BUILTIN_HANDLERS
from moto import mock_aws

from reconciler.app import executor
from reconciler.app.planning import compute_plan
from reconciler.aws import Aws
from reconciler.core import planner
from reconciler.core.state import load_state
from reconciler.sandbox.mediaconnect import install

REGION = "us-west-2"
FLOW = "bench-flow"
SIZES = (5, 20, 50)
REPEATS = 5


class Calls:
    def __init__(self, rtt: float) -> None:
        self.rtt, self.counts = rtt, Counter[str]()

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1
        if self.rtt:
            time.sleep(self.rtt)


@contextmanager
def recording(rtt: float) -> Iterator[Calls]:
    calls = Calls(rtt)
    entry = ("before-call", calls)
    BUILTIN_HANDLERS.append(entry)
    try:
        yield calls
    finally:
        BUILTIN_HANDLERS.remove(entry)


def write_state(root: Path, outputs: int) -> dict[str, str]:
    (root / "flows").mkdir(parents=True)
    (root / "destinations").mkdir()
    (root / "flows" / "f.yaml").write_text(f"name: {FLOW}\nregion: {REGION}\n")
    keys = {}
    for i in range(outputs):
        (root / "destinations" / f"d{i}.yaml").write_text(
            f"name: dest-{i}\nflow: {FLOW}\nurl: rtmps://ingest-{i}.example.com/live\n"
            f"stream_key: {{env: KEY_{i}}}\n"
        )
        keys[f"KEY_{i}"] = f"key-{i}"
    return keys


def timed(fn: Any, repeats: int = REPEATS) -> tuple[Any, float]:
    samples, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return result, statistics.median(samples)


def bench_size(outputs: int, rtt: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        install()
        root = Path(tmp) / "state"
        environ = write_state(root, outputs)
        boto3.client("mediaconnect", region_name=REGION).create_flow(
            Name=FLOW, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
        )
        with recording(rtt) as calls:
            first, _ = timed(lambda: compute_plan(root, Aws(), environ).plan, repeats=1)
            plan_empty = dict(calls.counts)
            calls.counts.clear()
            start = time.perf_counter()
            report = executor.apply(first, Aws().mediaconnect)
            apply_time = time.perf_counter() - start
            assert report.ok
            apply_calls = dict(calls.counts)
            calls.counts.clear()
            again, steady_time = timed(lambda: compute_plan(root, Aws(), environ).plan)
            assert not again.has_changes
            steady_calls = {k: v // REPEATS for k, v in calls.counts.items()}
    return {
        "outputs": outputs,
        "plan (empty flow) calls": plan_empty,
        "apply calls": apply_calls,
        "apply s": apply_time,
        "plan (in sync) calls": steady_calls,
        "plan (in sync) s": steady_time,
    }


def bench_planner(outputs: int = 50, repeats: int = 200) -> float:
    """The pure planner alone: microseconds per plan of one in-sync flow."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "state"
        environ = write_state(root, outputs)
        state = load_state(root)
    from reconciler.app.resolver import Resolver, desired_outputs
    from reconciler.core.models import LiveFlow, LiveOutput

    desired = desired_outputs(state, Resolver(environ))
    live = LiveFlow(
        FLOW,
        "arn",
        REGION,
        "ACTIVE",
        tuple(LiveOutput(d.name, f"arn:{d.name}", d.fields, managed=True) for d in desired),
    )
    _, seconds = timed(
        lambda: planner.plan(state.flows.values(), desired, {FLOW: live}), repeats=repeats
    )
    return seconds * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rtt-ms", type=float, default=50.0, help="simulated latency per call")
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.pop("AWS_PROFILE", None)
    print(f"python {sys.version.split()[0]}, median of {REPEATS} runs where repeated\n")
    for rtt_ms in (0.0, args.rtt_ms):
        print(f"== simulated round trip per AWS call: {rtt_ms:g} ms")
        for size in SIZES:
            r = bench_size(size, rtt_ms / 1000)
            print(
                f"{size:>3} outputs | plan (in sync) {r['plan (in sync) s'] * 1000:7.1f} ms, "
                f"calls {r['plan (in sync) calls']} | apply {r['apply s'] * 1000:7.1f} ms, "
                f"calls {r['apply calls']}"
            )
        print()
    print(f"pure planner, 50 outputs in sync: {bench_planner():.0f} µs per plan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
