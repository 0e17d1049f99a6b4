"""The pull-request loop's scripts, run as the workflows run them, against the
local fake of the GitHub API: the plan comment with overlap warnings, the
removal label, finding the merged pull request's reviewed plan, and telling the
pull request what apply did."""

from __future__ import annotations

import json

import pytest

from tests.github.fake_github import REPO, FakeGitHub
from tests.github.test_scripts import PLAN_MARKER, run

LABEL = "reconcile: removes outputs"


@pytest.fixture
def github():
    with FakeGitHub() as fake:
        yield fake


def plan_json(tmp_path, *changes: tuple[str, str, str]):
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps({"changes": [{"action": a, "flow": f, "output": o} for a, f, o in changes]})
    )
    return path


def publish(github, tmp_path, pr, *changes, text="**Plan: ...**\n"):
    body = tmp_path / "body.md"
    body.write_text(text)
    done = run(
        github,
        "pr_plan.py",
        "--pr",
        pr,
        "--plan-json",
        plan_json(tmp_path, *changes),
        "--body-file",
        body,
    )
    assert done.returncode == 0, done.stderr
    return done


def plan_comment(github, pr) -> str:
    (comment,) = [c for c in github.comments_on(pr) if c["body"].startswith(PLAN_MARKER)]
    return comment["body"]


def test_a_plan_that_removes_outputs_labels_the_pull_request_until_it_no_longer_does(
    github, tmp_path
):
    pr = github.add_pull("a" * 40)
    publish(github, tmp_path, pr, ("remove", "tv", "linkedin"))
    assert github.labels_of(pr) == [LABEL]
    publish(github, tmp_path, pr, ("replace", "tv", "linkedin"))
    assert github.labels_of(pr) == [LABEL]
    publish(github, tmp_path, pr, ("update", "tv", "linkedin"))
    assert github.labels_of(pr) == []
    deletes = [r.path for r in github.writes if r.method == "DELETE"]
    assert deletes == [f"/repos/{REPO}/issues/{pr}/labels/reconcile%3A%20removes%20outputs"]


def test_a_failed_plan_leaves_the_label_as_it_was(github, tmp_path):
    pr = github.add_pull("a" * 40)
    publish(github, tmp_path, pr, ("remove", "tv", "linkedin"))
    failed = tmp_path / "failed.json"
    failed.write_text('{"changes": [], "failed": true}')
    body = tmp_path / "body.md"
    body.write_text("**The plan failed**\n")
    done = run(github, "pr_plan.py", "--pr", pr, "--plan-json", failed, "--body-file", body)
    assert done.returncode == 0, done.stderr
    assert github.labels_of(pr) == [LABEL]
    assert plan_comment(github, pr).endswith("**The plan failed**\n")


def test_two_pull_requests_changing_one_flow_each_warn_and_link_the_other(github, tmp_path):
    first, second, elsewhere = (github.add_pull(c * 40) for c in "abc")
    publish(github, tmp_path, first, ("add", "tv", "youtube"))
    publish(github, tmp_path, elsewhere, ("add", "radio", "twitch"))
    assert "WARNING" not in plan_comment(github, first)
    publish(github, tmp_path, second, ("update", "tv", "linkedin"), ("add", "radio", "x"))
    assert f"#{first} also changes `tv`." in plan_comment(github, second)
    assert f"#{elsewhere} also changes `radio`." in plan_comment(github, second)
    assert f"#{second} also changes `tv`." in plan_comment(github, first)
    assert f"#{second} also changes `radio`." in plan_comment(github, elsewhere)
    assert f"#{first}" not in plan_comment(github, elsewhere)
    # The second one drops its change to `tv`: the first one's warning goes away.
    publish(github, tmp_path, second, ("add", "radio", "x"))
    assert "WARNING" not in plan_comment(github, first)
    assert plan_comment(github, first).endswith("**Plan: ...**\n")


def find(github, tmp_path, sha):
    out = tmp_path / "github_output"
    out.write_text("")
    done = run(github, "reviewed_plan.py", "--sha", sha, GITHUB_OUTPUT=str(out))
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in out.read_text().splitlines())


def test_the_merged_pull_requests_last_saved_plan_is_found(github, tmp_path):
    head, merge = "1" * 40, "2" * 40
    pr = github.add_pull(head, merge_commit_sha=merge)
    github.add_artifact(f"reconcile-plan-pr{pr}-{'0' * 40}", run_id=7)  # an earlier push
    github.add_artifact(f"reconcile-plan-pr{pr}-{head}", run_id=8, created="2")
    github.add_artifact(f"reconcile-plan-pr{pr}-{head}", run_id=9, created="3")
    github.add_artifact(f"reconcile-plan-pr{pr}-{head}", run_id=10, created="4", expired=True)
    assert find(github, tmp_path, merge) == {
        "found": "true",
        "pr": str(pr),
        "run-id": "9",
        "artifact": f"reconcile-plan-pr{pr}-{head}",
    }


