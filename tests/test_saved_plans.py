"""Saved plans and audit reports: what was reviewed is what runs, or nothing does."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def flow_arn(sandbox, stream_keys):
    return sandbox.create_flow()


@pytest.fixture
def saved(tmp_path, state_dir, flow_arn):
    path = tmp_path / "plan.json"
    result = run("plan", "--state", str(state_dir), "--out", str(path))
    assert result.exit_code == 0, result.output
    return path


def assert_no_keys(text: str) -> None:
    for key in EXAMPLE_KEYS.values():
        assert key not in text


def test_saved_plan_names_flows_changes_and_references_but_no_key(saved, flow_arn):
    text = saved.read_text()
    assert_no_keys(text)
    document = json.loads(text)
    assert (document["format"], document["version"]) == ("mediaconnect-reconciler/plan", 3)
    assert document["flows"] == [
        {
            "name": FLOW_NAME,
            "region": "us-west-2",
            "arn": flow_arn,
            "status": "STANDBY",
            "fingerprint": document["flows"][0]["fingerprint"],
            "max_removals": 3,  # what the removal guard read, for `show`
            "owned": [],
        }
    ]
    assert document["summary"] == {"add": 4, "update": 0, "replace": 0, "remove": 0, "adopt": 0}
    refs = {s["output"]: s["reference"] for s in document["secrets"]}
    assert refs["youtube-main"] == "{ssm: /lunora/streaming/youtube-main/stream-key}"
    # an SSM key is recorded as its parameter's version: nothing to test guesses against
    assert all(s["fingerprint"] == "ssm-version:1" for s in document["secrets"])
    assert "hmac" not in text
    assert document["git"] is None  # the state copy is not in a git work tree


def test_applying_the_saved_plan_makes_exactly_its_changes(
    saved, state_dir, sandbox, flow_arn, aws_calls
):
    aws_calls.clear()
    result = run("apply", str(saved), "--state", str(state_dir))  # no prompt: it was reviewed
    assert result.exit_code == 0, result.output
    assert aws_calls.writes() == ["AddFlowOutputs", "TagResource"]  # + ownership manifest
    assert len(sandbox.outputs(flow_arn)) == 4
    assert run("plan", "--state", str(state_dir), "--detailed-exitcode").exit_code == 0


def refused(result, reason: str) -> None:
    assert result.exit_code == 1
    assert result.stderr.startswith("error: refusing to apply ")
    assert reason in result.stderr and "Nothing was applied; plan again." in result.stderr


def test_stale_state_files_are_refused(saved, state_dir, sandbox, flow_arn, aws_calls):
    path = state_dir / "destinations" / "restream.yaml"
    path.write_text(path.read_text() + "enabled: false\n")
    aws_calls.clear()
    refused(run("apply", str(saved), "--state", str(state_dir)), "the state files changed")
    assert aws_calls.writes() == [] and sandbox.outputs(flow_arn) == {}


def test_a_flow_changed_since_the_plan_is_refused(saved, state_dir, sandbox, flow_arn, aws_calls):
    sandbox.add_hand_made_output(flow_arn)
    aws_calls.clear()
    refused(run("apply", str(saved), "--state", str(state_dir)), f"flow '{FLOW_NAME}' changed")
    assert aws_calls.writes() == []


def test_a_rotated_key_is_refused(saved, state_dir, sandbox, aws_calls):
    sandbox.put_key("/lunora/streaming/linkedin/stream-key", "rotated-after-review")
    aws_calls.clear()
    result = run("apply", str(saved), "--state", str(state_dir))
    refused(
        result,
        "the stream key of lunora-player-prod-rtmp-router/linkedin ({ssm: /lunora/streaming/linkedin/stream-key}) changed",
    )
    assert "rotated-after-review" not in result.output
    assert aws_calls.writes() == []


def test_plan_key_must_be_given_at_apply_too(tmp_path, state_dir, flow_arn, monkeypatch):
    path = tmp_path / "keyed.json"
    monkeypatch.setenv("RECONCILE_PLAN_KEY", "pepper")
    run("plan", "--state", str(state_dir), "--out", str(path))
    monkeypatch.delenv("RECONCILE_PLAN_KEY")
    refused(run("apply", str(path), "--state", str(state_dir)), "RECONCILE_PLAN_KEY")
    monkeypatch.setenv("RECONCILE_PLAN_KEY", "pepper")
    assert run("apply", str(path), "--state", str(state_dir)).exit_code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a saved plan (invalid JSON)"),
        ('{"format": "something-else"}', "not a saved plan (made with `reconcile plan --out`)"),
        (
            '{"format": "mediaconnect-reconciler/plan", "version": 99}',
            "saved plan format version 99 is not supported",
        ),
    ],
)
def test_not_a_plan_file_is_one_clear_line(tmp_path, state_dir, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    result = run("apply", str(path), "--state", str(state_dir))
    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: {message}" + (
        " (this reconcile reads version 3); plan again\n" if "99" in content else "\n"
    )


def test_git_commit_of_the_state_is_recorded(tmp_path, state_dir, flow_arn):
    git = ["git", "-C", str(state_dir)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run(
        [*git, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "state"],
        check=True,
    )
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    path = tmp_path / "p.json"
    run("plan", "--state", str(state_dir), "--out", str(path))
    assert json.loads(path.read_text())["git"] == {"commit": head, "dirty": False}


def test_audit_report_lists_caller_calls_and_results(tmp_path, saved, state_dir, flow_arn):
    report_path = tmp_path / "audit.json"
    result = run("apply", str(saved), "--state", str(state_dir), "--report", str(report_path))
    assert result.exit_code == 0
    text = report_path.read_text()
    assert_no_keys(text)
    report = json.loads(text)
    assert report["caller"]["Account"] == "123456789012"
    assert report["ok"] is True and report["plan_file"] == str(saved)
    assert report["plan_fingerprint"].startswith("sha256:")
    assert {r["output"]: r["outcome"] for r in report["results"]} == {
        "custom-rtmp": "done",
        "linkedin": "done",
        "restream": "done",
        "youtube-main": "done",
    }
    operations = [c["operation"] for c in report["calls"]]
    assert "AddFlowOutputs" in operations and "DescribeFlow" in operations
    add = next(c for c in report["calls"] if c["operation"] == "AddFlowOutputs")
    assert (
        add["error"] is None
        and "outputs=custom-rtmp,linkedin,restream,youtube-main" in add["resource"]
    )
    assert all(r["output_arn"].startswith("arn:aws:mediaconnect:") for r in report["results"])
