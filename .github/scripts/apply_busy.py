"""Whether an apply run is queued or running, so drift can skip instead of
reporting an apply in flight as drift.

    apply_busy.py --workflow apply.yml

Prints and writes to GITHUB_OUTPUT `busy=true` or `busy=false`. When GitHub
cannot say, it answers `busy=true`: a skipped drift check costs an hour, a
false drift issue costs someone's attention.
"""

from __future__ import annotations

import argparse
import os

from github_api import GitHub, GitHubError, main

# Every status of a run that has not finished.
UNFINISHED = ("queued", "in_progress", "waiting", "pending", "requested")


def apply_busy(github: GitHub, workflow: str) -> bool:
    base = f"/repos/{github.repo}/actions/workflows/{workflow}/runs"
    for status in UNFINISHED:
        found = github.call("GET", f"{base}?status={status}&per_page=1")
        if found.get("total_count", 0) > 0:
            return True
    return False


def run() -> None:
    parser = argparse.ArgumentParser(description="Is an apply run queued or running?")
    parser.add_argument("--workflow", default="apply.yml")
    args = parser.parse_args()
    try:
        busy = apply_busy(GitHub(), args.workflow)
    except GitHubError as e:
        print(f"warning: cannot tell whether {args.workflow} is running ({e}); assuming it is")
        busy = True
    line = f"busy={'true' if busy else 'false'}"
    print(line)
    if "GITHUB_OUTPUT" in os.environ:
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            out.write(line + "\n")


if __name__ == "__main__":
    main(run)
