"""`make bench`: AWS calls, wall time and throttles of plan/apply, against MediaConnect's limits.

The sandbox server runs as its own process with a simulated round trip per
request (--rtt-ms), MediaConnect's rate limit (5 requests/s burst 30,
DescribeFlow 30/s, 429 TooManyRequestsException when empty) and Parameter
Store's throughput (40/s). For N flows x 50 outputs (N in --flows) it
measures, in one run: plan and apply with every output new, plan and apply in
sync, plan and apply with 10 % of the outputs changed; the same plans through
a per-resource model (one DescribeFlow and one ListTagsForResource per output,
as CloudFormation's FlowOutput read handler does); the in-sync plan of 1 flow
against --compare flows under a 200 ms round trip, in process and as a
command, at both Parameter Store throughputs; the pure planner's CPU time at
1,000 outputs; and start-up of `reconcile --help` and `reconcile validate`.
It writes BENCHMARKS.md.

    make bench                                    # 1, 20 and 100 flows; 1 against 20
    .venv/bin/python bench/run.py --flows 1,20 --compare 20 --rtt-ms 50
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import startup  # noqa: E402
from bench.report import Step  # noqa: E402
from reconciler.app import executor  # noqa: E402
from reconciler.app.planning import compute_plan  # noqa: E402
from reconciler.aws import Aws  # noqa: E402
from reconciler.aws.clients import Clients  # noqa: E402

REGION = "us-west-2"
OUTPUTS = 50
CONTROL = "/_sandbox/limits"


class Sandbox:
    """The sandbox server process and its control endpoint."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def control(self, **change: Any) -> dict[str, Any]:
        data = json.dumps(change).encode() if change else None
        with urllib.request.urlopen(
            urllib.request.Request(self.endpoint + CONTROL, data=data), timeout=30
        ) as answer:
            result: dict[str, Any] = json.load(answer)
            return result

    def reset_aws(self) -> None:
        request = urllib.request.Request(self.endpoint + "/moto-api/reset", data=b"", method="POST")
        urllib.request.urlopen(request, timeout=60).close()


@contextmanager
def sandbox_process() -> Iterator[Sandbox]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:"), line
        yield Sandbox(line.rsplit(" ", 1)[1])
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def flow_name(i: int) -> str:
    return f"bench-{i:03d}"


def write_state(root: Path, arns: list[str]) -> None:
    """N flow files (with `arn:`) and 50 RTMP destinations each, keys in SSM."""
    (root / "flows").mkdir(parents=True)
    (root / "destinations").mkdir()
    for i, arn in enumerate(arns):
        name = flow_name(i)
        (root / "flows" / f"{name}.yaml").write_text(
            f"name: {name}\nregion: {REGION}\narn: {arn}\n"
        )
        for j in range(OUTPUTS):
            (root / "destinations" / f"{name}-d{j:02d}.yaml").write_text(
                f"name: d{j:02d}\nflow: {name}\nurl: rtmp://ingest-{j}.example.com/live\n"
                f"stream_key: {{ssm: /bench/{name}/d{j:02d}}}\ndescription: destination {j}\n"
            )


def drift_state(root: Path, fraction: float = 0.1) -> int:
    """Change the description of `fraction` of the destinations; returns how many."""
    files = sorted((root / "destinations").glob("*.yaml"))
    changed = [f for k, f in enumerate(files) if k % round(1 / fraction) == 0]
    for path in changed:
        path.write_text(path.read_text().replace("description: destination", "description: moved"))
    return len(changed)


def stream_key(flow: int, output: int) -> str:
    """A key random enough for the redaction sink to accept (see core.secrets.unsafe_reason)."""
    return hashlib.sha256(f"bench-{flow}-{output}".encode()).hexdigest()[:32]


def set_up(sandbox: Sandbox, flows: int, root: Path) -> list[str]:
    """Empty flows and their SSM keys, made without latency or throttling."""
    sandbox.reset_aws()
    sandbox.control(latency_ms=0, throttle=False, reset=True)
    mediaconnect = boto3.client("mediaconnect", region_name=REGION)
    ssm = boto3.client("ssm", region_name=REGION)
    arns = []
    for i in range(flows):
        name = flow_name(i)
        arns.append(
            mediaconnect.create_flow(
                Name=name, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
            )["Flow"]["FlowArn"]
        )
        for j in range(OUTPUTS):
            ssm.put_parameter(
                Name=f"/bench/{name}/d{j:02d}", Value=stream_key(i, j), Type="SecureString"
            )
    write_state(root, arns)
    return arns


# CPU seconds of the last `measured` run: the client (all threads), the sandbox server
LAST_CPU = [0.0, 0.0]


