"""Issue 11: saved plans that are malformed or stale say why in one line; plans
in colour on a terminal; waits show progress; bad arguments are one-line errors
(in-process, against the sandbox)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import FLOW_NAME

pytestmark = pytest.mark.usefixtures("aws_calls")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- saved plans ------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path, state_dir, flow_arn):
    path = tmp_path / "plan.json"
    result = run("plan", "--state", str(state_dir), "--out", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Saved the plan; apply it with: reconcile apply {path} --state {state_dir}\n"
    )
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("salt"), "`salt` must be a string of hexadecimal digits"),
        (lambda d: d.update(salt="not-hex"), "`salt` must be a string of hexadecimal digits"),
        (lambda d: d.update(secrets="x"), "`secrets` must be a list of"),
        (lambda d: d.update(flows=None), "`flows` must be a list of"),
        (lambda d: d.pop("plan_fingerprint"), "`plan_fingerprint` must be a string"),
        (lambda d: d["flows"][0].pop("fingerprint"), "`flows` must be a list of"),
    ],
)
def test_a_malformed_saved_plan_is_one_line(saved, state_dir, aws_calls, edit, message):
    document = json.loads(saved.read_text())
    edit(document)
    saved.write_text(json.dumps(document))
    aws_calls.clear()
    result = run("apply", str(saved), "--state", str(state_dir))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"error: {saved}: not a usable saved plan: {message}"
        + (result.stderr.split(message, 1)[1])
    )
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("; plan again\n")
    assert aws_calls.calls == []


def test_a_stale_plan_names_the_files_that_changed(saved, state_dir, aws_calls):
    path = state_dir / "destinations" / "restream.yaml"
    path.write_text(path.read_text() + "enabled: false\n")
    (state_dir / "destinations" / "linkedin.yaml").unlink()
    aws_calls.clear()
    result = run("apply", str(saved), "--state", str(state_dir))
    assert result.exit_code == 1
    assert (
        "the state files changed since the plan was made "
        "(destinations/linkedin.yaml removed, destinations/restream.yaml changed)"
    ) in result.stderr
    assert aws_calls.writes() == []


# --- clarity: colour, progress -----------------------------------------------------


def test_plan_colours_only_on_a_terminal(monkeypatch, state_dir, flow_arn):
    from reconciler.cli import common

    assert "\x1b[" not in run("plan", "--state", str(state_dir)).stdout  # not a terminal
    monkeypatch.setattr(common, "colour_wanted", lambda: True)
    coloured = run("plan", "--state", str(state_dir)).stdout
    # the add's line, its monthly cost (docs/cost.md) included, is green
    assert re.search(r"  \x1b\[32m\+ add      youtube-main  \(\+\$[\d,.]+/month\)\x1b\[0m", coloured)


@pytest.mark.parametrize(
    ("environment", "terminal", "wanted"),
    [
        ({}, True, True),
        ({"NO_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
        ({}, False, False),
    ],
)
def test_colour_is_wanted_only_on_a_terminal(monkeypatch, environment, terminal, wanted):
    import io

    from reconciler.cli import common

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    stdout = io.StringIO()
    stdout.isatty = lambda: terminal  # type: ignore[method-assign]
    monkeypatch.setattr(common.sys, "stdout", stdout)
    assert common.colour_wanted() is wanted


def test_coloured_plan_marks_each_action():
    from reconciler.render.colour import coloured_plan

    text = "Flow f\n  + add      a\n  ~ update   b\n  - remove   c\n  ± replace  d\n      Port  1\n"
    assert coloured_plan(text).splitlines()[1:] == [
        "  \x1b[32m+ add      a\x1b[0m",
        "  \x1b[33m~ update   b\x1b[0m",
        "  \x1b[31m- remove   c\x1b[0m",
        "  \x1b[35m± replace  d\x1b[0m",
        "      Port  1",
    ]


def test_a_long_wait_shows_progress_on_stderr(state_dir, sandbox, flow_arn, monkeypatch):
    from reconciler.sandbox.mediaconnect import settings as sandbox_settings

    run("apply", "--state", str(state_dir), "--auto-approve")
    for name in ("restream", "linkedin"):
        path = state_dir / "destinations" / f"{name}.yaml"
        path.write_text(path.read_text() + "enabled: false\n")
    monkeypatch.setattr(sandbox_settings, "updating_describes", 2)
    monkeypatch.setenv("RECONCILE_FLOW_WAIT_DELAY", "0.01")
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert f"waiting for {FLOW_NAME} (UPDATING, 0 s)" in result.stderr


# --- one-line errors for bad arguments ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flow", "arn:"], "--flow 'arn:' is not a MediaConnect flow ARN"),
        (["--flow", "arn:aws:s3:::bucket"], "is not a MediaConnect flow ARN"),
        (["--flow", FLOW_NAME, "--region", "bad region!"], "is not an AWS Region name"),
        (["--flow", FLOW_NAME, "--region", "us-west-9"], "'us-west-9' is not an AWS Region"),
    ],
)
def test_import_rejects_bad_flow_arns_and_regions(state_dir, aws_calls, args, message):
    aws_calls.clear()
    result = run("import", "--state", str(state_dir), *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert aws_calls.calls == []


def test_iam_policy_wants_a_12_digit_account(state_dir):
    result = CliRunner().invoke(main, ["iam-policy", "--state", str(state_dir), "--account", "abc"])
    assert result.exit_code == 1
    assert "'abc' is not an AWS account ID (12 digits)" in result.stderr
    assert result.stdout == ""


def test_an_environment_key_that_is_not_utf8_is_a_file_line_error(state_dir, flow_arn, monkeypatch):
    path = state_dir / "destinations" / "restream.yaml"
    text = path.read_text()
    start = text.index("stream_key:")
    end = text.index("\n", start)
    path.write_text(text[:start] + "stream_key: {env: RESTREAM_KEY}" + text[end:])
    monkeypatch.setenv("RESTREAM_KEY", "key-\udcff")
    result = run("plan", "--state", str(state_dir))
    assert result.exit_code == 1
    assert "environment variable is not valid UTF-8" in result.stderr
    assert result.stderr.startswith(f"{path}:") or result.stderr.startswith(f"error: {path}:")
    assert "Traceback" not in result.stderr and "key-" not in result.stderr
