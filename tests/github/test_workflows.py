"""The GitHub workflows and the composite action: they pass actionlint and
GitHub's own schemas, and keep the promises the README makes about them
(pinned actions, least permissions, no credentials for forks, applies that
never overlap)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / ".github" / "actions" / "reconcile" / "action.yml"


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def on(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as True.
    return workflow.get("on", workflow.get(True))


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def runs(workflow: dict, job: str) -> str:
    return "\n".join(s["run"] for s in steps(workflow, job) if "run" in s)


def tool(name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / name), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_expected_workflows_exist():
    assert [w.name for w in WORKFLOWS] == ["apply.yml", "ci.yml", "drift.yml", "plan.yml"]


def test_actionlint_passes():
    done = tool("actionlint", "-oneline", *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_mistake_in_the_use_of_the_composite_action(tmp_path):
    """actionlint reads the composite action's inputs, so a typo cannot slip through."""
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    drift = tmp_path / ".github" / "workflows" / "drift.yml"
    drift.write_text(drift.read_text().replace("format: text", "formt: text"))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    done = tool("actionlint", "-oneline", cwd=tmp_path)
    assert done.returncode == 1
    assert 'input "formt" is not defined in action "mediaconnect-reconciler"' in done.stdout


@pytest.mark.parametrize(
    ("schema", "files"),
    [("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", [ACTION])],
)
def test_github_schemas_accept_them(schema, files):
    done = tool("check-jsonschema", "--builtin-schema", schema, *map(str, files))
    assert done.returncode == 0, done.stdout + done.stderr


def test_third_party_actions_are_pinned_to_a_full_commit_with_its_version():
    pins: dict[str, set[str]] = {}
    for path in [*WORKFLOWS, ACTION]:
        for line in path.read_text().splitlines():
            if m := re.match(r"\s*(?:- )?uses: (\S+)(.*)", line):
                action, comment = m[1], m[2]
                if action.startswith("./"):
                    continue
                name, _, ref = action.partition("@")
                assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path.name}: {action}"
                assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{path.name}: {line}"
                pins.setdefault(name, set()).add(ref)
    # One version of each action everywhere, so an update cannot miss a copy.
    assert {name: len(refs) for name, refs in pins.items()} == {
        "actions/checkout": 1,
        "actions/setup-python": 1,
        "aws-actions/configure-aws-credentials": 1,
        "actions/upload-artifact": 1,
        "actions/download-artifact": 1,
    }


# What each job may write; everything else is read-only or nothing.
WRITES = {
    ("ci.yml", "test"): set(),
    ("plan.yml", "validate"): set(),
    ("plan.yml", "plan"): {"id-token", "pull-requests"},
    ("plan.yml", "fork-notice"): {"pull-requests"},
    ("apply.yml", "plan"): {"id-token"},
    ("apply.yml", "apply"): {"id-token"},
    ("drift.yml", "drift"): {"id-token", "issues"},
}


def test_permissions_are_the_least_each_job_needs():
    seen = {}
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] in ({}, {"contents": "read"}), path.name
        for name, job in workflow["jobs"].items():
            permissions = job["permissions"]
            assert set(permissions.values()) <= {"read", "write"}, (path.name, name)
            seen[(path.name, name)] = {k for k, v in permissions.items() if v == "write"}
    assert seen == WRITES


def test_checkouts_keep_no_token_on_disk():
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path.name


def test_ci_runs_the_checks_and_validates_the_state():
    ci = load("ci.yml")
    assert set(on(ci)) == {"push", "pull_request"}
    commands = runs(ci, "test")
    for command in (
        "make test",
        ".venv/bin/actionlint",
        "--builtin-schema vendor.github-workflows",
        "--builtin-schema vendor.github-actions",
        ".venv/bin/reconcile validate --state state",
    ):
        assert command in commands