def client_cpu() -> float:
    """CPU seconds of this process and of its finished children (a `reconcile plan`)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measured(
    sandbox: Sandbox, rtt_ms: float, run: Callable[[], Any]
) -> tuple[float, dict[str, int], int, str, Any]:
    server_cpu = sandbox.control(latency_ms=rtt_ms, throttle=True, reset=True)["cpu_s"]
    start, error, result = time.perf_counter(), "", None
    cpu = client_cpu()
    try:
        result = run()
    except Exception as e:  # a failed run is a figure too
        error = f"{type(e).__name__}: {e}"[:160]
    seconds = time.perf_counter() - start
    LAST_CPU[0] = client_cpu() - cpu
    counts = sandbox.control(latency_ms=0, throttle=False)
    LAST_CPU[1] = counts["cpu_s"] - server_cpu
    calls = {k: v for k, v in counts["calls"].items() if not k.startswith("?")}
    return seconds, calls, sum(counts["throttled"].values()), error, result


def minimum(flows: int, verb: str, scenario: str, changed: int) -> dict[str, int]:
    """The issue's minimum: 1 DescribeFlow per flow, ⌈keys/10⌉ GetParameters,
    1 AddFlowOutputs per flow with adds, 1 call per update."""
    reads = {"DescribeFlow": flows, "GetParameters": -(-flows * OUTPUTS // 10)}
    if verb == "plan":
        return reads
    if scenario == "all new":
        return {"AddFlowOutputs": flows}
    if scenario == "10 % drift":
        return {"UpdateFlowOutput": changed}
    return {}


def run_size(sandbox: Sandbox, flows: int, rtt_ms: float) -> list[Step]:
    steps: list[Step] = []
    environ = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "state"
        set_up(sandbox, flows, root)
        changed = 0
        for scenario in ("all new", "in sync", "10 % drift"):
            if scenario == "10 % drift":
                changed = drift_state(root)
            seconds, calls, throttled, error, result = measured(
                sandbox, rtt_ms, lambda: compute_plan(root, Aws(), environ).plan
            )
            summary = result.summary() if result is not None else {}
            steps.append(
                Step(scenario, "plan", flows, seconds, calls, throttled,
                     minimum(flows, "plan", scenario, changed), error,
                     {"summary": summary, "cpu": LAST_CPU[0]})
            )  # fmt: skip
            print(f"  {flows} flows, {scenario}, plan: {seconds:.2f} s {calls} 429s={throttled}")
            if result is None:
                continue
            planned = result
            seconds, calls, throttled, error, report = measured(
                sandbox, rtt_ms, functools.partial(apply_plan, planned)
            )
            if report is not None and not report.ok:
                error = error or "apply reported failures"
            steps.append(
                Step(scenario, "apply", flows, seconds, calls, throttled,
                     minimum(flows, "apply", scenario, changed), error, {"cpu": LAST_CPU[0]})
            )  # fmt: skip
            print(f"  {flows} flows, {scenario}, apply: {seconds:.2f} s {calls} 429s={throttled}")
        steps.append(per_resource(sandbox, flows, rtt_ms, root))
    return steps


def apply_plan(plan: Any) -> Any:
    return executor.apply(plan, Aws().mediaconnect)


def per_resource(sandbox: Sandbox, flows: int, rtt_ms: float, root: Path) -> Step:
    """The in-sync plan as a per-resource tool reads it: for each output, its flow
    (DescribeFlow) and its tags (ListTagsForResource), one after another, with
    botocore's standard retries. Run for real up to 1 flow; beyond, counted and
    the time estimated from the rate limit (the 5/s bucket bounds it)."""
    arns = [
        line.split("arn: ", 1)[1].strip()
        for path in sorted((root / "flows").glob("*.yaml"))
        for line in path.read_text().splitlines()
        if line.startswith("arn: ")
    ]
    calls = {"DescribeFlow": flows * OUTPUTS, "ListTagsForResource": flows * OUTPUTS}
    if flows > 1:
        tags = calls["ListTagsForResource"]
        estimate = max((tags - 30) / 5, tags * 2 * rtt_ms / 1000)
        return Step("in sync (per-resource model)", "plan", flows, estimate, calls, -1,
                    minimum(flows, "plan", "in sync", 0), "estimated: not run")  # fmt: skip
    client = boto3.client("mediaconnect", region_name=REGION)

    def read_each() -> None:
        for arn in arns:
            for output in client.describe_flow(FlowArn=arn)["Flow"]["Outputs"]:
                client.describe_flow(FlowArn=arn)
                client.list_tags_for_resource(ResourceArn=output["OutputArn"])

    seconds, counted, throttled, error, _ = measured(sandbox, rtt_ms, read_each)
    counted["DescribeFlow"] -= flows  # the first read only finds the outputs' ARNs
    return Step("in sync (per-resource model)", "plan", flows, seconds, counted, throttled,
                minimum(flows, "plan", "in sync", 0), error)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", default="1,20,100", help="comma-separated flow counts")
    parser.add_argument(
        "--compare", type=int, default=20, help="flows planned against 1 at a 200 ms round trip"
    )
    parser.add_argument("--rtt-ms", type=float, default=50.0, help="simulated round trip")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--label", default="this commit")
    args = parser.parse_args()
    sizes = [int(n) for n in args.flows.split(",")]
    started = time.time()
    with sandbox_process() as sandbox:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_ENDPOINT_URL=sandbox.endpoint,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            RECONCILE_FLOW_WAIT_DELAY="0.2",
        )
        os.environ.pop("AWS_PROFILE", None)
        steps: list[Step] = []
        for flows in sizes:
            print(f"== {flows} flow(s) x {OUTPUTS} outputs, round trip {args.rtt_ms:g} ms")
            steps += run_size(sandbox, flows, args.rtt_ms)
        print(f"== round trip 200 ms: in-sync plan, 1 vs {args.compare} flows")
        slow = slow_comparison(sandbox, args.compare)
    print("== start-up and pure planner")
    extra = startup.measure()
    from bench.report import write_report

    write_report(args.out, steps, slow, extra, rtt_ms=args.rtt_ms, label=args.label,
                 elapsed=time.time() - started, machine=describe_machine())  # fmt: skip
    print(f"wrote {args.out}")
    return 0


def slow_comparison(sandbox: Sandbox, many: int, rtt_ms: float = 200.0) -> list[Step]:
    """The in-sync plan of 1 flow against `many` flows under a long round trip
    (median of RUNS_EACH): in this process (`compute_plan`) and as the command a
    user runs (`reconcile plan`, a fresh process), at Parameter Store's standard
    throughput (the tool's default pace, and the sandbox's quota) and at its
    higher one (`RECONCILE_SSM_THROUGHPUT=higher`)."""
    steps: list[Step] = []
    for flows in (1, many):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "state"
            set_up(sandbox, flows, root)
            executor.apply(compute_plan(root, Aws(), dict(os.environ)).plan, Aws().mediaconnect)
            for throughput in ("standard", "higher"):
                sandbox.control(ssm_higher_throughput=throughput == "higher")
                environ = {**os.environ, "RECONCILE_SSM_THROUGHPUT": throughput}
                for where, run in (
                    ("in process", functools.partial(plan_in_process, root, environ)),
                    ("command", functools.partial(plan_command, root, environ)),
                ):
                    seconds, calls, throttled, error, cpu, server = median_run(sandbox, rtt_ms, run)
                    local = median_run(sandbox, 0.0, run)[0]  # the same without the round trips
                    print(
                        f"  {flows} flows in sync at {rtt_ms:g} ms, {where}, SSM {throughput}: "
                        f"{seconds:.2f} s, {local:.2f} s at 0 ms "
                        f"(CPU: client {cpu:.2f} s, sandbox {server:.2f} s)"
                    )
                    steps.append(
                        Step("in sync", "plan", flows, seconds, calls, throttled,
                             minimum(flows, "plan", "in sync", 0), error,
                             {"where": where, "ssm": throughput, "cpu": cpu,
                              "server_cpu": server, "at_0_ms": local})
                    )  # fmt: skip
    sandbox.control(ssm_higher_throughput=False)
    return steps


RUNS_EACH = 5


def median_run(
    sandbox: Sandbox, rtt_ms: float, run: Callable[[], Any]
) -> tuple[float, dict[str, int], int, str, float, float]:
    """`measured` RUNS_EACH times: the run of median wall time, with its CPU times."""
    samples = []
    for _ in range(RUNS_EACH):
        seconds, calls, throttled, error, _ = measured(sandbox, rtt_ms, run)
        samples.append((seconds, calls, throttled, error, *LAST_CPU))
    return sorted(samples, key=lambda sample: sample[0])[RUNS_EACH // 2]


def plan_in_process(root: Path, environ: dict[str, str]) -> None:
    higher = environ["RECONCILE_SSM_THROUGHPUT"] == "higher"
    compute_plan(root, Aws(Clients(ssm_higher_throughput=higher)), environ)


def plan_command(root: Path, environ: dict[str, str]) -> None:
    """`reconcile plan` in a fresh process; an in-sync plan exits 0."""
    done = subprocess.run(
        startup.reconcile("plan", "--state", str(root)),
        env={**environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-120:]}")


def describe_machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at the start of the report"
    )


if __name__ == "__main__":
    sys.exit(main())
