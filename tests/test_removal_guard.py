"""The mass-removal guard, end to end against the sandbox: deleting every
destination (or many) is shown loudly and refused by apply, with nothing
written, unless `--allow-removals N` covers what is planned."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import FLOW_NAME

pytestmark = pytest.mark.usefixtures("aws_calls")

EXAMPLE_OUTPUTS = {"custom-rtmp", "linkedin", "restream", "youtube-main"}


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def applied(state_dir, sandbox, stream_keys):
    """The example state applied: four managed outputs on the flow."""
    flow_arn = sandbox.create_flow()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert set(sandbox.outputs(flow_arn)) == EXAMPLE_OUTPUTS
    return flow_arn


def delete(state_dir, *names: str) -> None:
    for name in names:
        (state_dir / "destinations" / f"{name}.yaml").unlink()


def set_flow_field(state_dir, line: str) -> None:
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(flow_file.read_text() + line + "\n")


def test_delete_all_is_refused_with_nothing_written(state_dir, sandbox, applied, aws_calls):
    delete(state_dir, *EXAMPLE_OUTPUTS)
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert "mass-removal guard" in result.stderr
    assert "4 outputs would be removed or replaced (max_removals: 3)" in result.stderr
    assert "no output it owns" in result.stderr
    assert "--allow-removals 4" in result.stderr
    assert aws_calls.writes() == []
    assert set(sandbox.outputs(applied)) == EXAMPLE_OUTPUTS


def test_delete_all_with_too_small_an_allowance_is_refused(state_dir, sandbox, applied, aws_calls):
    delete(state_dir, *EXAMPLE_OUTPUTS)
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve", "--allow-removals", "3")
    assert result.exit_code == 1
    assert "--allow-removals 3 is fewer than the 4 planned" in result.stderr
    assert aws_calls.writes() == []


def test_delete_all_with_allow_removals_applies(state_dir, sandbox, applied):
    delete(state_dir, *EXAMPLE_OUTPUTS)
    result = run("apply", "--state", str(state_dir), "--auto-approve", "--allow-removals", "4")
    assert result.exit_code == 0, result.output
    assert sandbox.outputs(applied) == {}


def test_delete_many_trips_on_count_alone(state_dir, sandbox, applied, aws_calls):
    set_flow_field(state_dir, "max_removals: 2")
    delete(state_dir, "custom-rtmp", "linkedin", "restream")
    aws_calls.clear()
    refused = run("apply", "--state", str(state_dir), "--auto-approve")
    assert refused.exit_code == 1
    assert "3 outputs would be removed or replaced (max_removals: 2)" in refused.stderr
    assert "no output it owns" not in refused.stderr  # youtube-main stays
    assert aws_calls.writes() == []
    allowed = run("apply", "--state", str(state_dir), "--auto-approve", "--allow-removals", "3")
    assert allowed.exit_code == 0, allowed.output
    assert set(sandbox.outputs(applied)) == {"youtube-main"}


def test_removals_within_the_limit_need_no_flag(state_dir, sandbox, applied):
    delete(state_dir, "custom-rtmp", "linkedin", "restream")  # 3 = the default limit
    plan = run("plan", "--state", str(state_dir))
    assert "REMOVAL GUARD" not in plan.stdout
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert set(sandbox.outputs(applied)) == {"youtube-main"}


def test_removing_the_last_owned_output_trips_even_below_the_limit(
    state_dir, sandbox, applied, aws_calls
):
    delete(state_dir, "custom-rtmp", "linkedin", "restream")
    run("apply", "--state", str(state_dir), "--auto-approve")
    delete(state_dir, "youtube-main")
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert "it would be left with no output it owns" in result.stderr
    assert aws_calls.writes() == []


def test_max_removals_zero_guards_every_removal(state_dir, sandbox, applied, aws_calls):
    set_flow_field(state_dir, "max_removals: 0")
    delete(state_dir, "custom-rtmp")
    aws_calls.clear()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 1
    assert aws_calls.writes() == []


def test_prune_flows_obey_the_guard(state_dir, sandbox, applied, aws_calls):
    for i in range(4):
        sandbox.add_hand_made_output(applied, name=f"hand-{i}")
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(flow_file.read_text().replace("prune: false", "prune: true"))
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1 and "max_removals: 3" in result.stderr
    assert aws_calls.writes() == []


def test_every_format_leads_with_the_warning(state_dir, applied):
    delete(state_dir, *EXAMPLE_OUTPUTS)
    text = run("plan", "--state", str(state_dir)).stdout
    assert text.splitlines()[0].startswith("!! REMOVAL GUARD: flow lunora-player-prod-rtmp-router")
    markdown = run("plan", "--state", str(state_dir), "--format", "markdown").stdout
    assert markdown.splitlines()[0].startswith("> **⚠️ REMOVAL GUARD:")
    assert "--allow-removals 4" in markdown.splitlines()[0]
    document = json.loads(run("plan", "--state", str(state_dir), "--format", "json").stdout)
    assert next(iter(document)) == "guards"
    assert document["guards"]["removals"] == {
        "tripped": True,
        "planned": 4,
        "flows": [
            {
                "flow": FLOW_NAME,
                "removals": sorted(EXAMPLE_OUTPUTS),
                "max_removals": 3,
                "leaves_no_output": True,
            }
        ],
    }


def test_saved_plan_records_the_guard_and_apply_rechecks_it(
    tmp_path, state_dir, sandbox, applied, aws_calls
):
    delete(state_dir, *EXAMPLE_OUTPUTS)
    saved = tmp_path / "plan.json"
    assert run("plan", "--state", str(state_dir), "--out", str(saved)).exit_code == 0
    assert json.loads(saved.read_text())["guards"]["removals"]["tripped"] is True
    aws_calls.clear()
    refused = run("apply", str(saved), "--state", str(state_dir))
    assert refused.exit_code == 1 and "--allow-removals 4" in refused.stderr
    assert aws_calls.writes() == []
    allowed = run("apply", str(saved), "--state", str(state_dir), "--allow-removals", "4")
    assert allowed.exit_code == 0, allowed.output
    assert sandbox.outputs(applied) == {}


def test_guard_outcome_goes_into_the_audit_report(tmp_path, state_dir, applied):
    delete(state_dir, *EXAMPLE_OUTPUTS)
    report = tmp_path / "audit.json"
    args = ["--auto-approve", "--allow-removals", "5", "--report", str(report)]
    assert run("apply", "--state", str(state_dir), *args).exit_code == 0
    guard = json.loads(report.read_text())["guardrails"]["removals"]
    assert (guard["tripped"], guard["planned"], guard["allow_removals"]) == (True, 4, 5)


def test_negative_max_removals_is_a_file_and_line_error(state_dir):
    set_flow_field(state_dir, "max_removals: -1")
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 1
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    line = len(flow_file.read_text().splitlines())
    assert f"{flow_file}:{line}: max_removals: violates minimum 0\n" in result.stderr
