"""drift_pr.py: one pull request per drifting flow whose `drift:` is
`pull-request`, updated instead of duplicated, closed when the drift is gone."""

from __future__ import annotations

import json

import pytest

from tests.github.fake_github import FakeGitHub
from tests.github.test_scripts import run

FLOW = "lunora-player-prod-rtmp-router"
BRANCH = f"reconcile/drift/{FLOW}"


@pytest.fixture
def github():
    with FakeGitHub() as fake:
        yield fake


def open_pr(github, tmp_path, report: str, flow: str = FLOW):
    path = tmp_path / f"report-{flow}.md"
    path.write_text(report)
    return run(
        github,
        "drift_pr.py",
        "open",
        "--flow",
        flow,
        "--branch",
        f"reconcile/drift/{flow}",
        "--report",
        path,
    )


def close_resolved(github, tmp_path, changes):
    path = tmp_path / "drift.json"
    path.write_text(json.dumps({"changes": changes}))
    return run(github, "drift_pr.py", "close-resolved", "--plan", path)


def drift_pulls(github):
    return [
        p
        for p in github.pulls.values()
        if (p.get("body") or "").startswith("<!-- mediaconnect-reconciler:drift-pr:")
    ]


def test_a_drifting_flow_gets_one_pull_request_from_its_branch(github, tmp_path):
    done = open_pr(github, tmp_path, "**Plan: 0 to add, 1 to update, 0 to replace, 0 to remove.**")
    assert done.returncode == 0, done.stderr
    (pull,) = drift_pulls(github)
    assert done.stdout == f"opened pull request #{pull['number']} for {FLOW}\n"
    assert pull["head"]["ref"] == BRANCH and pull["base"]["ref"] == "main"
    assert pull["body"].startswith(f"<!-- mediaconnect-reconciler:drift-pr:{FLOW} -->\n")
    assert "1 to update" in pull["body"] and "actions/runs/4242" in pull["body"]


def test_a_changed_drift_updates_the_same_pull_request_and_the_same_writes_nothing(
    github, tmp_path
):
    open_pr(github, tmp_path, "first report")
    again = open_pr(github, tmp_path, "first report")
    assert "is up to date" in again.stdout
    writes = len(github.writes)
    changed = open_pr(github, tmp_path, "second report")
    assert changed.stdout.startswith("updated pull request #")
    (pull,) = drift_pulls(github)
    assert "second report" in pull["body"] and len(github.writes) == writes + 1
    other = open_pr(github, tmp_path, "report", flow="other-flow")
    assert other.stdout.startswith("opened") and len(drift_pulls(github)) == 2


def test_pull_requests_of_flows_back_in_sync_are_closed(github, tmp_path):
    open_pr(github, tmp_path, "report")
    open_pr(github, tmp_path, "report", flow="still-drifting")
    done = close_resolved(
        github,
        tmp_path,
        [
            {
                "action": "update",
                "flow": "still-drifting",
                "output": "x",
                "adopt": False,
                "fields": [{"field": "Port"}],
            },
            {"action": "update", "flow": FLOW, "output": "y", "adopt": True, "fields": []},
        ],
    )
    assert done.returncode == 0, done.stderr
    states = {p["head"]["ref"]: p["state"] for p in drift_pulls(github)}
    assert states == {BRANCH: "closed", "reconcile/drift/still-drifting": "open"}
    closed = next(p for p in drift_pulls(github) if p["state"] == "closed")
    assert "matches git again" in github.comments_on(closed["number"])[0]["body"]


def test_a_persons_pull_request_is_never_touched(github, tmp_path):
    person = github.add_pull("a" * 40)
    github.pulls[person]["body"] = "my own change"
    close_resolved(github, tmp_path, [])
    assert github.pulls[person]["state"] == "open"


def test_the_drift_workflow_has_a_job_per_mode():
    import yaml

    from tests.conftest import ROOT

    jobs = yaml.safe_load((ROOT / ".github/workflows/drift.yml").read_text())["jobs"]
    report = [s for s in jobs["drift"]["steps"] if s.get("with", {}).get("command") == "drift"]
    assert report and all(s["with"]["args"] == "--mode report" for s in report)
    write = "\n".join(s.get("run", "") for s in jobs["pull-requests"]["steps"])
    assert "--mode pull-request --format json" in write and "--write" in write
    assert "drift_pr.py\" open" in write and "drift_pr.py\" close-resolved" in write
    heal = jobs["heal"]
    assert heal["environment"] == "${{ inputs.environment || 'production' }}"
    assert heal["concurrency"]["group"] == "reconcile-apply"  # never beside an apply
    run = "\n".join(s.get("run", "") for s in heal["steps"])
    assert "--mode heal" in run and '--out "$RUNNER_TEMP/heal.plan"' in run
    assert 'apply "$RUNNER_TEMP/heal.plan"' in run  # exactly the saved plan
