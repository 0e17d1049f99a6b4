"""Change freezes end to end against the sandbox, on a frozen clock: apply is
refused inside a window with nothing written, goes through with --break-glass
(reason and caller in the audit report), and `plan` says when windows open
and close."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from reconciler.app import clock
from reconciler.cli import main
from tests.conftest import FLOW_NAME

pytestmark = pytest.mark.usefixtures("aws_calls")

# Saturday 28 November 2026: the show runs 18:00-23:00 London time (GMT then).
BEFORE_SHOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DURING_SHOW = datetime(2026, 11, 28, 19, 30, tzinfo=UTC)
FREEZE = """freeze:
  - reason: Saturday live show
    days: [sat]
    from: "18:00"
    to: "23:00"
    timezone: Europe/London
    allow: [disable]
"""


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def set_clock(monkeypatch):
    def setter(when: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: when)

    return setter


@pytest.fixture
def frozen_state(state_dir, sandbox, stream_keys, set_clock):
    """The example state applied before the show, with a Saturday-show window."""
    flow_arn = sandbox.create_flow()
    set_clock(BEFORE_SHOW)
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(flow_file.read_text() + FREEZE)
    return flow_arn


def edit_description(state_dir, name: str = "restream") -> None:
    path = state_dir / "destinations" / f"{name}.yaml"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("description:")]
    path.write_text("\n".join([*lines, "description: moved during the show", ""]))


def test_apply_inside_a_window_is_refused_with_nothing_written(
    state_dir, sandbox, frozen_state, set_clock, aws_calls
):
    edit_description(state_dir)
    set_clock(DURING_SHOW)
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert "is in change freeze 'Saturday live show'" in result.stderr
    assert "until 2026-11-28 23:00 UTC" in result.stderr
    assert "not allowed: update restream" in result.stderr
    assert '--break-glass "REASON"' in result.stderr
    assert aws_calls.writes() == []
    assert sandbox.outputs(frozen_state)["restream"]["Description"] != "moved during the show"


def test_the_same_apply_outside_the_window_goes_through(state_dir, frozen_state, set_clock):
    edit_description(state_dir)
    set_clock(datetime(2026, 11, 28, 23, 0, tzinfo=UTC))  # the window has just closed
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0


def test_break_glass_applies_and_the_report_says_why_and_who(
    tmp_path, state_dir, sandbox, frozen_state, set_clock
):
    edit_description(state_dir)
    set_clock(DURING_SHOW)
    report = tmp_path / "audit.json"
    result = run(
        "apply", "--state", str(state_dir), "--auto-approve",
        "--break-glass", "INC-42: restream ingest moved", "--report", str(report),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sandbox.outputs(frozen_state)["restream"]["Description"] == "moved during the show"
    glass = json.loads(report.read_text())["guardrails"]["break_glass"]
    assert glass["reason"] == "INC-42: restream ingest moved"
    assert glass["caller"]["Account"] == "123456789012"
    assert glass["at"] == DURING_SHOW.isoformat()
    (window,) = glass["windows"]
    assert window["reason"] == "Saturday live show"
    assert window["end"] == "2026-11-28T23:00:00+00:00"
    assert window["blocked"] == [{"action": "update", "output": "restream"}]


def test_a_blank_break_glass_reason_is_refused(state_dir, frozen_state, set_clock, aws_calls):
    edit_description(state_dir)
    set_clock(DURING_SHOW)
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve", "--break-glass", " ")
    assert result.exit_code == 1 and "--break-glass needs a reason" in result.stderr
    assert aws_calls.writes() == []


def test_an_allowed_action_goes_through_the_window(
    state_dir, sandbox, frozen_state, set_clock, aws_calls
):
    set_clock(DURING_SHOW)
    assert run("disable", "restream", "--state", str(state_dir)).exit_code == 0
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert aws_calls.writes() == ["UpdateFlowOutput"]
    # but enabling it again is not in `allow`
    assert run("enable", "restream", "--state", str(state_dir)).exit_code == 0
    refused = run("apply", "--state", str(state_dir), "--auto-approve")
    assert refused.exit_code == 1 and "not allowed: enable restream" in refused.stderr


def test_plan_says_when_the_window_ends_or_next_opens(state_dir, frozen_state, set_clock):
    set_clock(DURING_SHOW)
    inside = run("plan", "--state", str(state_dir)).stdout.splitlines()[0]
    assert inside.startswith(
        f"!! CHANGE FREEZE: flow {FLOW_NAME} is frozen until 2026-11-28 23:00 UTC"
    )
    set_clock(BEFORE_SHOW)
    before = run("plan", "--state", str(state_dir), "--format", "markdown").stdout.splitlines()[0]
    assert "Next change freeze on flow" in before
    assert "from 2026-11-28 18:00 UTC until 2026-11-28 23:00 UTC" in before
    document = json.loads(run("plan", "--state", str(state_dir), "--format", "json").stdout)
    (notice,) = document["guards"]["freeze"]
    assert (notice["open"], notice["start"]) == (False, "2026-11-28T18:00:00+00:00")


def test_a_plan_saved_before_the_window_is_refused_inside_it(
    tmp_path, state_dir, frozen_state, set_clock, aws_calls
):
    edit_description(state_dir)
    saved = tmp_path / "plan.json"
    assert run("plan", "--state", str(state_dir), "--out", str(saved)).exit_code == 0
    set_clock(DURING_SHOW)
    aws_calls.clear()
    result = run("apply", str(saved), "--state", str(state_dir))
    assert result.exit_code == 1 and "change freeze" in result.stderr
    assert aws_calls.writes() == []


def test_freeze_status_lists_windows_per_flow(state_dir, frozen_state, set_clock):
    set_clock(DURING_SHOW)
    result = run("freeze", "status", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert f"Flow {FLOW_NAME} (max_removals: 3)" in result.stdout
    assert "'Saturday live show': every sat 18:00 to 23:00 Europe/London; allowed: disable" in (
        result.stdout
    )
    assert "OPEN NOW, until 2026-11-28 23:00 UTC" in result.stdout
    set_clock(BEFORE_SHOW)
    document = json.loads(
        run("freeze", "status", "--state", str(state_dir), "--format", "json").stdout
    )
    (window,) = document["flows"][0]["windows"]
    assert (window["state"], window["start"]) == ("upcoming", "2026-11-28T18:00:00+00:00")