def test_pull_requests_from_forks_get_no_credentials_and_run_no_code_with_a_write_token():
    plan = load("plan.yml")
    triggers = on(plan)
    for event in ("pull_request", "pull_request_target"):
        assert triggers[event]["paths"] == ["state/**", "schemas/**"]
    jobs = plan["jobs"]
    # Only a pull request from this repository gets the OIDC role.
    assert (
        "github.event.pull_request.head.repo.full_name == github.repository" in jobs["plan"]["if"]
    )
    assert jobs["plan"]["needs"] == "validate"
    assert "pull_request_target" not in jobs["plan"]["if"]
    assert "pull_request_target" not in jobs["validate"]["if"]
    # The job with a write token on a fork's pull request runs the base branch's
    # script only: no checkout of the fork, no install, no reconcile.
    notice = jobs["fork-notice"]
    assert "github.event_name == 'pull_request_target'" in notice["if"]
    assert "!= github.repository" in notice["if"]
    checkout = next(s for s in notice["steps"] if "checkout" in s.get("uses", ""))
    assert "ref" not in checkout["with"] and "repository" not in checkout["with"]
    assert runs(plan, "fork-notice") == (
        'python3 .github/scripts/sticky_comment.py --pr "$PR" --name plan '
        "--body-file .github/scripts/fork_notice.md"
    )


def step(workflow: dict, job: str, step_id: str) -> dict:
    return next(s for s in steps(workflow, job) if s.get("id") == step_id)


def role(workflow: dict, job: str) -> str:
    (credentials,) = [
        s for s in steps(workflow, job) if "configure-aws-credentials" in s.get("uses", "")
    ]
    return credentials["with"]["role-to-assume"]


def test_the_plan_goes_to_one_sticky_comment_and_the_job_summary():
    plan = load("plan.yml")
    assert role(plan, "plan") == "${{ vars.RECONCILE_PLAN_ROLE_ARN }}"
    assert step(plan, "plan", "plan")["uses"] == "./.github/actions/reconcile"
    assert step(plan, "plan", "plan")["with"] == {"command": "plan", "format": "markdown"}
    commands = runs(plan, "plan")
    assert 'sticky_comment.py --pr "$PR" --name plan --body-file "$comment"' in commands
    assert 'job_summary.py --markdown "$PLAN" --text "Full plan (text)=$TEXT"' in commands


def test_applies_never_overlap_are_never_cancelled_and_apply_the_saved_plan():
    apply = load("apply.yml")
    assert on(apply)["push"] == {"branches": ["main"], "paths": ["state/**"]}
    # One group for the whole repository (no ref or run id in it), never cancelled.
    assert apply["concurrency"] == {"group": "reconcile-apply", "cancel-in-progress": False}
    jobs = apply["jobs"]
    assert "environment" not in jobs["plan"]
    assert jobs["apply"]["environment"] == "production"
    assert jobs["apply"]["needs"] == "plan"
    assert jobs["apply"]["if"] == "needs.plan.outputs.changes == 'true'"
    assert role(apply, "plan") == "${{ vars.RECONCILE_PLAN_ROLE_ARN }}"
    assert role(apply, "apply") == "${{ vars.RECONCILE_APPLY_ROLE_ARN }}"
    saved = "${{ runner.temp }}/plan.saved"
    assert step(apply, "plan", "plan")["with"]["args"] == f"--out {saved}"
    assert step(apply, "apply", "apply")["with"] == {
        "command": "apply",
        "args": "${{ runner.temp }}/saved/plan.saved --report ${{ runner.temp }}/report.json",
    }
    uploads = {
        s["with"]["name"]: s
        for job in ("plan", "apply")
        for s in steps(apply, job)
        if "upload-artifact" in s.get("uses", "")
    }
    assert set(uploads) == {"plan", "apply-report"}
    assert saved in uploads["plan"]["with"]["path"]
    assert "${{ runner.temp }}/report.json" in uploads["apply-report"]["with"]["path"]
    assert uploads["apply-report"]["if"] == "${{ !cancelled() }}"  # a failed apply's too


def test_drift_runs_on_a_schedule_and_on_demand_and_feeds_the_issue_script():
    drift = load("drift.yml")
    assert set(on(drift)) == {"schedule", "workflow_dispatch"}
    check = step(drift, "drift", "drift")
    assert check["uses"] == "./.github/actions/reconcile"
    assert check["with"] == {"command": "drift", "format": "markdown"}
    assert "drift_issue.py --exit-code" in runs(drift, "drift")
