"""Tell people what apply did, where they look: the merged pull request (or a new
issue for a direct push) and the job summary.

    apply_notice.py refused --sha SHA [--pr N] --reason-file FILE
    apply_notice.py result --sha SHA [--pr N] [--report FILE]

`refused`: nothing was applied (no reviewed plan, or main's plan differs from it);
says why and how to re-run. `result`: what apply added, updated, removed and
failed, from its audit report. A GitHub API failure is reported in the job
summary and never fails the step: the apply's own outcome decides the run.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from github_api import GitHub, GitHubError, fit, run_url

RERUN = (
    "Nothing was applied. To apply main's plan as it is now, read it in the run below, then "
    "re-run the **apply** workflow by hand (Actions → apply → Run workflow): a manual run "
    "applies only through the `production` environment. Or push a new pull request: its "
    "reviewed plan is applied when it merges."
)
DONE_WORDS = {"add": "added", "update": "updated", "replace": "replaced", "remove": "removed"}


def refused_body(sha: str, reason: str) -> str:
    link = run_url() or "the workflow run"
    return (
        f"### `reconcile apply` did not apply {sha[:7]}\n\n{reason.strip()}\n\n{RERUN}\n\n"
        f"The run: {link}\n"
    )


def counts(report: dict[str, Any]) -> Counter[str]:
    tally: Counter[str] = Counter()
    for result in report.get("results", []):
        if result["outcome"] == "done":
            tally[DONE_WORDS.get(result["action"], result["action"])] += 1
        else:
            tally[result["outcome"]] += 1
    return tally


def result_body(sha: str, report: dict[str, Any] | None) -> str:
    link = run_url() or "the workflow run"
    if report is None:
        return (
            f"### `reconcile apply` failed for {sha[:7]}\n\nIt stopped before writing an audit "
            f"report: see the run's log. {link}\n"
        )
    tally = counts(report)
    words = ["added", "updated", "replaced", "removed", "failed", "skipped"]
    summary = ", ".join(f"{tally[w]} {w}" for w in words if tally[w]) or "no changes"
    verdict = "applied" if report.get("ok") else "**did not fully apply**"
    lines = [f"### `reconcile apply` {verdict} {sha[:7]}: {summary}", ""]
    if report.get("results"):
        lines += ["| output | action | outcome | detail |", "|---|---|---|---|"]
        lines += [
            f"| `{r['flow']}/{r['output']}` | {r['action']} | {r['outcome']} | "
            f"{(r.get('detail') or '').replace('|', '/')} |"
            for r in report["results"]
        ]
        lines.append("")
    lines.append(f"The run, with its log and audit report: {link}")
    return "\n".join(lines) + "\n"


def summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text + "\n")


def post(pr: int | None, sha: str, body: str, *, refused: bool) -> str:
    """Comment on `pr`, or open an issue for a refused direct push; never raises."""
    try:
        github = GitHub()
        body = fit(body, "comment")
        if pr is not None:
            github.call("POST", f"/repos/{github.repo}/issues/{pr}/comments", {"body": body})
            return f"commented on #{pr}"
        if refused:
            issue = github.call(
                "POST",
                f"/repos/{github.repo}/issues",
                {
                    "title": f"reconcile apply refused for {sha[:7]}",
                    "body": body,
                    "labels": ["reconcile: apply refused"],
                },
            )
            return f"opened issue #{issue['number']}"
        return "no pull request to comment on"
    except GitHubError as e:
        where = f"#{pr}" if pr is not None else "a new issue"
        summary(f"> [!WARNING]\n> Could not post this to {where}: {e}")
        return f"warning: could not post to {where}: {e}"


def run() -> None:
    parser = argparse.ArgumentParser(description="Report apply's outcome on GitHub.")
    parser.add_argument("kind", choices=["refused", "result"])
    parser.add_argument("--sha", required=True)
    parser.add_argument("--pr", default="")
    parser.add_argument("--reason-file", type=Path)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    pr = int(args.pr) if args.pr else None
    if args.kind == "refused":
        reason = args.reason_file.read_text(encoding="utf-8") if args.reason_file else ""
        body = refused_body(args.sha, reason or "No reviewed plan was found.")
    else:
        report = None
        if args.report is not None and args.report.is_file():
            report = json.loads(args.report.read_text(encoding="utf-8"))
        body = result_body(args.sha, report)
    summary(body)
    print(post(pr, args.sha, body, refused=args.kind == "refused"))


if __name__ == "__main__":
    run()