def test_a_direct_push_or_a_pull_request_without_a_plan_has_no_reviewed_plan(github, tmp_path):
    outputs = find(github, tmp_path, "3" * 40)
    assert outputs["found"] == "false" and outputs["pr"] == ""
    assert "pushed to main without a pull request" in outputs["reason"]
    pr = github.add_pull("4" * 40, merge_commit_sha="5" * 40)
    outputs = find(github, tmp_path, "5" * 40)
    assert (outputs["found"], outputs["pr"]) == ("false", str(pr))
    assert "no saved plan for its last commit 4444444" in outputs["reason"]


REPORT = {
    "ok": False,
    "results": [
        {"flow": "tv", "output": "yt", "action": "add", "outcome": "done", "detail": ""},
        {"flow": "tv", "output": "li", "action": "remove", "outcome": "done", "detail": ""},
        {
            "flow": "tv",
            "output": "x",
            "action": "update",
            "outcome": "failed",
            "detail": "BadRequest",
        },
    ],
}


def notice(github, tmp_path, *args):
    summary = tmp_path / "summary.md"
    summary.touch()
    done = run(github, "apply_notice.py", *args, GITHUB_STEP_SUMMARY=str(summary))
    assert done.returncode == 0, done.stderr
    return summary.read_text()


def test_the_result_goes_to_the_merged_pull_request_and_the_job_summary(github, tmp_path):
    pr = github.add_pull("6" * 40, merge_commit_sha="7" * 40)
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    summary = notice(github, tmp_path, "result", "--sha", "7" * 40, "--pr", pr, "--report", report)
    (comment,) = github.comments_on(pr)
    assert comment["body"].startswith(
        "### `reconcile apply` **did not fully apply** 7777777: 1 added, 1 removed, 1 failed"
    )
    assert "https://github.example/acme/streams/actions/runs/4242" in comment["body"]
    assert "| `tv/x` | update | failed | BadRequest |" in comment["body"]
    assert comment["body"] in summary


def test_a_github_failure_while_commenting_is_reported_and_does_not_fail(github, tmp_path):
    pr = github.add_pull("6" * 40, merge_commit_sha="7" * 40)
    github.failing = True
    summary = notice(github, tmp_path, "result", "--sha", "7" * 40, "--pr", pr)
    assert "### `reconcile apply` failed for 7777777" in summary
    assert f"Could not post this to #{pr}: POST" in summary and "answered 502" in summary


def test_a_refused_direct_push_opens_an_issue_saying_how_to_re_run(github, tmp_path):
    reason = tmp_path / "reason.txt"
    reason.write_text("3333333 was pushed to main without a pull request")
    notice(github, tmp_path, "refused", "--sha", "3" * 40, "--reason-file", reason)
    (issue,) = github.issues.values()
    assert issue["title"] == "reconcile apply refused for 3333333"
    assert "without a pull request" in issue["body"] and "Run workflow" in issue["body"]
    assert [label["name"] for label in issue["labels"]] == ["reconcile: apply refused"]


def test_a_refused_merge_is_explained_on_its_pull_request(github, tmp_path):
    pr = github.add_pull("6" * 40, merge_commit_sha="7" * 40)
    reason = tmp_path / "reason.txt"
    reason.write_text(
        "  - `main.plan` also removes `linkedin` on flow `tv` (not in the reviewed plan)\n"
    )
    notice(github, tmp_path, "refused", "--sha", "7" * 40, "--pr", pr, "--reason-file", reason)
    (comment,) = github.comments_on(pr)
    assert "also removes `linkedin`" in comment["body"] and "`production`" in comment["body"]


def busy(github, tmp_path, **env):
    out = tmp_path / "github_output"
    out.write_text("")
    done = run(github, "apply_busy.py", "--workflow", "apply.yml", GITHUB_OUTPUT=str(out), **env)
    assert done.returncode == 0, done.stderr
    return out.read_text()


@pytest.mark.parametrize("status", ["queued", "in_progress", "waiting", "pending", "requested"])
def test_drift_waits_while_an_apply_is_queued_or_running(github, tmp_path, status):
    github.runs.append({"workflow": "drift.yml", "status": "in_progress"})
    github.runs.append({"workflow": "apply.yml", "status": "completed"})
    assert busy(github, tmp_path) == "busy=false\n"
    github.runs.append({"workflow": "apply.yml", "status": status})
    assert busy(github, tmp_path) == "busy=true\n"


def test_when_github_cannot_say_drift_assumes_an_apply_is_running(github, tmp_path):
    out = tmp_path / "github_output"
    out.write_text("")
    done = run(github, "apply_busy.py", token="wrong", GITHUB_OUTPUT=str(out))
    assert done.returncode == 0 and out.read_text() == "busy=true\n"
    assert "cannot tell whether apply.yml is running" in done.stdout
