"""`make bench`'s harness, run small (2 flows x 5 outputs, no simulated round trip),
so that a change which breaks it, or breaks a call-count target it measures,
fails here rather than on the next benchmark run."""

from __future__ import annotations

import pytest

from bench import report
from bench import run as bench


@pytest.fixture
def bench_sandbox(monkeypatch):
    monkeypatch.setattr(bench, "OUTPUTS", 5)
    with bench.sandbox_process() as sandbox:
        monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint)
        monkeypatch.setenv("RECONCILE_FLOW_WAIT_DELAY", "0.2")
        yield sandbox


def test_the_bench_measures_every_scenario_at_its_minimum_of_calls(bench_sandbox, tmp_path):
    steps = bench.run_size(bench_sandbox, 2, rtt_ms=0)
    run = {(s.scenario, s.verb): s for s in steps if s.scenario != "in sync (per-resource model)"}
    assert [k for k, s in run.items() if s.error] == []
    assert all(s.throttled == 0 for s in run.values())
    in_sync = run["in sync", "plan"]
    # 2 MediaConnect calls per flow (the flow and its ownership manifest); 10 keys, 1 batch
    assert in_sync.calls == {"DescribeFlow": 2, "ListTagsForResource": 2, "GetParameters": 1}
    assert run["all new", "apply"].calls == {"AddFlowOutputs": 2, "TagResource": 2}
    assert run["10 % drift", "apply"].calls == {"UpdateFlowOutput": 1}  # 1 output in 10
    assert run["in sync", "apply"].calls == {}

    extra = {"click_ms": 50.0, "help_ms": 60.0, "validate_5_ms": 100.0,
             "validate_1000_ms": 300.0, "help_heavy": [], "validate_heavy": [],
             "planner_1000_ms": 3.0}  # fmt: skip
    out = tmp_path / "BENCHMARKS.md"
    report.write_report(out, steps, [], extra, rtt_ms=0.1, label="test", elapsed=1, machine="m")
    text = out.read_text()
    assert "- In-sync plan, 2 flow(s): 2 MediaConnect calls per flow (target ≤ 2): **met**" in text
    assert "- Throttles received by apply: 0 (target 0): **met**" in text
