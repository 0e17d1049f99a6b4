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
    # Where the workflows check the tool out, so actionlint reads the action there.
    shutil.copytree(ROOT / ".github", tmp_path / ".reconcile-tool" / ".github")
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


# Each action at the newest release of its current major (all node24), read as
# tag -> commit from the action's own repository. Updating a pin means updating
# this table after checking the tag's commit the same way.
VERIFIED_PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "aws-actions/configure-aws-credentials": (
        "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        "v6.2.3",
    ),
}


def pins_in(text: str) -> list[tuple[str, str, str]]:
    """(action, ref, comment) of every `uses:` of a third-party action."""
    found = []
    for line in text.splitlines():
        if (m := re.match(r"\s*(?:- )?uses: (\S+)(.*)", line)) and not m[1].startswith("./"):
            name, _, ref = m[1].partition("@")
            found.append((name, ref, m[2]))
    return found


def test_third_party_actions_are_pinned_to_a_verified_commit_named_by_its_tag():
    seen = set()
    for path in [*WORKFLOWS, ACTION]:
        for name, ref, comment in pins_in(path.read_text()):
            assert name in VERIFIED_PINS, f"{path.name}: {name} has no verified pin"
            sha, tag = VERIFIED_PINS[name]
            assert (ref, comment) == (sha, f" # {tag}"), f"{path.name}: {name}@{ref}{comment}"
            seen.add(name)
    assert seen == set(VERIFIED_PINS)


def test_the_pin_check_catches_a_tag_comment_that_does_not_match():
    wrong = "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v4.2.2\n"
    ((name, ref, comment),) = pins_in(wrong)
    assert (ref, comment) != (VERIFIED_PINS[name][0], f" # {VERIFIED_PINS[name][1]}")


