"""One pull request per drifting flow whose `drift:` is `pull-request`.

    drift_pr.py open --flow FLOW --branch BRANCH --report FILE [--base main]
    drift_pr.py close-resolved --plan FILE

`open`: the branch already holds `reconcile drift --write --flow FLOW`'s edits
(the workflow commits and pushes them); open a pull request from it, or update
the open one (found by a hidden marker naming the flow), with the drift report
as its body: merging it makes the next plan a no-op for those outputs.
`close-resolved`: FILE is `reconcile drift --mode pull-request --format json`;
every open drift pull request whose flow no longer drifts is closed, with a
comment saying so.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from github_api import GitHub, fit, main, marker, run_url

PREAMBLE = (
    "Someone changed these outputs outside git (the console, another tool). This pull "
    "request writes the live settings into `state/` with `reconcile drift --write`: merging "
    "it records the change in git, and the next plan shows nothing to do for them. Close "
    "it instead to have the next apply put git's version back. It is updated while the "
    "drift changes and closed when the flow matches git again."
)


def flow_marker(flow: str) -> str:
    return marker(f"drift-pr:{flow}")


# A drift pull request's body starts with the marker naming its flow: HEAD FLOW TAIL.
HEAD, TAIL = flow_marker("\0").split("\0")


def _flow_of(body: str) -> str:
    """The flow a drift pull request's first line (its marker) names."""
    return body.split("\n", 1)[0].removeprefix(HEAD).removesuffix(TAIL)


def open_pulls(github: GitHub) -> list[dict[str, Any]]:
    """Open pull requests that this script opened (their body starts with a marker)."""
    return [
        p
        for p in github.paginate(f"/repos/{github.repo}/pulls?state=open&per_page=100")
        if (p.get("body") or "").startswith(HEAD)
    ]


def open_or_update(github: GitHub, flow: str, branch: str, base: str, report: str) -> str:
    head = flow_marker(flow)
    run = run_url()
    link = f"\n\n[The workflow run]({run})" if run else ""
    body = fit(f"{head}\n{PREAMBLE}\n\n{report}{link}", "report")
    mine = next((p for p in open_pulls(github) if p["body"].startswith(head)), None)
    if mine is None:
        created = github.call(
            "POST",
            f"/repos/{github.repo}/pulls",
            {
                "title": f"Drift: record the live settings of {flow}",
                "head": branch,
                "base": base,
                "body": body,
            },
        )
        return f"opened pull request #{created['number']} for {flow}"
    if mine.get("body") == body:
        return f"pull request #{mine['number']} for {flow} is up to date"
    github.call("PATCH", f"/repos/{github.repo}/pulls/{mine['number']}", {"body": body})
    return f"updated pull request #{mine['number']} for {flow}"


def close_resolved(github: GitHub, plan: dict[str, Any]) -> list[str]:
    drifting = {
        c["flow"]
        for c in plan.get("changes", [])
        if not (c.get("adopt") and c.get("action") == "update" and not c.get("fields"))
    }
    lines = []
    for pull in open_pulls(github):
        flow = _flow_of(pull["body"])
        if flow in drifting:
            continue
        github.call(
            "POST",
            f"/repos/{github.repo}/issues/{pull['number']}/comments",
            {"body": f"The flow `{flow}` matches git again; closing."},
        )
        github.call("PATCH", f"/repos/{github.repo}/pulls/{pull['number']}", {"state": "closed"})
        lines.append(f"closed pull request #{pull['number']}: {flow} matches git again")
    return lines


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    opening = commands.add_parser("open")
    opening.add_argument("--flow", required=True)
    opening.add_argument("--branch", required=True)
    opening.add_argument("--base", default="main")
    opening.add_argument("--report", type=Path, required=True)
    closing = commands.add_parser("close-resolved")
    closing.add_argument("--plan", type=Path, required=True)
    args = parser.parse_args()
    github = GitHub()
    if args.command == "open":
        report = args.report.read_text(encoding="utf-8")
        print(open_or_update(github, args.flow, args.branch, args.base, report))
    else:
        for line in close_resolved(github, json.loads(args.plan.read_text(encoding="utf-8"))):
            print(line)


if __name__ == "__main__":
    main(run)
