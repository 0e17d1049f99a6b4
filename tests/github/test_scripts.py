"""The workflows' GitHub logic (.github/scripts), run as the workflows run it,
against a local fake of the GitHub REST API."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.github.fake_github import REPO, TOKEN, FakeGitHub

SCRIPTS = ROOT / ".github" / "scripts"
PLAN_MARKER = "<!-- mediaconnect-reconciler:plan -->"
DRIFT_MARKER = "<!-- mediaconnect-reconciler:drift -->"


@pytest.fixture
def github():
    with FakeGitHub() as fake:
        yield fake


def run(github, script, *args, token=TOKEN, **env):
    environ = {
        "PATH": os.environ["PATH"],
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": token,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_WORKFLOW_REF": f"{REPO}/.github/workflows/drift.yml@refs/heads/main",
        **env,
    }
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), *map(str, args)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
    )


# --- the sticky plan comment -------------------------------------------------


def comment(github, tmp_path, pr, text, body_file=None):
    if body_file is None:
        body_file = tmp_path / "comment.md"
        body_file.write_text(text)
    return run(github, "sticky_comment.py", "--pr", pr, "--name", "plan", "--body-file", body_file)


def test_the_first_plan_creates_one_comment_starting_with_the_hidden_marker(github, tmp_path):
    pr = github.add_issue("", labels=(), pull_request=True)
    github.add_comment(pr, "LGTM once the plan is here")
    done = comment(
        github, tmp_path, pr, "**Plan: 1 to add, 0 to update, 0 to replace, 0 to remove.**\n"
    )
    assert done.returncode == 0, done.stderr
    assert [(r.method, r.path) for r in github.writes] == [
        ("POST", f"/repos/{REPO}/issues/{pr}/comments")
    ]
    ours = github.comments_on(pr)[-1]
    assert (
        ours["body"]
        == f"{PLAN_MARKER}\n**Plan: 1 to add, 0 to update, 0 to replace, 0 to remove.**\n"
    )
    assert f"created comment {ours['id']}" in done.stdout


def test_each_push_edits_the_same_comment_and_an_unchanged_plan_writes_nothing(github, tmp_path):
    pr = github.add_issue("", labels=(), pull_request=True)
    assert comment(github, tmp_path, pr, "plan one").returncode == 0
    first = github.comments_on(pr)[0]["id"]

    second = comment(github, tmp_path, pr, "plan two")
    assert second.returncode == 0, second.stderr
    assert [c["id"] for c in github.comments_on(pr)] == [first]
    assert github.comments[first]["body"] == f"{PLAN_MARKER}\nplan two"
    assert (github.writes[-1].method, github.writes[-1].path) == (
        "PATCH",
        f"/repos/{REPO}/issues/comments/{first}",
    )

    writes = len(github.writes)
    again = comment(github, tmp_path, pr, "plan two")
    assert again.returncode == 0 and "already says this" in again.stdout
    assert len(github.writes) == writes


def test_the_comment_is_found_past_the_first_page(github, tmp_path):
    github.page_size = 2
    pr = github.add_issue("", labels=(), pull_request=True)
    github.add_comment(pr, "first review")
    # The marker must start the body: a person quoting it does not capture our comment.
    github.add_comment(pr, f"> {PLAN_MARKER}\n> old plan\nwhy?")
    for n in range(5):
        github.add_comment(pr, f"discussion {n}")
    ours = github.add_comment(pr, f"{PLAN_MARKER}\nold plan", user="github-actions[bot]")
    assert comment(github, tmp_path, pr, "new plan").returncode == 0
    assert [(r.method, r.path) for r in github.writes] == [
        ("PATCH", f"/repos/{REPO}/issues/comments/{ours}")
    ]
    assert sum(r.method == "GET" for r in github.requests) == 4  # 8 comments, 2 a page


def test_a_pull_request_from_a_fork_gets_the_notice_instead_of_a_plan(github, tmp_path):
    pr = github.add_issue("", labels=(), pull_request=True)
    done = comment(github, tmp_path, pr, None, body_file=SCRIPTS / "fork_notice.md")
    assert done.returncode == 0, done.stderr
    (body,) = [c["body"] for c in github.comments_on(pr)]
    assert body.startswith(PLAN_MARKER)
    assert "fork" in body and "no AWS credentials" in body and "reconcile validate" in body


def test_a_body_too_long_for_github_becomes_a_pointer_to_the_run(github, tmp_path):
    pr = github.add_issue("", labels=(), pull_request=True)
    assert comment(github, tmp_path, pr, "x" * 70_000).returncode == 0
    (body,) = [c["body"] for c in github.comments_on(pr)]
    assert body.startswith(PLAN_MARKER) and len(body) < 1000
    assert "https://github.example/acme/streams/actions/runs/4242" in body


def test_an_api_error_is_one_line_without_the_token(github, tmp_path):
    pr = github.add_issue("", labels=(), pull_request=True)
    body = tmp_path / "c.md"
    body.write_text("plan")
    done = run(
        github,
        "sticky_comment.py",
        "--pr",
        pr,
        "--name",
        "plan",
        "--body-file",
        body,
        token="wrong-token-value",
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: GET ") and "answered 401" in done.stderr
    assert "wrong-token-value" not in done.stderr + done.stdout
    assert github.writes == []


def test_the_token_is_never_sent_to_a_next_page_on_another_host(github, tmp_path):
    github.page_size = 1
    github.next_link_host = "http://127.0.0.2:9"
    pr = github.add_issue("", labels=(), pull_request=True)
    github.add_comment(pr, "a")
    github.add_comment(pr, "b")
    done = comment(github, tmp_path, pr, "plan")
    assert done.returncode == 1
    assert "refusing to follow a next page outside" in done.stderr
    assert github.writes == []


# --- the drift issue -----------------------------------------------------------


def drift(
    github,
    tmp_path,
    exit_code,
    report="**Plan: 0 to add, 1 to update, 0 to replace, 0 to remove.**\n",
):
    path = tmp_path / "drift.md"
    path.write_text(report)
    return run(github, "drift_issue.py", "--exit-code", exit_code, "--report", path)


def test_drift_opens_one_issue_labelled_drift(github, tmp_path):
    done = drift(github, tmp_path, 2)
    assert done.returncode == 0, done.stderr
    assert [(r.method, r.path) for r in github.writes] == [("POST", f"/repos/{REPO}/issues")]
    (issue,) = github.issues.values()
    assert issue["labels"] == [{"name": "drift"}] and issue["state"] == "open"
    assert issue["title"].startswith("Drift:")
    assert issue["body"].startswith(DRIFT_MARKER)
    # A link to the workflow's runs, not to this run: the body stays the same while the drift does.
    assert "(https://github.example/acme/streams/actions/workflows/drift.yml)" in issue["body"]
    assert "4242" not in issue["body"]
    assert issue["body"].endswith("**Plan: 0 to add, 1 to update, 0 to replace, 0 to remove.**\n")
    assert f"opened issue #{issue['number']}" in done.stdout


def test_the_same_drift_again_writes_nothing(github, tmp_path):
    assert drift(github, tmp_path, 2).returncode == 0
    writes = len(github.writes)
    for _ in range(2):
        done = drift(github, tmp_path, 2)
        assert done.returncode == 0 and "drift unchanged" in done.stdout
    assert len(github.writes) == writes
    assert len(github.issues) == 1


def test_a_changed_drift_updates_the_open_issue(github, tmp_path):
    assert drift(github, tmp_path, 2).returncode == 0
    (number,) = github.issues
    done = drift(
        github, tmp_path, 2, report="**Plan: 0 to add, 2 to update, 0 to replace, 1 to remove.**\n"
    )
    assert done.returncode == 0, done.stderr
    assert (github.writes[-1].method, github.writes[-1].path) == (
        "PATCH",
        f"/repos/{REPO}/issues/{number}",
    )
    assert list(github.issues) == [number]
    assert "2 to update" in github.issues[number]["body"]


def test_back_in_sync_closes_the_issue_with_a_comment(github, tmp_path):
    assert drift(github, tmp_path, 2).returncode == 0
    (number,) = github.issues
    done = drift(github, tmp_path, 0, report="**No changes. The live flows match git.**\n")
    assert done.returncode == 0, done.stderr
    assert [(r.method, r.path) for r in github.writes[1:]] == [
        ("POST", f"/repos/{REPO}/issues/{number}/comments"),
        ("PATCH", f"/repos/{REPO}/issues/{number}"),
    ]
    assert github.issues[number]["state"] == "closed"
    (note,) = github.comments_on(number)
    assert "match git again" in note["body"] and "/actions/runs/4242" in note["body"]

    # A later drift opens a fresh issue rather than reopening the closed one.
    assert drift(github, tmp_path, 2).returncode == 0
    assert [i["state"] for i in github.issues.values()] == ["closed", "open"]


def test_in_sync_with_no_open_issue_does_nothing(github, tmp_path):
    done = drift(github, tmp_path, 0)
    assert done.returncode == 0 and "no drift issue is open" in done.stdout
    assert github.writes == []


def test_a_failed_drift_check_leaves_the_issue_alone_and_fails(github, tmp_path):
    assert drift(github, tmp_path, 2).returncode == 0
    writes = len(github.writes)
    done = drift(github, tmp_path, 1, report="")
    assert done.returncode == 1
    assert "reconcile drift failed (exit 1)" in done.stderr
    assert len(github.writes) == writes and github.issues[1]["state"] == "open"


def test_a_persons_own_drift_labelled_issue_is_not_taken_over(github, tmp_path):
    theirs = github.add_issue("Should we alert on drift by email too?")
    github.add_issue(f"{DRIFT_MARKER}\nnot an issue", pull_request=True)
    assert drift(github, tmp_path, 2).returncode == 0
    assert github.issues[theirs]["body"] == "Should we alert on drift by email too?"
    assert [(r.method, r.path) for r in github.writes] == [("POST", f"/repos/{REPO}/issues")]


# --- the job summary -------------------------------------------------------------


def summary(tmp_path, *args):
    out = tmp_path / "summary.md"
    out.write_text("earlier step\n")
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "job_summary.py"), *map(str, args)],
        env={"PATH": os.environ["PATH"], "GITHUB_STEP_SUMMARY": str(out)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text()


def test_the_job_summary_holds_the_markdown_and_the_full_text_plan(tmp_path):
    (tmp_path / "plan.md").write_text("**Plan: 1 to add.**\n")
    (tmp_path / "plan.txt").write_text("Flow f\n  + add ```odd``` name\n")
    text = summary(
        tmp_path,
        "--markdown",
        tmp_path / "plan.md",
        "--text",
        f"Full plan={tmp_path / 'plan.txt'}",
        "--text",
        f"Missing={tmp_path / 'nope.txt'}",
    )
    assert text.startswith("earlier step\n**Plan: 1 to add.**\n")
    # The fence is longer than any backtick run inside, so the text cannot close it.
    assert (
        "<details><summary>Full plan</summary>\n\n````text\nFlow f\n  + add ```odd``` name\n````\n</details>"
        in text
    )
    assert "Missing" not in text


def test_a_text_too_big_for_the_job_summary_is_cut_at_a_line(tmp_path):
    lines = [f"      Description  line {n:07d} → ünïcode" for n in range(40_000)]
    (tmp_path / "plan.txt").write_text("\n".join(lines) + "\n")
    text = summary(tmp_path, "--text", f"Full plan={tmp_path / 'plan.txt'}")
    assert len(text.encode()) < 1_048_576
    body = text.split("```text\n", 1)[1].split("\n```", 1)[0]
    kept, note = body.rsplit("\n", 1)
    assert note.startswith("(cut here to fit the job summary")
    assert kept.split("\n") == lines[: len(kept.split("\n"))]


def test_without_a_token_it_says_so_in_one_line(github, tmp_path):
    done = run(github, "drift_issue.py", "--exit-code", 0, "--report", tmp_path / "x.md", token="")
    assert (done.returncode, done.stderr) == (1, "error: GITHUB_TOKEN must be set\n")
    assert github.requests == []
