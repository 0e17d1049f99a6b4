"""`--flow NAME` and `--region R` on plan, apply, drift and status: only those flows
are read, planned and changed; a pattern that matches nothing is an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.core.errors import Location
from reconciler.core.models import FlowSpec, State
from reconciler.core.selection import FlowFilter, NoFlowMatches, select
from tests.conftest import FLOW_NAME

OTHER = "events-eu"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def flow(name: str, region: str) -> FlowSpec:
    return FlowSpec(name, region, Location(Path(f"{name}.yaml"), 1))


def test_globs_choose_flows_by_name_and_region():
    state = State(
        {
            f.name: f
            for f in (
                flow("events-eu", "eu-west-1"),
                flow("events-us", "us-west-2"),
                flow("main", "us-west-2"),
            )
        },
        (),
        fingerprint="abc",
    )
    assert set(select(state, FlowFilter(("events-*",))).flows) == {"events-eu", "events-us"}
    assert set(select(state, FlowFilter(regions=("us-*",))).flows) == {"events-us", "main"}
    both = select(state, FlowFilter(("events-*",), ("eu-west-1",)))
    assert set(both.flows) == {"events-eu"} and both.fingerprint == "abc"
    assert select(state, FlowFilter()) is state
    with pytest.raises(NoFlowMatches, match="--flow evnts-\\*: matches no flow"):
        select(state, FlowFilter(("evnts-*", "main")))


@pytest.fixture
def two_flows(state_dir, sandbox, stream_keys):
    """The example flow and a second one (`events-eu`) with one destination."""
    sandbox.create_flow()
    sandbox.create_flow(OTHER)
    (state_dir / "flows" / f"{OTHER}.yaml").write_text(f"name: {OTHER}\nregion: us-west-2\n")
    (state_dir / "destinations" / "events-backup.yaml").write_text(
        f"name: backup\nflow: {OTHER}\nurl: udp://198.51.100.7:5000\n"
    )
    return state_dir


def test_plan_and_apply_touch_only_the_chosen_flow(two_flows, sandbox, aws_calls):
    aws_calls.clear()
    plan = run("plan", "--state", str(two_flows), "--flow", "events-*")
    assert plan.exit_code == 0, plan.output
    assert "backup" in plan.stdout and "youtube-main" not in plan.stdout
    assert aws_calls.named("DescribeFlow") == 1
    assert run("apply", "--state", str(two_flows), "--flow", OTHER, "--auto-approve").exit_code == 0
    arns = {f["Name"]: f["FlowArn"] for f in sandbox.client.list_flows()["Flows"]}
    assert set(sandbox.outputs(arns[OTHER])) == {"backup"}
    assert sandbox.outputs(arns[FLOW_NAME]) == {}
    drift = run("drift", "--state", str(two_flows), "--flow", OTHER)
    assert drift.exit_code == 0
    assert run("drift", "--state", str(two_flows), "--flow", FLOW_NAME).exit_code == 2
    status = run("status", "--state", str(two_flows), "--flow", OTHER)
    assert status.exit_code == 0 and "youtube-main" not in status.stdout


def test_a_saved_plan_for_some_flows_applies_to_those_only(two_flows, sandbox, tmp_path):
    saved = tmp_path / "plan.json"
    made = run("plan", "--state", str(two_flows), "--flow", OTHER, "--out", str(saved))
    assert made.exit_code == 0, made.output
    refused = run("apply", str(saved), "--state", str(two_flows), "--flow", OTHER)
    assert refused.exit_code == 1 and "a saved plan applies to the flows" in refused.stderr
    applied = run("apply", str(saved), "--state", str(two_flows))
    assert applied.exit_code == 0, applied.output
    arns = {f["Name"]: f["FlowArn"] for f in sandbox.client.list_flows()["Flows"]}
    assert set(sandbox.outputs(arns[OTHER])) == {"backup"}
    assert sandbox.outputs(arns[FLOW_NAME]) == {}


def test_a_region_that_matches_no_flow_is_an_error(two_flows):
    result = run("plan", "--state", str(two_flows), "--region", "eu-*")
    assert result.exit_code == 1
    assert "--region eu-*: matches no flow in the state" in result.stderr
