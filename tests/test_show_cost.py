"""`reconcile show` of a saved plan prints the cost lines `reconcile plan` printed
(the pull-request workflow renders its comment with `show`); the cost is for
display only: it never makes `apply FILE` or `--approved` refuse a plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME
from tests.test_show_and_approved import without_cost


def run(*args: str):
    return CliRunner(env={"NO_COLOR": "1"}).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def adds(state_dir, flow_arn) -> Path:
    """A state whose plan adds the four example outputs, above the flow's budget."""
    path = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    path.write_text(path.read_text() + "bitrate_mbps: 10\nbudget_usd_month: 500\n")
    return state_dir


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_prints_the_cost_plan_printed(adds, tmp_path, aws_calls, fmt):
    saved = tmp_path / "pr.plan"
    planned = run("plan", "--state", str(adds), "--format", fmt, "--out", str(saved))
    assert planned.exit_code == 0, planned.output
    aws_calls.clear()
    shown = run("show", str(saved), "--format", fmt)
    assert shown.exit_code == 0, shown.output
    assert aws_calls.calls == []
    assert shown.stdout == planned.stdout
    expected = {
        "text": ["+ add      custom-rtmp  (+$275.35/month)", "Cost: This plan adds $", "OVER BUDGET"],
        "json": ['"monthly_delta": 275.35', '"crossed": true'],
        "markdown": ["💰 **This plan adds $", "<b>+$275.35/month</b>", "Over budget:"],
    }[fmt]
    for line in expected:
        assert line in shown.stdout
    for key in EXAMPLE_KEYS.values():
        assert key not in saved.read_text()


def test_a_plan_saved_without_its_cost_still_shows_and_applies(
    adds, tmp_path, sandbox, flow_arn
):
    """As saved before plans carried their cost: shown without cost lines, applied."""
    saved = tmp_path / "old.plan"
    planned = run("plan", "--state", str(adds), "--out", str(saved))
    document = json.loads(saved.read_text())
    del document["cost"]
    saved.write_text(json.dumps(document))
    shown = run("show", str(saved))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == without_cost(planned.stdout, "text")
    assert "$" not in shown.stdout
    applied = run("apply", str(saved), "--state", str(adds), "--accept-cost")
    assert applied.exit_code == 0, applied.output
    assert len(sandbox.outputs(flow_arn)) == 4


def test_a_corrupt_cost_is_one_line_for_show_and_no_matter_to_apply(
    adds, tmp_path, sandbox, flow_arn
):
    saved = tmp_path / "bad.plan"
    run("plan", "--state", str(adds), "--out", str(saved))
    document = json.loads(saved.read_text())
    document["cost"]["changes"].pop()  # one change fewer than the plan has
    saved.write_text(json.dumps(document))
    result = run("show", str(saved))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"error: {saved}: not a saved plan (corrupt cost")
    assert result.stderr.count("\n") == 1
    applied = run("apply", str(saved), "--state", str(adds), "--accept-cost")
    assert applied.exit_code == 0, applied.output
    assert len(sandbox.outputs(flow_arn)) == 4


def prices(usd_per_gb: float) -> str:
    """A pricing.yaml for us-west-2 (not a state file: not fingerprinted)."""
    return (
        "regions:\n  us-west-2:\n    flow_usd_per_hour: 0.5\n"
        f"    internet_tiers:\n      - {{usd_per_gb: {usd_per_gb}}}\n"
    )


def test_new_prices_at_apply_neither_stale_the_plan_nor_its_approval(
    state_dir, tmp_path, sandbox, flow_arn
):
    """Prices are not part of what must match: the reviewed plan, the plan
    applied and the apply itself each price the same changes differently, and
    apply goes ahead (it prices the plan it makes again and shows that cost)."""
    reviewed = tmp_path / "pr.plan"
    assert run("plan", "--state", str(state_dir), "--out", str(reviewed)).exit_code == 0
    (state_dir / "pricing.yaml").write_text(prices(0.2))
    main_plan = tmp_path / "main.plan"
    assert run("plan", "--state", str(state_dir), "--out", str(main_plan)).exit_code == 0
    (state_dir / "pricing.yaml").write_text(prices(0.01))
    costs = [json.loads(p.read_text())["cost"]["after"] for p in (reviewed, main_plan)]
    assert costs[0] != costs[1]
    assert run("show", str(reviewed)).stdout != run("show", str(main_plan)).stdout
    result = run("apply", str(main_plan), "--approved", str(reviewed), "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert len(sandbox.outputs(flow_arn)) == 4
