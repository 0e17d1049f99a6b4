"""`reconcile show` renders a saved plan with no AWS call; `apply FILE --approved
REVIEWED` applies nothing unless FILE makes exactly REVIEWED's changes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def save(state_dir: Path, path: Path) -> Path:
    result = run("plan", "--state", str(state_dir), "--out", str(path))
    assert result.exit_code == 0, result.output
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def varied(tmp_path, state_dir, sandbox, flow_arn):
    """A saved plan with an update (plain and sensitive), a removal, an unmanaged
    and a protected output, made after a first apply."""
    assert run("apply", "--auto-approve", "--state", str(state_dir)).exit_code == 0
    sandbox.add_hand_made_output(flow_arn)
    sandbox.add_hand_made_output(flow_arn, name="kept")
    edit(state_dir / "flows" / f"{FLOW_NAME}.yaml", "protected: []", "protected: [kept]")
    edit(state_dir / "destinations" / "linkedin.yaml", ":2935/live/7f8e9d", ":2935/live/0a0b0c")
    (state_dir / "destinations" / "restream.yaml").unlink()
    sandbox.put_key("/lunora/streaming/youtube-main/stream-key", "yt-rotated-9999-8888")
    edit(state_dir / "flows" / f"{FLOW_NAME}.yaml", "prune: false", "prune: true")
    return tmp_path / "varied.plan"


def without_cost(output: str, fmt: str) -> str:
    """`plan`'s output less what the cost estimate adds to it (what `show` prints
    of a plan saved before saved plans carried their cost)."""
    if fmt == "json":
        document = json.loads(output)
        document.pop("cost")
        for change in document["changes"]:
            change.pop("cost")
        return json.dumps(document, indent=2) + "\n"
    if fmt == "text":
        output = re.sub(r"  \((?:[+-]?\$[\d,.]+/month|cost unknown)\)(?=\n)", "", output)
        return re.sub(r"\nCost: .*(?:\n  .*)*\n$", "\n", output)
    output = output.split("\n\n", 1)[1]  # the cost line
    output = re.sub(r" <b>(?:[+-]?\$[\d,.]+/month|cost unknown)</b>", "", output)
    return re.sub(
        r"<details><summary>Monthly cost per flow</summary>\n.*?</details>\n\n",
        "",
        output,
        flags=re.S,
    )


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_renders_exactly_what_plan_printed(varied, state_dir, aws_calls, fmt):
    planned = run("plan", "--state", str(state_dir), "--format", fmt, "--out", str(varied))
    assert planned.exit_code == 0, planned.output
    aws_calls.clear()
    shown = run("show", str(varied), "--format", fmt)
    assert shown.exit_code == 0, shown.output
    assert aws_calls.calls == []  # every botocore call in this process is recorded
    # A saved plan carries the cost estimate plan showed (docs/cost.md): `show`
    # prints exactly what plan printed, cost lines included.
    assert shown.stdout == planned.stdout
    for key in [*EXAMPLE_KEYS.values(), "yt-rotated-9999-8888"]:
        assert key not in shown.stdout and key not in varied.read_text()
    if fmt == "text":
        assert "~ update   linkedin" in shown.stdout and "- remove   restream" in shown.stdout


def test_show_needs_no_credentials_and_no_network(varied, state_dir, tmp_path):
    save(state_dir, varied)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    env |= {"AWS_EC2_METADATA_DISABLED": "true", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-c", "from reconciler.cli import main; main()", "show", str(varied)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Plan: 0 to add, 2 to update" in result.stdout
    assert result.stdout.endswith("(new total $5,219.15/month).\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the saved plan"),
        ("{not json", "not a saved plan (invalid JSON)"),
        ('{"format": "mediaconnect-reconciler/plan", "version": 1}', "format version 1"),
        ('{"format": "mediaconnect-reconciler/plan", "version": 3}', "not a usable saved plan: `salt`"),
    ],
)
def test_a_bad_saved_plan_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.plan"
    if content is not None:
        path.write_text(content)
    result = run("show", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_a_corrupt_part_is_one_line_too(varied, state_dir, tmp_path):
    save(state_dir, varied)
    document = json.loads(varied.read_text())
    document["comparable_changes"][0]["action"] = "explode"
    varied.write_text(json.dumps(document))
    result = run("show", str(varied))
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {varied}: not a saved plan")
    assert result.stderr.count("\n") == 1


# --- apply FILE --approved REVIEWED ------------------------------------------


@pytest.fixture
def reviewed(tmp_path, state_dir, flow_arn):
    return save(state_dir, tmp_path / "pr.plan")


def approved_apply(state_dir: Path, main_plan: Path, reviewed: Path):
    return run("apply", str(main_plan), "--approved", str(reviewed), "--state", str(state_dir))


def test_equal_plans_are_applied(tmp_path, state_dir, sandbox, flow_arn, reviewed, aws_calls):
    main_plan = save(state_dir, tmp_path / "main.plan")
    aws_calls.clear()
    result = approved_apply(state_dir, main_plan, reviewed)
    assert result.exit_code == 0, result.output
    # the outputs, then the flow's ownership manifest (docs/ownership.md)
    assert aws_calls.writes() == ["AddFlowOutputs", "TagResource"]
    assert len(sandbox.outputs(flow_arn)) == 4


def refused(result, *lines: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: refusing to apply ")
    assert "differ from the reviewed plan" in result.stderr
    for line in lines:
        assert f"  - {line}\n" in result.stderr, result.stderr
    assert "Nothing was applied." in result.stderr


def test_an_added_change_is_refused(tmp_path, state_dir, sandbox, flow_arn, aws_calls):
    linkedin = state_dir / "destinations" / "linkedin.yaml"
    text = linkedin.read_text()
    linkedin.unlink()
    reviewed = save(state_dir, tmp_path / "pr.plan")
    linkedin.write_text(text)
    main_plan = save(state_dir, tmp_path / "main.plan")
    aws_calls.clear()
    result = approved_apply(state_dir, main_plan, reviewed)
    refused(
        result,
        f"`main.plan` also adds `linkedin` on flow `{FLOW_NAME}` (not in the reviewed plan)",
    )
    assert aws_calls.writes() == [] and sandbox.outputs(flow_arn) == {}


def test_a_removed_change_is_refused(tmp_path, state_dir, sandbox, flow_arn, reviewed, aws_calls):
    (state_dir / "destinations" / "linkedin.yaml").unlink()
    main_plan = save(state_dir, tmp_path / "main.plan")
    aws_calls.clear()
    result = approved_apply(state_dir, main_plan, reviewed)
    refused(
        result, f"the reviewed plan adds `linkedin` on flow `{FLOW_NAME}`; `main.plan` does not"
    )
    assert aws_calls.writes() == [] and sandbox.outputs(flow_arn) == {}


def test_a_changed_field_is_refused(tmp_path, state_dir, sandbox, flow_arn, reviewed, aws_calls):
    edit(state_dir / "destinations" / "linkedin.yaml", ":2935/live/7f8e9d", ":2935/live/0a0b0c")
    main_plan = save(state_dir, tmp_path / "main.plan")
    aws_calls.clear()
    result = approved_apply(state_dir, main_plan, reviewed)
    refused(
        result,
        f"`main.plan` changes `RtmpPushSettings.ApplicationName` of `linkedin` on flow `{FLOW_NAME}` "
        '(none) → "live/0a0b0c"; the reviewed plan (none) → "live/7f8e9d"',
    )
    assert aws_calls.writes() == []


def test_a_rotated_key_is_refused_without_showing_it(
    tmp_path, state_dir, sandbox, flow_arn, reviewed, aws_calls
):
    sandbox.put_key("/lunora/streaming/linkedin/stream-key", "rotated-before-merge")
    main_plan = save(state_dir, tmp_path / "main.plan")
    aws_calls.clear()
    result = approved_apply(state_dir, main_plan, reviewed)
    refused(
        result,
        f"`main.plan` changes `RtmpPushSettings.StreamName` of `linkedin` on flow `{FLOW_NAME}` "
        "to a different value than the reviewed plan (sensitive: compared by fingerprint)",
    )
    assert "rotated-before-merge" not in result.output and "li-aaaa" not in result.output
    assert aws_calls.writes() == []


def test_a_plan_for_another_flow_is_refused(tmp_path, state_dir, sandbox, reviewed, aws_calls):
    document = json.loads(reviewed.read_text())
    for change in document["comparable_changes"]:
        change["flow"] = "another-flow"
    reviewed.write_text(json.dumps(document))
    main_plan = save(state_dir, tmp_path / "main.plan")
    aws_calls.clear()
    result = approved_apply(state_dir, main_plan, reviewed)
    refused(
        result,
        f"`main.plan` also adds `youtube-main` on flow `{FLOW_NAME}` (not in the reviewed plan)",
        "the reviewed plan adds `youtube-main` on flow `another-flow`; `main.plan` does not",
    )
    assert aws_calls.writes() == []


def test_a_recreated_flow_is_refused(tmp_path, state_dir, sandbox, reviewed, aws_calls):
    document = json.loads(reviewed.read_text())
    document["flows"][0]["arn"] += "-old"
    reviewed.write_text(json.dumps(document))
    main_plan = save(state_dir, tmp_path / "main.plan")
    result = approved_apply(state_dir, main_plan, reviewed)
    refused(result)
    assert "-old in the reviewed plan" in result.stderr


def test_a_bad_reviewed_plan_writes_nothing(tmp_path, state_dir, flow_arn, aws_calls):
    main_plan = save(state_dir, tmp_path / "main.plan")
    missing = tmp_path / "pr.plan"
    aws_calls.clear()
    result = approved_apply(state_dir, main_plan, missing)
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {missing}: cannot read")
    assert aws_calls.calls == []


def test_approved_needs_a_plan_file(state_dir, reviewed):
    result = run("apply", "--approved", str(reviewed), "--state", str(state_dir))
    assert result.exit_code == 1 and "--approved needs PLAN_FILE" in result.stderr
