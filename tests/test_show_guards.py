"""`reconcile show` states the plan's guards as `plan` stated them: the removal
guard (tripped or not) and the freeze notices as of when the plan was made.
Apply checks both again when it runs (tests/test_freeze_windows.py,
tests/test_removal_guard.py); the saved plan only records what was shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.app import clock
from reconciler.cli import main
from tests.conftest import FLOW_NAME
from tests.test_freeze_windows import BEFORE_SHOW, DURING_SHOW, FREEZE


def run(*args: str):
    return CliRunner(env={"NO_COLOR": "1"}).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def applied(state_dir, sandbox, stream_keys, monkeypatch) -> Path:
    """The example state applied (four managed outputs), on a clock before the show."""
    monkeypatch.setattr(clock, "now", lambda: BEFORE_SHOW)
    sandbox.create_flow()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    return state_dir


def add_to_flow(state_dir: Path, text: str) -> None:
    path = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    path.write_text(path.read_text() + text)


def plan_and_show(state_dir: Path, saved: Path, fmt: str) -> tuple[str, str]:
    planned = run("plan", "--state", str(state_dir), "--format", fmt, "--out", str(saved))
    assert planned.exit_code == 0, planned.output
    shown = run("show", str(saved), "--format", fmt)
    assert shown.exit_code == 0, shown.output
    return planned.stdout, shown.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
@pytest.mark.parametrize(
    ("when", "notice"),
    [(BEFORE_SHOW, "Next change freeze on flow"), (DURING_SHOW, "CHANGE FREEZE: flow")],
)
def test_show_states_the_freeze_notice_plan_stated(
    applied, tmp_path, monkeypatch, fmt, when, notice
):
    add_to_flow(applied, FREEZE)
    restream = applied / "destinations" / "restream.yaml"
    kept = [line for line in restream.read_text().splitlines() if "description:" not in line]
    restream.write_text("\n".join([*kept, "description: moved during the show", ""]))
    monkeypatch.setattr(clock, "now", lambda: when)
    planned, shown = plan_and_show(applied, tmp_path / "pr.plan", fmt)
    assert shown == planned
    if fmt != "json":
        assert notice in shown and "'Saturday live show'" in shown


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_does_not_trip_the_removal_guard_plan_did_not(applied, tmp_path, fmt):
    """One removal among owned outputs left in place: no guard. (A plan rebuilt
    without the flow's owned outputs looked as if it left the flow with none.)"""
    (applied / "destinations" / "restream.yaml").unlink()
    planned, shown = plan_and_show(applied, tmp_path / "pr.plan", fmt)
    assert shown == planned
    assert "REMOVAL GUARD" not in shown.upper() and '"tripped": true' not in shown


def test_show_uses_the_flows_own_max_removals(applied, tmp_path):
    """Four removals and an add, under `max_removals: 5`: no guard (the default is 3)."""
    add_to_flow(applied, "max_removals: 5\n")
    destinations = applied / "destinations"
    text = (destinations / "linkedin.yaml").read_text()
    (destinations / "backup.yaml").write_text(text.replace("name: linkedin", "name: backup"))
    for name in ("custom-rtmp", "linkedin", "restream", "youtube-main"):
        (destinations / f"{name}.yaml").unlink()
    planned, shown = plan_and_show(applied, tmp_path / "pr.plan", "text")
    assert shown == planned
    assert "4 to remove" in shown and "REMOVAL GUARD" not in shown


def test_show_states_a_tripped_guard_as_plan_did(applied, tmp_path):
    for name in ("custom-rtmp", "linkedin", "restream", "youtube-main"):
        (applied / "destinations" / f"{name}.yaml").unlink()
    planned, shown = plan_and_show(applied, tmp_path / "pr.plan", "text")
    assert shown == planned
    assert shown.startswith("!! REMOVAL GUARD: ") and "--allow-removals 4" in shown