# What each job may write; everything else is read-only or nothing.
WRITES = {
    ("ci.yml", "test"): set(),
    ("plan.yml", "validate"): set(),
    ("plan.yml", "plan"): {"id-token", "pull-requests"},
    ("plan.yml", "fork-notice"): {"pull-requests"},
    ("apply.yml", "apply"): {"id-token", "pull-requests", "issues"},
    ("drift.yml", "drift"): {"id-token", "issues"},
    ("drift.yml", "pull-requests"): {"contents", "id-token", "pull-requests"},
    ("drift.yml", "heal"): {"id-token"},
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
    (checkout,) = [s for s in notice["steps"] if "checkout" in s.get("uses", "")]
    # This repository's (or the named release's) scripts at the base commit: never the head.
    assert checkout["with"]["repository"] == "${{ inputs.tool-repository || github.repository }}"
    assert checkout["with"]["ref"] == "${{ inputs.tool-ref || github.sha }}"
    assert checkout["with"]["sparse-checkout"] == ".github/scripts"
    assert runs(plan, "fork-notice") == (
        'python3 .reconcile-tool/.github/scripts/sticky_comment.py --pr "$PR" --name plan '
        "--body-file .reconcile-tool/.github/scripts/fork_notice.md"
    )


def step(workflow: dict, job: str, step_id: str) -> dict:
    return next(s for s in steps(workflow, job) if s.get("id") == step_id)


def role(workflow: dict, job: str) -> str:
    (credentials,) = [
        s for s in steps(workflow, job) if "configure-aws-credentials" in s.get("uses", "")
    ]
    return credentials["with"]["role-to-assume"]


TOOL = "./.reconcile-tool/.github/actions/reconcile"


def test_the_pull_request_plan_is_read_once_saved_and_rendered_from_the_saved_plan():
    plan = load("plan.yml")
    assert role(plan, "plan") == "${{ inputs.plan-role-arn || vars.RECONCILE_PLAN_ROLE_ARN }}"
    planning = [s for s in steps(plan, "plan") if s.get("with", {}).get("command") == "plan"]
    assert len(planning) == 1  # AWS is read once
    assert planning[0]["with"]["args"] == "--out ${{ runner.temp }}/pr.plan"
    assert planning[0]["env"] == {"RECONCILE_PLAN_KEY": "${{ secrets.RECONCILE_PLAN_KEY }}"}
    commands = runs(plan, "plan")
    assert '"$RECONCILE" show "$RUNNER_TEMP/pr.plan" --format "$format"' in commands
    assert "pr_plan.py --pr" in commands and "job_summary.py --markdown" in commands
    (upload,) = [s for s in steps(plan, "plan") if "upload-artifact" in s.get("uses", "")]
    assert upload["with"]["name"] == (
        "reconcile-plan-pr${{ github.event.pull_request.number }}"
        "-${{ github.event.pull_request.head.sha }}"
    )
    assert upload["with"]["retention-days"] == 1
    assert "${{ runner.temp }}/pr.plan\n" in upload["with"]["path"]


def test_apply_applies_main_plan_only_when_it_is_the_reviewed_one():
    apply = load("apply.yml")
    assert on(apply)["push"] == {"branches": ["main"], "paths": ["state/**"]}
    (job,) = apply["jobs"].values()
    # One group for the whole repository (no ref or run id in it), never cancelled.
    assert job["concurrency"] == {"group": "reconcile-apply", "cancel-in-progress": False}
    assert job["environment"] == "${{ inputs.environment || 'production' }}"
    assert role(apply, "apply") == "${{ inputs.apply-role-arn || vars.RECONCILE_APPLY_ROLE_ARN }}"
    assert 'reviewed_plan.py" --sha' in step(apply, "apply", "reviewed")["run"]
    (download,) = [s for s in steps(apply, "apply") if "download-artifact" in s.get("uses", "")]
    assert download["if"] == "steps.reviewed.outputs.found == 'true'"
    assert download["with"]["run-id"] == "${{ steps.reviewed.outputs.run-id }}"
    assert step(apply, "apply", "plan")["with"]["args"] == "--out ${{ runner.temp }}/main.plan"
    applying = step(apply, "apply", "apply")
    # A push applies only with a reviewed plan, and only through --approved.
    assert "steps.reviewed.outputs.found == 'true'" in applying["if"]
    assert 'approved=(--approved "$RUNNER_TEMP/reviewed/pr.plan")' in applying["run"]
    assert applying["env"]["RECONCILE_PLAN_KEY"] == "${{ secrets.RECONCILE_PLAN_KEY }}"
    commands = runs(apply, "apply")
    assert "apply_notice.py\" refused" in commands and "apply_notice.py\" result" in commands
    (upload,) = [s for s in steps(apply, "apply") if "upload-artifact" in s.get("uses", "")]
    assert upload["if"] == "${{ !cancelled() }}"  # a failed apply's report too


def test_drift_skips_while_an_apply_is_queued_or_running():
    drift = load("drift.yml")
    assert set(on(drift)) == {"schedule", "workflow_dispatch", "workflow_call"}
    check = step(drift, "drift", "drift")
    assert check["uses"] == TOOL
    assert check["with"]["command"] == "drift"
    assert check["if"] == "steps.before.outputs.busy == 'false'"
    assert "apply_busy.py" in step(drift, "drift", "before")["run"]
    assert "apply_busy.py" in step(drift, "drift", "after")["run"]
    assert 'drift_issue.py" --exit-code' in runs(drift, "drift")
    issue = next(s for s in steps(drift, "drift") if "drift_issue.py" in s.get("run", ""))
    assert issue["if"] == "steps.after.outputs.busy == 'false'"


def assumes_role(step_: dict) -> bool:
    return "configure-aws-credentials" in step_.get("uses", "")


def installs(step_: dict) -> bool:
    return step_.get("uses") == TOOL and step_.get("with", {}).get("command") == "install"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_tool_is_installed_hash_pinned_before_any_aws_credentials(path):
    for name, job in yaml.safe_load(path.read_text())["jobs"].items():
        job_steps = job["steps"]
        credentials = [i for i, s in enumerate(job_steps) if assumes_role(s)]
        if not credentials:
            continue
        first = credentials[0]
        assert any(installs(s) for s in job_steps[:first]), (path.name, name)
        for later in job_steps[first:]:
            assert "pip " not in later.get("run", ""), (path.name, name)
            assert not installs(later), (path.name, name)
    install = yaml.safe_load(ACTION.read_text())["runs"]["steps"][1]["run"]
    pips = [line for line in install.splitlines() if "pip install" in line]
    assert "--require-hashes" in pips[0] and ".github/requirements.txt" in pips[0]
    assert "--no-deps --no-build-isolation --no-index" in pips[1]


def test_the_install_check_can_fail():
    late = [
        {"uses": "aws-actions/configure-aws-credentials@x"},
        {"uses": TOOL, "with": {"command": "install"}},
    ]
    assert not any(installs(s) for s in late[:1])


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_each_workflow_can_be_called_from_another_repository(name):
    call = on(load(name))["workflow_call"]
    inputs = set(call["inputs"])
    assert {"state-dir", "region", "tool-repository", "tool-ref"} <= inputs
    assert {"plan.yml": "plan-role-arn", "apply.yml": "apply-role-arn"}.get(
        name, "plan-role-arn"
    ) in inputs
    if name == "apply.yml":
        assert call["inputs"]["environment"]["default"] == "production"
    if name != "drift.yml":
        assert set(call["secrets"]) == {"RECONCILE_PLAN_KEY"}
