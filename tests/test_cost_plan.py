"""Cost in the plan and the budget guard, through the CLI against the sandbox.

The sandbox's flow reports a source MaxBitrate of 50 Mb/s; the flow file here
declares 10 Mb/s, so each enabled destination is 3,059.4 GB a month, $275.35.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import FLOW_NAME

ONE_STREAM = 275.35


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def flow_arn(sandbox) -> str:
    return sandbox.create_flow()


def set_flow(state_dir, **extra) -> None:
    path = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    path.write_text(path.read_text() + "".join(f"{k}: {v}\n" for k, v in extra.items()))


def test_plan_text_shows_each_changes_cost_and_the_total(state_dir, flow_arn, stream_keys):
    set_flow(state_dir, bitrate_mbps=10)
    out = run("plan", "--state", str(state_dir)).stdout
    assert f"+ add      custom-rtmp  (+${ONE_STREAM}/month)" in out  # the first add
    gb = 3_285_000_000_000 / 2**30
    fourth = (10_240 - 3 * gb) * 0.09 + (4 * gb - 10_240) * 0.085  # crosses into the next tier
    assert f"+ add      youtube-main  (+${fourth:.2f}/month)" in out
    added = 10_240 * 0.09 + (4 * gb - 10_240) * 0.085
    assert (
        f"Cost: This plan adds ${added:,.2f}/month (new total ${116.80 + added:,.2f}/month)" in out
    )


def test_plan_json_carries_cost_numbers(state_dir, flow_arn, stream_keys):
    set_flow(state_dir, bitrate_mbps=10)
    document = json.loads(run("plan", "--state", str(state_dir), "--format", "json").stdout)
    assert document["cost"]["currency"] == "USD"
    assert document["cost"]["monthly_before"] == 116.8
    assert isinstance(document["cost"]["monthly_delta"], float)
    deltas = [c["cost"]["monthly_delta"] for c in document["changes"]]
    assert deltas[0] == ONE_STREAM
    assert sum(deltas) == pytest.approx(document["cost"]["monthly_delta"], abs=0.02)


def test_plan_uses_the_sources_max_bitrate_when_none_is_declared(state_dir, flow_arn, stream_keys):
    out = run("plan", "--state", str(state_dir), "--format", "json").stdout
    change = json.loads(out)["changes"][0]
    gb = 5 * 3_285_000_000_000 / 2**30  # 50 Mb/s: 15,297 GB, over the first 10 TB tier
    assert change["cost"]["monthly_delta"] == round(10_240 * 0.09 + (gb - 10_240) * 0.085, 2)


def test_plan_markdown_first_line_is_the_cost(state_dir, flow_arn, stream_keys):
    set_flow(state_dir, bitrate_mbps=10)
    for name in ("linkedin", "custom-rtmp"):
        (state_dir / "destinations" / f"{name}.yaml").unlink()
    text = run("plan", "--state", str(state_dir), "--format", "markdown").stdout
    assert text.splitlines()[0] == "💰 **This plan adds $550.69/month (new total $667.49/month).**"
    assert f"+ add <b>+${ONE_STREAM}/month</b>" in text


def test_budget_crossed_is_shown_exit_2_and_apply_refuses(
    state_dir, flow_arn, stream_keys, sandbox, tmp_path
):
    set_flow(state_dir, bitrate_mbps=10, budget_usd_month=500)
    plan = run(
        "plan", "--state", str(state_dir), "--detailed-exitcode", "--out", str(tmp_path / "p.json")
    )
    assert plan.exit_code == 2
    assert "OVER BUDGET: flow lunora-player-prod-rtmp-router:" in plan.stdout
    assert "would exceed its budget of $500.00/month" in plan.stdout
    md = run("plan", "--state", str(state_dir), "--format", "markdown").stdout
    assert "⚠️ **Over budget:**" in md
    doc = json.loads(run("plan", "--state", str(state_dir), "--format", "json").stdout)
    assert doc["cost"]["budgets"][0]["crossed"] is True

    for args in (
        ["apply", "--state", str(state_dir), "--auto-approve"],
        [
            "apply",
            str(tmp_path / "p.json"),
            "--state",
            str(state_dir),
            "--report",
            str(tmp_path / "r.json"),
        ],
    ):
        refused = run(*args)
        assert refused.exit_code == 1
        assert "Nothing was applied; give --accept-cost" in refused.stderr
        assert sandbox.outputs(flow_arn) == {}
        assert not (tmp_path / "r.json").exists()

    accepted = run("apply", "--state", str(state_dir), "--auto-approve", "--accept-cost")
    assert accepted.exit_code == 0, accepted.output
    assert len(sandbox.outputs(flow_arn)) == 4


def test_budget_not_crossed_applies_without_accept_cost(state_dir, flow_arn, stream_keys, sandbox):
    set_flow(state_dir, bitrate_mbps=10, budget_usd_month=2000)
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "budget: flow lunora-player-prod-rtmp-router:" in result.stdout
