"""Start-up of `reconcile --help` and `reconcile validate`, and the pure planner's CPU time."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HEAVY = ("boto3", "botocore", "deepdiff", "moto", "ruamel")
RUNS = 7


def _wall(argv: list[str], runs: int = RUNS) -> float:
    """Median wall time of `argv` in milliseconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def reconcile(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from reconciler.cli import main; main()", *args]


def heavy_imports(*args: str) -> list[str]:
    """Top-level packages from HEAVY that `reconcile ARGS` imports (python -X importtime)."""
    found = subprocess.run(
        [sys.executable, "-X", "importtime", *reconcile(*args)[1:]],
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in found.splitlines()}
    return sorted(n for n in names if n in HEAVY)


def write_destinations(root: Path, count: int) -> None:
    (root / "flows").mkdir(parents=True)
    (root / "destinations").mkdir()
    (root / "flows" / "f.yaml").write_text("name: f\nregion: us-west-2\n")
    flows = (count + 49) // 50
    for i in range(flows):
        (root / "flows" / f"f{i}.yaml").write_text(f"name: f{i}\nregion: us-west-2\n")
    for i in range(count):
        (root / "destinations" / f"d{i}.yaml").write_text(
            f"name: d{i % 50}\nflow: f{i // 50}\nurl: rtmp://ingest-{i}.example.com/live\n"
            f"stream_key: {{env: KEY_{i}}}\ndescription: destination {i}\n"
        )


def planner_cpu_ms(flows: int = 20, outputs: int = 50, repeats: int = 20) -> float:
    """CPU time of `planner.plan` for flows x outputs, all in sync (median, ms)."""
    from reconciler.core import planner
    from reconciler.core.errors import Location
    from reconciler.core.models import DesiredOutput, FlowSpec, LiveFlow, LiveOutput

    specs = [FlowSpec(f"f{i}", "us-west-2", Location(Path("f"), 1)) for i in range(flows)]
    desired = [
        DesiredOutput(
            f"d{j}",
            f"f{i}",
            Location(Path("d"), 1),
            {"Protocol": "rtmp-push", "Destination": f"h{j}", "Port": 1935, "Description": "x"},
        )
        for i in range(flows)
        for j in range(outputs)
    ]
    observed = {
        s.name: LiveFlow(
            s.name,
            f"arn:{s.name}",
            "us-west-2",
            "ACTIVE",
            tuple(
                LiveOutput(d.name, f"arn:{s.name}:{d.name}", d.fields, managed=True)
                for d in desired
                if d.flow == s.name
            ),
        )
        for s in specs
    }
    samples = []
    for _ in range(repeats):
        start = time.process_time()
        planner.plan(specs, desired, observed)
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        write_destinations(small, 5)
        write_destinations(large, 1000)
        return {
            "click_ms": _wall([sys.executable, "-c", "import click"]),
            "help_ms": _wall(reconcile("--help")),
            "validate_5_ms": _wall(reconcile("validate", "--state", str(small))),
            "validate_1000_ms": _wall(reconcile("validate", "--state", str(large)), runs=3),
            "help_heavy": heavy_imports("--help"),
            "validate_heavy": heavy_imports("validate", "--state", str(small)),
            "planner_1000_ms": planner_cpu_ms(),
        }
