"""Turn the exit code of `reconcile drift` into one GitHub issue.

    drift_issue.py --exit-code N --report FILE [--label drift]

2 (drift): open an issue labelled `drift` holding the report, or update the
open one; an identical body is left alone, so a drift that persists makes no
noise. 0 (in sync): close the open issue, with a comment saying so; with none
open, do nothing. Anything else: the check failed, the issue is left as it is,
and this exits 1.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from github_api import GitHub, fit, main, marker, run_url

MARKER = marker("drift")
TITLE = "Drift: the live MediaConnect flows differ from git"
PREAMBLE = (
    "`reconcile drift` found live flow outputs that differ from `state/`: someone changed "
    "them outside git, or an apply did not finish. Run the apply workflow to put git's "
    "version back, or change the files in a pull request so that git says what you want. "
    "This issue is updated when the drift changes and closed when the flows match git again."
)


def _runs_link(environ: Mapping[str, str] = os.environ) -> str:
    """The drift workflow's list of runs: the same in every run, so no churn."""
    workflow = environ.get("GITHUB_WORKFLOW_REF", "").split("@")[0].rsplit("/", 1)[-1]
    server, repo = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    if not (workflow and server and repo):
        return ""
    return f" Full reports: [the workflow's runs]({server}/{repo}/actions/workflows/{workflow})."


def open_issue(github: GitHub, label: str) -> dict[str, Any] | None:
    """The oldest open issue with the label and our marker (pull requests excluded)."""
    issues = github.paginate(
        f"/repos/{github.repo}/issues?state=open&labels={label}&per_page=100&direction=asc"
    )
    return next(
        (i for i in issues if "pull_request" not in i and (i.get("body") or "").startswith(MARKER)),
        None,
    )


def drift_issue(github: GitHub, exit_code: int, report: str, label: str = "drift") -> str:
    """Opens, updates or closes the issue; returns what it did, for the log."""
    if exit_code not in (0, 2):
        raise SystemExit(
            f"error: reconcile drift failed (exit {exit_code}); the drift issue is left as it is"
        )
    issue = open_issue(github, label)
    if exit_code == 0:
        if issue is None:
            return "in sync; no drift issue is open"
        path = f"/repos/{github.repo}/issues/{issue['number']}"
        seen = f" ([run]({run_url()}))" if run_url() else ""
        note = f"The live flows match git again{seen}. Closing."
        github.call("POST", f"{path}/comments", {"body": note})
        github.call("PATCH", path, {"state": "closed", "state_reason": "completed"})
        return f"in sync; closed issue #{issue['number']}"
    body = fit(f"{MARKER}\n{PREAMBLE}{_runs_link()}\n\n{report}", "drift report")
    if issue is None:
        new = github.call(
            "POST",
            f"/repos/{github.repo}/issues",
            {"title": TITLE, "body": body, "labels": [label]},
        )
        return f"drift; opened issue #{new['number']}"
    if issue["body"] == body:
        return f"drift unchanged; issue #{issue['number']} already says this"
    github.call("PATCH", f"/repos/{github.repo}/issues/{issue['number']}", {"body": body})
    return f"drift changed; updated issue #{issue['number']}"


def run() -> None:
    parser = argparse.ArgumentParser(description="Open, update or close the drift issue.")
    parser.add_argument("--exit-code", type=int, required=True, help="of reconcile drift")
    parser.add_argument("--report", type=Path, required=True, help="its Markdown output")
    parser.add_argument("--label", default="drift")
    args = parser.parse_args()
    report = args.report.read_text(encoding="utf-8") if args.report.exists() else ""
    print(drift_issue(GitHub(), args.exit_code, report, args.label))


if __name__ == "__main__":
    main(run)
