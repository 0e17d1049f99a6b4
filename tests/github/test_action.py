"""The composite action's steps, run by bash as the runner would run them, with
`reconcile` either the real one or a stand-in that exits with a chosen code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

ACTION_DIR = ROOT / ".github" / "actions" / "reconcile"
ACTION = yaml.safe_load((ACTION_DIR / "action.yml").read_text())
STEPS = {s.get("id"): s for s in ACTION["runs"]["steps"]}

STAND_IN = """#!/bin/bash
printf '%s\\n' "$@" > "$ARGV_FILE"
echo "output of reconcile $1"
exit "$STAND_IN_EXIT"
"""


def run_step(tmp_path, reconcile, command, *, args="", fmt="markdown", **env):
    output = tmp_path / "github_output"
    output.write_text("")
    done = subprocess.run(
        # How the runner runs a composite action's `shell: bash` step.
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", STEPS["run"]["run"]],
        cwd=tmp_path,
        env={
            "PATH": os.environ["PATH"],
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(output),
            "RECONCILE": str(reconcile),
            "COMMAND": command,
            "STATE_DIR": "state",
            "FORMAT": fmt,
            "ARGS": args,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs


@pytest.fixture
def stand_in(tmp_path):
    path = tmp_path / "reconcile"
    path.write_text(STAND_IN)
    path.chmod(0o755)
    return path


def test_it_installs_the_repository_it_is_part_of():
    source = STEPS["install"]["env"]["SOURCE"]
    assert source == "${{ github.action_path }}/../../.."
    assert (ACTION_DIR / "../../.." / "pyproject.toml").resolve() == ROOT / "pyproject.toml"


def test_validate_with_the_real_tool_reports_exit_code_0(tmp_path, state_dir):
    done, outputs = run_step(tmp_path, Path(sys.executable).parent / "reconcile", "validate")
    assert done.returncode == 0, done.stderr
    assert outputs["exit-code"] == "0" and outputs["changes"] == "false"
    assert "1 flow(s), 4 destination(s): valid" in Path(outputs["output-file"]).read_text()


def test_an_invalid_state_fails_the_step(tmp_path, state_dir):
    broken = state_dir / "destinations" / "youtube-main.yaml"
    broken.write_text(broken.read_text().replace("url: rtmps://", "url: ftp://"))
    done, outputs = run_step(tmp_path, Path(sys.executable).parent / "reconcile", "validate")
    assert done.returncode == 1
    assert outputs["exit-code"] == "1"
    assert "youtube-main.yaml:" in done.stderr


def test_plan_with_changes_succeeds_says_so_and_passes_the_extra_args(tmp_path, stand_in):
    argv = tmp_path / "argv"
    done, outputs = run_step(
        tmp_path,
        stand_in,
        "plan",
        args=" --out  plan.saved ",
        ARGV_FILE=str(argv),
        STAND_IN_EXIT="2",
    )
    assert done.returncode == 0, done.stderr
    assert outputs["exit-code"] == "2" and outputs["changes"] == "true"
    assert argv.read_text().split("\n")[:-1] == [
        "plan",
        "--state",
        "state",
        "--format",
        "markdown",
        "--detailed-exitcode",
        "--out",
        "plan.saved",
    ]
    assert outputs["output-file"].endswith(".md")  # named for the artifact's reader
    assert Path(outputs["output-file"]).read_text() == "output of reconcile plan\n"
    assert "output of reconcile plan" in done.stdout  # also in the log


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("drift", ["drift", "--state", "state", "--format", "text"]),
        ("apply", ["apply", "--state", "state", "plan.saved", "--report", "r.json"]),
    ],
)
def test_format_goes_only_where_it_belongs(tmp_path, stand_in, command, expected):
    argv = tmp_path / "argv"
    extra = "plan.saved --report r.json" if command == "apply" else ""
    done, _ = run_step(
        tmp_path, stand_in, command, args=extra, fmt="text", ARGV_FILE=str(argv), STAND_IN_EXIT="0"
    )
    assert done.returncode == 0, done.stderr
    assert argv.read_text().split("\n")[:-1] == expected


def test_a_failing_command_fails_the_step_but_still_reports_its_exit_code(tmp_path, stand_in):
    done, outputs = run_step(
        tmp_path, stand_in, "drift", ARGV_FILE=str(tmp_path / "argv"), STAND_IN_EXIT="1"
    )
    assert done.returncode == 1
    assert outputs["exit-code"] == "1" and outputs["changes"] == "false"


def test_an_unknown_command_is_refused(tmp_path, stand_in):
    done, outputs = run_step(tmp_path, stand_in, "destroy")
    assert done.returncode == 1
    assert "::error::command must be install, validate, plan, apply or drift, not 'destroy'" in done.stdout
    assert outputs == {}


def test_the_pre_commit_hook_runs_reconcile_validate_on_state_changes(tmp_path, state_dir):
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "reconcile-validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    paths = ("state/destinations/twitch.yaml", "README.md", "schemas/flow.schema.json")
    assert [p for p in paths if re.search(hook["files"], p)] == ["state/destinations/twitch.yaml"]
    # pre-commit runs the entry from the repository root (here: a copy with state/).
    program, *args = hook["entry"].split()
    command = [shutil.which(program, path=str(Path(sys.executable).parent)), *args]
    ok = subprocess.run(command, cwd=state_dir.parent, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    broken = state_dir / "destinations" / "restream.yaml"
    broken.write_text(broken.read_text().replace("flow: ", "flow: no-such-"))
    bad = subprocess.run(command, cwd=state_dir.parent, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "restream.yaml:" in bad.stderr


def test_install_only_installs_and_runs_no_command(tmp_path, stand_in):
    argv = tmp_path / "argv"
    done, outputs = run_step(tmp_path, stand_in, "install", ARGV_FILE=str(argv), STAND_IN_EXIT="1")
    assert done.returncode == 0, done.stderr
    assert not argv.exists() and outputs == {}
