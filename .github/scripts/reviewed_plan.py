"""Find the reviewed plan of the pull request that a commit on main merged.

    reviewed_plan.py --sha SHA

Writes to GITHUB_OUTPUT: `found` (true/false), `pr` (its number, or empty for a
direct push), `run-id` and `artifact` (where the plan job of the pull request's
last commit saved its plan), and `reason` when nothing was found.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from github_api import GitHub, main


def artifact_name(pr: int, head_sha: str) -> str:
    """The name plan.yml gives the saved plan of a pull request's head commit."""
    return f"reconcile-plan-pr{pr}-{head_sha}"


def merged_pull(github: GitHub, sha: str) -> dict[str, Any] | None:
    """The pull request whose merge made `sha`, or None for a direct push."""
    pulls = github.call("GET", f"/repos/{github.repo}/commits/{sha}/pulls")
    merged = [p for p in pulls if p.get("merged_at")]
    return next((p for p in merged if p.get("merge_commit_sha") == sha), None) or next(
        iter(merged), None
    )


def reviewed_plan(github: GitHub, sha: str) -> dict[str, str]:
    pull = merged_pull(github, sha)
    if pull is None:
        return {
            "found": "false",
            "pr": "",
            "reason": f"{sha[:7]} was pushed to main without a pull request, so no plan "
            "of it was reviewed",
        }
    number, head = pull["number"], pull["head"]["sha"]
    name = artifact_name(number, head)
    found = github.call("GET", f"/repos/{github.repo}/actions/artifacts?name={name}&per_page=100")
    live = [a for a in found.get("artifacts", []) if not a.get("expired")]
    if not live:
        return {
            "found": "false",
            "pr": str(number),
            "reason": f"pull request #{number} has no saved plan for its last commit {head[:7]} "
            "(its plan job did not finish, or the plan expired after a day)",
        }
    latest = max(live, key=lambda a: a.get("created_at", ""))
    return {
        "found": "true",
        "pr": str(number),
        "run-id": str(latest["workflow_run"]["id"]),
        "artifact": name,
    }


def run() -> None:
    parser = argparse.ArgumentParser(description="Find the merged pull request's saved plan.")
    parser.add_argument("--sha", required=True)
    args = parser.parse_args()
    outputs = reviewed_plan(GitHub(), args.sha)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.writelines(f"{k}={v}\n" for k, v in outputs.items())
    print(", ".join(f"{k}={v}" for k, v in outputs.items()))


if __name__ == "__main__":
    main(run)
